/**
 * Unit parsers for workload files (docs/model.md §6) and the matching human formatters.
 *
 * Every parser takes the raw YAML value (a string, or a number where that is allowed),
 * returns a number in base units — bytes, seconds, events or bytes per second — and throws
 * a plain Error whose message is a predicate that reads after a field path
 * ("needs a unit, e.g. 4KiB"); parse-workload.ts wraps it into a WorkloadError with the
 * file, the path and the value. Units are case-sensitive, as in QEMU and the kernel docs.
 * Byte counts are doubles: exact up to 2^53 bytes (8 PiB), far beyond any guest we model.
 *
 * Hostile input: a string longer than MAX_SCALAR_CHARS is refused before any regular
 * expression sees it, every pattern here is linear (no nested or adjacent quantifiers that
 * can match the same digits two ways), and a number beyond a double (`1` and 400 zeros)
 * is refused as too large instead of becoming Infinity.
 */

/** Bytes per size unit: binary (KiB…TiB) and decimal (KB…TB, `kB` accepted for KB). */
export const SIZE_UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  KB: 1e3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};
const SIZE_UNIT_LIST = 'B, KiB, MiB, GiB, TiB, KB, MB, GB, TB';

/** Bytes per second per bit-rate unit; decimal, as link speeds are: 1 Gbit/s = 1e9 / 8 B/s. */
const BIT_RATE_BYTES_PER_SEC: Readonly<Record<string, number>> = {
  'bit/s': 1 / 8,
  'Kbit/s': 1e3 / 8,
  'kbit/s': 1e3 / 8,
  'Mbit/s': 1e6 / 8,
  'Gbit/s': 1e9 / 8,
  'Tbit/s': 1e12 / 8,
};
const BYTE_RATE_UNIT_LIST = 'bit/s, Kbit/s, Mbit/s, Gbit/s, B/s, KiB/s, MiB/s, GiB/s, KB/s, MB/s, GB/s';

/**
 * Seconds per duration unit, as [multiplier, divisor]: dividing by an exact integer keeps
 * `300ms` exactly 0.3 (the correctly rounded double), where multiplying by 0.001 may not.
 */
export const DURATION_UNITS: Readonly<Record<string, readonly [number, number]>> = {
  ns: [1, 1e9],
  us: [1, 1e6],
  'µs': [1, 1e6],
  ms: [1, 1e3],
  s: [1, 1],
  min: [60, 1],
  h: [3600, 1],
};
const DURATION_UNIT_LIST = 'ns, us, ms, s, min, h';

/**
 * Longest string a unit parser reads: `1.5 GiB`, `10Gbit/s/GiB` are a dozen characters; 100
 * leaves room for any honest value and keeps the time any pattern takes negligible.
 */
export const MAX_SCALAR_CHARS = 100;

/** Throws when `value` is a string too long to be a quantity (before any regex runs). */
function checkLength(value: unknown): void {
  if (typeof value === 'string' && value.length > MAX_SCALAR_CHARS) {
    throw new Error(`is too long for a value (${value.length} characters, at most ${MAX_SCALAR_CHARS})`);
  }
}

/**
 * Longest duration any field takes: 1e9 s (31 years). Simulated times stay below ~2^30 s,
 * where a double still resolves 0.12 us, so a time plus a step always moves.
 */
export const MAX_DURATION_SEC = 1e9;

/** `n`, when it is a finite number (a value of 400 digits parses as Infinity). */
function finite(n: number): number {
  if (!Number.isFinite(n)) throw new Error('is too large (beyond a double)');
  return n;
}

/**
 * A number followed by an optional space and a unit. Signs are matched so "-5/s" gets "must be >= 0".
 * An exponent (`1e12/s`, `2.5e-3s`) is read as JavaScript and YAML read it; no unit starts
 * with e or E, so `1e6/s` cannot mean anything else.
 */
const QUANTITY_RE = /^([+-]?)(\d+)?(?:\.(\d+))?(?:[eE]([+-]?\d+))?\s*(.*)$/;

interface Quantity {
  negative: boolean;
  /** The digits before and after the decimal point (either may be empty, not both). */
  intDigits: string;
  fracDigits: string;
  /** The power of ten after `e` (0 without one); huge exponents stay huge (1e400 is Infinity). */
  exponent: number;
  value: number;
  unit: string;
}

/** Splits "1.5 GiB" into its number and unit; null when it does not start with a number. */
function splitQuantity(text: string): Quantity | null {
  checkLength(text);
  const m = QUANTITY_RE.exec(text.trim());
  if (!m) return null;
  const intDigits = m[2] ?? '';
  const fracDigits = m[3] ?? '';
  if (intDigits === '' && fracDigits === '') return null;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  const magnitude = Number(`${intDigits || '0'}.${fracDigits || '0'}e${m[4] ?? '0'}`);
  return {
    negative: m[1] === '-' && magnitude !== 0,
    intDigits,
    fracDigits,
    exponent,
    value: m[1] === '-' ? -magnitude : magnitude,
    unit: m[5],
  };
}

/**
 * A decimal number: digits with an optional fraction, or a fraction alone. The `\.` between
 * the two digit runs makes the split unique, so a long run of digits followed by a wrong
 * character fails in linear time (`\d+\.?\d*` backtracked quadratically).
 */
const DECIMAL = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const BARE_NUMBER_RE = new RegExp(String.raw`^\s*[+-]?${DECIMAL}\s*$`);
const ZERO_RE = /^\s*[+-]?(?:0+(?:\.0*)?|\.0+)(?:[eE][+-]?\d+)?\s*$/;
const PERCENT_RE = new RegExp(String.raw`^\s*([+-]?${DECIMAL})\s*%\s*$`);
const MULTIPLE_RE = new RegExp(String.raw`^\s*([+-]?${DECIMAL})\s*x\s*$`);

/** A YAML number (or a string of digits) other than 0 where a unit is required. */
function isBareNumber(value: unknown): boolean {
  if (typeof value === 'number') return true;
  checkLength(value);
  return typeof value === 'string' && BARE_NUMBER_RE.test(value);
}

function isZero(value: unknown): boolean {
  checkLength(value);
  return value === 0 || (typeof value === 'string' && ZERO_RE.test(value));
}

/** What the parsers here tell a negative quantity (the fields that take 0 too). */
const NEGATIVE = 'must be >= 0';

/**
 * `convert` for a field that must be above 0: a negative value gets "must be > 0" as 0
 * does, not the parser's "must be >= 0", which would suggest that 0 is fine.
 */
export function positive<T>(convert: (value: T) => number): (value: T) => number {
  return (value) => {
    let n: number;
    try {
      n = convert(value);
    } catch (error) {
      if (error instanceof Error && error.message === NEGATIVE) throw new Error('must be > 0');
      throw error;
    }
    if (!(n > 0)) throw new Error('must be > 0');
    return n;
  };
}

/**
 * A size: `4KiB`, `1.5GiB`, `16 GiB`, `100MB`, or `0`. Returns whole bytes; `1.5B`,
 * negative sizes, bare numbers other than 0 and unknown suffixes (`1EiB`) throw.
 */
export function parseSize(value: unknown): number {
  if (isZero(value)) return 0;
  if (isBareNumber(value)) throw new Error('needs a unit, e.g. 4KiB');
  const q = typeof value === 'string' ? splitQuantity(value) : null;
  if (!q) throw new Error('must be a size such as 4KiB or 1.5GiB');
  const unitBytes = SIZE_UNIT_BYTES[q.unit];
  if (unitBytes === undefined) {
    throw new Error(`has an unknown unit ${q.unit} (sizes take ${SIZE_UNIT_LIST})`);
  }
  if (q.negative) throw new Error(NEGATIVE);
  // Exact decimal arithmetic: 1.1GB is 1100000000 bytes, not 1100000000.0000002; 1.5e3KiB
  // is 1536000. The digits times 10^shift, shift from the exponent less the decimals.
  const digits = BigInt(q.intDigits + q.fracDigits);
  const shift = q.exponent - q.fracDigits.length;
  // Beyond these, a nonzero value is over 8 PiB or below a byte (and 10n ** 1e99 would never end).
  if (digits !== 0n && shift > 40) throw new Error('is too large (at most 8 PiB)');
  if (digits !== 0n && shift < -200) throw new Error('must be a whole number of bytes');
  if (digits === 0n) return 0;
  const scaled = digits * BigInt(unitBytes) * (shift > 0 ? 10n ** BigInt(shift) : 1n);
  const scale = shift < 0 ? 10n ** BigInt(-shift) : 1n;
  if (scaled % scale !== 0n) throw new Error('must be a whole number of bytes');
  const bytes = scaled / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('is too large (at most 8 PiB)');
  return Number(bytes);
}

/** A duration: `300ms`, `2s`, `1.5min`, `500us`, `10ns`, `1h`, or `0`. Returns seconds. */
export function parseDuration(value: unknown): number {
  if (isZero(value)) return 0;
  if (isBareNumber(value)) throw new Error('needs a unit, e.g. 300ms');
  const q = typeof value === 'string' ? splitQuantity(value) : null;
  if (!q) throw new Error('must be a duration such as 300ms or 2s');
  const unit = DURATION_UNITS[q.unit];
  if (unit === undefined) {
    throw new Error(`has an unknown unit ${q.unit} (durations take ${DURATION_UNIT_LIST})`);
  }
  if (q.negative) throw new Error(NEGATIVE);
  const seconds = finite((q.value * unit[0]) / unit[1]);
  if (seconds > MAX_DURATION_SEC) throw new Error(`must be at most ${MAX_DURATION_SEC} s (31 years)`);
  return seconds;
}

/**
 * A duration per GiB of guest memory (`migration.syncTime`): `500us` or `500us/GiB`.
 * Returns seconds per GiB.
 */
export function parseSecPerGiB(value: unknown): number {
  checkLength(value);
  if (typeof value === 'string') {
    // Split at the last `/` (a lazy `(.*?)\s*\/` backtracked quadratically on spaces).
    const slash = value.lastIndexOf('/');
    if (slash >= 0) {
      if (value.slice(slash + 1).trim() !== 'GiB') throw new Error('must be a duration per GiB such as 500us or 500us/GiB');
      return parseDuration(value.slice(0, slash).trim());
    }
  }
  return parseDuration(value);
}

/** Byte rate without the `unlimited` keyword: `8GiB/s`, `160MiB/s`, `10Gbit/s`, or `0`. */
export function parseByteRate(value: unknown): number {
  if (isZero(value)) return 0;
  if (isBareNumber(value)) throw new Error('needs a unit, e.g. 1GiB/s');
  const q = typeof value === 'string' ? splitQuantity(value) : null;
  if (!q) throw new Error('must be a byte rate such as 1GiB/s or 10Gbit/s');
  const bytesPerSec = unitBytesPerSec(q.unit);
  if (bytesPerSec === undefined) {
    throw new Error(`has an unknown unit ${q.unit} (byte rates take ${BYTE_RATE_UNIT_LIST})`);
  }
  if (q.negative) throw new Error(NEGATIVE);
  return finite(q.value * bytesPerSec);
}

/** Bytes per second of a rate unit such as `MiB/s` or `Gbit/s`; undefined if unknown. */
export function unitBytesPerSec(unit: string): number | undefined {
  const bitRate = BIT_RATE_BYTES_PER_SEC[unit];
  if (bitRate !== undefined) return bitRate;
  const m = /^(\w+)\/s$/.exec(unit);
  return m ? SIZE_UNIT_BYTES[m[1]] : undefined;
}

/**
 * A bandwidth (`migration.bandwidth` and friends): a byte or bit rate, or `unlimited`
 * (returns Infinity).
 */
export function parseBandwidth(value: unknown): number {
  if (value === 'unlimited') return Infinity;
  try {
    return parseByteRate(value);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('must be a byte rate')) {
      throw new Error('must be a bandwidth such as 10Gbit/s, 128MiB/s or unlimited');
    }
    throw err;
  }
}

/** An event rate as written: events per second (`40000/s`) or bytes per second (`160MiB/s`). */
export interface ParsedRate {
  perSec: number;
  unit: 'count' | 'bytes';
}

/**
 * A rate: `40000/s` (events per second, decimals allowed) or a byte rate such as
 * `160MiB/s` that the caller divides by its page or block size. `0` is a count rate of 0.
 */
export function parseRate(value: unknown): ParsedRate {
  if (isZero(value)) return { perSec: 0, unit: 'count' };
  if (isBareNumber(value)) throw new Error('needs a unit, e.g. 40000/s');
  const q = typeof value === 'string' ? splitQuantity(value) : null;
  if (!q) throw new Error('must be a rate such as 40000/s or 160MiB/s');
  let rate: ParsedRate;
  if (/^\/\s*s$/.test(q.unit)) {
    rate = { perSec: q.value, unit: 'count' };
  } else {
    const bytesPerSec = unitBytesPerSec(q.unit);
    if (bytesPerSec === undefined) {
      throw new Error(`has an unknown unit ${q.unit} (rates take /s or a byte rate such as MiB/s)`);
    }
    rate = { perSec: q.value * bytesPerSec, unit: 'bytes' };
  }
  if (q.negative) throw new Error(NEGATIVE);
  finite(rate.perSec);
  return rate;
}

/** A percentage: a number 0–100, bare (`20`) or with a sign (`20%`). */
export function parsePercent(value: unknown): number {
  let pct: number;
  if (typeof value === 'number') {
    pct = value;
  } else if (typeof value === 'string' && (checkLength(value), PERCENT_RE.test(value))) {
    pct = Number(PERCENT_RE.exec(value)![1]);
  } else {
    throw new Error('must be a percentage from 0 to 100');
  }
  if (!(pct >= 0 && pct <= 100)) throw new Error('must be a percentage from 0 to 100');
  return pct;
}

/**
 * `migration.maxTotal`: a size, or `Nx` meaning N times `memoryBytes` (`3x`, `2.5x`).
 * Returns bytes, rounded to a whole byte.
 */
export function parseSizeOrMultiple(value: unknown, memoryBytes: number): number {
  checkLength(value);
  if (typeof value === 'string') {
    const m = MULTIPLE_RE.exec(value);
    if (m) {
      const factor = Number(m[1]);
      if (factor < 0) throw new Error(NEGATIVE);
      const bytes = Math.round(factor * memoryBytes);
      if (!(bytes <= Number.MAX_SAFE_INTEGER)) throw new Error('is too large (at most 8 PiB)');
      return bytes;
    }
  }
  if (isBareNumber(value) && !isZero(value)) throw new Error('needs a unit, e.g. 48GiB or 3x (times memory)');
  try {
    return parseSize(value);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('must be a size')) throw new Error('must be a size such as 48GiB or a multiple of memory such as 3x');
    throw err;
  }
}

/** Bounds for parseInteger and parseNumber, inclusive; a name says where a bound comes from. */
export interface Bounds {
  min?: number;
  max?: number;
  /** How to name `max` in messages, e.g. 'guest.maxOrder' → "between 0 and guest.maxOrder (10)". */
  maxName?: string;
}

function describeBounds(b: Bounds): string {
  const max = b.maxName ? `${b.maxName} (${b.max})` : `${b.max}`;
  if (b.min !== undefined && b.max !== undefined) return `must be between ${b.min} and ${max}`;
  if (b.min !== undefined) return `must be >= ${b.min}`;
  return `must be at most ${max}`;
}

function checkBounds(n: number, b: Bounds): void {
  if ((b.min !== undefined && n < b.min) || (b.max !== undefined && n > b.max)) {
    throw new Error(describeBounds(b));
  }
}

/** An integer given as a YAML number (`10`), within `bounds` (inclusive). */
export function parseInteger(value: unknown, bounds: Bounds = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error('must be an integer');
  checkBounds(value, bounds);
  return value;
}

/** A finite number given as a YAML number (`0.99`), within `bounds` (inclusive). */
export function parseNumber(value: unknown, bounds: Bounds = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error('must be a number');
  checkBounds(value, bounds);
  return value;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Human-readable bytes with binary units: `512 B`, `4 KiB`, `105.7 MiB`. Whole values print
 * without decimals, others with one. Allocates a string; for reports, not hot loops.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return bytes > 0 ? 'unlimited' : String(bytes);
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  let unit = 0;
  let value = bytes;
  while (unit < BINARY_UNITS.length - 1 && value >= 1024) {
    value /= 1024;
    unit++;
  }
  if (Number.isInteger(value)) return `${value} ${BINARY_UNITS[unit]}`;
  let text = value.toFixed(1);
  if (text === '1024.0' && unit < BINARY_UNITS.length - 1) {
    text = '1';
    unit++;
  }
  return `${text} ${BINARY_UNITS[unit]}`;
}

/** [unit, seconds per unit, how many of the next smaller unit make one], largest first. */
const DURATION_DISPLAY: readonly (readonly [string, number, number])[] = [
  ['h', 3600, 60],
  ['min', 60, 60],
  ['s', 1, 1000],
  ['ms', 1e-3, 1000],
  ['us', 1e-6, 1000],
  ['ns', 1e-9, 1],
];

/**
 * Human-readable duration in the largest unit that keeps the value >= 1, with up to three
 * significant digits: `300 ms`, `1.25 s`, `2 us`, `1.5 h`, `0 s`. Allocates a string.
 */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return sec > 0 ? 'unlimited' : String(sec);
  if (sec < 0) return `-${formatDuration(-sec)}`;
  if (sec === 0) return '0 s';
  let i = 0;
  while (i < DURATION_DISPLAY.length - 1 && sec < DURATION_DISPLAY[i][1]) i++;
  let value = Number((sec / DURATION_DISPLAY[i][1]).toPrecision(3));
  // Rounding may reach the next unit up: 999.7 ms prints as 1 s, not 1000 ms.
  if (i > 0 && value >= DURATION_DISPLAY[i - 1][2]) {
    i--;
    value = Number((sec / DURATION_DISPLAY[i][1]).toPrecision(3));
  }
  return `${value} ${DURATION_DISPLAY[i][0]}`;
}
