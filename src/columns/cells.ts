/**
 * The text of one result cell, the same in every output: times (`seconds` columns) with 6
 * decimals, counts as integers (a fraction there is a bug and throws), booleans as
 * `true`/`false`, text guarded against spreadsheet formulas. The JSON document uses the
 * same values (times rounded to the same 6 decimals), so CSV and JSON never disagree.
 *
 * The kind of each column comes from the one table (src/core/result-columns.ts). A
 * column not in it (a swept parameter) is formatted by its name: `*_s` as a time,
 * other numbers as integers.
 *
 * Pure, below both io/ and report/: the CSV writer and the HTML report share it.
 */
import { InvariantError } from '../core/errors.js';
import { columnKind, type CellValue, type ColumnKind } from '../core/result-columns.js';

export type { CellValue } from '../core/result-columns.js';
export { roundRecord, summaryRecord, ROUND_COLUMNS, SUMMARY_COLUMNS } from '../core/result-columns.js';
export type { RoundColumn, RoundRecord, SummaryColumn, SummaryRecord } from '../core/result-columns.js';

/** Number of decimals for every time column: 1 µs resolution. */
const TIME_DECIMALS = 6;

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a
 * formula (CSV injection). A text cell starting so is written with a leading `'`, which
 * spreadsheets show as text; numbers (saved_bytes -5) are never touched.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** C0 and C1 control characters and DEL (a workload name with ESC sequences). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `text` with its control characters written as `\xHH`: a CSV is read in terminals
 * (`cat`, `column -t`) and spreadsheets, where an ESC sequence in a name would act.
 */
export function escapeCellControls(text: string): string {
  return text.replace(CONTROL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `text` with the formula guard and control characters escaped, for a text column. */
export function guardCell(text: string): string {
  const safe = escapeCellControls(text);
  return FORMULA_START.test(safe) ? `'${safe}` : safe;
}

/** Undoes guardCell: a `'` followed by a formula start is dropped. */
export function unguardCell(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

/** A column's kind: from the table, else by name (a swept parameter). */
function kindOf(column: string, value: CellValue): ColumnKind {
  const kind = columnKind(column);
  if (kind !== undefined) return kind;
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'boolean';
  return column.endsWith('_s') ? 'seconds' : 'count';
}

/** The text of one CSV cell, in the fixed format described in the file header. */
export function formatCell(column: string, value: CellValue | undefined): string {
  if (value === undefined) return '';
  const kind = kindOf(column, value);
  if (typeof value === 'string') return kind === 'text' ? guardCell(value) : value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (kind === 'seconds') return value.toFixed(TIME_DECIMALS);
  if (kind === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(TIME_DECIMALS);
  if (!Number.isSafeInteger(value)) {
    throw new InvariantError(`${column} must be an integer count (got ${value})`);
  }
  return String(value);
}

/** A value as it appears in the JSON document: times rounded like the CSV, non-finite as null. */
export function jsonValue(column: string, value: CellValue): CellValue | null {
  if (typeof value !== 'number') return value;
  if (!Number.isFinite(value)) return null;
  if (kindOf(column, value) === 'seconds') return Number(value.toFixed(TIME_DECIMALS));
  formatCell(column, value); // same integer check as the CSV
  return value;
}

/** A record as a JSON object in `columns` order, values as jsonValue gives them. */
export function toJsonObject<C extends string>(record: Record<C, CellValue>, columns: readonly C[]): Record<C, CellValue | null> {
  const out = {} as Record<C, CellValue | null>;
  for (const column of columns) out[column] = jsonValue(column, record[column]);
  return out;
}
