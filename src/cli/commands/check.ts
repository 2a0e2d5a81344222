/**
 * `migsim check <workload…> --baseline <file>`: simulate, then compare each run's
 * total_bytes with the baseline (docs/model.md §7). Exit 1 on a regression or a row missing on
 * either side, 3 if a run lost pages (that outranks 1), 0 otherwise.
 *
 * Only the baseline rows of the workloads given are compared: checking one file against
 * the full baseline must not fail because the other workloads were not run. The rows of
 * other workloads are counted in a note, and `--update` keeps them as they are while it
 * replaces the rows of the workloads it ran (sorted, written atomically, exit 0).
 */
import { compare, type TotalBytesRow } from '../../check/compare.js';
import { formatCell } from '../../columns/cells.js';
import { MigsimError, UsageError } from '../../core/errors.js';
import { isNumericSummaryColumn, summaryRecord, SUMMARY_COLUMNS } from '../../core/result-columns.js';
import type { RunSummary } from '../../core/types.js';
import { EXIT_CODES } from '../../core/exit-codes.js';
import { escapeCellControls } from '../../columns/cells.js';
import { formatBaseline, readBaseline, totalBytesRow, type BaselineEntry } from '../../io/baseline.js';
import { formatCheckJson } from '../../io/results-json.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatVerdict, formatVerdictTable } from '../../report/format-table.js';
import { escapeControlChars, terminalSafeRows } from '../../report/terminal-text.js';
import { checkMemoryLimit, memoryLimit, parallelRunsFor } from '../memory-limit.js';
import { withInterruptGuard } from '../interrupt.js';
import {
  loadWorkloads,
  lostPagesMessages,
  simulateLoadedInterruptible,
  writeStderrLine,
  writeStdout,
  type SimulatedWorkload,
} from '../simulate.js';

export interface CheckOptions {
  baseline: string;
  /** Percent of the baseline's value an increase may reach without failing (a metric's own wins). */
  tolerance: number;
  /** `--metric col[:tol],…`: the summary columns compared; null = total_bytes. */
  metric?: string | null;
  /** `--json`: one JSON document (the verdict of every metric) instead of the tables. */
  json?: boolean;
  update: boolean;
  set: string[];
  seed: number | null;
  /** `--max-memory <size>`; null = MIGSIM_MAX_MEMORY or the machine's memory. */
  maxMemory?: string | null;
  /** `--allow-outside-paths`. */
  allowOutsidePaths?: boolean;
  /** `--max-events <n>`; null = MIGSIM_MAX_EVENTS or the default. */
  maxEvents?: string | null;
  color: boolean;
  quiet: boolean;
}

/** One compared column and how much it may grow, in percent of the baseline's value. */
export interface CheckMetric {
  column: string;
  tolerancePct: number;
}

/**
 * `--metric total_bytes,downtime_s:5,total_time_s:2%`: numeric summary columns (the table
 * in src/core/result-columns.ts), each with its tolerance (default `--tolerance`).
 */
export function parseMetrics(text: string | null | undefined, defaultTolerancePct: number): CheckMetric[] {
  if (text === null || text === undefined) return [{ column: 'total_bytes', tolerancePct: defaultTolerancePct }];
  const metrics: CheckMetric[] = [];
  for (const part of text.split(',').map((item) => item.trim())) {
    const [column, tolerance, extra] = part.split(':');
    if (extra !== undefined || column === '') throw new UsageError(`--metric ${text}: expected column[:tolerance],… (e.g. total_bytes,downtime_s:5)`);
    if (!isNumericSummaryColumn(column)) {
      const numeric = SUMMARY_COLUMNS.filter((candidate) => isNumericSummaryColumn(candidate));
      throw new UsageError(`--metric ${column}: not a numeric summary column (one of ${numeric.join(', ')})`);
    }
    const match = tolerance === undefined ? null : /^(\d+(?:\.\d+)?)%?$/.exec(tolerance);
    if (tolerance !== undefined && match === null) throw new UsageError(`--metric ${part}: the tolerance must be a percentage >= 0, such as 0, 0.5 or 2%`);
    if (metrics.some((metric) => metric.column === column)) throw new UsageError(`--metric ${text}: ${column} is given twice`);
    metrics.push({ column, tolerancePct: match === null ? defaultTolerancePct : Number(match[1]) });
  }
  return metrics;
}

/** The baseline's value of `column` for each entry, as a compared row. */
function baselineRows(entries: readonly BaselineEntry[], column: string, file: string): TotalBytesRow[] {
  return entries.map((entry) => {
    if (column === 'total_bytes') return entry.row;
    const text = entry.fields[column];
    if (text === undefined) throw new MigsimError('baseline.invalid', `${file}: has no column ${column}, which --metric compares`);
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new MigsimError('baseline.invalid', `${file}: ${column} of ${entry.row.workload}/${entry.row.run}/${entry.row.seed} must be a number (got "${text}")`);
    }
    return { ...entry.row, totalBytes: value };
  });
}

/** A summary's value of `column` as the CSV writes it (times to the µs), as a compared row. */
function currentRow(summary: RunSummary, column: string): TotalBytesRow {
  const record = summaryRecord(summary);
  return { ...totalBytesRow(summary), totalBytes: Number(formatCell(column, record[column as keyof typeof record])) };
}

export async function checkCommand(files: readonly string[], options: CheckOptions): Promise<number> {
  const metrics = parseMetrics(options.metric, options.tolerance);
  if (options.update && options.set.length > 0) {
    throw new UsageError(
      `--update with --set ${options.set.join(' ')}: the baseline keys rows by workload, run and seed, so the overridden results would be recorded as the workload's own; drop --set, or give --update a workload file that says what you want`,
    );
  }
  if (options.update) checkOutputPaths([{ option: '--baseline', path: options.baseline }]);
  const baseline = readBaseline(options.baseline, options.update);
  const loaded = loadWorkloads(files, { sets: options.set, seed: options.seed, traceBudgetBytes: memoryLimit({ maxMemory: options.maxMemory ?? null }).bytes, allowOutsidePaths: options.allowOutsidePaths === true });
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory ?? null, maxEvents: options.maxEvents ?? null });
  // Ctrl-C stops at the next round (exit 130) before the baseline is touched.
  const simulated: SimulatedWorkload[] = [];
  await withInterruptGuard(async () => {
    for (const workload of loaded) {
      const parallelRuns = parallelRunsFor(workload.workload, { maxMemory: options.maxMemory ?? null });
      simulated.push(await simulateLoadedInterruptible(workload, { json: false, quiet: options.quiet, parallelRuns }));
    }
  });
  const summaries = simulated.flatMap((done) => done.results.map((result) => result.summary));
  const palette = stdoutPalette({ color: options.color });

  const names = new Set(simulated.map((done) => escapeCellControls(done.workload.name)));
  const compared = baseline.filter((entry) => names.has(entry.row.workload));
  const others = baseline.filter((entry) => !names.has(entry.row.workload));
  const verdicts = metrics.map((metric) =>
    compare(
      baselineRows(compared, metric.column, options.baseline),
      summaries.map((summary) => currentRow(summary, metric.column)),
      metric.tolerancePct,
      metric.column,
    ),
  );
  const verdict = verdicts[0];
  const ok = verdicts.every((candidate) => candidate.ok);
  const otherNames = [...new Set(others.map((entry) => entry.row.workload))];

  const lines: string[] = [];
  const shown = { ...verdict, rows: terminalSafeRows(verdict.rows) };
  if (options.json === true) {
    if (options.update) writeFileAtomic(options.baseline, formatBaseline(others, summaries));
    writeStdout(formatCheckJson({ baseline: options.baseline, updated: options.update, ok, verdicts, notChecked: otherNames }));
  } else if (options.update) {
    writeFileAtomic(options.baseline, formatBaseline(others, summaries));
    // A new baseline would list every run as "not in baseline": only show changes to an old one.
    const table = compared.length > 0 ? formatVerdictTable(shown, { palette }) : '';
    if (table !== '') lines.push(table, '');
    const added = verdict.counts['missing-in-baseline'];
    const removed = verdict.counts['missing-in-run'];
    const changed = verdict.rows.filter((row) => row.deltaBytes !== null && row.deltaBytes !== 0).length;
    lines.push(
      `updated ${escapeControlChars(options.baseline)}: ${summaries.length} runs written (${added} added, ${changed} changed, ${removed} removed), ${others.length} rows of other workloads kept`,
    );
  } else {
    for (const [index, each] of verdicts.entries()) {
      if (index > 0) lines.push('');
      lines.push(formatVerdict({ ...each, rows: terminalSafeRows(each.rows) }, escapeControlChars(options.baseline), { palette }));
    }
    if (others.length > 0) {
      lines.push(palette.dim(`(${others.length} baseline rows of workloads not given were not checked: ${otherNames.join(', ')})`));
    }
  }
  if (options.json !== true) writeStdout(`${lines.join('\n')}\n`);

  const lost = lostPagesMessages(simulated);
  for (const message of lost) writeStderrLine(`migsim: ${message}`);
  if (lost.length > 0) return EXIT_CODES.lostPages;
  return options.update || ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}
