/**
 * The migsim plots, built on svg-chart.ts from per-round rows (a `run` or a CSV written by
 * `run --csv`) and summary rows (`--summary-csv`, a baseline, or a sweep CSV with extra
 * parameter columns). Pure: rows in, `{name, title, svg}` out; the CLI writes the files.
 *
 * Per workload (and seed): pages per round stacked normal/zero/skipped with one bar per
 * run (hinted vs unhinted side by side); cumulative bytes over simulated time with each
 * run's switchover (start of stop-copy) marked; dirty pages per round.
 * Per summary: total bytes and downtime against the varying parameter, one line per run.
 */
import { plotRoundsOf, type PlotRound } from '../columns/plot-round.js';
import { SUMMARY_COLUMNS, SUMMARY_PLOTS } from '../core/result-columns.js';
import { PALETTE, renderBarChart, renderLineChart, type BarGroup, type LineSeries, type Marker } from './svg-chart.js';

export { plotRoundsOf, type PlotRound };

export interface Plot {
  /** File stem, e.g. `webserver-bytes-per-round` (safe for a file name). */
  name: string;
  title: string;
  svg: string;
}

/**
 * The columns a summary CSV always has (the table in src/core/result-columns.ts, so a new counter is
 * never mistaken for a swept parameter) and sweep's bookkeeping columns (io/sweep-csv.ts);
 * any other column is a parameter.
 */
const SUMMARY_STANDARD_COLUMNS: ReadonlySet<string> = new Set<string>([...SUMMARY_COLUMNS, 'point', 'grid_points']);

const STACK = [
  { key: 'normal', label: 'normal pages', color: '#0072B2' },
  { key: 'zero', label: 'zero pages', color: '#E69F00' },
  { key: 'skipped', label: 'skipped (hinted)', color: '#009E73' },
];

/** A file-name-safe stem: letters, digits, `.`, `_`, `-`; anything else becomes `_`. */
export function fileStem(text: string): string {
  const stem = text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '_');
  return stem === '' ? '_' : stem;
}

function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Groups rows by (workload, seed), keeping first-appearance order of groups and runs. */
function groupByWorkload(rows: readonly PlotRound[]): { workload: string; seed: number; runs: Map<string, PlotRound[]> }[] {
  const groups: { workload: string; seed: number; runs: Map<string, PlotRound[]> }[] = [];
  for (const row of rows) {
    let group = groups.find((g) => g.workload === row.workload && g.seed === row.seed);
    if (group === undefined) {
      group = { workload: row.workload, seed: row.seed, runs: new Map() };
      groups.push(group);
    }
    const list = group.runs.get(row.run) ?? [];
    list.push(row);
    group.runs.set(row.run, list);
  }
  return groups;
}

/** The three per-workload plots for every (workload, seed) in `rows`. */
export function roundPlots(rows: readonly PlotRound[]): Plot[] {
  const groups = groupByWorkload(rows);
  const seedsPerWorkload = new Map<string, number>();
  for (const g of groups) seedsPerWorkload.set(g.workload, (seedsPerWorkload.get(g.workload) ?? 0) + 1);
  const plots: Plot[] = [];
  for (const group of groups) {
    const suffix = (seedsPerWorkload.get(group.workload) ?? 0) > 1 ? ` (seed ${group.seed})` : '';
    const stem = fileStem(`${group.workload}${suffix === '' ? '' : `-seed${group.seed}`}`);
    const runs = [...group.runs.keys()];
    const runRows = [...group.runs.values()].map((list) => [...list].sort((a, b) => a.round - b.round));

    const roundCount = Math.max(...runRows.map((list) => list.length));
    const groupsByRound: BarGroup[] = [];
    for (let index = 0; index < roundCount; index++) {
      const bars: BarGroup['bars'] = [];
      let category = String(index + 1);
      runRows.forEach((list, r) => {
        const row = list[index];
        if (row === undefined) return;
        if (row.kind === 'stop-copy' && runRows.every((l) => l[index] === undefined || l[index].kind === 'stop-copy')) category = 'stop';
        bars.push({ member: runs[r], values: { normal: row.normalPages, zero: row.zeroPages, skipped: row.skippedPages } });
      });
      groupsByRound.push({ category, bars });
    }
    plots.push({
      name: `${stem}-pages-per-round`,
      title: `${group.workload}${suffix}: pages per round (sent normal, sent zero, skipped)`,
      svg: renderBarChart({
        title: `${group.workload}${suffix}: pages per round`,
        xLabel: 'round',
        yLabel: 'pages',
        series: STACK,
        members: runs,
        groups: groupsByRound,
      }),
    });

    const cumulative: LineSeries[] = [];
    const markers: Marker[] = [];
    runRows.forEach((list, r) => {
      const points: { x: number; y: number }[] = [];
      for (const row of list) {
        points.push({ x: row.startSec, y: row.cumulativeBytes - row.bytes });
        points.push({ x: row.startSec + row.durationSec, y: row.cumulativeBytes });
        if (row.kind === 'stop-copy') markers.push({ key: runs[r], x: row.startSec, label: `${runs[r]} switchover`, color: colorOf(r) });
      }
      cumulative.push({ key: runs[r], label: runs[r], color: colorOf(r), points });
    });
    plots.push({
      name: `${stem}-cumulative-bytes`,
      title: `${group.workload}${suffix}: cumulative bytes over simulated time`,
      svg: renderLineChart({
        title: `${group.workload}${suffix}: cumulative bytes sent`,
        xLabel: 'simulated time (s)',
        yLabel: 'bytes',
        series: cumulative,
        markers,
      }),
    });

    plots.push({
      name: `${stem}-dirty-pages`,
      title: `${group.workload}${suffix}: dirty pages per round`,
      svg: renderLineChart({
        title: `${group.workload}${suffix}: dirty pages per round`,
        xLabel: 'round',
        yLabel: 'pages dirtied (sync ending the round)',
        series: runRows.map((list, r) => ({ key: runs[r], label: runs[r], color: colorOf(r), points: list.map((row) => ({ x: row.round, y: row.dirtyPages })) })),
        dots: true,
      }),
    });
  }
  return plots;
}

/**
 * The column a summary varies: `preferred` if given, else the first non-standard
 * (parameter) column with more than one value, else `seed`, else `workload` when they vary.
 * Null when every run label appears once (nothing to plot against).
 */
export function sweepColumn(rows: readonly Record<string, string>[], columns: readonly string[], preferred: string | null): string | null {
  if (preferred !== null) return preferred;
  const varies = (column: string): boolean => new Set(rows.map((row) => row[column])).size > 1;
  for (const column of columns) {
    if (!SUMMARY_STANDARD_COLUMNS.has(column) && varies(column)) return column;
  }
  if (varies('seed')) return 'seed';
  if (varies('workload')) return 'workload';
  return null;
}

/**
 * Each plotted summary column (SUMMARY_PLOTS: total bytes, downtime) against the swept
 * column, one line per run label. Numeric values (all parse as numbers) get a numeric
 * axis; anything else is categorical in order of first appearance. Empty when fewer than two rows share a run label.
 */
export function summaryPlots(rows: readonly Record<string, string>[], columns: readonly string[], preferred: string | null = null, stemPrefix = 'summary'): Plot[] {
  const column = sweepColumn(rows, columns, preferred);
  if (column === null) return [];
  const values = rows.map((row) => row[column] ?? '');
  const numeric = values.every((value) => value.trim() !== '' && Number.isFinite(Number(value)));
  const categories = numeric ? undefined : [...new Set(values)];
  const xOf = (value: string): number => (numeric ? Number(value) : categories!.indexOf(value));
  const runs = [...new Set(rows.map((row) => row.run))];
  const build = (metric: string, scale: number): LineSeries[] =>
    runs.map((run, r) => ({
      key: run,
      label: run,
      color: colorOf(r),
      points: rows
        .filter((row) => row.run === run && Number.isFinite(Number(row[metric])) && (row[metric] ?? '') !== '')
        .map((row) => ({ x: xOf(row[column] ?? ''), y: Number(row[metric]) * scale }))
        .sort((a, b) => a.x - b.x),
    }));
  return SUMMARY_PLOTS.map((plot) => ({
    name: `${stemPrefix}-${plot.stem}`,
    title: `${plot.title} against ${column}`,
    svg: renderLineChart({ title: `${plot.title} against ${column}`, xLabel: column, yLabel: plot.yLabel, series: build(plot.column, plot.scale), xCategories: categories, dots: true }),
  }));
}
