/**
 * The `--json` documents. `run --json`: `{schemaVersion: 1, workloads: [{name, seed, file,
 * parameters (workloadParameters), runs: [{summary, rounds}]}]}`, keys as the CSV columns (src/core/result-columns.ts),
 * values as in the CSV (src/columns/cells.ts). Two-space indented, newline-terminated.
 */
import type { Verdict } from '../check/compare.js';
import type { RunResult, TraceRows, Workload } from '../core/types.js';
import { roundRecord, summaryRecord, toJsonObject, unguardCell, ROUND_COLUMNS, SUMMARY_COLUMNS } from '../columns/cells.js';
import { columnKind, type CellValue } from '../core/result-columns.js';

export interface JsonWorkload {
  name: string;
  seed: number;
  /** The workload file and its resolved parameters (every field, base units), when known. */
  file?: string;
  workload?: Workload;
  runs: RunResult[];
}

/**
 * A workload's resolved parameters as JSON: every field in base units (bytes, seconds,
 * bytes per second), as the simulation used them after defaults, --set, --seed and
 * --hints; a trace as its row count; Infinity (`unlimited`) as null.
 */
export function workloadParameters(workload: Workload): unknown {
  return JSON.parse(
    JSON.stringify(workload, (key, value: unknown) => {
      if (key === 'trace' && value !== null && typeof value === 'object') return { rows: (value as TraceRows).count };
      if (typeof value === 'number' && !Number.isFinite(value)) return null;
      return value;
    }),
  );
}

/** A JSON document as migsim prints it: two-space indent, newline at the end. */
export function formatJsonDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** One run as the JSON document holds it: `{summary, rounds}`. */
export function runJson(result: RunResult): { summary: object; rounds: object[] } {
  return {
    summary: toJsonObject(summaryRecord(result.summary), SUMMARY_COLUMNS),
    rounds: result.rounds.map((round) => toJsonObject(roundRecord(result.summary, round), ROUND_COLUMNS)),
  };
}

export function formatResultsJson(workloads: readonly JsonWorkload[]): string {
  return formatJsonDocument({
    schemaVersion: 1,
    workloads: workloads.map((workload) => ({
      name: workload.name,
      seed: workload.seed,
      ...(workload.file === undefined ? {} : { file: workload.file }),
      ...(workload.workload === undefined ? {} : { parameters: workloadParameters(workload.workload) }),
      runs: workload.runs.map(runJson),
    })),
  });
}

/**
 * The `check --json` document: `{schemaVersion: 1, baseline, updated, ok, metrics: [{metric,
 * tolerancePct, ok, counts, rows: [{workload, run, seed, status, baseline, current, delta,
 * deltaPct}]}], notChecked}` (notChecked: workloads of the baseline that were not run).
 */
export function formatCheckJson(check: { baseline: string; updated: boolean; ok: boolean; verdicts: readonly Verdict[]; notChecked: readonly string[] }): string {
  const finite = (value: number | null): number | null => (value === null || !Number.isFinite(value) ? null : value);
  return formatJsonDocument({
    schemaVersion: 1,
    baseline: check.baseline,
    updated: check.updated,
    ok: check.ok,
    metrics: check.verdicts.map((verdict) => ({
      metric: verdict.metric,
      tolerancePct: verdict.tolerancePct,
      ok: verdict.ok,
      counts: verdict.counts,
      rows: verdict.rows.map((row) => ({
        workload: row.workload,
        run: row.run,
        seed: row.seed,
        status: row.status,
        baseline: row.baselineBytes,
        current: row.currentBytes,
        delta: row.deltaBytes,
        deltaPct: finite(row.deltaPct),
      })),
    })),
    notChecked: check.notChecked,
  });
}

/**
 * `sweep --json`: `{schemaVersion: 1, file, axes, gridPoints, points: [{point, values,
 * runs: [summary]}]}`. `values` holds each axis's value as given on the command line (text:
 * `10Gbit/s` stays as written); each run is the summary row keyed by the CSV columns, read
 * back from the same cells the CSV prints, so both outputs agree digit for digit.
 */
export function formatSweepJson(sweep: {
  file: string;
  axes: readonly string[];
  gridPoints: number;
  columns: readonly string[];
  rows: readonly string[][];
}): string {
  const axisCount = sweep.axes.length;
  const summaryColumns = sweep.columns.slice(axisCount, sweep.columns.length - 2);
  const points = new Map<number, { point: number; values: Record<string, string>; runs: Record<string, CellValue | null>[] }>();
  for (const row of sweep.rows) {
    const point = Number(row[row.length - 2]);
    let entry = points.get(point);
    if (entry === undefined) {
      const values: Record<string, string> = {};
      sweep.axes.forEach((axis, a) => (values[axis] = row[a]));
      entry = { point, values, runs: [] };
      points.set(point, entry);
    }
    const run: Record<string, CellValue | null> = {};
    summaryColumns.forEach((column, c) => (run[column] = cellJsonValue(column, row[axisCount + c])));
    entry.runs.push(run);
  }
  return formatJsonDocument({
    schemaVersion: 1,
    file: sweep.file,
    axes: sweep.axes,
    gridPoints: sweep.gridPoints,
    points: [...points.values()],
  });
}

/** A CSV cell of a known result column as its JSON value (numbers, booleans; text unguarded). */
function cellJsonValue(column: string, cell: string): CellValue | null {
  const kind = columnKind(column);
  if (kind === 'text' || kind === undefined) return unguardCell(cell);
  if (kind === 'boolean') return cell === 'true';
  if (cell === '') return null;
  return Number(cell);
}
