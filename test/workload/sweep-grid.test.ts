import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSize } from '../../src/workload/units.js';
import { gridPoint, gridSize, parseAxisValues, parseShard, parseVaryOptions, shardIndices } from '../../src/workload/sweep-grid.js';

describe('sweep grid', () => {
  it('a range with a unit is geometric, endpoints as written, interior at 4 significant digits', () => {
    assert.deepEqual(parseAxisValues('1Gbit/s..100Gbit/s:3'), ['1Gbit/s', '10Gbit/s', '100Gbit/s']);
    assert.deepEqual(parseAxisValues('1Gbit/s..1000Gbit/s:4'), ['1Gbit/s', '10Gbit/s', '100Gbit/s', '1000Gbit/s']);
    assert.deepEqual(parseAxisValues('1Gbit/s..100Gbit/s:8')[1], '1.931Gbit/s');
  });

  it('geometric size points stay whole bytes', () => {
    for (const value of parseAxisValues('1GiB..1TiB:7')) assert.ok(Number.isInteger(parseSize(value)), value);
    assert.deepEqual(parseAxisValues('1GiB..16GiB:3'), ['1GiB', '4GiB', '16GiB']);
    // Binary sizes keep a power-of-two granule (at most 1/256 of the value): whole 4 MiB
    // maxOrder blocks for guest.memory from 1 GiB up (1 GiB x 1024^0.25 = 5793.4 MiB).
    assert.deepEqual(parseAxisValues('1GiB..1TiB:5'), ['1GiB', '5792MiB', '32GiB', '181GiB', '1TiB']);
    for (const value of parseAxisValues('1GiB..1TiB:9')) assert.equal(parseSize(value) % (4 * 2 ** 20), 0, value);
  });

  it('bare numbers and percentages are linear; integer ends give integers', () => {
    assert.deepEqual(parseAxisValues('1..8:8'), ['1', '2', '3', '4', '5', '6', '7', '8']);
    assert.deepEqual(parseAxisValues('0..10:3'), ['0', '5', '10']);
    assert.deepEqual(parseAxisValues('10%..50%:3'), ['10%', '30%', '50%']);
  });

  it('lists keep their order; bad specs throw with the value', () => {
    assert.deepEqual(parseAxisValues('a,b,c'), ['a', 'b', 'c']);
    assert.throws(() => parseAxisValues('1GiB..1Gbit/s:3'), /units of one kind/);
    assert.throws(() => parseAxisValues('0GiB..1TiB:3'), /endpoints > 0/);
    assert.throws(() => parseAxisValues('1..2:0'), /n >= 1/);
  });

  it('hints= names the runs and is not an axis', () => {
    const spec = parseVaryOptions(['migration.bandwidth=1Gbit/s,2Gbit/s', 'hints=none,free-page-hint', 'seed=1..3:3']);
    assert.deepEqual(spec.hints, ['none', 'free-page-hint']);
    assert.equal(gridSize(spec.axes), 6);
    assert.deepEqual(gridPoint(spec.axes, 0).values, ['1Gbit/s', '1']);
    assert.deepEqual(gridPoint(spec.axes, 1).values, ['1Gbit/s', '2']);
    assert.deepEqual(gridPoint(spec.axes, 5).values, ['2Gbit/s', '3']);
  });

  it('shard slices are disjoint and cover the grid, for every n', () => {
    for (const size of [1, 7, 12, 100]) {
      for (let count = 1; count <= 9; count++) {
        const seen = new Array<number>(size).fill(0);
        for (let index = 1; index <= count; index++) {
          for (const point of shardIndices(size, { index, count })) {
            assert.equal(point % count, index - 1);
            seen[point]++;
          }
        }
        assert.deepEqual(seen, new Array<number>(size).fill(1), `size ${size} n ${count}`);
      }
    }
    assert.deepEqual(shardIndices(5, null), [0, 1, 2, 3, 4]);
  });

  it('--shard takes i/n with 1 <= i <= n', () => {
    assert.deepEqual(parseShard('3/8'), { index: 3, count: 8 });
    assert.throws(() => parseShard('0/8'), /got 0\/8/);
    assert.throws(() => parseShard('9/8'), /got 9\/8/);
    assert.throws(() => parseShard('x'), /got x/);
  });
});

describe('sweep grid size before expansion', () => {
  it('counts a range without building it: 10^9 points are refused at once (this took 56 s and 4.8 GB, or a SIGSEGV)', () => {
    const start = performance.now();
    assert.throws(
      () => parseVaryOptions(['migration.bandwidth=1Gbit/s..100Gbit/s:1000000000']),
      (error: unknown) => error instanceof Error && error.message === '--vary migration.bandwidth=1Gbit/s..100Gbit/s:1000000000 gives 1000000000 points (at most 1000000 in a grid)',
    );
    assert.throws(() => parseVaryOptions(['seed=0..1000000000:1000000000']), /gives 1000000000 points \(at most 1000000 in a grid\)$/);
    assert.ok(performance.now() - start < 100);
  });

  it('counts the product before building any axis: 2000 x 2000 points are refused without expanding either', () => {
    const start = performance.now();
    assert.throws(() => parseVaryOptions(['seed=1..2000:2000', 'migration.bandwidth=1Gbit/s..2Gbit/s:2000']), /^Error|--vary gives 4000000 points or more \(at most 1000000 in a grid\)$/);
    assert.throws(() => parseVaryOptions(['seed=1..999999:999999', 'guest.vcpus=1..999999:999999', 'migration.start=1s..2s:999999']), /--vary gives 999998000001 points or more/);
    assert.ok(performance.now() - start < 100);
  });

  it('a range of the largest size allowed still builds, and lists are counted by their commas', () => {
    assert.equal(parseVaryOptions(['seed=1..1000:1000', 'guest.vcpus=1..1000:1000']).axes.length, 2);
    assert.throws(() => parseVaryOptions(['seed=1..1001:1001', 'guest.vcpus=1..1000:1000']), /1001000 points or more/);
  });

  it('a long run of dots is split in linear time', () => {
    const start = performance.now();
    assert.equal(parseVaryOptions([`seed=1${'.'.repeat(200_000)}`]).axes[0].values.length, 1);
    assert.throws(() => parseVaryOptions([`seed=1${'..'.repeat(100_000)}:2`]));
    assert.ok(performance.now() - start < 200, `${performance.now() - start} ms`);
  });
});

describe('ranges whose ends mix units of one kind', () => {
  it('bandwidths: 64MiB/s..1GiB/s:6 is geometric in MiB/s (it failed: "needs the same unit at both ends")', () => {
    assert.deepEqual(parseAxisValues('64MiB/s..1GiB/s:6'), ['64MiB/s', '111.4MiB/s', '194MiB/s', '337.8MiB/s', '588.1MiB/s', '1GiB/s']);
    assert.deepEqual(parseAxisValues('1Gbit/s..400MiB/s:3'), ['1Gbit/s', '1.832Gbit/s', '400MiB/s']);
  });

  it('durations: 500us..2s:3', () => {
    assert.deepEqual(parseAxisValues('500us..2s:3'), ['500us', '31620us', '2s']);
  });

  it('different kinds are refused, naming both units', () => {
    assert.throws(() => parseAxisValues('1GiB..1s:3'), /needs units of one kind at both ends, sizes, rates or durations \(got GiB and s\)/);
  });
});
