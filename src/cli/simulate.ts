/**
 * What the commands that simulate share (run, check, plot, calibrate; sweep for its
 * messages): loading every workload file before anything is simulated, simulating one
 * under the progress bar (in a worker, so Ctrl-C stops it), the lost-pages messages, and
 * writing outputs. No catching here except to add the file name to a core config error.
 */
import { simulateWorkload } from '../core/index.js';
import { ConfigError, MigsimError, UsageError } from '../core/errors.js';
import type { RunResult, Workload } from '../core/types.js';
import { readWorkload, type LoadWarning, type ReadWorkloadOptions } from '../io/read-workload.js';
import { writeFileAtomic } from '../io/write-atomic.js';
import { escapeControlChars } from '../report/terminal-text.js';
import { createHeartbeat, heartbeatAllowed, heartbeatIntervalSec, type Heartbeat } from '../report/heartbeat.js';
import { createProgress, progressAllowed } from '../report/progress.js';
import { simulateInWorker } from './interrupt.js';

export interface LoadedWorkload {
  file: string;
  workload: Workload;
}

export interface SimulatedWorkload extends LoadedWorkload {
  results: RunResult[];
}

/**
 * A clamped or idle value is one stderr line, once, naming the file and the field:
 * `migsim: warning: <file>: <field> <problem>` (run, sweep, check and validate alike).
 */
export function warningPrinter(): (warning: LoadWarning) => void {
  const warned = new Set<string>();
  return (warning) => {
    const line = `migsim: warning: ${escapeControlChars(warning.file)}: ${warning.field} ${escapeControlChars(warning.problem)}`;
    if (!warned.has(line)) writeStderrLine(line);
    warned.add(line);
  };
}

/**
 * Reads and parses every file before anything is simulated, so a typo in the last file
 * fails at once. Names must be unique: they key the CSV rows and the baseline.
 */
export function loadWorkloads(files: readonly string[], options: ReadWorkloadOptions): LoadedWorkload[] {
  const onWarning = warningPrinter();
  const loaded = files.map((file) => ({ file, workload: readWorkload(file, { ...options, onWarning }) }));
  const fileByName = new Map<string, string>();
  for (const { file, workload } of loaded) {
    const other = fileByName.get(workload.name);
    if (other !== undefined) {
      throw new UsageError(`${file}: workload name "${workload.name}" is also the name of ${other}; names key the results and must be unique`);
    }
    fileByName.set(workload.name, file);
  }
  return loaded;
}

/**
 * Simulates one workload under a progress bar (stopped in finally). A ConfigError or
 * RangeError from the core is about this file: it is rethrown as MigsimError
 * 'config.invalid' (exit 2) with the file name in front.
 */
export function simulateLoaded(loaded: LoadedWorkload, options: { json: boolean; quiet: boolean }): SimulatedWorkload {
  // On the main thread no timer fires: the heartbeat speaks from the round hooks.
  const heartbeat = heartbeatFor(options, false);
  const progress = createProgress({ enabled: progressAllowed(options), heartbeat });
  try {
    return { ...loaded, results: simulateWorkload(loaded.workload, progress.hooksFor(loaded.workload.name)) };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RangeError) {
      const wrapped = new MigsimError('config.invalid', `${loaded.file}: ${error.message}`);
      wrapped.cause = error;
      throw wrapped;
    }
    throw error;
  } finally {
    progress.stop();
    heartbeat.stop();
  }
}

/** The heartbeat of a run whose stderr is not a terminal (heartbeat.ts); off with --quiet. */
function heartbeatFor(options: { quiet: boolean }, timer: boolean): Heartbeat {
  return createHeartbeat({ intervalSec: heartbeatAllowed(options) ? heartbeatIntervalSec() : 0, timer });
}

/**
 * One warning per block-based hint run (free-page-hint, merge-notifier, page-reporting)
 * that did nothing: no hint call, no page hinted, no byte saved. With 2 MiB pages every
 * strategy's blocks are 2^order huge pages (free-page-hint's order 10 is 2 GiB), so none
 * is ever free and the run silently equals `none`; the line names guest.pageSize.
 */
export function noOpHintMessages(simulated: readonly SimulatedWorkload[]): string[] {
  const messages: string[] = [];
  for (const { workload, results } of simulated) {
    for (const { summary } of results) {
      const costs = summary.costs;
      if (summary.run === 'none' || costs.hintCalls > 0 || costs.acceptCalls > 0 || costs.pagesHinted > 0 || summary.savedBytes !== 0) continue;
      const hint = workload.hints.find((candidate) => candidate.label === summary.run);
      const order = hint?.freePageHint?.order ?? hint?.mergeNotifier?.order ?? hint?.pageReporting?.minOrder ?? null;
      if (order === null || hint?.unaccepted != null) continue;
      if (workload.migration.postcopy !== null && hint?.freePageHint != null) {
        // The simulation drops free-page-hint under postcopy, as QEMU does (simulation.ts).
        messages.push(
          `warning: ${escapeControlChars(summary.workload)}/${escapeControlChars(summary.run)} made no hint call: QEMU does not run free page hinting with postcopy-ram (migration.postcopy), so the run is the same as none`,
        );
        continue;
      }
      const pageSizeBytes = workload.guest.pageSizeBytes;
      if (hint?.mergeNotifier != null && hint.freePageHint == null && hint.pageReporting == null) {
        // arch_free_page hints on the free path only: free blocks that exist are never looked for.
        messages.push(
          `warning: ${escapeControlChars(summary.workload)}/${escapeControlChars(summary.run)} made no hint call: merge-notifier hints a block as the guest frees it, and no free or merge reached order ${order} (${blockText(pageSizeBytes * 2 ** order)}) in the run, so the run is the same as none`,
        );
        continue;
      }
      messages.push(
        `warning: ${escapeControlChars(summary.workload)}/${escapeControlChars(summary.run)} made no hint call: no free block of guest.pageSize x 2^${order} = ${blockText(pageSizeBytes * 2 ** order)} (guest.pageSize ${blockText(pageSizeBytes)}) was found, so the run is the same as none`,
      );
    }
  }
  return messages;
}

function blockText(bytes: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} B`;
}

/** One stderr line per run that lost pages, e.g. `lost pages: web/fph-inplace lost 123 pages (4 zero-content)`. */
export function lostPagesMessages(simulated: readonly SimulatedWorkload[]): string[] {
  const messages: string[] = [];
  for (const { results } of simulated) {
    for (const { summary } of results) {
      if (summary.lostPages > 0) {
        messages.push(
          `lost pages: ${escapeControlChars(summary.workload)}/${escapeControlChars(summary.run)} lost ${summary.lostPages} pages (${summary.lostZeroPages} zero-content)`,
        );
      }
    }
  }
  return messages;
}

export function writeStdout(text: string): void {
  process.stdout.write(text);
}

export function writeStderrLine(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * simulateLoaded in worker threads, so that SIGINT can stop it (interrupt.ts); with
 * `parallelRuns` > 1 the workload's runs go in parallel workers, same results. Call inside
 * withInterruptGuard.
 */
export async function simulateLoadedInterruptible(
  loaded: LoadedWorkload,
  options: { json: boolean; quiet: boolean; parallelRuns?: number },
): Promise<SimulatedWorkload> {
  const heartbeat = heartbeatFor(options, true);
  const progress = createProgress({ enabled: progressAllowed(options), heartbeat });
  try {
    return { ...loaded, results: await simulateInWorker(loaded, progress.hooksFor(loaded.workload.name), options.parallelRuns ?? 1) };
  } finally {
    progress.stop();
    heartbeat.stop();
  }
}

/** `-` is stdout; anything else is replaced atomically. */
export function writeOutput(target: string, text: string): void {
  if (target === '-') writeStdout(text);
  else writeFileAtomic(target, text);
}
