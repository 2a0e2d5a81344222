/**
 * `migsim run <workload…>`: simulate each workload (`none`, then every hint run), print
 * the side-by-side tables (or one JSON document with --json), write the requested CSVs,
 * and report lost pages last, after every output is written (exit 3, docs/model.md §5).
 * The pieces other commands share (loading, simulating under the progress bar, writing
 * outputs) are in ../simulate.ts.
 */
import { convergenceWarnings } from '../../core/endings/up-front.js';
import { UsageError } from '../../core/errors.js';
import { EXIT_CODES } from '../../core/exit-codes.js';
import { formatRoundsCsv, formatSummaryCsv } from '../../io/csv.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { INPUT_LIMITS, readInputText } from '../../io/read-input.js';
import { formatResultsJson } from '../../io/results-json.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatWorkloadReport } from '../../report/format-table.js';
import { formatHtmlReport } from '../../report/html-report.js';
import { terminalSafeResults } from '../../report/terminal-text.js';
import { withInterruptGuard } from '../interrupt.js';
import { checkMemoryLimit, memoryLimit, parallelRunsFor } from '../memory-limit.js';
import { loadWorkloads, lostPagesMessages, noOpHintMessages, simulateLoadedInterruptible, writeOutput, writeStderrLine, writeStdout, type SimulatedWorkload } from '../simulate.js';

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
  /** `--allow-outside-paths`. */
  allowOutsidePaths?: boolean;
  /** `--max-events <n>`; null = MIGSIM_MAX_EVENTS or the default. */
  maxEvents?: string | null;
  /** `--jobs <n>`: runs of one workload simulated at once; null = os.availableParallelism(). */
  jobs?: number | null;
  /** migsim's version, for the HTML footer. */
  version?: string;
  json: boolean;
  /** `--wide`: every run's rounds side by side (default: the compact layout). */
  wide?: boolean;
  /** false with --no-color. */
  color: boolean;
  quiet: boolean;
}

export async function runCommand(files: readonly string[], options: RunOptions): Promise<number> {
  const toStdout = [options.json ? '--json' : null, options.csv === '-' ? '--csv -' : null, options.summaryCsv === '-' ? '--summary-csv -' : null, options.html === '-' ? '--html -' : null].filter(
    (flag): flag is string => flag !== null,
  );
  if (toStdout.length > 1) throw new UsageError(`only one of ${toStdout.join(', ')} can write to stdout`);
  const tables = toStdout.length === 0;

  // Every output path is checked before anything is simulated: a long run must not end in "cannot write".
  checkOutputPaths([
    { option: '--csv', path: options.csv },
    { option: '--summary-csv', path: options.summaryCsv },
    { option: '--html', path: options.html },
  ]);
  const loaded = loadWorkloads(files, { sets: options.set, hints: options.hints, seed: options.seed, traceBudgetBytes: memoryLimit({ maxMemory: options.maxMemory ?? null }).bytes, allowOutsidePaths: options.allowOutsidePaths === true });
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory ?? null, maxEvents: options.maxEvents ?? null });
  // A migration that cannot converge is said up front, in one line, not found out after a long run.
  for (const { file, workload } of loaded) for (const warning of convergenceWarnings(workload)) writeStderrLine(`migsim: ${file}: ${warning}`);
  const palette = stdoutPalette({ color: options.color });
  const simulated: SimulatedWorkload[] = [];
  // Ctrl-C stops the simulation at the next round and throws InterruptedError (exit 130)
  // before any file is written: files of earlier runs stay as they were.
  await withInterruptGuard(async () => {
    for (const workload of loaded) {
      // --csv - and --summary-csv - also own stdout: the bar may show, the tables may not.
      // `none` and the hint runs in parallel worker threads, as many as cores and memory allow.
      const parallelRuns = parallelRunsFor(workload.workload, { maxMemory: options.maxMemory ?? null, jobs: options.jobs ?? null });
      const done = await simulateLoadedInterruptible(workload, { json: options.json, quiet: options.quiet, parallelRuns });
      simulated.push(done);
      if (tables) writeStdout(`${simulated.length > 1 ? '\n' : ''}${formatWorkloadReport(done.workload, terminalSafeResults(done.results), { palette, wide: options.wide === true })}`);
    }
  });

  const allResults = simulated.flatMap((done) => done.results);
  if (options.json) {
    writeStdout(formatResultsJson(simulated.map((done) => ({ name: done.workload.name, seed: done.workload.seed, file: done.file, workload: done.workload, runs: done.results }))));
  }
  if (options.csv !== null) writeOutput(options.csv, formatRoundsCsv(allResults));
  if (options.summaryCsv !== null) writeOutput(options.summaryCsv, formatSummaryCsv(allResults.map((result) => result.summary)));
  if (options.html != null) {
    const pages = simulated.map((done) => ({ ...done, source: readSource(done.file) }));
    const commandLine = ['migsim', ...process.argv.slice(2)].map(shellWord).join(' ');
    writeOutput(options.html, await formatHtmlReport(pages, { version: options.version ?? '', commandLine, date: new Date().toISOString() }));
  }

  for (const message of noOpHintMessages(simulated)) writeStderrLine(`migsim: ${message}`);
  const lost = lostPagesMessages(simulated);
  for (const message of lost) writeStderrLine(`migsim: ${message}`);
  return lost.length > 0 ? EXIT_CODES.lostPages : EXIT_CODES.ok;
}

/** A workload file's text for the HTML report; null when it cannot be read back. */
function readSource(file: string): string | null {
  try {
    return readInputText(file, INPUT_LIMITS.workloadBytes);
  } catch {
    return null;
  }
}

/** A command-line word as a shell would need it: quoted when it holds anything but safe characters. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
