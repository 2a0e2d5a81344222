/**
 * Fuzzing the workload parser and the units parser with fast-check: whatever the input,
 * the result is a valid value or a clean, one-line input error (WorkloadError/UsageError,
 * exit 2; for units, a plain Error with a message that the parser wraps), never a crash
 * (TypeError, SyntaxError, RangeError, stack overflow) or an invalid workload.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';
import { stringify } from 'yaml';

import { MigsimError } from '../../src/core/errors.js';
import type { Workload } from '../../src/core/types.js';
import { completeWorkload } from '../../src/workload/complete-workload.js';
import { parseWorkload } from '../../src/workload/parse-workload.js';
import { parseBandwidth, parseByteRate, parseDuration, parsePercent, parseRate, parseSize } from '../../src/workload/units.js';

const RUNS = 300;

function assertCleanInputError(error: unknown): void {
  assert.ok(error instanceof MigsimError, `not a MigsimError: ${String((error as Error)?.stack ?? error)}`);
  assert.equal(error.exitCode, 2);
  assert.ok(error.code === 'workload.invalid' || error.code === 'usage.bad-option', error.code);
  assert.ok(error.message.length > 0 && !error.message.includes('\n    at '), error.message);
}

function assertValidWorkload(workload: Workload): void {
  const guest = workload.guest;
  assert.ok(Number.isSafeInteger(guest.memoryBytes) && guest.memoryBytes > 0);
  assert.ok(guest.memoryBytes % guest.pageSizeBytes === 0);
  assert.ok(guest.initial.usedBytes >= 0 && guest.initial.usedBytes <= guest.memoryBytes);
  assert.ok(guest.initial.freeDirtyBytes >= 0 && guest.initial.usedBytes + guest.initial.freeDirtyBytes <= guest.memoryBytes);
  assert.ok(workload.phases.length >= 1);
  for (const phase of workload.phases) {
    for (const write of phase.writes) assert.ok(Number.isFinite(write.ratePagesPerSec) && write.ratePagesPerSec >= 0);
    for (const churn of phase.churn) assert.ok(Number.isFinite(churn.rateBlocksPerSec) && churn.rateBlocksPerSec >= 0);
  }
  assert.ok(Number.isFinite(workload.migration.startSec) && workload.migration.startSec >= 0);
  assert.equal(new Set(workload.hints.map((hint) => hint.label)).size, workload.hints.length, 'labels unique');
}

function parseOrClean(text: string, sets: string[] = []): void {
  let workload: Workload;
  try {
    workload = completeWorkload(parseWorkload(text, 'fuzz.yaml', { sets }), 'fuzz.yaml');
  } catch (error) {
    assertCleanInputError(error);
    return;
  }
  assertValidWorkload(workload);
}

/** Values of every shape a YAML field can hold, biased towards almost-right ones. */
const anyValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom('64MiB', '4KiB', '1s', '100/s', '10Gbit/s', '0', '-1MiB', '1EiB', '1PiB', '1e309GiB', '0.5B', 'NaN', 'unlimited', '50%', '', ' ', '~', '2x'),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
  );

const SIZE = fc.oneof(fc.constantFrom('64MiB', '16MiB', '32MiB', '4MiB', '0', '2MiB', '1GiB'), anyValue());

const workloadDoc = fc.record(
  {
    name: fc.oneof(fc.string({ maxLength: 10 }), anyValue()),
    seed: fc.oneof(fc.nat(), anyValue()),
    guest: fc.record(
      {
        memory: SIZE,
        pageSize: fc.oneof(fc.constantFrom('4KiB', '2MiB', '8KiB'), anyValue()),
        maxOrder: fc.oneof(fc.integer({ min: -1, max: 12 }), anyValue()),
        vcpus: fc.oneof(fc.integer({ min: -1, max: 8 }), anyValue()),
        initial: fc.record({ used: SIZE, freeDirty: SIZE, fragmentation: fc.oneof(fc.double({ min: -1, max: 2 }), anyValue()) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    phases: fc.oneof(
      fc.array(
        fc.record(
          {
            duration: fc.oneof(fc.constantFrom('1s', '0', '-1s'), anyValue()),
            writes: fc.array(fc.record({ rate: fc.oneof(fc.constantFrom('100/s', '1MiB/s', '0/s'), anyValue()), workingSet: SIZE, pattern: fc.oneof(fc.constantFrom('uniform', 'zipf', 'sequential'), anyValue()) }, { requiredKeys: [] }), { maxLength: 2 }),
            churn: fc.array(fc.record({ rate: fc.oneof(fc.constant('10/s'), anyValue()), order: fc.oneof(fc.integer({ min: -1, max: 11 }), anyValue()), lifetime: fc.oneof(fc.constant('1s'), anyValue()) }, { requiredKeys: [] }), { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      anyValue(),
    ),
    migration: fc.record({ start: fc.oneof(fc.constant('1s'), anyValue()), bandwidth: fc.oneof(fc.constant('1Gbit/s'), anyValue()), preset: fc.oneof(fc.constantFrom('qemu', 'xen', 'pass'), anyValue()) }, { requiredKeys: [] }),
    hints: fc.oneof(fc.array(fc.oneof(fc.constantFrom('free-page-hint', 'per-page', 'page-reporting', 'nope'), anyValue()), { maxLength: 3 }), anyValue()),
    [`x${'y'}`]: anyValue(),
  },
  { requiredKeys: [] },
);

describe('fuzzing parseWorkload', () => {
  it('arbitrary text: a workload or a clean WorkloadError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => parseOrClean(text)), { numRuns: RUNS });
  });

  it('YAML-ish text (mappings, flow syntax, anchors, tags): a workload or a clean WorkloadError', () => {
    const token = fc.constantFrom('guest:', '  memory: 64MiB', '  initial: {used: 16MiB}', 'phases:', '  - writes: [{rate: 10/s, workingSet: 2MiB}]', '&a', '*a', '!!binary', '[', ']', '{', '}', ': ', '- ', '\n', '  ', '"', "'", '#', '<<: *a', '---', '...', '%YAML 1.2', '0x10', '.nan');
    fc.assert(fc.property(fc.array(token, { maxLength: 30 }), (tokens) => parseOrClean(tokens.join(''))), { numRuns: RUNS });
  });

  it('structured documents with wrong types and bad values: a valid workload or a clean WorkloadError', () => {
    fc.assert(fc.property(workloadDoc, (doc) => parseOrClean(stringify(doc))), { numRuns: RUNS });
  });

  it('--set overrides of any key and value: a valid workload or a clean error', () => {
    const base = 'guest: {memory: 64MiB, initial: {used: 16MiB}}\nphases: [{writes: [{rate: 10/s, workingSet: 2MiB}]}]\nmigration: {start: 1s}\n';
    const key = fc.oneof(fc.constantFrom('guest.memory', 'guest.initial.used', 'migration.bandwidth', 'phases[0].writes[0].rate', 'phases[9].x', 'hints', 'a..b', '.', '__proto__.x', 'constructor.prototype.x'), fc.string({ maxLength: 12 }));
    const value = fc.oneof(fc.constantFrom('64MiB', '-1', '{', '[1,2', 'null', '1EiB', '1TiB'), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 3 }), (pairs) => {
        parseOrClean(base, pairs.map(([k, v]) => `${k}=${v}`));
        assert.equal(({} as Record<string, unknown>).x, undefined, 'no prototype pollution');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzzing the units parser', () => {
  const parsers = { parseSize, parseDuration, parseByteRate, parseBandwidth, parsePercent, parseRate: (v: unknown) => parseRate(v).perSec };
  const input = fc.oneof(
    fc.string({ maxLength: 16 }),
    fc.tuple(fc.oneof(fc.double(), fc.integer(), fc.constantFrom('1e400', '-0', '1.', '.5', '00', '1_000', '0x1f', '١')), fc.constantFrom('', 'B', 'KiB', 'GiB', 'TiB', 'EiB', 'PiB', 's', 'ms', '/s', 'bit/s', 'Gbit/s', '%', 'x', ' GiB', 'kb')).map(([n, u]) => `${n}${u}`),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(fc.integer(), { maxLength: 2 }),
  );
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name}: a finite number >= 0 or an Error with a message, never an engine error`, () => {
      fc.assert(
        fc.property(input, (value) => {
          let result: number;
          try {
            result = parse(value);
          } catch (error) {
            assert.ok(error instanceof Error, String(error));
            assert.equal(error.constructor, Error, `${error.name}: ${error.message} for ${JSON.stringify(value)}`);
            assert.ok(error.message.length > 0);
            return;
          }
          assert.ok(Number.isFinite(result) || result === Infinity, `${result} for ${JSON.stringify(value)}`);
          assert.ok(result >= 0, `${result} for ${JSON.stringify(value)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
