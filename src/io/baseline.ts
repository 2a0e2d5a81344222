/**
 * The regression baseline (results/baseline.csv): a summary CSV keyed by (workload, run,
 * seed), read and rewritten by `migsim check` (docs/model.md §7). Reading needs only the key
 * columns and the compared ones; every other field is kept as text so that `--update`
 * rewrites the rows of workloads it did not run verbatim.
 */

import { rowKey, type TotalBytesRow } from '../check/compare.js';
import { MigsimError } from '../core/errors.js';
import type { RunSummary } from '../core/types.js';
import { escapeCellControls, unguardCell } from '../columns/cells.js';
import { formatSummaryCsvFromText, parseCsv, summaryCells } from './csv.js';
import { INPUT_LIMITS, readInputText } from './read-input.js';
import { errnoCode } from './write-atomic.js';
import { clipText } from '../workload/field-reader.js';

/** The columns a baseline must have; the others are carried along but not compared. */
export const BASELINE_REQUIRED_COLUMNS = ['workload', 'run', 'seed', 'total_bytes'] as const;

/** A baseline row: the compared values plus every field as written, for rewriting. */
export interface BaselineEntry {
  row: TotalBytesRow;
  fields: Record<string, string>;
}

/**
 * Reads a baseline (summary CSV). Requires the columns workload, run, seed and
 * total_bytes; the others are kept as text. Throws MigsimError 'baseline.invalid'
 * (exit 2) naming the file, the line and the column.
 */
export function parseBaselineCsv(text: string, file: string): BaselineEntry[] {
  const records = parseCsv(text, file);
  if (records.length === 0) throw new MigsimError('baseline.invalid', `${file}: empty file, expected a header row`);
  const header = records[0].fields;
  for (const column of BASELINE_REQUIRED_COLUMNS) {
    if (!header.includes(column)) {
      throw new MigsimError('baseline.invalid', `${file}: missing column ${column} (header: ${clipText(header.join(','))})`);
    }
  }
  const entries: BaselineEntry[] = [];
  const seen = new Map<string, number>();
  for (const record of records.slice(1)) {
    const where = `${file}:${record.line}`;
    if (record.fields.length !== header.length) {
      throw new MigsimError(
        'baseline.invalid',
        `${where}: expected ${header.length} fields as in the header (got ${record.fields.length})`,
      );
    }
    const fields: Record<string, string> = {};
    header.forEach((column, index) => {
      fields[column] = record.fields[index];
    });
    const row: TotalBytesRow = {
      workload: unguardCell(fields.workload),
      run: unguardCell(fields.run),
      seed: parseCount(fields.seed, where, 'seed'),
      totalBytes: parseCount(fields.total_bytes, where, 'total_bytes'),
    };
    if (row.workload === '' || row.run === '') {
      throw new MigsimError('baseline.invalid', `${where}: workload and run must not be empty`);
    }
    const key = `${row.workload}/${row.run}/${row.seed}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new MigsimError('baseline.invalid', `${where}: duplicate row ${key} (first on line ${previous})`);
    }
    seen.set(key, record.line);
    entries.push({ row, fields });
  }
  return entries;
}

function parseCount(text: string, where: string, column: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new MigsimError('baseline.invalid', `${where}: ${column} must be a non-negative integer (got "${text}")`);
  }
  return value;
}

/**
 * Baseline row order: workload, then seed, then `none` before the hint runs, then run
 * label; by UTF-16 code units, never by locale, so the file is the same everywhere.
 */
export function compareBaselineOrder(a: TotalBytesRow, b: TotalBytesRow): number {
  if (a.workload !== b.workload) return a.workload < b.workload ? -1 : 1;
  if (a.seed !== b.seed) return a.seed - b.seed;
  if (a.run !== b.run) {
    if (a.run === 'none') return -1;
    if (b.run === 'none') return 1;
    return a.run < b.run ? -1 : 1;
  }
  return 0;
}

/** The baseline's rows; none when it does not exist yet and `update` will create it. */
export function readBaseline(file: string, update: boolean): BaselineEntry[] {
  let text: string;
  try {
    text = readInputText(file, INPUT_LIMITS.csvBytes);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' && update) return [];
    const hint = code === 'ENOENT' ? '; create it with --update' : '';
    throw new MigsimError('baseline.invalid', `${file}: cannot read baseline (${code})${hint}`);
  }
  return parseBaselineCsv(text, file);
}

/** A summary's baseline key. */
export function totalBytesRow(summary: RunSummary): TotalBytesRow {
  // Names as the CSV holds them (control characters escaped), so runs match their rows.
  return { workload: escapeCellControls(summary.workload), run: escapeCellControls(summary.run), seed: summary.seed, totalBytes: summary.totalBytes };
}

/**
 * The new baseline: kept rows verbatim plus this run's summaries, sorted
 * (compareBaselineOrder) so the file does not depend on argument order.
 */
export function formatBaseline(kept: readonly BaselineEntry[], summaries: readonly RunSummary[]): string {
  const rows: { row: TotalBytesRow; fields: Partial<Record<string, string>> }[] = [...kept];
  const seen = new Set(kept.map((entry) => rowKey(entry.row)));
  for (const summary of summaries) {
    const row = totalBytesRow(summary);
    if (seen.has(rowKey(row))) continue;
    seen.add(rowKey(row));
    rows.push({ row, fields: summaryCells(summary) });
  }
  rows.sort((a, b) => compareBaselineOrder(a.row, b.row));
  return formatSummaryCsvFromText(rows.map((entry) => entry.fields));
}
