/**
 * `migsim run <workload…>`: simulate each workload (`none`, then every hint run), print
 * the side-by-side tables (or one JSON document with --json), write the requested CSVs,
 * and report lost pages last, after every output is written (exit 3, MODEL.md §5).
 * Also the shared pieces of `check`: loading workloads and simulating them under the
 * progress bar. No catching here except to add the file name to a core config error.
 */
import { simulateWorkload } from '../../core/index.js';
import { ConfigError, MigsimError, UsageError } from '../../core/errors.js';
import type { RunResult, Workload } from '../../core/types.js';
import { formatResultsJson, formatRoundsCsv, formatSummaryCsv } from '../../io/csv.js';
import { readWorkload, type ReadWorkloadOptions } from '../../io/read-workload.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatWorkloadReport } from '../../report/format-table.js';
import { formatHtmlReport } from '../../report/html-report.js';
import { escapeControlChars, terminalSafeResults } from '../../report/terminal-text.js';
import { createProgress, progressAllowed } from '../../report/progress.js';
import { simulateInWorker, withInterruptGuard } from '../interrupt.js';
import { checkMemoryLimit } from '../memory-limit.js';

export interface RunOptions {
  /** `--hints`; null = each file's own hints. */
  hints: string[] | null;
  seed: number | null;
  set: string[];
  /** Per-round CSV path, `-` for stdout, or null. */
  csv: string | null;
  summaryCsv: string | null;
  /** `--html <file>`: one self-contained page with the tables and plots, or null. */
  html?: string | null;
  /** `--max-memory <size>`; null = MIGSIM_MAX_MEMORY or the machine's memory. */
  maxMemory?: string | null;
  /** migsim's version, for the HTML footer. */
  version?: string;
  json: boolean;
  /** false with --no-color. */
  color: boolean;
  quiet: boolean;
}

/** Exit code when a run lost pages (MODEL.md §5). */
export const EXIT_LOST_PAGES = 3;

export interface LoadedWorkload {
  file: string;
  workload: Workload;
}

export interface SimulatedWorkload extends LoadedWorkload {
  results: RunResult[];
}

/**
 * Reads and parses every file before anything is simulated, so a typo in the last file
 * fails at once. Names must be unique: they key the CSV rows and the baseline.
 */
export function loadWorkloads(files: readonly string[], options: ReadWorkloadOptions): LoadedWorkload[] {
  const loaded = files.map((file) => ({ file, workload: readWorkload(file, options) }));
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
  const progress = createProgress({ enabled: progressAllowed(options) });
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
  }
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
 * simulateLoaded in a worker thread, so that SIGINT can stop it between rounds
 * (interrupt.ts); call inside withInterruptGuard.
 */
export async function simulateLoadedInterruptible(loaded: LoadedWorkload, options: { json: boolean; quiet: boolean }): Promise<SimulatedWorkload> {
  const progress = createProgress({ enabled: progressAllowed(options) });
  try {
    return { ...loaded, results: await simulateInWorker(loaded, progress.hooksFor(loaded.workload.name)) };
  } finally {
    progress.stop();
  }
}

export async function runCommand(files: readonly string[], options: RunOptions): Promise<number> {
  const toStdout = [options.json ? '--json' : null, options.csv === '-' ? '--csv -' : null, options.summaryCsv === '-' ? '--summary-csv -' : null, options.html === '-' ? '--html -' : null].filter(
    (flag): flag is string => flag !== null,
  );
  if (toStdout.length > 1) throw new UsageError(`only one of ${toStdout.join(', ')} can write to stdout`);
  const tables = toStdout.length === 0;

  const loaded = loadWorkloads(files, { sets: options.set, hints: options.hints, seed: options.seed });
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory ?? null });
  const palette = stdoutPalette({ color: options.color });
  const simulated: SimulatedWorkload[] = [];
  // Ctrl-C stops the simulation at the next round and throws InterruptedError (exit 130)
  // before any file is written: files of earlier runs stay as they were.
  await withInterruptGuard(async () => {
    for (const workload of loaded) {
      // --csv - and --summary-csv - also own stdout: the bar may show, the tables may not.
      const done = await simulateLoadedInterruptible(workload, { json: options.json, quiet: options.quiet });
      simulated.push(done);
      if (tables) writeStdout(`${simulated.length > 1 ? '\n' : ''}${formatWorkloadReport(done.workload, terminalSafeResults(done.results), { palette })}`);
    }
  });

  const allResults = simulated.flatMap((done) => done.results);
  if (options.json) {
    writeStdout(formatResultsJson(simulated.map((done) => ({ name: done.workload.name, seed: done.workload.seed, runs: done.results }))));
  }
  if (options.csv !== null) writeOutput(options.csv, formatRoundsCsv(allResults));
  if (options.summaryCsv !== null) writeOutput(options.summaryCsv, formatSummaryCsv(allResults.map((result) => result.summary)));
  if (options.html != null) writeOutput(options.html, formatHtmlReport(simulated, options.version ?? ''));

  const lost = lostPagesMessages(simulated);
  for (const message of lost) writeStderrLine(`migsim: ${message}`);
  return lost.length > 0 ? EXIT_LOST_PAGES : 0;
}

/** `-` is stdout; anything else is replaced atomically. */
function writeOutput(target: string, text: string): void {
  if (target === '-') writeStdout(text);
  else writeFileAtomic(target, text);
}
