/**
 * Simulated results as the rows charts.ts draws: each cell as the CSV would write it
 * (io/csv.ts's formatCell), so charts of a workload and of its CSV are the same, byte for
 * byte. The columns come from the table of result columns, never listed here.
 */
import type { RunResult } from '../core/types.js';
import { formatCell, roundRecord, ROUND_COLUMNS, summaryRecord, SUMMARY_COLUMNS } from '../columns/cells.js';
import { fileStem, roundCharts, summaryCharts, type Chart, type ResultRow } from './charts.js';

/** Per-round rows of every run, in run order then round order. */
export function roundRows(results: readonly RunResult[]): { columns: string[]; rows: ResultRow[] } {
  const rows: ResultRow[] = [];
  for (const { summary, rounds } of results) {
    for (const round of rounds) {
      const record = roundRecord(summary, round) as Record<string, string | number | boolean>;
      const row: Record<string, string> = {};
      for (const column of ROUND_COLUMNS) row[column] = formatCell(column, record[column]);
      rows.push(row);
    }
  }
  return { columns: [...ROUND_COLUMNS], rows };
}

/** Summary rows, one per run. */
export function summaryRows(results: readonly RunResult[]): { columns: string[]; rows: ResultRow[] } {
  const rows = results.map(({ summary }) => {
    const record = summaryRecord(summary) as Record<string, string | number | boolean>;
    const row: Record<string, string> = {};
    for (const column of SUMMARY_COLUMNS) row[column] = formatCell(column, record[column]);
    return row;
  });
  return { columns: [...SUMMARY_COLUMNS], rows };
}

/** Result and bookkeeping columns of a summary or sweep CSV: never a swept parameter. */
export const STANDARD_SUMMARY_COLUMNS: ReadonlySet<string> = new Set<string>([...SUMMARY_COLUMNS, 'point', 'grid_points']);

/** A simulated workload as the charts need it. */
export interface ChartedWorkload {
  workload: { name: string; migration: { downtimeLimitSec: number } };
  results: readonly RunResult[];
}

/**
 * The per-strategy summary charts of simulated workloads (bytes saved, downtime against
 * each workload's limit, guest costs), when there are more than two runs in all
 * (`--hints all`, several workloads); else none.
 */
export function summaryChartsOfResults(simulated: readonly ChartedWorkload[]): Chart[] {
  const all = simulated.flatMap((entry) => entry.results);
  if (all.length <= 2) return [];
  const summary = summaryRows(all);
  const limits = new Map(simulated.map((entry) => [entry.workload.name, entry.workload.migration.downtimeLimitSec]));
  const stem = simulated.length === 1 ? fileStem(simulated[0].workload.name) : 'summary';
  return summaryCharts(summary.rows, summary.columns, { standardColumns: STANDARD_SUMMARY_COLUMNS, x: 'workload', stem, downtimeLimitSec: limits });
}

/** The charts of simulated workloads: the per-round charts of each, then the summary charts. */
export function chartsOfResults(simulated: readonly ChartedWorkload[]): Chart[] {
  const charts: Chart[] = [];
  for (const { results } of simulated) {
    const rounds = roundRows(results);
    charts.push(...roundCharts(rounds.rows, rounds.columns));
  }
  return [...charts, ...summaryChartsOfResults(simulated)];
}
