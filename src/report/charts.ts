/**
 * The migsim charts as Vega-Lite specifications: data and encodings, nothing drawn here.
 * render-chart.ts turns a spec into SVG in Node (`vega` View.toSVG, no browser) and the
 * HTML report hands the same spec, compiled to Vega, to the inlined Vega runtime, so the
 * static and the interactive charts cannot differ. Pure: rows in, `{name, title, spec}` out.
 *
 * Rows are result records keyed by their CSV column (`round`, `zero_pages`, `total_bytes`,
 * …): a per-round or summary CSV read back gives them as text, simulated results as the
 * same text (cellsOf), so plotting a workload and plotting its CSV give the same charts.
 *
 * Per (workload, seed): bytes per round stacked by what they were sent as (linear, and a
 * log chart with the kinds side by side), cumulative bytes over simulated time with every
 * sync and the switchover marked, pages dirtied per round as bars.
 * Per summary: saved-vs-none bars, downtime against the downtime limit and the guest's
 * costs, per strategy and workload; or, when a parameter was swept, total bytes and
 * downtime (and postcopy's blocktime and no-rollback window when a run used postcopy)
 * against it, a line per strategy, each point shaped by how its run ended.
 */
import type { TopLevelSpec } from 'vega-lite';

import { COST_COUNTERS, SUMMARY_PLOTS } from '../core/result-columns.js';
import { parseBandwidth, parseDuration, parseSize } from '../workload/units.js';

export interface Chart {
  /** File stem, e.g. `webserver-bytes-per-round` (safe for a file name). */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

/** A result row: CSV column → cell text (or the value a CSV cell would hold). */
export type ResultRow = Readonly<Record<string, string | number | boolean>>;

/**
 * Font stack: families a plain Linux box has (Debian's fontconfig depends on DejaVu;
 * chromium pulls in Liberation) before the generic, so no renderer falls back to a serif
 * face; Helvetica/Arial first for macOS and Windows.
 */
export const FONT_STACK = 'Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif';

/** Colour-blind safe categorical palette (Okabe–Ito), one colour per run or kind. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'] as const;

/** Bytes of a zero page on the wire: QEMU save_zero_page_to_file, an 8-byte header + 1 byte. */
export const ZERO_PAGE_WIRE_BYTES = 9;

const KIB = 1024;
const MIB = KIB * 1024;
const GIB = MIB * 1024;

const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 220;
const WIDE_WIDTH = 560;
const WIDE_HEIGHT = 300;

const CONFIG = {
  font: FONT_STACK,
  background: '#ffffff',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', subtitleFontSize: 11, subtitleColor: '#555555', offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6', labelOverlap: 'greedy' },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: 'bold' },
  // Vega in Node measures no text: it estimates 0.8 em a character, so 260 px cut a 29-character
  // label (`free-page-hint · linkBandwid…`) and left two legend entries the same; 400 px fits 45.
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 400 },
  view: { stroke: '#cccccc' },
  range: { category: [...PALETTE] },
} as const;

/** A file-name-safe stem: letters, digits, `.`, `_`, `-`; anything else becomes `_`. */
export function fileStem(text: string): string {
  const stem = text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '_');
  return stem === '' ? '_' : stem;
}

/** A binary unit for values up to `maxBytes`: GiB from 1 GiB, MiB from 1 MiB, else KiB. */
export function byteUnit(maxBytes: number): { unit: string; scale: number } {
  const magnitude = Math.abs(maxBytes);
  if (magnitude >= GIB) return { unit: 'GiB', scale: GIB };
  if (magnitude >= MIB) return { unit: 'MiB', scale: MIB };
  return { unit: 'KiB', scale: KIB };
}

/** `value` rounded to `decimals` as a number (deterministic data in the specs). */
function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

function num(row: ResultRow, column: string): number {
  const value = row[column];
  return typeof value === 'number' ? value : Number(value);
}

function text(row: ResultRow, column: string): string {
  const value = row[column];
  return value === undefined ? '' : String(value);
}

function spec(title: string, subtitle: string | null, body: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // One subtitle line per clause, so a long note never widens the chart.
    title: subtitle === null ? { text: title } : { text: title, subtitle: subtitle.split('; ') },
    config: CONFIG,
    ...body,
  } as unknown as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------
// Per-round charts

/** Per-round columns that are bytes of one kind (`multifd_bytes`, `xbzrle_bytes`, …). */
function byteKindColumns(columns: readonly string[]): string[] {
  return columns.filter((column) => column.endsWith('_bytes') && column !== 'cumulative_bytes');
}

/**
 * Byte columns that count part of another: multifd compression's payload
 * (multifd_compressed_bytes) travels in the multifd packets that multifd_bytes counts, so
 * the `multifd` kind is what is left of them (packet headers, uncompressed pages).
 */
const PART_OF: Readonly<Record<string, string>> = { multifd_compressed_bytes: 'multifd_bytes' };

/** Bytes of an XBZRLE page's header (save_page_header's be64 offset|flags). */
const XBZRLE_PAGE_HEADER_BYTES = 8;

/**
 * Wire bytes a kind's column leaves out: QEMU's xbzrle_counters.bytes (and so the
 * xbzrle_bytes column) counts each encoded page without its 8-byte page header
 * (save_xbzrle_page: `bytes_xbzrle - 8`), which is on the wire all the same.
 */
function headerBytes(row: ResultRow, column: string): number {
  if (column !== 'xbzrle_bytes' || row.xbzrle_pages === undefined) return 0;
  return XBZRLE_PAGE_HEADER_BYTES * num(row, 'xbzrle_pages');
}

/**
 * What a round's bytes were sent as, in stack order. Every `<kind>_bytes` column the rows
 * carry (`multifd_bytes`, `xbzrle_bytes`, …) is a kind of its own; of the rest of `bytes`,
 * zero pages are `zero_pages` × 9 bytes (at most that rest: with multifd's zero-page
 * detection they travel inside the packets) unless a `zero_bytes` column says otherwise;
 * `normal` is what remains (normal pages with their headers, the EOS markers and, in
 * stop-copy, the device state).
 */
export function bytesByKind(row: ResultRow, kindColumns: readonly string[]): { kind: string; bytes: number }[] {
  // A column that is part of another (multifd_compressed_bytes within multifd_bytes) is
  // taken out of it, so the stack adds up to `bytes` once.
  const explicit = kindColumns.map((column) => {
    const parts = kindColumns.filter((other) => PART_OF[other] === column);
    const bytes = num(row, column) + headerBytes(row, column) - parts.reduce((sum, part) => sum + num(row, part), 0);
    return { kind: column.slice(0, -'_bytes'.length).replace(/_/g, ' '), bytes: Math.max(0, bytes) };
  });
  let rest = num(row, 'bytes') - explicit.reduce((sum, kind) => sum + kind.bytes, 0);
  const kinds: { kind: string; bytes: number }[] = [];
  if (!kindColumns.includes('zero_bytes')) {
    const zero = Math.max(0, Math.min(rest, num(row, 'zero_pages') * ZERO_PAGE_WIRE_BYTES));
    kinds.push({ kind: 'zero', bytes: zero });
    rest -= zero;
  }
  // A postcopy round's pages are pushed or requested after the switch (postcopy-ram.c):
  // a kind of their own, so they are not read as pre-copy's normal pages.
  const normal = text(row, 'kind') === 'postcopy' ? 'postcopy' : 'normal';
  return [{ kind: normal, bytes: Math.max(0, rest) }, ...kinds, ...explicit];
}

/** The kinds bytesByKind can give, in stack order. */
function kindOrder(kindColumns: readonly string[]): string[] {
  return ['normal', 'postcopy', 'zero', ...kindColumns.map((column) => column.slice(0, -'_bytes'.length).replace(/_/g, ' '))];
}

/** A round's label on a round axis: its number, `stop` for stop-copy, `post` for postcopy. */
function roundLabel(row: ResultRow): string {
  const kind = text(row, 'kind');
  return kind === 'stop-copy' ? 'stop' : kind === 'postcopy' ? 'post' : text(row, 'round');
}

interface RoundGroup {
  workload: string;
  seed: string;
  runs: string[];
  rows: Map<string, ResultRow[]>;
}

/** Groups rows by (workload, seed), keeping first-appearance order of groups and runs. */
function groupRounds(rows: readonly ResultRow[]): RoundGroup[] {
  const groups: RoundGroup[] = [];
  for (const row of rows) {
    const workload = text(row, 'workload');
    const seed = text(row, 'seed');
    let group = groups.find((g) => g.workload === workload && g.seed === seed);
    if (group === undefined) {
      group = { workload, seed, runs: [], rows: new Map() };
      groups.push(group);
    }
    const run = text(row, 'run');
    if (!group.rows.has(run)) {
      group.runs.push(run);
      group.rows.set(run, []);
    }
    group.rows.get(run)!.push(row);
  }
  for (const group of groups) {
    for (const list of group.rows.values()) list.sort((a, b) => num(a, 'round') - num(b, 'round'));
  }
  return groups;
}

/** Round labels in time order: 1, 2, …, stop, then post (postcopy follows its switchover). */
function roundOrder(group: RoundGroup): string[] {
  const labels = new Set<string>();
  const numbered: number[] = [];
  for (const list of group.rows.values()) {
    for (const row of list) {
      const label = roundLabel(row);
      if (labels.has(label)) continue;
      labels.add(label);
      if (label !== 'stop' && label !== 'post') numbered.push(num(row, 'round'));
    }
  }
  return [...numbered.sort((a, b) => a - b).map(String), ...['stop', 'post'].filter((label) => labels.has(label))];
}

const RUN_FACET_COLUMNS = 3;

/** Pixels a round label needs (`stop`, `125` at 11 px) on the narrowest round axis. */
const ROUND_LABEL_PX = 28;

/**
 * The round axis: every label when they fit in a panel; else round 1, every `step`-th round
 * (1, 2 or 5 times a power of ten) and always `stop` and `post`, which Vega's overlap
 * removal would otherwise drop first (they come last), leaving the stop-copy bar unnamed.
 */
export function roundAxis(rounds: readonly string[]): Record<string, unknown> {
  const bandPx = PANEL_WIDTH / rounds.length;
  if (bandPx >= ROUND_LABEL_PX) return { labelAngle: 0 };
  let step = 1;
  for (let decade = 1; step * bandPx < ROUND_LABEL_PX; decade *= 10) {
    step = [1, 2, 5].map((factor) => factor * decade).find((candidate) => candidate * bandPx >= ROUND_LABEL_PX) ?? 10 * decade;
  }
  const firstNamed = rounds.findIndex((label) => label === 'stop' || label === 'post');
  const gapBands = Math.ceil(ROUND_LABEL_PX / bandPx);
  const values = rounds.filter((label, index) => {
    if (label === 'stop' || label === 'post') return true;
    const round = Number(label);
    if (round !== 1 && round % step !== 0) return false;
    // A numbered label too close to `stop` gives way to it.
    return firstNamed < 0 || firstNamed - index >= gapBands;
  });
  return { labelAngle: 0, values, labelOverlap: false };
}

function bytesPerRoundCharts(group: RoundGroup, heading: string, stem: string, kindColumns: readonly string[]): Chart[] {
  const data: Record<string, string | number>[] = [];
  let maxRound = 0;
  const kinds: string[] = [];
  for (const run of group.runs) {
    for (const row of group.rows.get(run)!) {
      maxRound = Math.max(maxRound, num(row, 'bytes'));
      for (const { kind, bytes } of bytesByKind(row, kindColumns)) {
        // A kind with no bytes in a round draws nothing (and has no place on a log axis);
        // a kind with none in any round is not in the legend either.
        if (bytes <= 0) continue;
        if (!kinds.includes(kind)) kinds.push(kind);
        data.push({ run, round: roundLabel(row), kind, bytes });
      }
    }
  }
  // Stack order as bytesByKind gives it, whichever run first had a kind.
  const canonical = kindOrder(kindColumns);
  kinds.sort((a, b) => canonical.indexOf(a) - canonical.indexOf(b));
  const { unit, scale } = byteUnit(maxRound);
  for (const datum of data) datum.value = round((datum.bytes as number) / scale, 6);
  const rounds = roundOrder(group);
  const colors = kinds.map((_, index) => PALETTE[index % PALETTE.length]);
  const tooltip = [
    { field: 'run', type: 'nominal' },
    { field: 'round', type: 'ordinal' },
    { field: 'kind', type: 'nominal', title: 'sent as' },
    { field: 'value', type: 'quantitative', title: unit, format: ',.2f' },
    { field: 'bytes', type: 'quantitative', format: ',' },
  ];
  const facet = { field: 'run', type: 'nominal', title: null, sort: group.runs };
  const color = { field: 'kind', type: 'nominal', title: 'sent as', sort: kinds, scale: { domain: kinds, range: colors } };
  // A panel per run (shared scales), bars by round.
  const panels = (encoding: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    data: { values: data },
    ...extra,
    facet,
    columns: RUN_FACET_COLUMNS,
    spec: {
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      mark: { type: 'bar', tooltip: true },
      encoding: { x: { field: 'round', type: 'ordinal', sort: rounds, title: 'round', axis: roundAxis(rounds) }, color, tooltip, ...encoding },
    },
  });
  const linear: Chart = {
    name: `${stem}-bytes-per-round`,
    title: `${heading}: bytes per round, stacked by what they were sent as`,
    spec: spec(
      `${heading}: bytes sent per round`,
      `stacked by kind; normal includes page headers, EOS markers and device state; ${unit} = 2^${Math.log2(scale)} B`,
      panels(
        { y: { field: 'value', type: 'quantitative', stack: 'zero', title: `bytes sent (${unit})` }, order: { field: 'kindOrder', type: 'quantitative' } },
        { transform: [{ calculate: `indexof(${JSON.stringify(kinds)}, datum.kind)`, as: 'kindOrder' }] },
      ),
    ),
  };
  const log: Chart = {
    name: `${stem}-bytes-per-round-log`,
    title: `${heading}: bytes per round by kind, log scale`,
    spec: spec(
      `${heading}: bytes sent per round (log scale)`,
      `each kind its own bar, so small kinds stay visible; normal includes page headers, EOS markers and device state; ${unit} = 2^${Math.log2(scale)} B`,
      panels({
        xOffset: { field: 'kind', type: 'nominal', sort: kinds },
        y: { field: 'value', type: 'quantitative', stack: null, scale: { type: 'log' }, title: `bytes sent (${unit}, log)` },
      }),
    ),
  };
  return [linear, log];
}

function cumulativeChart(group: RoundGroup, heading: string, stem: string): Chart {
  let maxBytes = 0;
  for (const list of group.rows.values()) for (const row of list) maxBytes = Math.max(maxBytes, num(row, 'cumulative_bytes'));
  const { unit, scale } = byteUnit(maxBytes);
  const line: Record<string, string | number>[] = [];
  const events: Record<string, string | number>[] = [];
  for (const run of group.runs) {
    for (const row of group.rows.get(run)!) {
      const start = num(row, 'start_s');
      const end = start + num(row, 'duration_s');
      const before = num(row, 'cumulative_bytes') - num(row, 'bytes');
      line.push({ run, round: roundLabel(row), t: round(start, 6), value: round(before / scale, 6) });
      line.push({ run, round: roundLabel(row), t: round(end, 6), value: round(num(row, 'cumulative_bytes') / scale, 6) });
      // A round starts at the sync that ends the previous one (round 1: setup's sync);
      // stop-copy starts at the switchover; postcopy at the end of the switch (no sync).
      if (text(row, 'kind') !== 'postcopy') events.push({ run, round: roundLabel(row), event: text(row, 'kind') === 'stop-copy' ? 'switchover' : 'sync', t: round(start, 6), value: round(before / scale, 6) });
    }
  }
  const runColor = { field: 'run', type: 'nominal', title: 'run', sort: group.runs };
  const postcopy = [...group.rows.values()].some((list) => list.some((row) => text(row, 'kind') === 'postcopy'));
  const marks = postcopy
    ? 'every dirty-log sync (circle) and the switchover (diamond) marked; after a switch to postcopy the line is the pages pushed and requested'
    : 'every dirty-log sync (circle) and the switchover to stop-and-copy (diamond) marked';
  return {
    name: `${stem}-cumulative-bytes`,
    title: `${heading}: cumulative bytes over simulated time`,
    spec: spec(`${heading}: cumulative bytes sent`, `${marks}; ${unit} = 2^${Math.log2(scale)} B`, {
      width: WIDE_WIDTH,
      height: WIDE_HEIGHT,
      layer: [
        {
          data: { values: line },
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'simulated time (s)', scale: { zero: false } },
            y: { field: 'value', type: 'quantitative', title: `cumulative bytes sent (${unit})` },
            color: runColor,
            detail: { field: 'run', type: 'nominal' },
          },
        },
        {
          data: { values: events },
          mark: { type: 'point', filled: true, tooltip: true, opacity: 1 },
          encoding: {
            x: { field: 't', type: 'quantitative' },
            y: { field: 'value', type: 'quantitative' },
            color: runColor,
            shape: { field: 'event', type: 'nominal', title: 'marks', scale: { domain: ['sync', 'switchover'], range: ['circle', 'diamond'] } },
            size: { field: 'event', type: 'nominal', sort: ['sync', 'switchover'], title: 'marks', scale: { domain: ['sync', 'switchover'], range: [30, 140] } },
            tooltip: [
              { field: 'run', type: 'nominal' },
              { field: 'event', type: 'nominal' },
              { field: 'round', type: 'ordinal', title: 'round starting' },
              { field: 't', type: 'quantitative', title: 'time (s)', format: ',.3f' },
              { field: 'value', type: 'quantitative', title: `sent before (${unit})`, format: ',.2f' },
            ],
          },
        },
      ],
    }),
  };
}

function dirtyChart(group: RoundGroup, heading: string, stem: string): Chart {
  const data: Record<string, string | number>[] = [];
  for (const run of group.runs) {
    for (const row of group.rows.get(run)!) {
      // A stop-copy row ends no sync unless a cap cut the last round, a postcopy row none:
      // no bar for them then.
      if ((text(row, 'kind') === 'stop-copy' || text(row, 'kind') === 'postcopy') && num(row, 'dirty_pages') === 0) continue;
      data.push({ run, round: roundLabel(row), dirty_pages: num(row, 'dirty_pages') });
    }
  }
  const rounds = roundOrder(group).filter((label) => data.some((datum) => datum.round === label));
  const many = group.runs.length > 3;
  // No sync set a bit (a switch to postcopy after the first round, an idle guest): an axis
  // of whole pages from 0, not a lone tick labelled 0.000000 over an empty plot.
  const noneDirtied = data.every((datum) => datum.dirty_pages === 0);
  const encoding = {
    x: { field: 'round', type: 'ordinal', sort: rounds, title: 'round', axis: roundAxis(rounds) },
    y: { field: 'dirty_pages', type: 'quantitative', title: 'pages dirtied', ...(noneDirtied ? { scale: { domain: [0, 10] }, axis: { format: 'd' } } : {}) },
    color: { field: 'run', type: 'nominal', title: 'run', sort: group.runs },
    tooltip: [
      { field: 'run', type: 'nominal' },
      { field: 'round', type: 'ordinal' },
      { field: 'dirty_pages', type: 'quantitative', title: 'pages dirtied', format: ',' },
    ],
  };
  const body = many
    ? {
        data: { values: data },
        facet: { field: 'run', type: 'nominal', title: null, sort: group.runs },
        columns: RUN_FACET_COLUMNS,
        spec: { width: PANEL_WIDTH, height: PANEL_HEIGHT, mark: { type: 'bar', tooltip: true }, encoding },
      }
    : {
        data: { values: data },
        width: WIDE_WIDTH,
        height: WIDE_HEIGHT,
        mark: { type: 'bar', tooltip: true },
        encoding: { ...encoding, xOffset: { field: 'run', type: 'nominal', sort: group.runs } },
      };
  return {
    name: `${stem}-dirty-pages`,
    title: `${heading}: pages dirtied per round`,
    spec: spec(`${heading}: pages dirtied per round`, `bits the dirty-log sync ending each round set${noneDirtied ? ': none, in every round here' : ''}`, body),
  };
}

/** The per-round charts for every (workload, seed) in `rows` (per-round records). */
export function roundCharts(rows: readonly ResultRow[], columns: readonly string[]): Chart[] {
  const groups = groupRounds(rows);
  const kindColumns = byteKindColumns(columns);
  const seedsPerWorkload = new Map<string, number>();
  for (const g of groups) seedsPerWorkload.set(g.workload, (seedsPerWorkload.get(g.workload) ?? 0) + 1);
  const charts: Chart[] = [];
  for (const group of groups) {
    const several = (seedsPerWorkload.get(group.workload) ?? 0) > 1;
    const heading = several ? `${group.workload} (seed ${group.seed})` : group.workload;
    const stem = fileStem(several ? `${group.workload}-seed${group.seed}` : group.workload);
    charts.push(...bytesPerRoundCharts(group, heading, stem, kindColumns), cumulativeChart(group, heading, stem), dirtyChart(group, heading, stem));
  }
  return charts;
}

// ---------------------------------------------------------------------------------------
// Summary charts

/**
 * The columns a summary CSV always has (result columns and sweep's bookkeeping); any
 * other column is a swept parameter. Passed in so the table of result columns stays the
 * one place that lists them.
 */
export interface SummaryChartOptions {
  /** Result and bookkeeping columns: never a swept parameter. */
  standardColumns: ReadonlySet<string>;
  /** The column to plot against; null = the first parameter column that varies. */
  x?: string | null;
  /** File-name prefix of the charts. */
  stem?: string;
  /** The downtime limit per workload (seconds), when known; `*` applies to any workload. */
  downtimeLimitSec?: ReadonlyMap<string, number>;
}

/**
 * The column a summary varies: `preferred` if given, else the first parameter column with
 * more than one value, else `seed`, else `workload` when they vary. Null when nothing varies.
 */
export function sweepColumn(rows: readonly ResultRow[], columns: readonly string[], preferred: string | null, standard: ReadonlySet<string>): string | null {
  if (preferred !== null) return preferred;
  const varies = (column: string): boolean => new Set(rows.map((row) => text(row, column))).size > 1;
  for (const column of columns) {
    if (!standard.has(column) && varies(column)) return column;
  }
  if (varies('seed')) return 'seed';
  if (varies('workload')) return 'workload';
  return null;
}

/** A swept parameter's values as numbers in one display unit, or null when they are not quantities. */
export function parameterAxis(values: readonly string[]): { numbers: number[]; unit: string; log: boolean } | null {
  const split = values.map((value) => /^\s*(-?[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([A-Za-z/%]*)\s*$/i.exec(value));
  if (values.length === 0 || split.some((m) => m === null)) return null;
  const units = new Set(split.map((m) => m![2]));
  let numbers: number[];
  let unit: string;
  if (units.size === 1) {
    numbers = split.map((m) => Number(m![1]));
    unit = split[0]![2];
  } else {
    // Mixed units (64MiB/s and 1GiB/s): base units, shown in the unit of the largest value.
    const parsers = [parseBandwidth, parseSize, parseDuration];
    const parser = parsers.find((parse) => values.every((value) => Number.isFinite(tryParse(parse, value))));
    if (parser === undefined) return null;
    const base = values.map((value) => parser(value));
    const largest = split[base.indexOf(Math.max(...base))]!;
    unit = largest[2];
    const perUnit = parser(`1${unit}`);
    numbers = base.map((value) => value / perUnit);
  }
  return { numbers, unit, log: isGeometric(numbers) || spansWide(numbers) };
}

/**
 * All positive and the largest more than 20× the smallest: on a linear axis the low points
 * crowd into the left edge (12 MiB/s .. 12500 MiB/s puts three of five points in the first
 * 1% of the axis), so a list of values gets the log axis a geometric range gets.
 */
export function spansWide(numbers: readonly number[]): boolean {
  if (numbers.length < 2 || numbers.some((value) => !(value > 0))) return false;
  return Math.max(...numbers) / Math.min(...numbers) > 20;
}

/**
 * Ticks at the swept values when there are few (a log axis over 2..64 channels otherwise
 * labels 3, 5, 6, 7 and 10 and leaves 8 and 64 bare); many values keep Vega's own ticks.
 */
function sweptTicks(numbers: readonly number[]): { axis?: { values: number[] } } {
  const distinct = [...new Set(numbers)].sort((a, b) => a - b);
  return distinct.length <= 8 ? { axis: { values: distinct } } : {};
}

function tryParse(parse: (value: unknown) => number, value: string): number {
  try {
    return parse(value);
  } catch {
    return NaN;
  }
}

/** Three or more distinct positive values in a constant ratio (within 2%): a geometric sweep. */
export function isGeometric(numbers: readonly number[]): boolean {
  const distinct = [...new Set(numbers)].sort((a, b) => a - b);
  if (distinct.length < 3 || distinct[0] <= 0) return false;
  const ratios = distinct.slice(1).map((value, index) => value / distinct[index]);
  const first = ratios[0];
  return first > 1.2 && ratios.every((ratio) => Math.abs(ratio / first - 1) < 0.02);
}

/**
 * How a run ended, as the point's shape in sweep charts: the `ending` column (endings/:
 * converged, postcopy, paused, forced, cancelled); a CSV from before it has only
 * `converged`, whose false is `not converged`. Shapes are Vega symbols or SVG paths in
 * the unit square: forced a filled ×, cancelled a hollow ring (outer circle clockwise,
 * inner counter-clockwise, so the nonzero fill leaves a hole).
 */
export const ENDING_SHAPES: readonly { ending: string; shape: string }[] = [
  { ending: 'converged', shape: 'circle' },
  { ending: 'postcopy', shape: 'triangle-up' },
  { ending: 'paused', shape: 'square' },
  { ending: 'forced', shape: 'M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z' },
  { ending: 'cancelled', shape: 'M0,-1A1,1,0,1,1,0,1A1,1,0,1,1,0,-1ZM0,-0.55A0.55,0.55,0,1,0,0,0.55A0.55,0.55,0,1,0,0,-0.55Z' },
  { ending: 'not converged', shape: 'cross' },
];

function endingOf(row: ResultRow): string {
  const ending = text(row, 'ending');
  if (ending !== '') return ending;
  return text(row, 'converged') === 'false' ? 'not converged' : 'converged';
}

function limitFor(options: SummaryChartOptions, workload: string): number | undefined {
  return options.downtimeLimitSec?.get(workload) ?? options.downtimeLimitSec?.get('*');
}

/**
 * A line chart per plotted summary column (SUMMARY_PLOTS of the table of result columns:
 * total bytes, downtime) against the swept column. Byte columns are drawn in binary units,
 * on a log axis when the values span more than 20× (a non-converged point can be 100× the
 * rest); downtime gets the downtime limit when it is known.
 */
/**
 * `others`: the other swept parameters that vary (a grid of several axes): each of their
 * combinations gets a line of its own with each run, named `run · key=value`.
 */
function sweepCharts(rows: readonly ResultRow[], column: string, options: SummaryChartOptions, stem: string, others: readonly string[] = []): Chart[] {
  const axis = parameterAxis(rows.map((row) => text(row, column)));
  const runNames = [...new Set(rows.map((row) => text(row, 'run')))];
  const seriesOf = (row: ResultRow): string =>
    [...(runNames.length > 1 ? [text(row, 'run')] : []), ...others.map((other) => `${other.slice(other.lastIndexOf('.') + 1)}=${text(row, other)}`)].join(' · ');
  const series = others.length === 0 ? null : rows.map(seriesOf);
  const runs = series === null ? runNames : [...new Set(series)];
  const workloads = [...new Set(rows.map((row) => text(row, 'workload')))];
  const xTitle = axis !== null && axis.unit !== '' ? `${column} (${axis.unit})` : column;
  const xs = rows.map((row, index) => (axis === null ? text(row, column) : axis.numbers[index]));
  const x =
    axis === null
      ? { field: 'x', type: 'ordinal', title: xTitle, sort: [...new Set(xs)], axis: { labelAngle: -30 } }
      : { field: 'x', type: 'quantitative', title: xTitle, scale: axis.log ? { type: 'log', nice: false } : { zero: false, nice: false }, ...sweptTicks(axis.numbers) };
  const color = series === null ? { field: 'run', type: 'nominal', title: 'run', sort: runs } : { field: 'series', type: 'nominal', title: 'line', sort: runs };
  const facetWorkloads = workloads.length > 1;
  const endings = rows.map(endingOf);
  const shapes = ENDING_SHAPES.filter((entry) => endings.includes(entry.ending));
  // An ending that is none of ours (a newer CSV) still gets a point: a diamond.
  for (const ending of new Set(endings)) if (!shapes.some((entry) => entry.ending === ending)) shapes.push({ ending, shape: 'diamond' });
  // When every run converged the shapes say nothing: no legend for them, the subtitle says so.
  const allConverged = shapes.length === 1 && shapes[0].ending === 'converged';
  const shape = {
    field: 'ending',
    type: 'nominal',
    title: 'ending',
    scale: { domain: shapes.map((entry) => entry.ending), range: shapes.map((entry) => entry.shape) },
    ...(allConverged ? { legend: null } : {}),
  };
  const cancelled = endings.includes('cancelled');
  const baseSubtitle = `one line per ${series === null ? 'run' : `run and ${others.join(', ')}`}; ${allConverged ? 'every run converged' : "the point's shape says how the run ended"}${axis?.log === true ? `; ${column} on a log axis (${isGeometric(axis.numbers) ? 'a geometric sweep' : 'values spanning more than 20×'})` : ''}`;
  const charts: Chart[] = [];
  for (const plot of SUMMARY_PLOTS) {
    if (!rows.some((row) => row[plot.column] !== undefined && text(row, plot.column) !== '')) continue;
    if (plot.whenNonZero === true && rows.every((row) => !(num(row, plot.column) > 0))) continue;
    const bytes = plot.column.endsWith('_bytes');
    const { unit, scale } = bytes ? byteUnit(Math.max(...rows.map((row) => Math.abs(num(row, plot.column))))) : { unit: '', scale: 1 / plot.scale };
    const limitsKnown = plot.column === 'downtime_s' && workloads.every((workload) => limitFor(options, workload) !== undefined);
    const downtime = plot.column === 'downtime_s';
    const data = rows.map((row, index) => {
      const limit = limitFor(options, text(row, 'workload'));
      // downtime_over_limit when the CSV has it, else from the limit given.
      const over = text(row, 'downtime_over_limit') !== '' ? text(row, 'downtime_over_limit') === 'true' : limit !== undefined && num(row, 'downtime_s') > limit;
      return {
        workload: text(row, 'workload'),
        run: text(row, 'run'),
        ...(series === null ? {} : { series: series[index] }),
        param: text(row, column),
        x: xs[index],
        value: round(num(row, plot.column) / scale, 6),
        ending: endings[index],
        over_limit: over ? 'yes' : 'no',
        ...(limitsKnown ? { limit: round(limit! / scale, 6) } : {}),
      };
    });
    // A cancelled run has no downtime (the guest stayed on the source): its point sits at 0,
    // marked, and the line leaves it out rather than dive to 0.
    const positive = data.map((datum) => datum.value).filter((value) => value > 0);
    const log = bytes && positive.length === data.length && Math.max(...positive) / Math.min(...positive) > 20;
    const yTitle = bytes ? `${plot.yLabel} (${unit}${log ? ', log' : ''})` : plot.yLabel;
    const y = { field: 'value', type: 'quantitative', title: yTitle, scale: log ? { type: 'log' } : { zero: true } };
    const overCount = data.filter((datum) => datum.over_limit === 'yes').length;
    const layers: Record<string, unknown>[] = [
      {
        ...(downtime && cancelled ? { transform: [{ filter: "datum.ending !== 'cancelled'" }] } : {}),
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y, color },
      },
      {
        mark: { type: 'point', filled: true, size: 70, tooltip: true, opacity: 1 },
        encoding: {
          x,
          y,
          color,
          shape,
          tooltip: [
            { field: 'workload', type: 'nominal' },
            { field: 'run', type: 'nominal' },
            { field: 'param', type: 'nominal', title: column },
            { field: 'value', type: 'quantitative', title: yTitle, format: ',.4~f' },
            { field: 'ending', type: 'nominal' },
            { field: 'over_limit', type: 'nominal', title: 'downtime over the limit' },
          ],
        },
      },
    ];
    if (downtime && overCount > 0) {
      // A ring around every point whose downtime exceeded the limit (downtime_over_limit).
      layers.push({
        transform: [{ filter: "datum.over_limit === 'yes'" }],
        mark: { type: 'point', filled: false, size: 260, strokeWidth: 2, opacity: 1 },
        encoding: { x, y, stroke: { field: 'over_limit', type: 'nominal', title: null, scale: { domain: ['yes'], range: ['#D55E00'] }, legend: { labelExpr: "'downtime over the limit'" } } },
      });
    }
    if (limitsKnown) {
      // The limit is a field of the same rows, so each workload's panel gets its own line.
      layers.push({ mark: { type: 'rule', color: '#D55E00', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'limit', type: 'quantitative', aggregate: 'max' } } });
      layers.push({
        transform: [{ aggregate: [{ op: 'max', field: 'limit', as: 'limit' }] }, { calculate: "'limit ' + format(datum.limit, '.4~') + ' ms'", as: 'label' }],
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, x: 'width', color: '#D55E00', fontSize: 11 },
        encoding: { y: { field: 'limit', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      });
    }
    const inner = { width: facetWorkloads ? PANEL_WIDTH : WIDE_WIDTH, height: facetWorkloads ? PANEL_HEIGHT : WIDE_HEIGHT, layer: layers };
    const body = facetWorkloads
      ? { data: { values: data }, facet: { field: 'workload', type: 'nominal', title: null, sort: workloads }, columns: RUN_FACET_COLUMNS, spec: inner }
      : { data: { values: data }, ...inner };
    const note =
      (plot.column !== 'downtime_s' ? '' : limitsKnown ? '; dashed: the downtime limit' : '; the downtime limit is not in the CSV (plot --downtime-limit draws it)') +
      (downtime && overCount > 0 ? '; ringed: downtime over the limit' : '') +
      (downtime && cancelled ? '; cancelled: no downtime (the guest stays on the source), drawn at 0 off the line' : '');
    charts.push({
      name: `${stem}-${plot.stem}`,
      title: `${plot.title} against ${column}`,
      spec: spec(`${plot.title} against ${column}`, `${baseSubtitle}${note}`, body),
    });
  }
  return charts;
}

/** The guest-cost panel's metrics: summary column, title, scale. */
const GUEST_COSTS: readonly { column: string; title: string; scale: number }[] = ['hint_calls', 'guest_cpu_s', 'zeroing_s', 'max_lock_hold_s'].map((column) => {
  const counter = COST_COUNTERS.find((spec) => spec.column === column)!;
  const table = counter.table as { label: string; scale?: number };
  return { column, title: table.label.replace(/\(us\)$/, '(µs)'), scale: table.scale ?? 1 };
});

/** A colour scale of the categories that occur, each keeping its colour, so a legend lists only what is drawn. */
function present(domain: readonly string[], range: readonly string[], values: readonly string[]): { domain: string[]; range: string[] } {
  const keep = domain.map((_, index) => index).filter((index) => values.includes(domain[index]));
  return { domain: keep.map((index) => domain[index]), range: keep.map((index) => range[index]) };
}

function strategyCharts(rows: readonly ResultRow[], options: SummaryChartOptions, stem: string): Chart[] {
  const runs = [...new Set(rows.map((row) => text(row, 'run')))];
  const workloads = [...new Set(rows.map((row) => text(row, 'workload')))];
  const seeds = new Set(rows.map((row) => `${text(row, 'workload')}\u0000${text(row, 'seed')}`)).size;
  const perSeed = seeds > workloads.length ? '; the bar is the mean over seeds, a tick each seed' : '';
  const strategies = runs.filter((run) => run !== 'none');
  const facet = { field: 'workload', type: 'nominal', title: null, sort: workloads };
  // Several workloads (a baseline's summary): each panel lists only its own runs, on its
  // own scale, or a 1 TiB guest's saving flattens every other workload's bars and every
  // panel lists every strategy of every workload.
  const several = workloads.length > 1;
  const independent = several ? { resolve: { scale: { x: 'independent', y: 'independent' } } } : {};
  const runsPerPanel = several ? Math.max(...workloads.map((workload) => new Set(rows.filter((row) => text(row, 'workload') === workload).map((row) => text(row, 'run'))).size)) : runs.length;
  // Horizontal bars: a run label of any length stays readable beside its bar.
  const panelHeight = Math.max(60, 22 * runsPerPanel);
  const panel = (layers: Record<string, unknown>[], values: unknown[]) => ({
    data: { values },
    facet,
    columns: 2,
    ...independent,
    spec: { width: PANEL_WIDTH, height: panelHeight, layer: layers },
  });
  const bars = (y: Record<string, unknown>, x: Record<string, unknown>, color: Record<string, unknown>, label: Record<string, unknown>, tooltip: unknown[]) => {
    const layers: Record<string, unknown>[] = [
      { mark: { type: 'bar', tooltip: true }, encoding: { y, x: { ...x, aggregate: 'mean', stack: null }, color, tooltip } },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333333' }, encoding: { y, x: { ...x, aggregate: 'mean' }, text: label } },
    ];
    if (perSeed !== '') layers.push({ mark: { type: 'tick', color: '#333333', thickness: 1, orient: 'vertical' }, encoding: { y, x } });
    return layers;
  };
  const charts: Chart[] = [];

  const saved = rows.filter((row) => text(row, 'run') !== 'none');
  if (strategies.length > 0) {
    const { unit, scale } = byteUnit(Math.max(...saved.map((row) => Math.abs(num(row, 'saved_bytes')))));
    const data = saved.map((row) => ({
      workload: text(row, 'workload'),
      run: text(row, 'run'),
      seed: text(row, 'seed'),
      saved: round(num(row, 'saved_bytes') / scale, 6),
      outcome: num(row, 'saved_bytes') >= 0 ? 'saves bytes' : 'costs bytes',
    }));
    const y = { field: 'run', type: 'nominal', title: null, sort: strategies };
    const x = { field: 'saved', type: 'quantitative', title: `saved against none (${unit})` };
    charts.push({
      name: `${stem}-saved-bytes`,
      title: 'bytes saved against none, per strategy',
      spec: spec('bytes saved against none, per strategy', `total bytes of none minus the strategy's; below zero the hints cost bytes${perSeed}`, panel([
        ...bars(
          y,
          x,
          { field: 'outcome', type: 'nominal', title: null, scale: present(['saves bytes', 'costs bytes'], ['#009E73', '#D55E00'], data.map((datum) => datum.outcome)) },
          { field: 'saved', type: 'quantitative', aggregate: 'mean', format: ',.2f' },
          [
            { field: 'run', type: 'nominal' },
            { field: 'saved', type: 'quantitative', aggregate: 'mean', title: `saved (${unit})`, format: ',.2f' },
          ],
        ),
        { mark: { type: 'rule', color: '#333333' }, encoding: { x: { datum: 0 } } },
      ], data)),
    });
  }

  const data = rows.map((row) => {
    const limit = limitFor(options, text(row, 'workload'));
    const downtime = round(num(row, 'downtime_s') * 1e3, 3);
    return {
      workload: text(row, 'workload'),
      run: text(row, 'run'),
      seed: text(row, 'seed'),
      downtime_ms: downtime,
      // A cancelled migration has no downtime: its 0 is not 'within the limit'.
      against: endingOf(row) === 'cancelled' ? 'cancelled: no downtime' : limit === undefined ? 'limit unknown' : downtime > limit * 1e3 ? 'above the limit' : 'within the limit',
      ...(limit === undefined ? {} : { limit_ms: round(limit * 1e3, 3) }),
    };
  });
  const known = workloads.every((workload) => limitFor(options, workload) !== undefined);
  const y = { field: 'run', type: 'nominal', title: null, sort: runs };
  const x = { field: 'downtime_ms', type: 'quantitative', title: 'downtime (ms)' };
  const layers = bars(
    y,
    x,
    { field: 'against', type: 'nominal', title: null, scale: present(['within the limit', 'above the limit', 'limit unknown', 'cancelled: no downtime'], ['#0072B2', '#D55E00', '#999999', '#999999'], data.map((datum) => datum.against)) },
    { field: 'downtime_ms', type: 'quantitative', aggregate: 'mean', format: ',.1f' },
    [
      { field: 'run', type: 'nominal' },
      { field: 'downtime_ms', type: 'quantitative', aggregate: 'mean', title: 'downtime (ms)', format: ',.1f' },
    ],
  );
  if (data.some((datum) => datum.against === 'cancelled: no downtime')) {
    // A cancelled run's label says so rather than 0.0 (grouped by `against` to test it).
    const label = layers[1] as { encoding: Record<string, unknown> };
    label.encoding.detail = { field: 'against', type: 'nominal' };
    label.encoding.text = { ...(label.encoding.text as object), condition: { test: "datum.against === 'cancelled: no downtime'", value: 'cancelled' } };
  }
  if (known) {
    // The limit is a field of the same data, so each workload's panel gets its own line.
    layers.push({ mark: { type: 'rule', color: '#D55E00', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { x: { field: 'limit_ms', type: 'quantitative', aggregate: 'max' } } });
    layers.push({
      transform: [{ aggregate: [{ op: 'max', field: 'limit_ms', as: 'limit_ms' }] }, { calculate: "'limit ' + format(datum.limit_ms, '.4~') + ' ms'", as: 'label' }],
      mark: { type: 'text', align: 'right', baseline: 'top', dx: -3, y: 2, color: '#D55E00', fontSize: 11 },
      encoding: { x: { field: 'limit_ms', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
    });
  }
  charts.push({
    name: `${stem}-downtime`,
    title: 'downtime against the downtime limit, per run',
    spec: spec('downtime against the downtime limit', known ? `dashed: the workload's downtime limit${perSeed}` : `the downtime limit is not known here (plot --downtime-limit draws it)${perSeed}`, panel(layers, data)),
  });

  const costs: Record<string, string | number>[] = [];
  const metrics = GUEST_COSTS.filter((metric) => rows.some((row) => row[metric.column] !== undefined && num(row, metric.column) !== 0));
  for (const row of rows) {
    for (const metric of metrics) {
      costs.push({ workload: text(row, 'workload'), run: text(row, 'run'), seed: text(row, 'seed'), metric: metric.title, value: round(num(row, metric.column) * metric.scale, 3) });
    }
  }
  if (costs.length > 0) {
    const absent = GUEST_COSTS.filter((metric) => !metrics.includes(metric)).map((metric) => metric.title);
    charts.push({
      name: `${stem}-guest-cost`,
      title: 'what the hints cost the guest, per run',
      spec: spec(
        'what the hints cost the guest',
        `each panel its own scale${absent.length > 0 ? `; zero in every run: ${absent.join(', ')}` : ''}${perSeed === '' ? '' : '; bars are means over seeds'}`,
        {
          data: { values: costs },
          facet: {
            column: { field: 'metric', type: 'nominal', title: null, sort: metrics.map((metric) => metric.title) },
            ...(workloads.length > 1 ? { row: { ...facet, header: { labelAngle: 0, labelAlign: 'left' } } } : {}),
          },
          resolve: { scale: { x: 'independent', ...(several ? { y: 'independent' } : {}) } },
          spec: {
            width: 200,
            height: panelHeight,
            layer: [
              {
                mark: { type: 'bar', tooltip: true },
                encoding: {
                  y: { field: 'run', type: 'nominal', title: null, sort: runs },
                  x: { field: 'value', type: 'quantitative', aggregate: 'mean', title: null, axis: { format: ',~r' } },
                  color: { field: 'run', type: 'nominal', title: 'run', sort: runs, legend: null },
                  tooltip: [
                    { field: 'run', type: 'nominal' },
                    { field: 'metric', type: 'nominal' },
                    { field: 'value', type: 'quantitative', aggregate: 'mean', title: 'value', format: ',.3~f' },
                  ],
                },
              },
              {
                mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333333' },
                encoding: {
                  y: { field: 'run', type: 'nominal', sort: runs },
                  x: { field: 'value', type: 'quantitative', aggregate: 'mean' },
                  text: { field: 'value', type: 'quantitative', aggregate: 'mean', format: ',.4~' },
                },
              },
            ],
          },
        },
      ),
    });
  }
  return charts;
}

/**
 * Charts of summary rows: against a swept parameter, total bytes and downtime (a line per
 * run); otherwise (runs of one workload, several workloads or seeds), per-strategy bars of
 * the bytes saved, the downtime against its limit and the guest's costs, a panel per
 * workload. Empty when there is only one run.
 */
export function summaryCharts(rows: readonly ResultRow[], columns: readonly string[], options: SummaryChartOptions): Chart[] {
  if (rows.length < 2) return [];
  const stem = options.stem ?? 'summary';
  const column = sweepColumn(rows, columns, options.x ?? null, options.standardColumns);
  if (column !== null && column !== 'seed' && column !== 'workload') {
    const others = columns.filter((other) => other !== column && !options.standardColumns.has(other) && new Set(rows.map((row) => text(row, other))).size > 1);
    return sweepCharts(rows, column, options, stem, others);
  }
  return strategyCharts(rows, options, stem);
}
