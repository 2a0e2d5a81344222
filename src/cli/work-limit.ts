/**
 * Refuses a workload whose simulation would run for hours, before it starts, the way the
 * memory limit refuses one that would not fit (memory-limit.ts). The engine's time goes to
 * events: guest writes, churn allocations and frees, trace rows, pages the sender scans
 * and sends, rate-limit slots. Their count follows from the workload alone:
 *
 *   end   = migration.start + the longest the migration may last: maxDuration; else
 *           maxTotal / bandwidth; else maxRounds x (memory / bandwidth); else (no cap at
 *           all) at least one pass over memory, memory / bandwidth;
 *   guest = sum over writers of rate x (their phase's time before `end`)
 *           + 2 x the same for churn (an allocation and a free) + the trace rows;
 *   per run = 2 x guest (every write can make a page to send again) + the guest's pages
 *           (the first pass) + (end - start) / rateSlot (the sender's slots);
 *   total = per run x runs (none plus each hint configuration).
 *
 * It is an estimate: within a small factor of the truth for a run that lasts until its
 * cap (maxDuration, 1 h by default), far above it for one that converges sooner (the
 * estimate cannot know), and a lower bound for one with no cap at all. The limit:
 * --max-events, else MIGSIM_MAX_EVENTS, else DEFAULT_MAX_EVENTS.
 */
import { MigsimError, UsageError } from '../core/errors.js';
import type { Workload } from '../core/types.js';
import { escapeControlChars } from '../report/terminal-text.js';

/**
 * 3 x 10^10 events: 12-25 minutes at the engine's 20-40 M writes/s (docs/performance.md) for
 * a run that lasts until its cap; a run that converges earlier takes a fraction of that.
 * Every bundled workload estimates at most 2.2e9.
 */
export const DEFAULT_MAX_EVENTS = 3e10;

export interface WorkLimit {
  events: number;
  /** Where the limit came from, for messages: --max-events, MIGSIM_MAX_EVENTS, the default. */
  source: string;
}

/** An estimate of a workload's events, with the part that dominates, for messages. */
export interface WorkEstimate {
  events: number;
  /** The field and figure that contribute the most, e.g. `phases[0].writes[0].rate 1e12/s x 3601 s`. */
  largest: string;
}

/** `--max-events <n>`: a positive integer, or a number such as 1e11. */
export function parseMaxEvents(text: string, source: string): number {
  const events = /^\s*\d+(?:\.\d+)?(?:e\d+)?\s*$/i.test(text) ? Number(text) : NaN;
  if (!(events >= 1) || !Number.isFinite(events)) throw new UsageError(`${source} must be a number of events >= 1, such as 1e10 (got ${JSON.stringify(text.slice(0, 40))})`);
  return events;
}

/** The limit that applies: --max-events, else MIGSIM_MAX_EVENTS, else DEFAULT_MAX_EVENTS. */
export function workLimit(maxEvents: string | null | undefined, env: NodeJS.ProcessEnv = process.env): WorkLimit {
  if (maxEvents !== null && maxEvents !== undefined) return { events: parseMaxEvents(maxEvents, '--max-events'), source: '--max-events' };
  const fromEnv = env.MIGSIM_MAX_EVENTS;
  if (fromEnv !== undefined && fromEnv !== '') return { events: parseMaxEvents(fromEnv, 'MIGSIM_MAX_EVENTS'), source: 'MIGSIM_MAX_EVENTS' };
  return { events: DEFAULT_MAX_EVENTS, source: 'the default limit' };
}

/** The longest the migration may last after it starts (seconds), and what bounds it. */
export function migrationBoundSec(workload: Workload): { sec: number; by: string } {
  const m = workload.migration;
  const passSec = workload.guest.memoryBytes / m.bandwidthBytesPerSec;
  if (Number.isFinite(m.maxDurationSec)) return { sec: m.maxDurationSec, by: 'migration.maxDuration' };
  if (m.maxTotalBytes !== null) return { sec: m.maxTotalBytes / m.bandwidthBytesPerSec, by: 'migration.maxTotal / bandwidth' };
  if (m.maxRounds !== null) return { sec: m.maxRounds * passSec, by: 'migration.maxRounds x memory / bandwidth' };
  return { sec: passSec, by: 'memory / bandwidth (no cap: at least one pass)' };
}

function formatCount(n: number): string {
  return n < 1e6 ? String(Math.round(n)) : n.toExponential(2).replace('e+', 'e');
}

/** The events the simulation of `workload` takes, estimated as the header says. */
export function estimateEvents(workload: Workload): WorkEstimate {
  const bound = migrationBoundSec(workload);
  const endSec = workload.migration.startSec + bound.sec;
  let guestEvents = 0;
  let largest = 0;
  let largestWhat = '';
  const note = (events: number, what: string): void => {
    guestEvents += events;
    if (events > largest) {
      largest = events;
      largestWhat = what;
    }
  };
  let phaseStartSec = 0;
  workload.phases.forEach((phase, p) => {
    const phaseEndSec = phase.durationSec === null ? endSec : Math.min(endSec, phaseStartSec + phase.durationSec);
    const activeSec = Math.max(0, phaseEndSec - phaseStartSec);
    const span = `${formatCount(activeSec)} s`;
    phase.writes.forEach((w, i) => note(w.ratePagesPerSec * activeSec, `phases[${p}].writes[${i}].rate ${formatCount(w.ratePagesPerSec)}/s x ${span}`));
    phase.churn.forEach((c, i) => note(2 * c.rateBlocksPerSec * activeSec, `phases[${p}].churn[${i}].rate ${formatCount(c.rateBlocksPerSec)}/s x ${span} x 2`));
    if (phase.trace !== null) note(phase.trace.count, `phases[${p}].trace ${formatCount(phase.trace.count)} rows`);
    if (phase.durationSec !== null) phaseStartSec += phase.durationSec;
  });
  const pages = workload.guest.memoryBytes / workload.guest.pageSizeBytes;
  const slots = Number.isFinite(workload.migration.bandwidthBytesPerSec) ? bound.sec / workload.migration.rateSlotSec : 0;
  const runs = 1 + workload.hints.length;
  const perRun = 2 * guestEvents + pages + slots;
  if (slots > largest) {
    largest = slots;
    largestWhat = `${bound.by} ${formatCount(bound.sec)} s / migration.rateSlot ${workload.migration.rateSlotSec} s`;
  }
  if (pages > largest) largestWhat = `guest.memory: ${formatCount(pages)} pages`;
  return { events: perRun * runs, largest: `${largestWhat}${runs > 1 ? `, x ${runs} runs` : ''}` };
}

/**
 * Throws MigsimError 'config.invalid' (exit 2) naming the file, the estimate and the
 * field that dominates it when the estimated events exceed the limit.
 */
export function checkWorkloadWork(file: string, workload: Workload, limit: WorkLimit): void {
  const estimate = estimateEvents(workload);
  if (estimate.events <= limit.events) return;
  throw new MigsimError(
    'config.invalid',
    `${escapeControlChars(file)}: simulating takes about ${formatCount(estimate.events)} events (mostly ${estimate.largest}), more than the ${formatCount(limit.events)} of ${limit.source}; raise it with --max-events or MIGSIM_MAX_EVENTS`,
  );
}
