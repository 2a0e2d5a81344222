/**
 * THE table of result columns and cost counters (docs/model.md §6). Everything that shows
 * a result derives from it: the per-round and summary CSV columns and their order
 * (src/io/csv.ts), the JSON keys (src/columns/cells.ts), the cost rows of the terminal
 * summary (src/report/format-table.ts), the plots' idea of which summary columns are
 * results rather than swept parameters (src/report/svg-plots.ts), the HTML summary, the
 * sweep rows, and `check --metric`. The `CostCounters` type and `newCostCounters()` are
 * derived from it too, so the names cannot drift apart.
 *
 * How to add a column
 * - A cost counter (something a run counts or peaks: calls, pages, seconds of guest CPU):
 *   ONE entry at the end of COST_COUNTERS below, then count it where it happens in the
 *   core (`context.costs.<counter> += …`). That is all: the field exists on CostCounters,
 *   starts at 0, and appears in the CSV, the JSON, sweep rows, `check --metric` and (when
 *   non-zero in some run) the terminal summary.
 * - A summary quantity that is not a counter (a time, a flag, a per-run figure the
 *   simulation computes at the end): a field on RunSummary (types.ts, unit in the name),
 *   ONE entry at the end of SUMMARY_FIELDS below, and set it in Simulation.result()
 *   (simulation.ts).
 * - A per-round quantity: a field on RoundStats (types.ts), ONE entry at the end of
 *   ROUND_FIELDS below, and fill it where the round is recorded (precopy.ts); or, when the
 *   round's own fields give it (a rate), an entry with `derive` and no field.
 * Append at the end so existing columns keep their positions; a new column changes the
 * CSVs, so regenerate results/baseline.csv (`--update`) in its own commit and say so.
 *
 * Kinds fix the text format (one format per kind, so CSV and JSON never disagree):
 * `text` (guarded against spreadsheet formulas), `count` (an integer; a fraction is a bug
 * and throws), `seconds` (6 decimals: 1 µs), `number` (an integer as is, else 6
 * decimals), `boolean` (`true`/`false`). A `seconds` column's name ends in `_s`.
 *
 * `table` says how the terminal summary shows a cost counter: its row label and, for
 * seconds, the display scale and decimals (`guest CPU (ms)`: ×1e3, 3 decimals). `plot`
 * on a summary field makes `migsim plot` draw that column against the swept parameter
 * of a summary or sweep CSV (one more SVG per summary; today total bytes and downtime).
 *
 * Pure data and getters: no formatting here (that is src/columns/cells.ts).
 */
import { seedDoubleFields } from './double-fields.js';
import type { RoundStats, RunSummary } from './types.js';

export type ColumnKind = 'text' | 'count' | 'seconds' | 'number' | 'boolean';
export type CellValue = string | number | boolean;

/** How the terminal summary shows a counter: `value × scale` with `decimals` (none: as is). */
export interface TableDisplay {
  label: string;
  scale?: number;
  decimals?: number;
}

interface CounterSpec {
  /** Field of CostCounters (camelCase, unit in the name). */
  readonly counter: string;
  /** CSV column and JSON key (snake_case; `_s` for seconds). */
  readonly column: string;
  readonly kind: 'count' | 'seconds';
  /** Counter semantics: `sum` adds up, `peak` keeps the maximum (for readers; the core does it). */
  readonly combine: 'sum' | 'peak';
  readonly table: TableDisplay;
  /** What is counted, and where (the QEMU/Linux function it follows when there is one). */
  readonly doc: string;
}

/**
 * Guest-side and tracking costs of one run (docs/model.md §4.6), in CSV order.
 * Append new counters at the end.
 */
export const COST_COUNTERS = [
  { counter: 'hintCalls', column: 'hint_calls', kind: 'count', combine: 'sum', table: { label: 'hint calls' }, doc: 'hint calls the guest made (reports, batches, notifier calls)' },
  { counter: 'pagesHinted', column: 'pages_hinted', kind: 'count', combine: 'sum', table: { label: 'pages hinted' }, doc: 'pages named in hints' },
  { counter: 'redundantPagesHinted', column: 'redundant_pages_hinted', kind: 'count', combine: 'sum', table: { label: 'redundant pages hinted' }, doc: 'hinted pages already discarded on the host' },
  { counter: 'blocksHeldPeak', column: 'blocks_held_peak', kind: 'count', combine: 'peak', table: { label: 'blocks held (peak)' }, doc: 'most free blocks isolated by a hint at once' },
  { counter: 'acceptCalls', column: 'accept_calls', kind: 'count', combine: 'sum', table: { label: 'accept calls' }, doc: 'unaccepted-memory accept calls' },
  { counter: 'allocFailures', column: 'alloc_failures', kind: 'count', combine: 'sum', table: { label: 'alloc failures' }, doc: 'churn allocations that found no block' },
  { counter: 'allocFailuresFragmented', column: 'alloc_failures_fragmented', kind: 'count', combine: 'sum', table: { label: 'alloc failures (fragmented)' }, doc: 'failures where free memory sufficed but no block of the order existed' },
  { counter: 'guestCpuSec', column: 'guest_cpu_s', kind: 'seconds', combine: 'sum', table: { label: 'guest CPU (ms)', scale: 1e3, decimals: 3 }, doc: 'guest CPU time spent on hints, acceptance and zeroing' },
  { counter: 'zeroingSec', column: 'zeroing_s', kind: 'seconds', combine: 'sum', table: { label: 'zeroing (ms)', scale: 1e3, decimals: 3 }, doc: 'guest CPU time spent zeroing pages' },
  { counter: 'maxLockHoldSec', column: 'max_lock_hold_s', kind: 'seconds', combine: 'peak', table: { label: 'max zone lock hold (us)', scale: 1e6, decimals: 1 }, doc: 'longest zone-lock hold of one hint or accept call' },
  { counter: 'faults', column: 'faults', kind: 'count', combine: 'sum', table: { label: 'faults' }, doc: 'write-protect faults taken by the guest' },
  { counter: 'exits', column: 'exits', kind: 'count', combine: 'sum', table: { label: 'exits' }, doc: 'VM exits for dirty tracking (PML full, dirty ring full)' },
  { counter: 'traceRowsSkipped', column: 'trace_rows_skipped', kind: 'count', combine: 'sum', table: { label: 'trace rows skipped' }, doc: 'trace rows that did not fit the simulated allocator (a block not free, or not allocated)' },
] as const satisfies readonly CounterSpec[];

export type CostCounterName = (typeof COST_COUNTERS)[number]['counter'];

/** Guest-side and tracking costs of one run: one number per entry of COST_COUNTERS. */
export type CostCounters = { [Name in CostCounterName]: number };

/** A run's cost counters, all zero, in table order. Allocates. */
export function newCostCounters(): CostCounters {
  const costs = {} as CostCounters;
  for (const spec of COST_COUNTERS) costs[spec.counter] = 0;
  // Seconds and counts that outgrow a small integer: double fields from the start (double-fields.ts).
  seedDoubleFields(costs, COST_COUNTERS.map((spec) => spec.counter));
  return costs;
}

/** The RunSummary fields a column can show (the counters are under `costs`). */
type SummaryField = Exclude<keyof RunSummary, 'costs'>;

/** A summary plot of a column against the swept parameter (src/report/charts.ts). */
export interface PlotDisplay {
  /** File stem after the prefix: `summary-total-bytes.svg`. */
  readonly stem: string;
  /** Chart title before ` against <column>`. */
  readonly title: string;
  readonly yLabel: string;
  /** The plotted value is the column's value times this (seconds to ms: 1000). */
  readonly scale: number;
  /** Drawn only when some row is non-zero (postcopy's columns in a sweep without postcopy). */
  readonly whenNonZero?: boolean;
}

interface SummaryFieldSpec {
  readonly field: SummaryField;
  readonly column: string;
  readonly kind: ColumnKind;
  /** Present on the columns `plot` draws against a swept parameter. */
  readonly plot?: PlotDisplay;
}

/** Summary columns before the cost counters, in CSV order. Append new fields at the end. */
export const SUMMARY_FIELDS = [
  { field: 'workload', column: 'workload', kind: 'text' },
  { field: 'run', column: 'run', kind: 'text' },
  { field: 'seed', column: 'seed', kind: 'count' },
  { field: 'rounds', column: 'rounds', kind: 'count' },
  { field: 'totalBytes', column: 'total_bytes', kind: 'count', plot: { stem: 'total-bytes', title: 'total bytes', yLabel: 'total bytes', scale: 1 } },
  { field: 'totalTimeSec', column: 'total_time_s', kind: 'seconds' },
  { field: 'downtimeSec', column: 'downtime_s', kind: 'seconds', plot: { stem: 'downtime', title: 'downtime', yLabel: 'downtime (ms)', scale: 1000 } },
  { field: 'converged', column: 'converged', kind: 'boolean' },
  { field: 'lostPages', column: 'lost_pages', kind: 'count' },
  { field: 'savedBytes', column: 'saved_bytes', kind: 'count' },
  { field: 'expectedDowntimeSec', column: 'expected_downtime_s', kind: 'seconds' },
  { field: 'throttlePct', column: 'throttle_pct', kind: 'number' },
  { field: 'lostZeroPages', column: 'lost_zero_pages', kind: 'count' },
  // How the migration ended (endings/): converged, postcopy, paused, forced, cancelled.
  { field: 'ending', column: 'ending', kind: 'text' },
  { field: 'downtimeOverLimit', column: 'downtime_over_limit', kind: 'boolean' },
  { field: 'throttleSteps', column: 'throttle_steps', kind: 'count' },
  { field: 'postcopyBytes', column: 'postcopy_bytes', kind: 'count' },
  {
    field: 'postcopyRequests',
    column: 'postcopy_requests',
    kind: 'count',
    plot: { stem: 'postcopy-requests', title: 'postcopy page requests', yLabel: 'page requests', scale: 1, whenNonZero: true },
  },
  {
    field: 'blocktimeSec',
    column: 'blocktime_s',
    kind: 'seconds',
    plot: { stem: 'blocktime', title: 'postcopy blocktime', yLabel: 'postcopy blocktime (ms)', scale: 1000, whenNonZero: true },
  },
  { field: 'vcpuBlocktimeSecList', column: 'vcpu_blocktime_s_list', kind: 'text' },
  {
    field: 'noRollbackSec',
    column: 'no_rollback_s',
    kind: 'seconds',
    plot: { stem: 'no-rollback', title: 'postcopy no-rollback window', yLabel: 'no-rollback window (s)', scale: 1, whenNonZero: true },
  },
] as const satisfies readonly SummaryFieldSpec[];

type RoundField = keyof RoundStats;

type RoundFieldSpec =
  | { readonly field: RoundField; readonly column: string; readonly kind: ColumnKind }
  /** A rate QEMU reports that the round's own counts give: computed, not stored. */
  | { readonly derive: (round: RoundStats) => number; readonly column: string; readonly kind: ColumnKind };

/**
 * QEMU's xbzrle-cache rates for one round, as migration_update_rates computes them at each
 * sync: cache-miss-rate = cache misses / pages transferred (ram_get_total_transferred_pages:
 * normal + zero + XBZRLE pages), encoding-rate = XBZRLE pages x page size / XBZRLE bytes, 0 when no page was encoded or nothing was sent
 * (QEMU since 5.1, not the Inf/UINT64_MAX it once printed).
 */
function xbzrleCacheMissRate(round: RoundStats): number {
  // Our normal pages hold the XBZRLE hits that did not overflow; QEMU counts an overflowed
  // page in both xbzrle pages and normal pages, so its total has the overflows twice.
  const pages = round.normalPages + round.zeroPages + round.xbzrleOverflow;
  return pages === 0 ? 0 : round.xbzrleCacheMiss / pages;
}

function xbzrleEncodingRate(round: RoundStats): number {
  return round.xbzrlePages === 0 || round.xbzrleBytes === 0 ? 0 : round.xbzrleUnencodedBytes / round.xbzrleBytes;
}

/** Per-round columns after workload, run and seed, in CSV order. Append new fields at the end. */
export const ROUND_FIELDS = [
  { field: 'round', column: 'round', kind: 'count' },
  { field: 'kind', column: 'kind', kind: 'text' },
  { field: 'startSec', column: 'start_s', kind: 'seconds' },
  { field: 'durationSec', column: 'duration_s', kind: 'seconds' },
  { field: 'normalPages', column: 'normal_pages', kind: 'count' },
  { field: 'zeroPages', column: 'zero_pages', kind: 'count' },
  { field: 'skippedPages', column: 'skipped_pages', kind: 'count' },
  { field: 'unacceptedPages', column: 'unaccepted_pages', kind: 'count' },
  { field: 'bytes', column: 'bytes', kind: 'count' },
  { field: 'cumulativeBytes', column: 'cumulative_bytes', kind: 'count' },
  { field: 'dirtyPages', column: 'dirty_pages', kind: 'count' },
  { field: 'multifdBytes', column: 'multifd_bytes', kind: 'count' },
  { field: 'multifdPackets', column: 'multifd_packets', kind: 'count' },
  { field: 'multifdSyncs', column: 'multifd_syncs', kind: 'count' },
  { field: 'xbzrleBytes', column: 'xbzrle_bytes', kind: 'count' },
  { field: 'xbzrlePages', column: 'xbzrle_pages', kind: 'count' },
  { field: 'xbzrleCacheMiss', column: 'xbzrle_cache_miss', kind: 'count' },
  { field: 'xbzrleOverflow', column: 'xbzrle_overflow', kind: 'count' },
  { field: 'throttlePct', column: 'throttle_pct', kind: 'number' },
  { field: 'multifdCompressedBytes', column: 'multifd_compressed_bytes', kind: 'count' },
  { field: 'dirtyLimitThrottleUs', column: 'dirty_limit_throttle_us', kind: 'count' },
  { derive: xbzrleCacheMissRate, column: 'xbzrle_cache_miss_rate', kind: 'number' },
  { derive: xbzrleEncodingRate, column: 'xbzrle_encoding_rate', kind: 'number' },
] as const satisfies readonly RoundFieldSpec[];

/** The summary columns `plot` draws against a swept parameter, in table order. */
export const SUMMARY_PLOTS: readonly (PlotDisplay & { column: string })[] = SUMMARY_FIELDS.flatMap((spec: SummaryFieldSpec) =>
  spec.plot === undefined ? [] : [{ column: spec.column, ...spec.plot }],
);

/** The columns that name a row: every per-round row starts with them. */
const IDENTITY_COLUMNS = ['workload', 'run', 'seed'] as const;

export type SummaryColumn = (typeof SUMMARY_FIELDS)[number]['column'] | (typeof COST_COUNTERS)[number]['column'];
export type RoundColumn = (typeof IDENTITY_COLUMNS)[number] | (typeof ROUND_FIELDS)[number]['column'];

/** Summary CSV columns: the summary fields, then the cost counters. */
export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [...SUMMARY_FIELDS.map((spec) => spec.column), ...COST_COUNTERS.map((spec) => spec.column)];

/** Per-round CSV columns: workload, run, seed, then the round fields. */
export const ROUND_COLUMNS: readonly RoundColumn[] = [...IDENTITY_COLUMNS, ...ROUND_FIELDS.map((spec) => spec.column)];

const KIND_BY_COLUMN: ReadonlyMap<string, ColumnKind> = new Map<string, ColumnKind>([
  ...SUMMARY_FIELDS.map((spec): [string, ColumnKind] => [spec.column, spec.kind]),
  ...COST_COUNTERS.map((spec): [string, ColumnKind] => [spec.column, spec.kind]),
  ...ROUND_FIELDS.map((spec): [string, ColumnKind] => [spec.column, spec.kind]),
]);

/** The kind of a known result column; undefined for any other (a swept parameter). */
export function columnKind(column: string): ColumnKind | undefined {
  return KIND_BY_COLUMN.get(column);
}

export type RoundRecord = Record<RoundColumn, CellValue>;
export type SummaryRecord = Record<SummaryColumn, CellValue>;

/** One summary row, keyed by column, values in base units. Allocates. */
export function summaryRecord(summary: RunSummary): SummaryRecord {
  const record = {} as Record<string, CellValue>;
  for (const spec of SUMMARY_FIELDS) record[spec.column] = summary[spec.field];
  for (const spec of COST_COUNTERS) record[spec.column] = summary.costs[spec.counter];
  return record as SummaryRecord;
}

/** One per-round row, keyed by column, values in base units. Allocates. */
export function roundRecord(summary: Pick<RunSummary, 'workload' | 'run' | 'seed'>, round: RoundStats): RoundRecord {
  const record: Record<string, CellValue> = { workload: summary.workload, run: summary.run, seed: summary.seed };
  for (const spec of ROUND_FIELDS) record[spec.column] = 'derive' in spec ? spec.derive(round) : round[spec.field];
  return record as RoundRecord;
}

/** A summary column whose values are numbers (the ones `check --metric` can compare). */
export function isNumericSummaryColumn(column: string): column is SummaryColumn {
  const kind = columnKind(column);
  return (kind === 'count' || kind === 'seconds' || kind === 'number') && (SUMMARY_COLUMNS as readonly string[]).includes(column);
}
