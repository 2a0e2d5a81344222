/**
 * Plain-text tables for the terminal: the per-round table with every run of a workload
 * side by side (`none` first, then each hint run, rows aligned by round number, the
 * stop-copy rows together at the bottom), the per-run summary (one column per run, so
 * hinted and unhinted values sit next to each other), and the `check` verdict.
 *
 * Pure: results in, text out; colour comes in as a Palette and is applied after padding
 * so ANSI codes never break alignment. Sizes use one unit per column (MiB with one
 * decimal, GiB with two once a table passes 64 GiB) rather than a human "auto" unit, so
 * a column can be read down; exact byte counts sit next to them in the summary and in
 * the CSV. ASCII only, so tables paste into mail and bug reports unchanged.
 */
import type { RowVerdict, Verdict } from '../check/compare.js';
import { isFailing } from '../check/compare.js';
import { COST_COUNTERS, type TableDisplay } from '../core/result-columns.js';
import type { RoundStats, RunResult, RunSummary } from '../core/types.js';
import { PLAIN, type Palette } from './colors.js';
import { escapeControlChars } from './terminal-text.js';

const KIB_BYTES = 1024;
const MIB_BYTES = 1024 * KIB_BYTES;
const GIB_BYTES = 1024 * MIB_BYTES;

/** Past this, MiB columns grow to 8+ digits; switch the per-round table to GiB. */
const GIB_COLUMNS_FROM_BYTES = 64 * GIB_BYTES;

/** Rounds shown before eliding the middle of a long (non-converging) table. */
const ROUND_ROWS_MAX = 40;
const ROUND_ROWS_HEAD = 25;
const ROUND_ROWS_TAIL = 10;

export interface TableOptions {
  palette?: Palette;
  /** Show every round even when there are more than 40. */
  allRounds?: boolean;
  /** `--wide`: every run's rounds side by side and the full summary, however wide. */
  wide?: boolean;
}

/** The compact layout's budget: a terminal 100 columns wide. */
export const COMPACT_WIDTH = 100;

/** The parts of a Workload the header line describes; a Workload satisfies it. */
export interface WorkloadHeader {
  name: string;
  seed: number;
  description: string | null;
  guest: { memoryBytes: number; pageSizeBytes: number };
  migration: { preset: string; startSec: number; bandwidthBytesPerSec: number; downtimeLimitSec: number };
}

// ---------------------------------------------------------------------------------------
// Number formats

/** `65.0` for 68157440 bytes: MiB with one decimal. */
export function mibText(bytes: number): string {
  return (bytes / MIB_BYTES).toFixed(1);
}

/** `68157440 (65.0 MiB)`: exact bytes, then a readable size. */
export function bytesWithMib(bytes: number): string {
  return `${bytes} (${sizeText(bytes)})`;
}

/**
 * One cell's readable size: B, KiB and MiB with one decimal, GiB with two from 10 GiB.
 * The unit is `unitOf`'s (default: the cell's own): a row's largest size, so that a row
 * of sizes reads in one unit (`14.60 GiB` beside `7.34 GiB`, not beside `7511.9 MiB`).
 */
export function sizeText(bytes: number, unitOf = bytes): string {
  const magnitude = Math.abs(unitOf);
  if (magnitude >= 10 * GIB_BYTES) return `${(bytes / GIB_BYTES).toFixed(2)} GiB`;
  if (magnitude >= MIB_BYTES) return `${mibText(bytes)} MiB`;
  if (magnitude >= KIB_BYTES) return `${(bytes / KIB_BYTES).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** A configured size as written in a workload: `16 GiB`, `4 KiB`, else MiB. */
export function exactSizeText(bytes: number): string {
  const units: [string, number][] = [
    ['TiB', 1024 * GIB_BYTES],
    ['GiB', GIB_BYTES],
    ['MiB', MIB_BYTES],
    ['KiB', KIB_BYTES],
  ];
  for (const [unit, unitBytes] of units) {
    if (bytes >= unitBytes && bytes % unitBytes === 0) return `${bytes / unitBytes} ${unit}`;
  }
  return bytes < MIB_BYTES ? `${bytes} B` : `${mibText(bytes)} MiB`;
}

/** A bandwidth in the unit a QEMU user would have typed: `10 Gbit/s`, `128 MiB/s`. */
export function bandwidthText(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec)) return 'unlimited';
  const bitsPerSec = bytesPerSec * 8;
  if (bitsPerSec >= 1e9 && bitsPerSec % 1e9 === 0) return `${bitsPerSec / 1e9} Gbit/s`;
  if (bitsPerSec >= 1e6 && bitsPerSec % 1e6 === 0 && bytesPerSec % MIB_BYTES !== 0) return `${bitsPerSec / 1e6} Mbit/s`;
  return `${exactSizeText(bytesPerSec)}/s`;
}

/** Seconds as written in a workload: `20 s`, `1.5 s`, `300 ms`. */
export function durationText(sec: number): string {
  if (sec !== 0 && Math.abs(sec) < 1) return `${trimZeros((sec * 1e3).toFixed(3))} ms`;
  return `${trimZeros(sec.toFixed(3))} s`;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function percentText(pct: number): string {
  if (!Number.isFinite(pct)) return pct > 0 ? '+inf%' : '-inf%';
  // Two decimals below 1% so a small saving does not print as 0.0%.
  return `${pct > 0 ? '+' : ''}${pct.toFixed(Math.abs(pct) < 1 ? 2 : 1)}%`;
}

// ---------------------------------------------------------------------------------------
// The grid: columns, optional column groups with a title line, full-width note lines.

type Align = 'left' | 'right';

interface Column {
  header: string;
  /** Printed under the header when any column has one: `pages`, `MiB`, `s`. */
  unit?: string;
  align: Align;
  /** Draw ` | ` before this column (start of a run's group). */
  groupStart?: boolean;
}

interface Cell {
  text: string;
  style?: (text: string) => string;
}

type CellInput = string | Cell;
type Row = CellInput[] | { note: string };

interface Group {
  title: string;
  /** Column indexes, inclusive. */
  first: number;
  last: number;
}

const COLUMN_GAP = '  ';
const GROUP_GAP = ' | ';

function toCell(input: CellInput): Cell {
  return typeof input === 'string' ? { text: input } : input;
}

function pad(text: string, width: number, align: Align): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

function renderGrid(columns: Column[], rows: Row[], groups: Group[] = [], indent = ''): string[] {
  const widths = columns.map((column) => Math.max(column.header.length, (column.unit ?? '').length));
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    row.forEach((input, index) => {
      widths[index] = Math.max(widths[index], toCell(input).text.length);
    });
  }
  const gapBefore = (index: number): string => (index === 0 ? '' : columns[index].groupStart ? GROUP_GAP : COLUMN_GAP);
  // A group title must fit over its columns: widen the last column if it does not.
  for (const group of groups) {
    let span = 0;
    for (let index = group.first; index <= group.last; index++) {
      span += widths[index] + (index === group.first ? 0 : gapBefore(index).length);
    }
    if (group.title.length > span) widths[group.last] += group.title.length - span;
  }

  const lines: string[] = [];
  if (groups.length > 0) {
    let line = '';
    for (let index = 0; index < columns.length; index++) {
      const group = groups.find((candidate) => candidate.first === index);
      if (group === undefined) {
        if (!groups.some((candidate) => index > candidate.first && index <= candidate.last)) {
          line += gapBefore(index) + ' '.repeat(widths[index]);
        }
        continue;
      }
      let span = 0;
      for (let member = group.first; member <= group.last; member++) {
        span += widths[member] + (member === group.first ? 0 : gapBefore(member).length);
      }
      const title = group.title.length + 1 < span ? `${group.title} ${'-'.repeat(span - group.title.length - 1)}` : group.title;
      line += gapBefore(index) + title.padEnd(span);
    }
    lines.push(indent + line.trimEnd());
  }
  lines.push(indent + columns.map((column, index) => gapBefore(index) + pad(column.header, widths[index], column.align)).join('').trimEnd());
  if (columns.some((column) => column.unit !== undefined)) {
    lines.push(indent + columns.map((column, index) => gapBefore(index) + pad(column.unit ?? '', widths[index], column.align)).join('').trimEnd());
  }
  for (const row of rows) {
    if (!Array.isArray(row)) {
      lines.push(indent + row.note);
      continue;
    }
    let line = '';
    columns.forEach((column, index) => {
      const cell = toCell(row[index] ?? '');
      const padded = pad(cell.text, widths[index], column.align);
      line += gapBefore(index) + (cell.style !== undefined && cell.text !== '' ? cell.style(padded) : padded);
    });
    lines.push(indent + line.trimEnd());
  }
  return lines;
}

// ---------------------------------------------------------------------------------------
// Workload report

/** `webserver-16g  seed 7: 16 GiB guest, qemu preset, max-bandwidth 128 MiB/s, …` */
export function formatWorkloadHeader(workload: WorkloadHeader, palette: Palette = PLAIN, width: number | null = null): string {
  const migration = workload.migration;
  const facts = [
    `${exactSizeText(workload.guest.memoryBytes)} guest (${exactSizeText(workload.guest.pageSizeBytes)} pages)`,
    `${migration.preset} preset`,
    `max-bandwidth ${bandwidthText(migration.bandwidthBytesPerSec)}`,
    `downtime limit ${durationText(migration.downtimeLimitSec)}`,
    `migration at ${durationText(migration.startSec)}`,
  ];
  const name = escapeControlChars(workload.name);
  const lines = [`${palette.bold(name)}  seed ${workload.seed}: ${facts.join(', ')}`];
  if (width !== null && lines[0].length - palette.bold(name).length + name.length > width) {
    // Too long for the terminal: the facts on a line of their own, wrapped at commas.
    lines[0] = `${palette.bold(name)}  seed ${workload.seed}:`;
    let line = ' ';
    for (const fact of facts) {
      if (line.length + fact.length + 2 > width && line.trim() !== '') {
        lines.push(line.replace(/,$/, ','));
        line = ' ';
      }
      line += ` ${fact},`;
    }
    lines.push(line.replace(/,$/, ''));
  }
  if (workload.description !== null && workload.description !== '') lines.push(palette.dim(escapeControlChars(workload.description)));
  return lines.join('\n');
}

/**
 * Header, tables and summary of one workload's runs, separated by blank lines. The
 * default layout is compact (fits 100 columns for one strategy against none): the rounds
 * with only the columns that hold something, and a summary with one unit per row; with
 * more than two runs (`--hints all`), a row per strategy instead of a column per run.
 * `wide` gives every run's rounds side by side and the full summary.
 */
export function formatWorkloadReport(workload: WorkloadHeader, results: readonly RunResult[], options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const body =
    options.wide === true
      ? [formatRoundsTable(results, options), '', formatSummaryTable(results, options)]
      : results.length <= 2
        ? [formatCompactRoundsTable(results, options), '', formatCompactSummaryTable(results, options)]
        : [formatStrategyTable(results, options), '', formatCostTable(results, options), palette.dim('--wide: every run\'s rounds side by side; --csv: every round of every run')];
  return [formatWorkloadHeader(workload, palette, options.wide === true ? null : COMPACT_WIDTH), '', ...body, ''].join('\n');
}

/**
 * Every run's rounds side by side. Row r holds each run's bulk/iterate round r (blank
 * where a run converged earlier); the last row holds every run's stop-copy, whose
 * duration is the downtime. More than 40 rounds are elided in the middle unless
 * `allRounds`: the CSV always has them all.
 */
export function formatRoundsTable(results: readonly RunResult[], options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const showUnaccepted = results.some((result) => result.rounds.some((round) => round.unacceptedPages > 0));
  let maxBytes = 0;
  for (const result of results) {
    for (const round of result.rounds) maxBytes = Math.max(maxBytes, round.cumulativeBytes);
  }
  const useGib = maxBytes >= GIB_COLUMNS_FROM_BYTES;
  const unit = useGib ? 'GiB' : 'MiB';
  const sizeCell = (bytes: number): string => (useGib ? (bytes / GIB_BYTES).toFixed(2) : mibText(bytes));

  const perRun: { header: string; unit: string; cell(round: RoundStats): string }[] = [
    { header: 'normal', unit: 'pages', cell: (round) => String(round.normalPages) },
    { header: 'zero', unit: 'pages', cell: (round) => String(round.zeroPages) },
    { header: 'skipped', unit: 'pages', cell: (round) => String(round.skippedPages) },
  ];
  if (showUnaccepted) perRun.push({ header: 'unaccepted', unit: 'pages', cell: (round) => String(round.unacceptedPages) });
  perRun.push(
    { header: 'sent', unit, cell: (round) => sizeCell(round.bytes) },
    { header: 'total', unit, cell: (round) => sizeCell(round.cumulativeBytes) },
    { header: 'dirtied', unit: 'pages', cell: (round) => String(round.dirtyPages) },
  );

  const columns: Column[] = [
    { header: 'round', align: 'right' },
    { header: 'kind', align: 'left' },
  ];
  const groups: Group[] = [];
  for (const result of results) {
    const first = columns.length;
    perRun.forEach((spec, index) => columns.push({ header: spec.header, unit: spec.unit, align: 'right', groupStart: index === 0 }));
    groups.push({ title: result.summary.run, first, last: columns.length - 1 });
  }

  // Bulk and iterate rounds by number; each run's stop-copy row apart, then its postcopy
  // round (numbered after the stop-copy: the switch comes first).
  const byNumber = results.map((result) => {
    const rounds = new Map<number, RoundStats>();
    for (const round of result.rounds) if (round.kind === 'bulk' || round.kind === 'iterate') rounds.set(round.round, round);
    return rounds;
  });
  const stopCopies = results.map((result) => result.rounds.find((round) => round.kind === 'stop-copy'));
  const postcopies = results.map((result) => result.rounds.find((round) => round.kind === 'postcopy'));
  let lastRound = 0;
  for (const rounds of byNumber) for (const number of rounds.keys()) lastRound = Math.max(lastRound, number);

  const rowFor = (number: string, kind: string, picked: (RoundStats | undefined)[]): CellInput[] => {
    const cells: CellInput[] = [number, kind];
    for (const round of picked) {
      for (const spec of perRun) cells.push(round === undefined ? '' : spec.cell(round));
    }
    return cells;
  };

  const rows: Row[] = [];
  const numbers: number[] = [];
  for (let number = 1; number <= lastRound; number++) numbers.push(number);
  const elide = !options.allRounds && numbers.length > ROUND_ROWS_MAX;
  const shown = elide ? [...numbers.slice(0, ROUND_ROWS_HEAD), ...numbers.slice(-ROUND_ROWS_TAIL)] : numbers;
  for (const number of shown) {
    if (elide && number === numbers[numbers.length - ROUND_ROWS_TAIL]) {
      const hidden = numbers.length - ROUND_ROWS_HEAD - ROUND_ROWS_TAIL;
      rows.push({
        note: palette.dim(`  ... rounds ${ROUND_ROWS_HEAD + 1}-${number - 1} not shown (${hidden} rows; --csv writes every round)`),
      });
    }
    const picked = byNumber.map((rounds) => rounds.get(number));
    const kinds = new Set(picked.filter((round) => round !== undefined).map((round) => round.kind));
    rows.push(rowFor(String(number), [...kinds].join('/'), picked));
  }
  if (stopCopies.some((round) => round !== undefined)) {
    const stopNumbers = new Set(stopCopies.filter((round) => round !== undefined).map((round) => round.round));
    rows.push(rowFor(stopNumbers.size === 1 ? String([...stopNumbers][0]) : '', 'stop-copy', stopCopies));
  }
  if (postcopies.some((round) => round !== undefined)) {
    const postNumbers = new Set(postcopies.filter((round) => round !== undefined).map((round) => round.round));
    rows.push(rowFor(postNumbers.size === 1 ? String([...postNumbers][0]) : '', 'postcopy', postcopies));
  }

  const lines = renderGrid(columns, rows, groups);
  lines.push(
    palette.dim(
      `skipped: bitmap bits cleared by hints; total: cumulative bytes; dirtied: bits the sync ending the round set; ${unit} = 2^${useGib ? 30 : 20} B`,
    ),
  );
  return lines.join('\n');
}

/**
 * Cost counter rows, in the order of the table (src/core/result-columns.ts), each with
 * the label and display scale the table gives it. Shown when any run has one.
 */
const COST_ROWS: { label: string; value(summary: RunSummary): number; text(value: number): string }[] = COST_COUNTERS.map((spec) => {
  const display: TableDisplay = spec.table;
  const scale = display.scale ?? 1;
  return {
    label: display.label,
    value: (summary: RunSummary) => summary.costs[spec.counter],
    text: display.decimals === undefined ? (value: number) => String(value * scale) : (value: number) => (value * scale).toFixed(display.decimals),
  };
});

/** A summary grid: a column per run, `metric` adds a row of one cell per run. */
function summaryFrame(results: readonly RunResult[]): {
  summaries: RunSummary[];
  baseline: RunSummary | undefined;
  columns: Column[];
  rows: Row[];
  metric(label: string, cell: (summary: RunSummary) => CellInput): void;
} {
  const summaries = results.map((result) => result.summary);
  const columns: Column[] = [{ header: '', align: 'left' }];
  summaries.forEach((summary, index) => columns.push({ header: summary.run, align: 'right', groupStart: index === 0 }));
  const rows: Row[] = [];
  return {
    summaries,
    baseline: summaries.find((summary) => summary.run === 'none'),
    columns,
    rows,
    metric: (label, cell) => rows.push([label, ...summaries.map(cell)]),
  };
}

/**
 * One column per run, one row per quantity: totals, bytes saved against `none` (green
 * when positive, red when negative), time and downtime with their change against `none`
 * (green when shorter), convergence, lost pages (red when any), then the cost counters
 * that are non-zero in at least one run: with `--hints all`, the strategy comparison.
 */
export function formatSummaryTable(results: readonly RunResult[], options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const { summaries, baseline, columns, rows, metric } = summaryFrame(results);
  metric('total sent (bytes)', (s) => bytesWithMib(s.totalBytes));
  metric('saved vs none', (s) => {
    if (s.run === 'none' || baseline === undefined) return '-';
    const pct = baseline.totalBytes === 0 ? 0 : (100 * s.savedBytes) / baseline.totalBytes;
    const text = `${s.savedBytes > 0 ? '+' : ''}${s.savedBytes} (${sizeText(s.savedBytes)}, ${percentText(pct)})`;
    if (s.savedBytes > 0) return { text, style: palette.good };
    if (s.savedBytes < 0) return { text, style: palette.bad };
    return text;
  });
  metric('rounds (bulk+iterate)', (s) => String(s.rounds));
  metric('total time (s)', (s) => s.totalTimeSec.toFixed(3));
  if (baseline !== undefined && summaries.length > 1) {
    metric('total time vs none (s)', (s) => changeCell(s, baseline, s.totalTimeSec, baseline.totalTimeSec, 1, 3, palette));
  }
  metric('downtime (ms)', (s) => downtimeCell(s, palette));
  if (baseline !== undefined && summaries.length > 1) {
    metric('downtime vs none (ms)', (s) => downtimeChangeCell(s, baseline, palette));
  }
  metric('expected downtime (ms)', (s) => (Number.isFinite(s.expectedDowntimeSec) ? (s.expectedDowntimeSec * 1e3).toFixed(1) : 'inf'));
  endingRows(summaries, metric, palette);
  metric('lost pages', (s) =>
    s.lostPages > 0 ? { text: `${s.lostPages} (${s.lostZeroPages} zero-content)`, style: palette.bad } : '0',
  );
  for (const cost of COST_ROWS) {
    if (summaries.every((s) => cost.value(s) === 0)) continue;
    metric(cost.label, (s) => cost.text(cost.value(s)));
  }
  return renderGrid(columns, rows).join('\n');
}

/**
 * A run's change against `none` of a quantity where less is better (time, downtime):
 * `-1.234 (-12.3%)`, green when it went down, red when it went up; `-` for none itself.
 */
/**
 * A run's downtime against none's. A cancelled migration has none (the guest stayed on
 * the source): against it there is nothing to compare, so the cell says so.
 */
function downtimeChangeCell(summary: RunSummary, baseline: RunSummary, palette: Palette): CellInput {
  if (summary !== baseline && baseline.ending === 'cancelled') return '- (none cancelled)';
  if (summary !== baseline && summary.ending === 'cancelled') return '- (cancelled)';
  return changeCell(summary, baseline, summary.downtimeSec, baseline.downtimeSec, 1e3, 1, palette);
}

function changeCell(
  summary: RunSummary,
  baseline: RunSummary,
  value: number,
  baselineValue: number,
  unitScale: number,
  decimals: number,
  palette: Palette,
): CellInput {
  if (summary === baseline) return '-';
  const delta = (value - baselineValue) * unitScale;
  const rounded = Number(delta.toFixed(decimals));
  const pct = baselineValue === 0 ? 0 : (100 * (value - baselineValue)) / baselineValue;
  const text = `${rounded > 0 ? '+' : ''}${delta.toFixed(decimals)} (${percentText(pct)})`;
  if (rounded < 0) return { text, style: palette.good };
  if (rounded > 0) return { text, style: palette.bad };
  return text;
}

// ---------------------------------------------------------------------------------------
// Compact layouts (the default)

/** A binary unit for a row or column whose largest magnitude is `maxBytes`: MiB, else GiB from 10 GiB. */
function unitFor(maxBytes: number): { unit: string; scale: number; decimals: number } {
  if (Math.abs(maxBytes) >= 10 * GIB_BYTES) return { unit: 'GiB', scale: GIB_BYTES, decimals: 2 };
  return { unit: 'MiB', scale: MIB_BYTES, decimals: 1 };
}

const SHORT_KIND: Record<RoundStats['kind'], string> = { bulk: 'bulk', iterate: 'iter', 'stop-copy': 'stop', postcopy: 'post' };

/**
 * The rounds of one or two runs side by side, compactly: per run the sent size, then only
 * the page columns that are non-zero in some round of that run (a run without hints has no
 * `skipped` column), and the pages dirtied. One size unit for the whole table.
 */
export function formatCompactRoundsTable(results: readonly RunResult[], options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  let maxBytes = 0;
  for (const result of results) for (const round of result.rounds) maxBytes = Math.max(maxBytes, round.bytes);
  const { unit, scale, decimals } = unitFor(maxBytes);
  const pageColumns: { header: string; value(round: RoundStats): number; always: boolean }[] = [
    { header: 'normal', value: (round) => round.normalPages, always: true },
    { header: 'zero', value: (round) => round.zeroPages, always: true },
    { header: 'skipped', value: (round) => round.skippedPages, always: false },
    { header: 'unaccept', value: (round) => round.unacceptedPages, always: false },
  ];
  const columns: Column[] = [
    { header: 'round', align: 'right' },
    { header: 'kind', align: 'left' },
  ];
  const groups: Group[] = [];
  const perRun = results.map((result) => {
    const specs: { header: string; unit: string; cell(round: RoundStats): string }[] = [{ header: 'sent', unit, cell: (round) => (round.bytes / scale).toFixed(decimals) }];
    for (const spec of pageColumns) {
      if (spec.always || result.rounds.some((round) => spec.value(round) !== 0)) specs.push({ header: spec.header, unit: 'pages', cell: (round) => String(spec.value(round)) });
    }
    specs.push({ header: 'dirtied', unit: 'pages', cell: (round) => String(round.dirtyPages) });
    const first = columns.length;
    specs.forEach((spec, index) => columns.push({ header: spec.header, unit: spec.unit, align: 'right', groupStart: index === 0 }));
    groups.push({ title: result.summary.run, first, last: columns.length - 1 });
    return specs;
  });
  const byNumber = results.map((result) => new Map(result.rounds.filter((round) => round.kind === 'bulk' || round.kind === 'iterate').map((round) => [round.round, round])));
  const stopCopies = results.map((result) => result.rounds.find((round) => round.kind === 'stop-copy'));
  // Postcopy follows its switch (the stop-copy row), whatever its number.
  const postcopies = results.map((result) => result.rounds.find((round) => round.kind === 'postcopy'));
  let lastRound = 0;
  for (const rounds of byNumber) for (const number of rounds.keys()) lastRound = Math.max(lastRound, number);
  const rowFor = (number: string, kind: string, picked: (RoundStats | undefined)[]): CellInput[] => {
    const cells: CellInput[] = [number, kind];
    picked.forEach((round, index) => {
      for (const spec of perRun[index]) cells.push(round === undefined ? '' : spec.cell(round));
    });
    return cells;
  };
  const numbers: number[] = [];
  for (let number = 1; number <= lastRound; number++) numbers.push(number);
  const elide = !options.allRounds && numbers.length > ROUND_ROWS_MAX;
  const shown = elide ? [...numbers.slice(0, ROUND_ROWS_HEAD), ...numbers.slice(-ROUND_ROWS_TAIL)] : numbers;
  const rows: Row[] = [];
  for (const number of shown) {
    if (elide && number === numbers[numbers.length - ROUND_ROWS_TAIL]) {
      rows.push({ note: palette.dim(`  ... rounds ${ROUND_ROWS_HEAD + 1}-${number - 1} not shown (${numbers.length - ROUND_ROWS_HEAD - ROUND_ROWS_TAIL} rows; --csv writes every round)`) });
    }
    const picked = byNumber.map((rounds) => rounds.get(number));
    const kinds = new Set(picked.filter((round) => round !== undefined).map((round) => SHORT_KIND[round.kind]));
    rows.push(rowFor(String(number), [...kinds].join('/'), picked));
  }
  if (stopCopies.some((round) => round !== undefined)) rows.push(rowFor('', 'stop', stopCopies));
  if (postcopies.some((round) => round !== undefined)) rows.push(rowFor('', 'post', postcopies));
  const lines = renderGrid(columns, rows, groups);
  // The key names only the columns shown (a run without hints has no skipped column).
  const shownHeaders = new Set(perRun.flat().map((spec) => spec.header));
  const key = ['dirtied: bits the sync ending the round set'];
  if (shownHeaders.has('skipped')) key.push('skipped: cleared by hints');
  if (shownHeaders.has('unaccept')) key.push('unaccept: never accepted, never sent');
  lines.push(palette.dim(`${key.join('; ')}; ${unit} = 2^${unit === 'GiB' ? 30 : 20} B`));
  return lines.join('\n');
}

/**
 * The summary of one or two runs, one unit per row (the unit in the row label, chosen by
 * the row's largest value), so a row reads across: bytes, saved against none, time,
 * downtime against the limit, convergence, lost pages and the non-zero cost counters.
 */
export function formatCompactSummaryTable(results: readonly RunResult[], options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const { summaries, baseline, columns, rows, metric } = summaryFrame(results);
  const total = unitFor(Math.max(...summaries.map((s) => s.totalBytes)));
  metric(`total sent (${total.unit})`, (s) => (s.totalBytes / total.scale).toFixed(total.decimals));
  if (baseline !== undefined && summaries.length > 1) {
    const saved = unitFor(Math.max(...summaries.map((s) => Math.abs(s.savedBytes))));
    metric(`saved vs none (${saved.unit})`, (s) => {
      if (s === baseline) return '-';
      const pct = baseline.totalBytes === 0 ? 0 : (100 * s.savedBytes) / baseline.totalBytes;
      const text = `${s.savedBytes > 0 ? '+' : ''}${(s.savedBytes / saved.scale).toFixed(saved.decimals)} (${percentText(pct)})`;
      return s.savedBytes > 0 ? { text, style: palette.good } : s.savedBytes < 0 ? { text, style: palette.bad } : text;
    });
  }
  metric('rounds (bulk+iterate)', (s) => String(s.rounds));
  metric('total time (s)', (s) => s.totalTimeSec.toFixed(3));
  metric('downtime (ms)', (s) => downtimeCell(s, palette));
  if (baseline !== undefined && summaries.length > 1) {
    metric('downtime vs none (ms)', (s) => downtimeChangeCell(s, baseline, palette));
  }
  endingRows(summaries, metric, palette);
  metric('lost pages', (s) => (s.lostPages > 0 ? { text: `${s.lostPages} (${s.lostZeroPages} zero)`, style: palette.bad } : '0'));
  for (const cost of COST_ROWS) {
    if (summaries.every((s) => cost.value(s) === 0)) continue;
    metric(cost.label, (s) => cost.text(cost.value(s)));
  }
  return renderGrid(columns, rows).join('\n');
}

/**
 * More than two runs (`--hints all`): a row per strategy with what it saves and what it
 * changes, one unit per column: total and saved bytes, rounds, time, downtime, converged.
 */
export function formatStrategyTable(results: readonly RunResult[], options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const summaries = results.map((result) => result.summary);
  const baseline = summaries.find((summary) => summary.run === 'none');
  const total = unitFor(Math.max(...summaries.map((s) => s.totalBytes)));
  const saved = unitFor(Math.max(...summaries.map((s) => Math.abs(s.savedBytes))));
  const columns: Column[] = [
    { header: 'run', align: 'left' },
    { header: 'sent', unit: total.unit, align: 'right', groupStart: true },
    { header: 'saved vs none', unit: `${saved.unit} (%)`, align: 'right' },
    { header: 'rounds', align: 'right' },
    { header: 'time', unit: 's', align: 'right' },
    { header: 'downtime', unit: 'ms', align: 'right' },
    { header: 'converged', align: 'left' },
    { header: 'lost', unit: 'pages', align: 'right' },
  ];
  const rows: Row[] = summaries.map((s) => {
    let savedCell: CellInput = '-';
    if (baseline !== undefined && s !== baseline) {
      const pct = baseline.totalBytes === 0 ? 0 : (100 * s.savedBytes) / baseline.totalBytes;
      const text = `${s.savedBytes > 0 ? '+' : ''}${(s.savedBytes / saved.scale).toFixed(saved.decimals)} (${percentText(pct)})`;
      savedCell = s.savedBytes > 0 ? { text, style: palette.good } : s.savedBytes < 0 ? { text, style: palette.bad } : text;
    }
    return [
      s.run,
      (s.totalBytes / total.scale).toFixed(total.decimals),
      savedCell,
      String(s.rounds),
      s.totalTimeSec.toFixed(3),
      // A cancelled run has no downtime; a run that did not converge says how it ended.
      s.ending === 'cancelled' ? '-' : (s.downtimeSec * 1e3).toFixed(1),
      s.converged ? 'yes' : { text: s.ending === 'converged' ? 'no' : s.ending, style: s.ending === 'postcopy' || s.ending === 'paused' ? undefined : palette.bad },
      s.lostPages > 0 ? { text: String(s.lostPages), style: palette.bad } : '0',
    ];
  });
  return renderGrid(columns, rows).join('\n');
}

/**
 * A column label on two lines so a long one keeps its column narrow: `redundant pages
 * hinted` → `redundant` / `pages hinted`, `guest CPU (ms)` → `guest CPU` / `ms`.
 */
function twoLineLabel(label: string): [string, string | undefined] {
  let match = /^(.*?)(?: \((.*)\))?$/.exec(label)!;
  // A parenthesis that is not a unit (`(fragmented)`) is words like the others.
  if (match[2] !== undefined && match[2].length > 4) match = [label, label, undefined] as unknown as RegExpExecArray;
  const words = match[1].split(' ');
  if (match[1].length <= 10 || words.length === 1) return [match[1], match[2]];
  let best = 1;
  for (let cut = 1; cut < words.length; cut++) {
    const width = (at: number): number => Math.max(words.slice(0, at).join(' ').length, words.slice(at).join(' ').length);
    if (width(cut) < width(best)) best = cut;
  }
  const second = words.slice(best).join(' ');
  return [words.slice(0, best).join(' '), match[2] === undefined ? second : `${second} (${match[2]})`];
}

/**
 * What each strategy cost the guest: a row per run, a column per cost counter that is
 * non-zero in some run (labels from the table of result columns).
 */
export function formatCostTable(results: readonly RunResult[], options: TableOptions = {}): string {
  void options;
  const summaries = results.map((result) => result.summary);
  const shown = COST_ROWS.filter((cost) => summaries.some((s) => cost.value(s) !== 0));
  if (shown.length === 0) return 'guest costs: none in any run';
  const render = (costs: typeof shown): string[] => {
    const columns: Column[] = [{ header: 'guest costs', align: 'left' }];
    costs.forEach((cost, index) => {
      const [header, unit] = twoLineLabel(cost.label);
      columns.push({ header, unit, align: 'right', groupStart: index === 0 });
    });
    const lines = renderGrid(columns, summaries.map((s) => [s.run, ...costs.map((cost) => cost.text(cost.value(s)))]));
    // Wider than the terminal: the counters in two tables, one under the other.
    if (costs.length > 1 && Math.max(...lines.map((line) => line.length)) > COMPACT_WIDTH) {
      const half = Math.ceil(costs.length / 2);
      return [...render(costs.slice(0, half)), '', ...render(costs.slice(half))];
    }
    return lines;
  };
  return render(shown).join('\n');
}

// ---------------------------------------------------------------------------------------
// check verdict

const STATUS_TEXT: Record<RowVerdict['status'], string> = {
  ok: 'ok',
  regressed: 'REGRESSED',
  improved: 'improved',
  'missing-in-baseline': 'not in baseline',
  'missing-in-run': 'no longer produced',
};

/** The rows of a verdict that are not `ok`: failures red, improvements green. '' when none. */
export function formatVerdictTable(verdict: Verdict, options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const notOk = verdict.rows.filter((row) => row.status !== 'ok');
  if (notOk.length === 0) return '';
  // total_bytes keeps its byte-oriented columns; another metric shows its values as the CSV does.
  const bytesMetric = verdict.metric === 'total_bytes';
  const columns: Column[] = [
    { header: 'workload', align: 'left' },
    { header: 'run', align: 'left' },
    { header: 'seed', align: 'right' },
    { header: 'status', align: 'left' },
    { header: bytesMetric ? 'baseline bytes' : `baseline ${verdict.metric}`, align: 'right' },
    { header: bytesMetric ? 'current bytes' : `current ${verdict.metric}`, align: 'right' },
    { header: 'change', align: 'right' },
  ];
  const valueText = (value: number): string => (bytesMetric || Number.isInteger(value) ? String(value) : value.toFixed(6));
  const rows: Row[] = notOk.map((row) => {
    const style = isFailing(row.status) ? palette.bad : palette.good;
    const change =
      row.deltaBytes === null || row.deltaPct === null
        ? '-'
        : bytesMetric
          ? `${row.deltaBytes > 0 ? '+' : ''}${row.deltaBytes} (${sizeText(row.deltaBytes)}, ${percentText(row.deltaPct)})`
          : `${row.deltaBytes > 0 ? '+' : ''}${valueText(row.deltaBytes)} (${percentText(row.deltaPct)})`;
    return [
      row.workload,
      row.run,
      String(row.seed),
      { text: STATUS_TEXT[row.status], style },
      row.baselineBytes === null ? '-' : valueText(row.baselineBytes),
      row.currentBytes === null ? '-' : valueText(row.currentBytes),
      { text: change, style },
    ];
  });
  return renderGrid(columns, rows).join('\n');
}

/**
 * The one-line outcome: `OK: 6 runs match results/baseline.csv (tolerance 0%)` or
 * `FAILED: 1 regressed, 1 missing, of 6 runs against … (…)`.
 */
export function formatVerdictLine(verdict: Verdict, baselineFile: string, options: TableOptions = {}): string {
  const palette = options.palette ?? PLAIN;
  const counts = verdict.counts;
  const compared = verdict.rows.length;
  const missing = counts['missing-in-baseline'] + counts['missing-in-run'];
  const tolerance = `${verdict.metric === 'total_bytes' ? '' : `${verdict.metric}, `}tolerance ${verdict.tolerancePct}%`;
  if (verdict.ok) {
    const improved = counts.improved > 0 ? `; ${counts.improved} improved, --update records them` : '';
    return palette.good(`OK: ${runsText(compared)} ${compared === 1 ? 'matches' : 'match'} ${baselineFile} (${tolerance}${improved})`);
  }
  return palette.bad(
    `FAILED: ${counts.regressed} regressed, ${missing} missing, of ${runsText(compared)} against ${baselineFile} (${tolerance}; ${counts.ok} ok, ${counts.improved} improved)`,
  );
}

function runsText(count: number): string {
  return count === 1 ? '1 run' : `${count} runs`;
}

/** Verdict table (if any row is not ok), a blank line, then the outcome line. */
export function formatVerdict(verdict: Verdict, baselineFile: string, options: TableOptions = {}): string {
  const table = formatVerdictTable(verdict, options);
  const line = formatVerdictLine(verdict, baselineFile, options);
  return table === '' ? line : `${table}\n\n${line}`;
}

/**
 * The downtime cell: a forced switchover's downtime is not a normal one, a cancelled run
 * has none, and a downtime above the limit says so.
 */
function downtimeCell(s: RunSummary, palette: Palette): CellInput {
  if (s.ending === 'cancelled') return { text: '- (cancelled)', style: palette.bad };
  const text = (s.downtimeSec * 1e3).toFixed(1);
  if (s.ending === 'forced') return { text: `${text} (forced)`, style: palette.bad };
  if (s.downtimeOverLimit) return { text: `${text} (over limit)`, style: palette.bad };
  return text;
}

/** How each run ended (docs/model.md §3 item 7), the throttle, and postcopy's figures when a run used it. */
function endingRows(summaries: readonly RunSummary[], metric: (label: string, cell: (summary: RunSummary) => CellInput) => void, palette: Palette): void {
  metric('converged', (s) => {
    if (s.converged) return s.ending === 'paused' ? 'yes (guest paused)' : 'yes';
    if (s.ending === 'postcopy') return 'postcopy';
    return { text: s.ending === 'cancelled' ? 'no: cancelled at cap' : 'no: forced at cap', style: palette.bad };
  });
  if (summaries.some((s) => s.throttlePct !== 0)) {
    metric('auto-converge throttle (%)', (s) => (s.throttleSteps > 0 ? `${s.throttlePct} (${s.throttleSteps} steps)` : String(s.throttlePct)));
  }
  if (summaries.some((s) => s.ending === 'postcopy')) {
    metric('postcopy sent (MiB)', (s) => (s.postcopyBytes / 2 ** 20).toFixed(1));
    metric('postcopy requests', (s) => String(s.postcopyRequests));
    metric('postcopy blocktime (ms)', (s) => {
      const perVcpu = s.vcpuBlocktimeSecList === '' ? [] : s.vcpuBlocktimeSecList.split(';').map((sec) => (Number(sec) * 1e3).toFixed(1));
      const total = (s.blocktimeSec * 1e3).toFixed(1);
      return perVcpu.length > 1 ? `${total} (vCPUs ${perVcpu.join('/')})` : total;
    });
    metric('no-rollback window (s)', (s) => s.noRollbackSec.toFixed(3));
  }
}
