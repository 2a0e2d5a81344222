/**
 * The CSV and JSON shapes of results (MODEL.md §6) and the baseline reader.
 *
 * Column order is fixed here and nowhere else. Values are written so that the same
 * results give byte-identical files: times (`*_s`) as seconds with 6 decimals, byte and
 * page counts as integers (a fraction there is a bug and throws), booleans as
 * `true`/`false`. The JSON document uses the same snake_case keys, with times rounded to
 * the same 6 decimals, so CSV and JSON never disagree.
 */
import { stringify } from 'csv-stringify/sync';

import type { TotalBytesRow } from '../check/compare.js';
import { InvariantError, MigsimError } from '../core/errors.js';
import type { RoundStats, RunResult, RunSummary } from '../core/types.js';

export const ROUND_COLUMNS = [
  'workload',
  'run',
  'seed',
  'round',
  'kind',
  'start_s',
  'duration_s',
  'normal_pages',
  'zero_pages',
  'skipped_pages',
  'unaccepted_pages',
  'bytes',
  'cumulative_bytes',
  'dirty_pages',
] as const;

export const SUMMARY_COLUMNS = [
  'workload',
  'run',
  'seed',
  'rounds',
  'total_bytes',
  'total_time_s',
  'downtime_s',
  'converged',
  'lost_pages',
  'saved_bytes',
  'expected_downtime_s',
  'throttle_pct',
  'lost_zero_pages',
  'hint_calls',
  'pages_hinted',
  'redundant_pages_hinted',
  'blocks_held_peak',
  'accept_calls',
  'alloc_failures',
  'alloc_failures_fragmented',
  'guest_cpu_s',
  'zeroing_s',
  'max_lock_hold_s',
  'faults',
  'exits',
  'trace_rows_skipped',
] as const;

export type RoundColumn = (typeof ROUND_COLUMNS)[number];
export type SummaryColumn = (typeof SUMMARY_COLUMNS)[number];
export type CellValue = string | number | boolean;
export type RoundRecord = Record<RoundColumn, CellValue>;
export type SummaryRecord = Record<SummaryColumn, CellValue>;

/** The columns a baseline must have; the others are carried along but not compared. */
export const BASELINE_REQUIRED_COLUMNS = ['workload', 'run', 'seed', 'total_bytes'] as const;

/** Time columns end in `_s`; these are the non-integer, non-time numeric ones. */
const FREE_NUMBER_COLUMNS: ReadonlySet<string> = new Set(['throttle_pct']);

/** Number of decimals for every `*_s` column: 1 µs resolution. */
const TIME_DECIMALS = 6;

/** One per-round row; `round` carries the simulated values in base units. */
export function roundRecord(summary: Pick<RunSummary, 'workload' | 'run' | 'seed'>, round: RoundStats): RoundRecord {
  return {
    workload: summary.workload,
    run: summary.run,
    seed: summary.seed,
    round: round.round,
    kind: round.kind,
    start_s: round.startSec,
    duration_s: round.durationSec,
    normal_pages: round.normalPages,
    zero_pages: round.zeroPages,
    skipped_pages: round.skippedPages,
    unaccepted_pages: round.unacceptedPages,
    bytes: round.bytes,
    cumulative_bytes: round.cumulativeBytes,
    dirty_pages: round.dirtyPages,
  };
}

export function summaryRecord(summary: RunSummary): SummaryRecord {
  const costs = summary.costs;
  return {
    workload: summary.workload,
    run: summary.run,
    seed: summary.seed,
    rounds: summary.rounds,
    total_bytes: summary.totalBytes,
    total_time_s: summary.totalTimeSec,
    downtime_s: summary.downtimeSec,
    converged: summary.converged,
    lost_pages: summary.lostPages,
    saved_bytes: summary.savedBytes,
    expected_downtime_s: summary.expectedDowntimeSec,
    throttle_pct: summary.throttlePct,
    lost_zero_pages: summary.lostZeroPages,
    hint_calls: costs.hintCalls,
    pages_hinted: costs.pagesHinted,
    redundant_pages_hinted: costs.redundantPagesHinted,
    blocks_held_peak: costs.blocksHeldPeak,
    accept_calls: costs.acceptCalls,
    alloc_failures: costs.allocFailures,
    alloc_failures_fragmented: costs.allocFailuresFragmented,
    guest_cpu_s: costs.guestCpuSec,
    zeroing_s: costs.zeroingSec,
    max_lock_hold_s: costs.maxLockHoldSec,
    faults: costs.faults,
    exits: costs.exits,
    trace_rows_skipped: costs.traceRowsSkipped,
  };
}

/** The text columns; every other column holds numbers or booleans. */
const TEXT_COLUMNS: ReadonlySet<string> = new Set(['workload', 'run', 'kind']);

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a
 * formula (CSV injection). A text cell starting so is written with a leading `'`, which
 * spreadsheets show as text; numbers (saved_bytes -5) are never touched.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** `text` with the formula guard, for a text column. */
export function guardCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Undoes guardCell: a `'` followed by a formula start is dropped. */
export function unguardCell(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

/** The text of one CSV cell, in the fixed format described in the file header. */
export function formatCell(column: string, value: CellValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return TEXT_COLUMNS.has(column) ? guardCell(value) : value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (column.endsWith('_s')) return value.toFixed(TIME_DECIMALS);
  if (FREE_NUMBER_COLUMNS.has(column)) return Number.isInteger(value) ? String(value) : value.toFixed(TIME_DECIMALS);
  if (!Number.isSafeInteger(value)) {
    throw new InvariantError(`${column} must be an integer count (got ${value})`);
  }
  return String(value);
}

/** A value as it appears in the JSON document: times rounded like the CSV. */
export function jsonValue(column: string, value: CellValue): CellValue | null {
  if (typeof value !== 'number') return value;
  if (!Number.isFinite(value)) return null;
  if (column.endsWith('_s')) return Number(value.toFixed(TIME_DECIMALS));
  formatCell(column, value); // same integer check as the CSV
  return value;
}

function toJsonObject<C extends string>(record: Record<C, CellValue>, columns: readonly C[]): Record<C, CellValue | null> {
  const out = {} as Record<C, CellValue | null>;
  for (const column of columns) out[column] = jsonValue(column, record[column]);
  return out;
}

function stringifyRecords(records: readonly Partial<Record<string, CellValue>>[], columns: readonly string[]): string {
  const cells = records.map((record) => {
    const text: Record<string, string> = {};
    for (const column of columns) text[column] = formatCell(column, record[column]);
    return text;
  });
  return stringify(cells, { header: true, columns: [...columns] });
}

/** Per-round CSV of every run of every workload, in run order then round order. */
export function formatRoundsCsv(results: readonly RunResult[]): string {
  const records: RoundRecord[] = [];
  for (const result of results) {
    for (const round of result.rounds) records.push(roundRecord(result.summary, round));
  }
  return stringifyRecords(records, ROUND_COLUMNS);
}

/** Summary CSV: one row per run, in the order given. */
export function formatSummaryCsv(summaries: readonly RunSummary[]): string {
  return stringifyRecords(summaries.map(summaryRecord), SUMMARY_COLUMNS);
}

/**
 * Summary CSV from rows already in text form (a baseline being rewritten keeps the rows of
 * workloads it did not run verbatim). Missing columns are written empty.
 */
export function formatSummaryCsvFromText(records: readonly Partial<Record<string, string>>[]): string {
  return stringifyRecords(records, SUMMARY_COLUMNS);
}

export interface JsonWorkload {
  name: string;
  seed: number;
  runs: RunResult[];
}

/**
 * The `--json` document: `{schemaVersion: 1, workloads: [{name, seed, runs: [{summary,
 * rounds}]}]}`, keys as the CSV columns. Two-space indented, newline-terminated.
 */
export function formatResultsJson(workloads: readonly JsonWorkload[]): string {
  const document = {
    schemaVersion: 1,
    workloads: workloads.map((workload) => ({
      name: workload.name,
      seed: workload.seed,
      runs: workload.runs.map((result) => ({
        summary: toJsonObject(summaryRecord(result.summary), SUMMARY_COLUMNS),
        rounds: result.rounds.map((round) => toJsonObject(roundRecord(result.summary, round), ROUND_COLUMNS)),
      })),
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Splits CSV text into records (RFC 4180: quoted fields with `""` escapes, `\n` or
 * `\r\n` line ends). Blank lines are skipped. Returns each record with its 1-based line.
 */
export function parseCsv(text: string, file: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  let i = 0;
  const endRecord = (): void => {
    if (fieldStarted || fields.length > 0) {
      fields.push(field);
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = '';
    fieldStarted = false;
  };
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
    i++;
  }
  if (quoted) throw new MigsimError('baseline.invalid', `${file}:${recordLine}: unterminated quoted field`);
  endRecord();
  return records;
}

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
      throw new MigsimError('baseline.invalid', `${file}: missing column ${column} (header: ${header.join(',')})`);
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
