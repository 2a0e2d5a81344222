/**
 * The tidy CSV of `migsim sweep` and the checks of `migsim merge`. Columns: the swept
 * field paths (in --vary order), the summary columns (src/core/result-columns.ts), then `point` and
 * `grid_points`. A swept key that is also a summary column (`seed`) is written
 * `vary.<key>`. Rows are sorted by point, then run order, so the same grid gives the
 * same bytes whatever the number of workers or shards.
 */
import { stringify } from 'csv-stringify/sync';

import { MigsimError, UsageError } from '../core/errors.js';
import { SUMMARY_COLUMNS } from '../core/result-columns.js';
import { parseCsv } from './csv.js';
import { clipText } from '../workload/field-reader.js';

export const POINT_COLUMN = 'point';
export const GRID_POINTS_COLUMN = 'grid_points';

const RESERVED = new Set<string>([...SUMMARY_COLUMNS, POINT_COLUMN, GRID_POINTS_COLUMN]);

/** The header of a sweep CSV for these swept keys. Allocates. */
export function sweepColumns(keys: readonly string[]): string[] {
  return [...keys.map((key) => (RESERVED.has(key) ? `vary.${key}` : key)), ...SUMMARY_COLUMNS, POINT_COLUMN, GRID_POINTS_COLUMN];
}

/** The CSV text: header, then the rows as given (cells already formatted). */
export function formatSweepCsv(columns: readonly string[], rows: readonly string[][]): string {
  return stringify([[...columns], ...rows.map((row) => [...row])]);
}

export interface SweepCsvFile {
  file: string;
  text: string;
}

/**
 * Combines shard CSVs of one sweep into the whole sweep's CSV, byte-identical to an
 * unsharded run: same header everywhere, one grid size, no (point, run) twice, and every
 * point 0 … grid_points - 1 present. Rows are ordered by point (stable within a point).
 * @throws MigsimError 'baseline.invalid'-style input errors (exit 2) naming the file and line.
 */
export function mergeSweepCsvs(files: readonly SweepCsvFile[]): string {
  if (files.length === 0) throw new UsageError('merge needs at least one CSV');
  let header: string[] | null = null;
  let headerFile = '';
  let gridPoints = -1;
  const rows: { point: number; order: number; fields: string[] }[] = [];
  const seen = new Map<string, string>();
  for (const { file, text } of files) {
    const records = parseCsv(text, file);
    if (records.length === 0) throw invalid(`${file}: is empty (no header)`);
    const fields = records[0].fields;
    if (header === null) {
      header = fields;
      headerFile = file;
      if (!header.includes(POINT_COLUMN) || !header.includes(GRID_POINTS_COLUMN) || !header.includes('run')) {
        throw invalid(`${file}: is not a sweep CSV (needs columns run, ${POINT_COLUMN} and ${GRID_POINTS_COLUMN})`);
      }
    } else if (fields.join('\u0000') !== header.join('\u0000')) {
      throw invalid(`${file}: has columns ${fields.join(',')}, but ${headerFile} has ${header.join(',')}`);
    }
    const pointAt = header.indexOf(POINT_COLUMN);
    const gridAt = header.indexOf(GRID_POINTS_COLUMN);
    const runAt = header.indexOf('run');
    for (let r = 1; r < records.length; r++) {
      const { line, fields: row } = records[r];
      if (row.length !== header.length) throw invalid(`${file}:${line}: has ${row.length} fields (the header has ${header.length})`);
      const point = Number(row[pointAt]);
      const grid = Number(row[gridAt]);
      if (!/^\d+$/.test(row[gridAt]) || grid < 1) throw invalid(`${file}:${line}: ${GRID_POINTS_COLUMN} must be an integer >= 1 (got ${clipText(row[gridAt], 40)})`);
      if (gridPoints < 0) gridPoints = grid;
      else if (grid !== gridPoints) throw invalid(`${file}:${line}: ${GRID_POINTS_COLUMN} is ${grid}, but earlier rows say ${gridPoints}: not the same sweep`);
      if (!/^\d+$/.test(row[pointAt]) || point >= grid) throw invalid(`${file}:${line}: ${POINT_COLUMN} must be an integer in [0, ${grid}) (got ${clipText(row[pointAt], 40)})`);
      const key = `${point}\u0000${row[runAt]}`;
      const other = seen.get(key);
      if (other !== undefined) throw invalid(`${file}:${line}: point ${point} run ${row[runAt]} is also in ${other}`);
      seen.set(key, `${file}:${line}`);
      rows.push({ point, order: rows.length, fields: row });
    }
  }
  const present = new Set(rows.map((row) => row.point));
  if (gridPoints > 0 && present.size !== gridPoints) {
    const missing: number[] = [];
    for (let p = 0; p < gridPoints && missing.length < 10; p++) if (!present.has(p)) missing.push(p);
    throw invalid(`merge is missing ${gridPoints - present.size} of ${gridPoints} points (first: ${missing.join(', ')}); is a shard absent?`);
  }
  rows.sort((a, b) => a.point - b.point || a.order - b.order);
  return formatSweepCsv(header!, rows.map((row) => row.fields));
}

function invalid(message: string): MigsimError {
  return new MigsimError('workload.invalid', message);
}
