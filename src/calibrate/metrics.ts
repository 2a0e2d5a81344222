/**
 * The same yardstick for a measured QEMU migration and a simulated run: bytes and pages
 * per iteration, totals, iteration count, times, and the pages each sync newly set.
 *
 * Iterations follow QEMU: iteration k runs from bitmap sync k to sync k + 1 (sync 1 is
 * the setup's), and `dirty-sync-count` = iterations + 2 (the sync that decides the
 * switchover and the final sync in stop-and-copy), which is migsim's rounds + 2. The
 * measured rows come from polling query-migrate every 5 ms, so a boundary can shift a
 * few milliseconds of traffic into the next row: a row numbered past the last iteration
 * (before stop-copy) is such a spill-over and is added to the last iteration.
 * With postcopy the last sync is the discard-bitmap sync of postcopy_start (dirty-sync-count =
 * iterations + 1), there is no stop-copy, and what the source sent after the switch is
 * QEMU's postcopy-bytes (the samples with status postcopy-active).
 * Pure: no I/O.
 */
import type { RoundStats, RunResult } from '../core/types.js';
import type { MeasuredRun, MeasuredSync, MeasuredXbzrle } from './types.js';

/** An iteration shorter than this is a "phantom": syncs back to back, at most one poll apart. */
export const PHANTOM_ITERATION_SEC = 0.005;

/** QEMU resets rs->num_dirty_pages_period at a sync more than 1 s after the last reset. */
const DIRTY_PERIOD_SEC = 1;

export interface IterationMetrics {
  bytes: number;
  normalPages: number;
  zeroPages: number;
}

export interface RunMetrics {
  /** Iterations 1…n (bulk and iterate rounds), in order. */
  iterations: IterationMetrics[];
  stopCopy: IterationMetrics;
  /** Iterations that lasted less than PHANTOM_ITERATION_SEC. */
  phantomIterations: number;
  totalBytes: number;
  normalPages: number;
  zeroPages: number;
  totalTimeSec: number;
  downtimeSec: number;
  /** Pages the sync ending iteration k newly set in the migration bitmap, k = 1…n. */
  dirtiedPages: number[];
  /** How pages went: multifd channels (multifd-bytes > 0), XBZRLE (an xbzrle-cache), or one stream. */
  transport: 'single' | 'multifd' | 'xbzrle';
  /** The xbzrle-cache counters at the end, or null without XBZRLE. */
  xbzrle: MeasuredXbzrle | null;
  /**
   * The first iteration that ran with a CPU throttle (auto-converge): QEMU's
   * cpu-throttle-percentage in the samples of that dirty-sync-count, migsim's throttle_pct
   * of that round; null when the throttle never rose.
   */
  firstThrottleIteration: number | null;
  /** After a postcopy switch (else null): postcopy-bytes, postcopy-requests, postcopy-blocktime (null: not measured). */
  postcopy: { bytes: number; requests: number; blocktimeSec: number | null } | null;
}

/** Metrics of a real migration. */
export function measuredMetrics(run: MeasuredRun): RunMetrics {
  const postcopy = run.iterations.some((row) => row.phase === 'postcopy');
  const iterationCount = run.dirtySyncCount - (postcopy ? 1 : 2);
  const iterations: IterationMetrics[] = [];
  for (let k = 0; k < iterationCount; k++) iterations.push({ bytes: 0, normalPages: 0, zeroPages: 0 });
  const stopCopy: IterationMetrics = { bytes: 0, normalPages: 0, zeroPages: 0 };
  for (const row of run.iterations) {
    if (row.phase === 'postcopy') continue;
    const target = row.phase === 'stop-copy' || iterationCount === 0 ? stopCopy : iterations[Math.min(row.iteration, iterationCount) - 1];
    target.bytes += row.transferredBytes;
    target.normalPages += row.normalPages;
    target.zeroPages += row.zeroPages;
  }
  const syncs = run.syncs;
  let phantomIterations = 0;
  for (let k = 1; k <= iterationCount && k < syncs.length; k++) {
    if (syncs[k].endSec - syncs[k - 1].endSec < PHANTOM_ITERATION_SEC) phantomIterations++;
  }
  return {
    iterations,
    stopCopy,
    phantomIterations,
    totalBytes: run.transferredBytes,
    normalPages: run.normalPages,
    zeroPages: run.zeroPages,
    totalTimeSec: run.totalTimeSec,
    downtimeSec: run.downtimeSec,
    dirtiedPages: newlyDirtiedPages(syncs).slice(1, iterationCount + 1),
    transport: run.xbzrle !== null ? 'xbzrle' : run.multifdBytes > 0 ? 'multifd' : 'single',
    xbzrle: run.xbzrle,
    firstThrottleIteration: firstThrottled(run.samples),
    postcopy: postcopy ? { bytes: run.postcopyBytes, requests: run.postcopyRequests, blocktimeSec: run.blocktimeSec } : null,
  };
}

/** The dirty-sync-count of the first sample with a throttle (iteration k runs from sync k). */
function firstThrottled(samples: MeasuredRun['samples']): number | null {
  for (const sample of samples) if (sample.throttlePct > 0) return sample.dirtySyncCount;
  return null;
}

/**
 * Pages each sync newly set, from QEMU's trace, which prints rs->num_dirty_pages_period:
 * a count that accumulates over syncs until a sync ends more than 1 s after the last
 * reset. A count that went down was reset; one that did not is taken as cumulative unless
 * the previous sync ended a period. Index 0 is the setup sync.
 */
export function newlyDirtiedPages(syncs: readonly MeasuredSync[]): number[] {
  const newly: number[] = [];
  let periodStartSec = syncs.length > 0 ? syncs[0].endSec : 0;
  let carried = 0;
  for (let k = 0; k < syncs.length; k++) {
    const count = syncs[k].dirtyPagesPeriod;
    newly.push(count >= carried ? count - carried : count);
    carried = count;
    if (syncs[k].endSec > periodStartSec + DIRTY_PERIOD_SEC) {
      periodStartSec = syncs[k].endSec;
      carried = 0;
    }
  }
  return newly;
}

/** Metrics of a simulated run (one of simulateWorkload's results). */
export function simulatedMetrics(result: RunResult): RunMetrics {
  const rounds = result.rounds.filter((round) => round.kind === 'bulk' || round.kind === 'iterate');
  const stopCopyRound = result.rounds.find((round) => round.kind === 'stop-copy');
  const toMetrics = (round: RoundStats | undefined): IterationMetrics => ({
    bytes: round?.bytes ?? 0,
    normalPages: round?.normalPages ?? 0,
    zeroPages: round?.zeroPages ?? 0,
  });
  let normalPages = 0;
  let zeroPages = 0;
  const xbzrle: MeasuredXbzrle = { bytes: 0, pages: 0, cacheMiss: 0, overflow: 0 };
  for (const round of result.rounds) {
    // QEMU's `normal` leaves out the pages XBZRLE found in its cache, but for those that
    // overflowed and went as normal pages (save_xbzrle_page returns -1, save_normal_page).
    normalPages += round.normalPages - (round.xbzrlePages - round.xbzrleOverflow);
    zeroPages += round.zeroPages;
    xbzrle.bytes += round.xbzrleBytes;
    xbzrle.pages += round.xbzrlePages;
    xbzrle.cacheMiss += round.xbzrleCacheMiss;
    xbzrle.overflow += round.xbzrleOverflow;
  }
  // A run with XBZRLE counts a miss or a hit once the walk wrapped; one that never wrapped is taken as without.
  const xbzrleRan = xbzrle.pages + xbzrle.cacheMiss > 0;
  return {
    iterations: rounds.map(toMetrics),
    stopCopy: toMetrics(stopCopyRound),
    phantomIterations: rounds.filter((round) => round.kind === 'iterate' && round.durationSec < PHANTOM_ITERATION_SEC).length,
    totalBytes: result.summary.totalBytes,
    normalPages,
    zeroPages,
    totalTimeSec: result.summary.totalTimeSec,
    downtimeSec: result.summary.downtimeSec,
    dirtiedPages: rounds.map((round) => round.dirtyPages),
    transport: result.rounds.some((round) => round.multifdBytes > 0) ? 'multifd' : xbzrleRan ? 'xbzrle' : 'single',
    xbzrle: xbzrleRan ? xbzrle : null,
    firstThrottleIteration: firstThrottledRound(rounds),
    postcopy:
      result.summary.ending === 'postcopy'
        ? { bytes: result.summary.postcopyBytes, requests: result.summary.postcopyRequests, blocktimeSec: result.summary.blocktimeSec }
        : null,
  };
}

/** Round k is QEMU's iteration k (both begin at sync k). */
function firstThrottledRound(rounds: readonly RoundStats[]): number | null {
  const round = rounds.find((candidate) => candidate.throttlePct > 0);
  return round === undefined ? null : round.round;
}
