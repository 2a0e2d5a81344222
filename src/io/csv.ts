/**
 * CSV reading and writing for results: the per-round and summary CSVs (docs/model.md §6) and
 * the RFC 4180 reader every CSV input goes through (baselines, calibration runs, plot
 * inputs, sweep shards). The columns, their order and their text format come from the
 * one table (src/core/result-columns.ts, via src/columns/cells.ts); nothing here names a
 * result column. The baseline has its own module (baseline.ts), the JSON document too
 * (results-json.ts).
 */
import { stringify } from 'csv-stringify/sync';

import { MigsimError } from '../core/errors.js';
import type { RunResult, RunSummary } from '../core/types.js';
import { formatCell, roundRecord, summaryRecord, ROUND_COLUMNS, SUMMARY_COLUMNS, type CellValue, type RoundRecord } from '../columns/cells.js';

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

/** A summary's cells as CSV text, keyed by column (a baseline row, a sweep row). */
export function summaryCells(summary: RunSummary): Record<string, string> {
  const record = summaryRecord(summary);
  const fields: Record<string, string> = {};
  for (const column of SUMMARY_COLUMNS) fields[column] = formatCell(column, record[column]);
  return fields;
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
