/**
 * Reads a results CSV for `migsim plot`: a per-round CSV (`run --csv`: has `round` and
 * `kind`) or a summary CSV (`run --summary-csv`, a baseline, or a `sweep` CSV: has
 * `total_bytes`). Unreadable files and missing columns are MigsimError (exit 2) naming
 * the file, the line and the column. Text cells written with a formula guard (a leading
 * `'` before = + - @, see csv.ts) are read back without it.
 */

import { MigsimError } from '../core/errors.js';
import { unguardCell } from '../columns/cells.js';
import { parseCsv } from './csv.js';
import { INPUT_LIMITS, readInputText } from './read-input.js';
import { errnoCode } from './write-atomic.js';
import { clipText } from '../workload/field-reader.js';

export type ResultsCsv =
  | { kind: 'rounds'; file: string; columns: string[]; rows: Record<string, string>[] }
  | { kind: 'summary'; file: string; columns: string[]; rows: Record<string, string>[] };

const ROUND_REQUIRED = ['workload', 'run', 'seed', 'round', 'kind', 'start_s', 'duration_s', 'normal_pages', 'zero_pages', 'skipped_pages', 'bytes', 'cumulative_bytes', 'dirty_pages'] as const;
const SUMMARY_REQUIRED = ['workload', 'run', 'total_bytes', 'downtime_s'] as const;

function invalid(message: string): MigsimError {
  return new MigsimError('usage.bad-argument', message);
}

/** Reads and classifies `file`. */
export function readResultsCsv(file: string): ResultsCsv {
  let text: string;
  try {
    text = readInputText(file, INPUT_LIMITS.csvBytes);
  } catch (error) {
    throw new MigsimError('usage.bad-argument', `${file}: cannot read (${errnoCode(error)})`);
  }
  const records = parseCsv(text, file);
  if (records.length === 0) throw invalid(`${file}: empty file, expected a header row`);
  const header = records[0].fields;
  const isRounds = header.includes('round') && header.includes('kind');
  const required: readonly string[] = isRounds ? ROUND_REQUIRED : SUMMARY_REQUIRED;
  if (!isRounds && !header.includes('total_bytes')) {
    throw invalid(`${file}: neither a per-round CSV (run --csv) nor a summary CSV (run --summary-csv, sweep): no round/kind or total_bytes column (header: ${clipText(header.join(','))})`);
  }
  for (const column of required) {
    if (!header.includes(column)) throw invalid(`${file}: missing column ${column} (header: ${clipText(header.join(','))})`);
  }
  const rows: Record<string, string>[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length !== header.length) {
      throw invalid(`${file}:${record.line}: expected ${header.length} fields as in the header (got ${record.fields.length})`);
    }
    const row: Record<string, string> = {};
    header.forEach((column, index) => {
      row[column] = column === 'workload' || column === 'run' || column === 'kind' ? unguardCell(record.fields[index]) : record.fields[index];
    });
    row.__line = String(record.line);
    rows.push(row);
  }
  if (!isRounds) {
    // As check reads a baseline (io/baseline.ts): byte counts are integers >= 0 and times
    // finite seconds >= 0, so a chart never draws `abc` or -1e308 (plot once drew both).
    for (const row of rows) {
      const where = `${file}:${row.__line}`;
      for (const column of header) {
        const text = row[column];
        if (column.endsWith('_bytes') && !(/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) && (column === 'saved_bytes' || Number(text) >= 0))) {
          throw invalid(`${where}: ${column} must be ${column === 'saved_bytes' ? 'an' : 'a non-negative'} integer (got "${clipText(text, 40)}")`);
        }
        if (column.endsWith('_s') && !(text !== '' && Number.isFinite(Number(text)) && Number(text) >= 0)) {
          throw invalid(`${where}: ${column} must be a number of seconds >= 0 (got "${clipText(text, 40)}")`);
        }
      }
    }
    for (const row of rows) delete row.__line;
    return { kind: 'summary', file, columns: header, rows };
  }
  // The numeric columns the charts read must hold numbers: a chart of NaN helps nobody.
  const numeric = header.filter((column) => (ROUND_REQUIRED as readonly string[]).includes(column) || (column.endsWith('_bytes') && column !== 'bytes'));
  for (const row of rows) {
    for (const column of numeric) {
      if (column === 'workload' || column === 'run' || column === 'kind') continue;
      if (row[column] === '' || !Number.isFinite(Number(row[column]))) throw invalid(`${file}:${row.__line}: ${column} must be a number (got "${row[column]}")`);
    }
  }
  for (const row of rows) delete row.__line;
  return { kind: 'rounds', file, columns: header, rows };
}
