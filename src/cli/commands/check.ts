/**
 * `migsim check <workload…> --baseline <file>`: simulate, then compare each run's
 * total_bytes with the baseline (MODEL.md §7). Exit 1 on a regression or a row missing on
 * either side, 3 if a run lost pages (that outranks 1), 0 otherwise.
 *
 * Only the baseline rows of the workloads given are compared: checking one file against
 * the full baseline must not fail because the other workloads were not run. The rows of
 * other workloads are counted in a note, and `--update` keeps them as they are while it
 * replaces the rows of the workloads it ran (sorted, written atomically, exit 0).
 */
import { readFileSync } from 'node:fs';

import { compare, rowKey, type TotalBytesRow } from '../../check/compare.js';
import { MigsimError } from '../../core/errors.js';
import type { RunSummary } from '../../core/types.js';
import {
  compareBaselineOrder,
  formatCell,
  formatSummaryCsvFromText,
  parseBaselineCsv,
  summaryRecord,
  SUMMARY_COLUMNS,
  type BaselineEntry,
} from '../../io/csv.js';
import { errnoCode, writeFileAtomic } from '../../io/write-atomic.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatVerdict, formatVerdictTable } from '../../report/format-table.js';
import { escapeControlChars, terminalSafeRows } from '../../report/terminal-text.js';
import { checkMemoryLimit } from '../memory-limit.js';
import { withInterruptGuard } from '../interrupt.js';
import {
  EXIT_LOST_PAGES,
  loadWorkloads,
  lostPagesMessages,
  simulateLoadedInterruptible,
  writeStderrLine,
  writeStdout,
  type SimulatedWorkload,
} from './run.js';

export interface CheckOptions {
  baseline: string;
  /** Percent of the baseline's total_bytes an increase may reach without failing. */
  tolerance: number;
  update: boolean;
  set: string[];
  seed: number | null;
  /** `--max-memory <size>`; null = MIGSIM_MAX_MEMORY or the machine's memory. */
  maxMemory?: string | null;
  color: boolean;
  quiet: boolean;
}

/** Exit code of a check that found a regression or a missing row. */
export const EXIT_REGRESSION = 1;

export async function checkCommand(files: readonly string[], options: CheckOptions): Promise<number> {
  const baseline = readBaseline(options.baseline, options.update);
  const loaded = loadWorkloads(files, { sets: options.set, seed: options.seed });
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory ?? null });
  // Ctrl-C stops at the next round (exit 130) before the baseline is touched.
  const simulated: SimulatedWorkload[] = [];
  await withInterruptGuard(async () => {
    for (const workload of loaded) simulated.push(await simulateLoadedInterruptible(workload, { json: false, quiet: options.quiet }));
  });
  const summaries = simulated.flatMap((done) => done.results.map((result) => result.summary));
  const palette = stdoutPalette({ color: options.color });

  const names = new Set(simulated.map((done) => done.workload.name));
  const compared = baseline.filter((entry) => names.has(entry.row.workload));
  const others = baseline.filter((entry) => !names.has(entry.row.workload));
  const verdict = compare(
    compared.map((entry) => entry.row),
    summaries.map(totalBytesRow),
    options.tolerance,
  );

  const lines: string[] = [];
  const shown = { ...verdict, rows: terminalSafeRows(verdict.rows) };
  if (options.update) {
    writeFileAtomic(options.baseline, baselineText(others, summaries));
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
    lines.push(formatVerdict(shown, escapeControlChars(options.baseline), { palette }));
    if (others.length > 0) {
      const otherNames = [...new Set(others.map((entry) => entry.row.workload))];
      lines.push(palette.dim(`(${others.length} baseline rows of workloads not given were not checked: ${otherNames.join(', ')})`));
    }
  }
  writeStdout(`${lines.join('\n')}\n`);

  const lost = lostPagesMessages(simulated);
  for (const message of lost) writeStderrLine(`migsim: ${message}`);
  if (lost.length > 0) return EXIT_LOST_PAGES;
  return options.update || verdict.ok ? 0 : EXIT_REGRESSION;
}

function totalBytesRow(summary: RunSummary): TotalBytesRow {
  return { workload: summary.workload, run: summary.run, seed: summary.seed, totalBytes: summary.totalBytes };
}

/** The baseline's rows; none when it does not exist yet and --update will create it. */
function readBaseline(file: string, update: boolean): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' && update) return [];
    const hint = code === 'ENOENT' ? '; create it with --update' : '';
    throw new MigsimError('baseline.invalid', `${file}: cannot read baseline (${code})${hint}`);
  }
  return parseBaselineCsv(text, file);
}

/**
 * The new baseline: kept rows verbatim plus this run's summaries, sorted
 * (compareBaselineOrder) so the file does not depend on argument order.
 */
function baselineText(kept: readonly BaselineEntry[], summaries: readonly RunSummary[]): string {
  const rows: { row: TotalBytesRow; fields: Partial<Record<string, string>> }[] = [...kept];
  const seen = new Set(kept.map((entry) => rowKey(entry.row)));
  for (const summary of summaries) {
    const record = summaryRecord(summary);
    const fields: Record<string, string> = {};
    for (const column of SUMMARY_COLUMNS) fields[column] = formatCell(column, record[column]);
    const row = totalBytesRow(summary);
    if (seen.has(rowKey(row))) continue;
    seen.add(rowKey(row));
    rows.push({ row, fields });
  }
  rows.sort((a, b) => compareBaselineOrder(a.row, b.row));
  return formatSummaryCsvFromText(rows.map((entry) => entry.fields));
}
