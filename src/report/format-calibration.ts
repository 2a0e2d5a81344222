/**
 * Text and CSV for `migsim calibrate`: per scenario and hints off/on, each metric with
 * every measured repetition, their mean, the simulation, the error and the target; then
 * the workload parameters next to the values derived from the data. Bytes are shown in
 * MiB with three decimals (a 2% target on 100 MiB needs them), times in milliseconds.
 * Pure: comparisons in, text out; colour comes in as a Palette, applied after padding.
 */
import { stringify } from 'csv-stringify/sync';

import type { DerivedValue } from '../calibrate/derive.js';
import type { MetricRow, MetricUnit, RunComparison, Target } from '../calibrate/compare.js';
import { PLAIN, type Palette } from './colors.js';

const MIB_BYTES = 2 ** 20;

function valueText(unit: MetricUnit, value: number | null): string {
  if (value === null) return '-';
  switch (unit) {
    case 'bytes':
      return (value / MIB_BYTES).toFixed(3);
    case 's':
      return (value * 1e3).toFixed(1);
    case 'pages':
      return Number.isInteger(value) ? String(value) : value.toFixed(1);
    case 'iterations':
    case 'count':
      return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }
}

function unitText(unit: MetricUnit): string {
  return unit === 'bytes' ? 'MiB' : unit === 's' ? 'ms' : unit === 'pages' ? 'pages' : '';
}

function errorText(row: MetricRow): string {
  if (row.error === null) return '';
  if (row.unit === 'iterations') return row.error === 0 ? '0' : `${row.error > 0 ? '+' : ''}${Number.isInteger(row.error) ? row.error : row.error.toFixed(1)}`;
  if (!Number.isFinite(row.error)) return row.error > 0 ? '+inf%' : '-inf%';
  return `${row.error > 0 ? '+' : ''}${row.error.toFixed(2)}%`;
}

function targetText(target: Target | null): string {
  if (target === null) return '';
  if (target.kind === 'within') return `±${target.within}`;
  return target.kind === 'pct' ? `±${target.pct}%` : target.kind === 'iterations-within' ? `±${target.count}` : 'equal*';
}

function renderColumns(header: string[], rows: string[][], rightAligned: boolean[], styles: ((text: string) => string)[][] = []): string[] {
  const widths = header.map((text, index) => Math.max(text.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[], rowStyles?: ((text: string) => string)[]): string =>
    cells
      .map((cell, index) => {
        const padded = rightAligned[index] ? cell.padStart(widths[index]) : cell.padEnd(widths[index]);
        const style = rowStyles?.[index];
        return style !== undefined && cell !== '' ? style(padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map((row, index) => line(row, styles[index]))];
}

/** One block per comparison: a title line, then the metric table. */
export function formatCalibration(comparisons: readonly RunComparison[], palette: Palette = PLAIN): string {
  const blocks: string[] = [];
  for (const comparison of comparisons) {
    const title = `${comparison.scenario}, hints ${comparison.hints ? 'on' : 'off'} (simulated run: ${comparison.run})`;
    // One measured run (a --log, or a scenario run once): its mean would repeat it.
    const withMean = comparison.reps.length > 1;
    const header = ['metric', 'unit', ...comparison.reps, ...(withMean ? ['mean'] : []), 'simulated', 'error', 'target', 'status'];
    const rows: string[][] = [];
    const styles: ((text: string) => string)[][] = [];
    for (const row of comparison.rows) {
      rows.push([
        row.label,
        unitText(row.unit),
        ...row.measured.map((value) => valueText(row.unit, value)),
        ...(withMean ? [valueText(row.unit, row.measuredMean)] : []),
        valueText(row.unit, row.simulated),
        errorText(row),
        targetText(row.target),
        row.status ?? '',
      ]);
      const style = row.status === 'met' ? palette.good : row.status === 'missed' ? palette.bad : undefined;
      const rowStyles: ((text: string) => string)[] = [];
      if (style !== undefined) rowStyles[header.length - 1] = style;
      styles.push(rowStyles);
    }
    const right = header.map((_, index) => index >= 2 && index < header.length - 1);
    blocks.push([palette.bold(title), ...renderColumns(header, rows, right, styles)].join('\n'));
  }
  const met = comparisons.reduce((n, c) => n + c.rows.filter((row) => row.status === 'met').length, 0);
  const missed = comparisons.reduce((n, c) => n + c.rows.filter((row) => row.status === 'missed').length, 0);
  const footer = [
    'error: (simulated - mean) / mean (of one run: its value); for iterations, simulated - mean. equal*: a phantom iteration (< 5 ms) may be missing on either side.',
    `targets: ${met} met, ${missed} missed`,
  ];
  return `${blocks.join('\n\n')}\n\n${footer.join('\n')}\n`;
}

function derivedValueText(unit: DerivedValue['unit'], value: number | null): string {
  if (value === null) return '-';
  if (unit === 'bytes') return value >= MIB_BYTES ? `${(value / MIB_BYTES).toFixed(3)} MiB` : `${Math.round(value)} B`;
  if (unit === 'bytes/s') return `${(value / 1e9).toFixed(3)} GB/s`;
  return value.toFixed(5);
}

/** The workload's value of each derived parameter next to the value derived from the data. */
export function formatDerived(rows: readonly { derived: DerivedValue; workloadValue: number | null }[], palette: Palette = PLAIN): string {
  const header = ['parameter', 'scenario', 'workload', 'from data', 'diff', 'how'];
  const cells = rows.map(({ derived, workloadValue }) => {
    const diff = workloadValue === null || derived.value === 0 ? '' : `${(((workloadValue - derived.value) / derived.value) * 100).toFixed(2)}%`;
    return [
      derived.path,
      derived.scenario ?? 'all',
      derivedValueText(derived.unit, workloadValue),
      derivedValueText(derived.unit, derived.value),
      diff === '-0.00%' ? '0.00%' : diff,
      derived.how,
    ];
  });
  const right = [false, false, true, true, true, false];
  return `${palette.bold('workload parameters and the values derived from the data')}\n${renderColumns(header, cells, right).join('\n')}\n`;
}

export const CALIBRATION_CSV_FIXED_COLUMNS = ['scenario', 'hints', 'run', 'metric', 'unit'] as const;

/**
 * The comparison as CSV: one row per metric; repetition columns rep1…repN (N the most
 * repetitions of any comparison), then measured_mean, simulated, error, target, status.
 * Counts are integers, seconds and means have 6 decimals, errors 4: deterministic text.
 */
export function formatCalibrationCsv(comparisons: readonly RunComparison[]): string {
  const repCount = Math.max(0, ...comparisons.map((comparison) => comparison.reps.length));
  const repColumns = Array.from({ length: repCount }, (_, index) => `rep${index + 1}`);
  const columns = [...CALIBRATION_CSV_FIXED_COLUMNS, ...repColumns, 'measured_mean', 'simulated', 'error', 'target', 'status'];
  const records: Record<string, string>[] = [];
  const number = (value: number | null): string => {
    if (value === null) return '';
    if (Number.isInteger(value)) return String(value);
    return value.toFixed(6);
  };
  for (const comparison of comparisons) {
    for (const row of comparison.rows) {
      const record: Record<string, string> = {
        scenario: comparison.scenario,
        hints: comparison.hints ? 'on' : 'off',
        run: comparison.run,
        metric: row.key,
        unit: row.unit,
        measured_mean: number(row.measuredMean),
        simulated: number(row.simulated),
        error: row.error === null || !Number.isFinite(row.error) ? '' : row.unit === 'iterations' ? number(row.error) : row.error.toFixed(4),
        target:
          row.target === null
            ? ''
            : row.target.kind === 'pct'
              ? `${row.target.pct}%`
              : row.target.kind === 'iterations-within'
                ? `±${row.target.count}`
                : row.target.kind === 'within'
                  ? `±${row.target.within}`
                  : 'equal',
        status: row.status ?? '',
      };
      repColumns.forEach((column, index) => {
        record[column] = number(row.measured[index] ?? null);
      });
      records.push(record);
    }
  }
  return stringify(records, { header: true, columns });
}
