/**
 * The grid of `migsim sweep`: `--vary key=spec` axes, their cartesian product and the shard
 * slice a batch job runs. Pure: no I/O; every point is a list of `--set` assignments, so a
 * point parses exactly as `migsim run --set …` would.
 *
 * An axis spec is a list (`a,b,c`) or a range `a..b:n` of n points (endpoints included).
 * A range whose endpoints carry a unit other than `%` (`1Gbit/s..100Gbit/s:8`,
 * `1GiB..1TiB:5`, `64MiB/s..1GiB/s:6` (the ends may mix units of one kind), `1000/s..1000000/s:4`, `10ms..1s:3`) is spaced geometrically; bare
 * numbers and percentages are spaced linearly (integers stay integers when both endpoints
 * are). Interior points are rounded to 4 significant digits; endpoints stay as written.
 * The point order is row-major: the last axis varies fastest. `hints=` is not an axis: it
 * names the runs of every point (as `--hints`).
 */
import { UsageError } from '../core/errors.js';
import { DURATION_UNITS, SIZE_UNIT_BYTES, unitBytesPerSec } from './units.js';

export interface SweepAxis {
  /** The field path, e.g. `migration.bandwidth`; it is also the CSV column name. */
  key: string;
  /** The values as `--set` would take them, in order. */
  values: string[];
}

export interface SweepPoint {
  /** 0-based index in the whole grid (row-major). */
  index: number;
  /** One value per axis, in axis order. */
  values: string[];
}

const BINARY_UNITS_DOWN = ['TiB', 'GiB', 'MiB', 'KiB', 'B'];
const DECIMAL_UNITS_DOWN = ['TB', 'GB', 'MB', 'KB', 'B'];

/** Significant digits of interior range points: 4 (1Gbit/s..100Gbit/s:8 gives 1.931Gbit/s …). */
const SIGNIFICANT_DIGITS = 4;

/** Most points a grid may have: a guard against a typo such as `:1000000`. */
export const MAX_GRID_POINTS = 1_000_000;

/** The `--vary` axes and the `hints=` run list, from the raw option values. */
export interface SweepSpec {
  axes: SweepAxis[];
  /** `--vary hints=…`; null = the workload's own hints. */
  hints: string[] | null;
}

/** Parses every `--vary key=spec` (command-line order). @throws UsageError naming the option. */
export function parseVaryOptions(varies: readonly string[]): SweepSpec {
  const specs: { key: string; spec: string; vary: string }[] = [];
  let hints: string[] | null = null;
  for (const vary of varies) {
    const eq = vary.indexOf('=');
    if (eq <= 0) throw new UsageError(`--vary ${vary} needs the form key=a..b:n or key=a,b,c`);
    const key = vary.slice(0, eq).trim();
    const spec = vary.slice(eq + 1).trim();
    if (key === 'hints') {
      if (hints !== null) throw new UsageError('--vary hints= is given twice');
      hints = splitList(spec, vary);
      continue;
    }
    if (specs.some((axis) => axis.key === key)) throw new UsageError(`--vary ${key} is given twice`);
    specs.push({ key, spec, vary });
  }
  // Count first, arithmetically, and build nothing until the grid is known to be small
  // enough: `:1000000000` once took gigabytes (or a SIGSEGV) before it was refused.
  let size = 1;
  for (const { spec, vary } of specs) {
    const count = axisPointCount(spec, vary);
    size *= count;
    if (count > MAX_GRID_POINTS || size > MAX_GRID_POINTS) {
      const what = count > MAX_GRID_POINTS ? `--vary ${clip(vary)} gives ${count} points` : `--vary gives ${size > 1e15 ? size.toExponential(2) : size} points or more`;
      throw new UsageError(`${what} (at most ${MAX_GRID_POINTS} in a grid)`);
    }
  }
  const axes = specs.map(({ key, spec, vary }) => ({ key, values: parseAxisValues(spec, vary) }));
  return { axes, hints };
}

/** At most 60 characters of a --vary option, for messages. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A range `a..b:n` split at the first `..` and the last `:`, or null for a list. */
function splitRange(spec: string): { from: string; to: string; count: string } | null {
  // By index, not by a lazy regex (`(.+?)\.\.(.+?):`, quadratic on a long run of dots).
  const colon = spec.lastIndexOf(':');
  if (colon < 0 || !/^\d+$/.test(spec.slice(colon + 1))) return null;
  const head = spec.slice(0, colon);
  const dots = head.indexOf('..', 1);
  if (dots < 0 || dots + 2 >= head.length) return null;
  return { from: head.slice(0, dots), to: head.slice(dots + 2), count: spec.slice(colon + 1) };
}

/** Points of one axis, without building them: n of a range, the entries of a list. */
export function axisPointCount(spec: string, vary: string = spec): number {
  const range = splitRange(spec);
  if (range === null) {
    let commas = 0;
    for (let i = spec.indexOf(','); i >= 0; i = spec.indexOf(',', i + 1)) commas++;
    return commas + 1;
  }
  const count = Number(range.count);
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`--vary ${clip(vary)} needs n >= 1 points (got ${clip(range.count)})`);
  return count;
}

function splitList(spec: string, vary: string): string[] {
  const values = spec.split(',').map((value) => value.trim());
  if (values.some((value) => value === '')) throw new UsageError(`--vary ${vary} has an empty list entry`);
  if (new Set(values).size !== values.length) throw new UsageError(`--vary ${vary} repeats a value`);
  return values;
}

const QUANTITY_RE = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(.*)$/;

/** The values of one axis: a range `a..b:n` or a comma list. */
export function parseAxisValues(spec: string, vary: string = spec): string[] {
  const range = splitRange(spec);
  if (range === null) return splitList(spec, vary);
  const count = axisPointCount(spec, vary);
  if (count > MAX_GRID_POINTS) throw new UsageError(`--vary ${clip(vary)} gives ${count} points (at most ${MAX_GRID_POINTS} in a grid)`);
  const from = QUANTITY_RE.exec(range.from.trim());
  const to = QUANTITY_RE.exec(range.to.trim());
  if (from === null || to === null) throw new UsageError(`--vary ${vary} needs numeric endpoints such as 1Gbit/s..100Gbit/s:8`);
  const unit = from[2].trim();
  const toUnit = to[2].trim();
  const a = Number(from[1]);
  let b = Number(to[1]);
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new UsageError(`--vary ${clip(vary)} has an endpoint beyond a double`);
  if (toUnit !== unit) {
    // Units of one kind may mix (1GiB..1TiB, 64MiB/s..1GiB/s, 1Gbit/s..400MiB/s, 500us..2s):
    // the points are written in the first endpoint's unit.
    const fromScale = unitScale(unit);
    const toScale = unitScale(toUnit);
    if (fromScale === undefined || toScale === undefined || fromScale.kind !== toScale.kind) {
      throw new UsageError(`--vary ${vary} needs units of one kind at both ends, sizes, rates or durations (got ${unit || 'none'} and ${toUnit || 'none'})`);
    }
    b = (b * toScale.base) / fromScale.base;
  }
  const geometric = unit !== '' && unit !== '%';
  if (geometric && !(a > 0 && b > 0)) throw new UsageError(`--vary ${vary}: a geometric range (a unit other than %) needs endpoints > 0`);
  const integers = !geometric && Number.isInteger(a) && Number.isInteger(b);
  const values: string[] = [];
  for (let k = 0; k < count; k++) {
    if (k === 0) values.push(range.from.trim());
    else if (k === count - 1) values.push(range.to.trim());
    else {
      const t = k / (count - 1);
      const v = geometric ? a * Math.pow(b / a, t) : a + (b - a) * t;
      values.push(integers ? `${Math.round(v)}${unit}` : formatQuantity(v, unit));
    }
  }
  return values;
}

/** A unit's kind and its value in base units (bytes, bytes per second, seconds); undefined for others. */
function unitScale(unit: string): { kind: 'size' | 'rate' | 'duration'; base: number } | undefined {
  const bytes = SIZE_UNIT_BYTES[unit];
  if (bytes !== undefined) return { kind: 'size', base: bytes };
  const bytesPerSec = unitBytesPerSec(unit);
  if (bytesPerSec !== undefined) return { kind: 'rate', base: bytesPerSec };
  const duration = DURATION_UNITS[unit];
  if (duration !== undefined) return { kind: 'duration', base: duration[0] / duration[1] };
  return undefined;
}

/**
 * `v` in `unit` at 4 significant digits; a size steps down a unit until it is whole bytes.
 * A binary size is rounded to a multiple of the largest power of two at most 1/256 of it
 * (within 0.4%), so that the point keeps the alignment the guest needs: 1GiB..1TiB:5 gives
 * 5792MiB, a whole number of 4 MiB maxOrder blocks, where 4 digits gave 5793MiB, which
 * guest.memory refuses.
 */
function formatQuantity(v: number, unit: string): string {
  const unitBytes = SIZE_UNIT_BYTES[unit];
  if (unitBytes === undefined) return `${Number(v.toPrecision(SIGNIFICANT_DIGITS))}${unit}`;
  if (BINARY_UNITS_DOWN.includes(unit)) return formatBinarySize(v * unitBytes);
  const ladder = DECIMAL_UNITS_DOWN;
  const bytes = v * unitBytes;
  for (let i = ladder.indexOf(unit); i < ladder.length; i++) {
    const step = SIZE_UNIT_BYTES[ladder[i]];
    const rounded = Number((bytes / step).toPrecision(SIGNIFICANT_DIGITS));
    if (Number.isInteger(rounded * step)) return `${rounded}${ladder[i]}`;
  }
  return `${Math.round(bytes)}B`;
}

/** `bytes` rounded to a power-of-two granule of at most 1/256 of it, in the largest binary unit that holds it whole. */
function formatBinarySize(bytes: number): string {
  const granule = bytes >= 512 ? 2 ** Math.floor(Math.log2(bytes / 256)) : 1;
  const rounded = Math.round(bytes / granule) * granule;
  for (const unit of BINARY_UNITS_DOWN) {
    const step = SIZE_UNIT_BYTES[unit];
    if (rounded % step === 0) return `${rounded / step}${unit}`;
  }
  return `${rounded}B`;
}

/** Points in the whole grid: the product of the axis lengths (1 with no axes). */
export function gridSize(axes: readonly SweepAxis[]): number {
  let size = 1;
  for (const axis of axes) size *= axis.values.length;
  return size;
}

/** Point `index` of the grid, row-major (the last axis varies fastest). */
export function gridPoint(axes: readonly SweepAxis[], index: number): SweepPoint {
  const values = new Array<string>(axes.length);
  let rest = index;
  for (let a = axes.length - 1; a >= 0; a--) {
    const length = axes[a].values.length;
    values[a] = axes[a].values[rest % length];
    rest = Math.floor(rest / length);
  }
  return { index, values };
}

export interface Shard {
  /** 1-based, as `--shard 3/8` and SLURM_ARRAY_TASK_ID; JOB_COMPLETION_INDEX + 1. */
  index: number;
  count: number;
}

/** `i/n` with 1 <= i <= n. @throws UsageError with the value. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!(count >= 1 && index >= 1 && index <= count)) throw new UsageError(`--shard must be i/n with 1 <= i <= n (got ${text})`);
  return { index, count };
}

/**
 * The point indices shard `i/n` runs: round-robin, `index % n == i - 1`, so that each
 * shard gets cheap and dear points alike (neighbouring points cost about the same).
 * The shards of one n are disjoint and cover the grid. Allocates the list.
 */
export function shardIndices(size: number, shard: Shard | null): number[] {
  const indices: number[] = [];
  const count = shard === null ? 1 : shard.count;
  const first = shard === null ? 0 : shard.index - 1;
  for (let i = first; i < size; i += count) indices.push(i);
  return indices;
}
