import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatBytes,
  formatDuration,
  parseBandwidth,
  parseByteRate,
  parseDuration,
  parseInteger,
  parseNumber,
  parsePercent,
  parseRate,
  parseSecPerGiB,
  parseSize,
  parseSizeOrMultiple,
  positive,
} from '../../src/workload/units.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

/** Asserts that `fn` throws an Error with exactly `message`. */
function throwsMessage(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(err.message, message);
    return true;
  });
}

describe('parseSize', () => {
  it('reads every binary and decimal unit', () => {
    assert.equal(parseSize('1B'), 1);
    assert.equal(parseSize('4KiB'), 4 * KiB);
    assert.equal(parseSize('2MiB'), 2 * MiB);
    assert.equal(parseSize('16GiB'), 16 * GiB);
    assert.equal(parseSize('1TiB'), TiB);
    assert.equal(parseSize('1KB'), 1000);
    assert.equal(parseSize('1kB'), 1000);
    assert.equal(parseSize('3MB'), 3e6);
    assert.equal(parseSize('2GB'), 2e9);
    assert.equal(parseSize('1TB'), 1e12);
  });

  it('accepts decimals and an optional space, exactly', () => {
    assert.equal(parseSize('1.5GiB'), 1.5 * GiB);
    assert.equal(parseSize('16 GiB'), 16 * GiB);
    assert.equal(parseSize('0.5KiB'), 512);
    assert.equal(parseSize('.25MiB'), 256 * KiB);
    // 1.1 * 1e9 is 1100000000.0000002 in floating point; the parser is exact.
    assert.equal(parseSize('1.1GB'), 1_100_000_000);
  });

  it('accepts 0 with or without a unit', () => {
    assert.equal(parseSize(0), 0);
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('0B'), 0);
  });

  it('positive(): a negative value and 0 both "must be > 0" (not the parser\'s ">= 0"); other problems pass through', () => {
    throwsMessage(() => positive(parseSize)('-4KiB'), 'must be > 0');
    throwsMessage(() => positive(parseSize)('0'), 'must be > 0');
    throwsMessage(() => positive(parseDuration)('-1s'), 'must be > 0');
    throwsMessage(() => positive(parseSize)('1EiB'), 'has an unknown unit EiB (sizes take B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)');
    assert.equal(positive(parseSize)('4KiB'), 4 * KiB);
  });

  it('rejects bare numbers other than 0', () => {
    throwsMessage(() => parseSize(4096), 'needs a unit, e.g. 4KiB');
    throwsMessage(() => parseSize('4096'), 'needs a unit, e.g. 4KiB');
  });

  it('rejects fractional bytes, negatives and unknown suffixes', () => {
    throwsMessage(() => parseSize('1.5B'), 'must be a whole number of bytes');
    throwsMessage(() => parseSize('-4KiB'), 'must be >= 0');
    throwsMessage(() => parseSize('1EiB'), 'has an unknown unit EiB (sizes take B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)');
    throwsMessage(() => parseSize('4kib'), 'has an unknown unit kib (sizes take B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)');
    throwsMessage(() => parseSize('9000TiB'), 'is too large (at most 8 PiB)');
  });

  it('rejects things that are not sizes', () => {
    throwsMessage(() => parseSize('lots'), 'must be a size such as 4KiB or 1.5GiB');
    throwsMessage(() => parseSize(true), 'must be a size such as 4KiB or 1.5GiB');
    throwsMessage(() => parseSize({ a: 1 }), 'must be a size such as 4KiB or 1.5GiB');
  });
});

describe('numbers with an exponent (1e12/s, 2.5e-3s), where a plain number is accepted', () => {
  it('sizes: exact, within the same bounds', () => {
    assert.equal(parseSize('1e3KiB'), 1000 * KiB);
    assert.equal(parseSize('1.5e3 KiB'), 1536000);
    assert.equal(parseSize('2.5E-1KiB'), 256);
    assert.equal(parseSize('1e+1GB'), 1e10);
    assert.equal(parseSize('0e5'), 0);
    assert.equal(parseSize('0e99999KiB'), 0);
    throwsMessage(() => parseSize('1e3'), 'needs a unit, e.g. 4KiB');
    throwsMessage(() => parseSize('1e-1B'), 'must be a whole number of bytes');
    throwsMessage(() => parseSize('1e-9999999999B'), 'must be a whole number of bytes');
    throwsMessage(() => parseSize('1e4TiB'), 'is too large (at most 8 PiB)');
    throwsMessage(() => parseSize(`1e${'9'.repeat(90)}KiB`), 'is too large (at most 8 PiB)');
    throwsMessage(() => parseSize('-1e3KiB'), 'must be >= 0');
    throwsMessage(() => parseSize('1e/s'), 'has an unknown unit e/s (sizes take B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)');
  });

  it('durations', () => {
    assert.equal(parseDuration('2.5e-3s'), 0.0025);
    assert.equal(parseDuration('3e2ms'), 0.3);
    assert.equal(parseDuration('1e9s'), 1e9);
    throwsMessage(() => parseDuration('1.1e9s'), 'must be at most 1000000000 s (31 years)');
    throwsMessage(() => parseDuration('1e400s'), 'is too large (beyond a double)');
    throwsMessage(() => parseDuration('-1e-3s'), 'must be >= 0');
    throwsMessage(() => positive(parseDuration)('1e-400s'), 'must be > 0');
  });

  it('rates and byte rates', () => {
    assert.deepEqual(parseRate('1e12/s'), { perSec: 1e12, unit: 'count' });
    assert.deepEqual(parseRate('4e4 /s'), { perSec: 40000, unit: 'count' });
    assert.deepEqual(parseRate('1.6e2MiB/s'), { perSec: 160 * MiB, unit: 'bytes' });
    assert.equal(parseByteRate('1e1Gbit/s'), 1.25e9);
    assert.equal(parseBandwidth('2.5e1Gbit/s'), 3.125e9);
    throwsMessage(() => parseRate('1e400/s'), 'is too large (beyond a double)');
    throwsMessage(() => parseRate('-1e3/s'), 'must be >= 0');
    throwsMessage(() => parseRate(1e6), 'needs a unit, e.g. 40000/s');
    throwsMessage(() => parseRate('1e6'), 'needs a unit, e.g. 40000/s');
  });

  it('percentages and multiples of memory', () => {
    assert.equal(parsePercent('2e1%'), 20);
    throwsMessage(() => parsePercent('2e3%'), 'must be a percentage from 0 to 100');
    assert.equal(parseSizeOrMultiple('2.5e0x', GiB), 2.5 * GiB);
  });
});

describe('parseDuration', () => {
  it('reads every unit into seconds', () => {
    assert.equal(parseDuration('10ns'), 1e-8);
    assert.equal(parseDuration('2us'), 2e-6);
    assert.equal(parseDuration('2µs'), 2e-6);
    assert.equal(parseDuration('300ms'), 0.3);
    assert.equal(parseDuration('2s'), 2);
    assert.equal(parseDuration('1.5min'), 90);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('50 ms'), 0.05);
    assert.equal(parseDuration(0), 0);
  });

  it('rejects bare numbers, negatives and unknown units', () => {
    throwsMessage(() => parseDuration(5), 'needs a unit, e.g. 300ms');
    throwsMessage(() => parseDuration('-1s'), 'must be >= 0');
    throwsMessage(() => parseDuration('2d'), 'has an unknown unit d (durations take ns, us, ms, s, min, h)');
    throwsMessage(() => parseDuration('soon'), 'must be a duration such as 300ms or 2s');
  });
});

describe('parseSecPerGiB', () => {
  it('reads a duration, with or without /GiB', () => {
    assert.equal(parseSecPerGiB('500us'), 0.0005);
    assert.equal(parseSecPerGiB('500us/GiB'), 0.0005);
    assert.equal(parseSecPerGiB('1ms / GiB'), 0.001);
  });

  it('rejects another denominator', () => {
    throwsMessage(() => parseSecPerGiB('500us/GB'), 'must be a duration per GiB such as 500us or 500us/GiB');
  });
});

describe('parseByteRate and parseBandwidth', () => {
  it('reads bit rates as decimal and byte rates in either base', () => {
    assert.equal(parseByteRate('8bit/s'), 1);
    assert.equal(parseByteRate('8Kbit/s'), 1000);
    assert.equal(parseByteRate('8Mbit/s'), 1e6);
    assert.equal(parseByteRate('10Gbit/s'), 1.25e9);
    assert.equal(parseByteRate('100B/s'), 100);
    assert.equal(parseByteRate('160MiB/s'), 160 * MiB);
    assert.equal(parseByteRate('8GiB/s'), 8 * GiB);
    assert.equal(parseByteRate('2.5GB/s'), 2.5e9);
  });

  it('rejects bare numbers and unknown units', () => {
    throwsMessage(() => parseByteRate(1000), 'needs a unit, e.g. 1GiB/s');
    throwsMessage(
      () => parseByteRate('10Gbps'),
      'has an unknown unit Gbps (byte rates take bit/s, Kbit/s, Mbit/s, Gbit/s, B/s, KiB/s, MiB/s, GiB/s, KB/s, MB/s, GB/s)',
    );
    throwsMessage(() => parseByteRate('unlimited'), 'must be a byte rate such as 1GiB/s or 10Gbit/s');
  });

  it('reads unlimited as Infinity for bandwidths only', () => {
    assert.equal(parseBandwidth('unlimited'), Infinity);
    assert.equal(parseBandwidth('25Gbit/s'), 3.125e9);
    throwsMessage(() => parseBandwidth('fast'), 'must be a bandwidth such as 10Gbit/s, 128MiB/s or unlimited');
    throwsMessage(() => parseBandwidth('-1Gbit/s'), 'must be >= 0');
  });
});

describe('parseRate', () => {
  it('tags event rates and byte rates', () => {
    assert.deepEqual(parseRate('40000/s'), { perSec: 40000, unit: 'count' });
    assert.deepEqual(parseRate('0.5 /s'), { perSec: 0.5, unit: 'count' });
    assert.deepEqual(parseRate('160MiB/s'), { perSec: 160 * MiB, unit: 'bytes' });
    assert.deepEqual(parseRate('1Gbit/s'), { perSec: 1.25e8, unit: 'bytes' });
    assert.deepEqual(parseRate(0), { perSec: 0, unit: 'count' });
  });

  it('rejects bare numbers, negatives and other denominators', () => {
    throwsMessage(() => parseRate(40000), 'needs a unit, e.g. 40000/s');
    throwsMessage(() => parseRate('-5/s'), 'must be >= 0');
    throwsMessage(() => parseRate('5/min'), 'has an unknown unit /min (rates take /s or a byte rate such as MiB/s)');
    throwsMessage(() => parseRate('often'), 'must be a rate such as 40000/s or 160MiB/s');
  });
});

describe('parsePercent', () => {
  it('reads bare numbers and N%', () => {
    assert.equal(parsePercent(20), 20);
    assert.equal(parsePercent(0), 0);
    assert.equal(parsePercent(100), 100);
    assert.equal(parsePercent('12.5%'), 12.5);
  });

  it('rejects values outside 0..100', () => {
    throwsMessage(() => parsePercent(101), 'must be a percentage from 0 to 100');
    throwsMessage(() => parsePercent(-1), 'must be a percentage from 0 to 100');
    throwsMessage(() => parsePercent('half'), 'must be a percentage from 0 to 100');
  });
});

describe('parseSizeOrMultiple', () => {
  it('reads Nx as a multiple of memory, and sizes as sizes', () => {
    assert.equal(parseSizeOrMultiple('3x', 4 * GiB), 12 * GiB);
    assert.equal(parseSizeOrMultiple('2.5x', 4 * GiB), 10 * GiB);
    assert.equal(parseSizeOrMultiple('48GiB', 4 * GiB), 48 * GiB);
  });

  it('rejects bare numbers and nonsense', () => {
    throwsMessage(() => parseSizeOrMultiple(3, GiB), 'needs a unit, e.g. 48GiB or 3x (times memory)');
    throwsMessage(() => parseSizeOrMultiple('x', GiB), 'must be a size such as 48GiB or a multiple of memory such as 3x');
    throwsMessage(() => parseSizeOrMultiple('-2x', GiB), 'must be >= 0');
  });
});

describe('parseInteger and parseNumber', () => {
  it('accept YAML numbers within bounds', () => {
    assert.equal(parseInteger(10, { min: 0, max: 20 }), 10);
    assert.equal(parseNumber(0.99, { min: 0 }), 0.99);
  });

  it('name their bounds', () => {
    throwsMessage(() => parseInteger(10.5), 'must be an integer');
    throwsMessage(() => parseInteger('10'), 'must be an integer');
    throwsMessage(() => parseInteger(21, { min: 0, max: 20 }), 'must be between 0 and 20');
    throwsMessage(() => parseInteger(0, { min: 1 }), 'must be >= 1');
    throwsMessage(() => parseInteger(11, { min: 0, max: 10, maxName: 'guest.maxOrder' }), 'must be between 0 and guest.maxOrder (10)');
    throwsMessage(() => parseNumber(Infinity), 'must be a number');
    throwsMessage(() => parseNumber(1.5, { min: 0, max: 1 }), 'must be between 0 and 1');
  });
});

describe('formatBytes', () => {
  it('uses the largest binary unit, with one decimal when not whole', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(4096), '4 KiB');
    assert.equal(formatBytes(Math.round(105.7 * MiB)), '105.7 MiB');
    assert.equal(formatBytes(1.5 * GiB), '1.5 GiB');
    assert.equal(formatBytes(2 * TiB), '2 TiB');
    assert.equal(formatBytes(-4096), '-4 KiB');
    assert.equal(formatBytes(Infinity), 'unlimited');
  });

  it('carries a rounding that reaches 1024 into the next unit', () => {
    assert.equal(formatBytes(MiB - 1), '1 MiB');
  });
});

describe('formatDuration', () => {
  it('uses the largest unit that keeps the value >= 1, three significant digits', () => {
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(0.3), '300 ms');
    assert.equal(formatDuration(1.25), '1.25 s');
    assert.equal(formatDuration(0.012345), '12.3 ms');
    assert.equal(formatDuration(2e-6), '2 us');
    assert.equal(formatDuration(5e-9), '5 ns');
    assert.equal(formatDuration(90), '1.5 min');
    assert.equal(formatDuration(5400), '1.5 h');
    assert.equal(formatDuration(Infinity), 'unlimited');
  });

  it('carries a rounding that reaches the next unit', () => {
    assert.equal(formatDuration(0.99971), '1 s');
    assert.equal(formatDuration(59.999), '1 min');
  });
});

describe('hostile values', () => {
  /** Milliseconds `fn` takes. */
  function timed(fn: () => void): number {
    const start = performance.now();
    fn();
    return performance.now() - start;
  }

  it('refuses a value longer than MAX_SCALAR_CHARS before any pattern runs (a 1 with 100000 zeros took 43 s)', () => {
    const huge = `1${'0'.repeat(100_000)}`;
    for (const parse of [parseSize, parseDuration, parseByteRate, parseRate, parseSecPerGiB, parseBandwidth, parsePercent]) {
      const ms = timed(() => throwsMessage(() => parse(huge), 'is too long for a value (100001 characters, at most 100)'));
      assert.ok(ms < 50, `${parse.name} took ${ms} ms`);
    }
    const ms = timed(() => throwsMessage(() => parseSizeOrMultiple(`${'0'.repeat(60_000)}x`, GiB), 'is too long for a value (60001 characters, at most 100)'));
    assert.ok(ms < 50, `parseSizeOrMultiple took ${ms} ms`);
  });

  it('the patterns are linear: 100 characters of digits then a wrong one parse in microseconds, many times over', () => {
    const nearCap = [`1${'0'.repeat(98)}y`, `${'0'.repeat(98)}.y`, ` ${' '.repeat(97)}/y`, `1${'.'.repeat(98)}`];
    const ms = timed(() => {
      for (let i = 0; i < 100; i++) for (const text of nearCap) for (const parse of [parseSize, parseDuration, parseSecPerGiB, parsePercent]) assert.throws(() => parse(text));
    });
    assert.ok(ms < 2000, `${ms} ms`);
  });

  it('a number beyond a double or a duration beyond 1e9 s is refused, not Infinity', () => {
    throwsMessage(() => parseDuration(`${'9'.repeat(99)}s`), 'must be at most 1000000000 s (31 years)');
    throwsMessage(() => parseDuration('87600000h'), 'must be at most 1000000000 s (31 years)');
    assert.equal(parseDuration('87600h'), 87600 * 3600);
    throwsMessage(() => parseSizeOrMultiple(`${'9'.repeat(99)}x`, GiB), 'is too large (at most 8 PiB)');
  });

  it('the linear patterns accept exactly what the old ones did (fast-check against the old regular expressions)', () => {
    const OLD_BARE = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;
    const OLD_ZERO = (v: string) => /^\s*[+-]?0*\.?0*\s*$/.test(v) && /\d/.test(v);
    const OLD_PERCENT = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*%\s*$/;
    fc.assert(
      fc.property(fc.stringOf(fc.constantFrom('0', '1', '9', '.', ' ', '+', '-', '%', 'x', 'B'), { maxLength: 12 }), (text) => {
        const outcome = (fn: () => unknown): string => {
          try {
            return `ok ${String(fn())}`;
          } catch (error) {
            return (error as Error).message;
          }
        };
        // The reference: what the old patterns decided, through the same parsers.
        const bare = OLD_BARE.test(text);
        const zero = OLD_ZERO(text);
        const size = outcome(() => parseSize(text));
        if (zero) assert.equal(size, 'ok 0');
        else if (bare) assert.equal(size, 'needs a unit, e.g. 4KiB');
        else assert.notEqual(size, 'needs a unit, e.g. 4KiB', JSON.stringify(text));
        const pct = outcome(() => parsePercent(text));
        if (OLD_PERCENT.test(text)) {
          const value = Number(text.trim().replace(/\s*%$/, ''));
          assert.equal(pct, value >= 0 && value <= 100 ? `ok ${value}` : 'must be a percentage from 0 to 100');
        } else assert.equal(pct, 'must be a percentage from 0 to 100');
      }),
      { numRuns: 3000 },
    );
  });
});
