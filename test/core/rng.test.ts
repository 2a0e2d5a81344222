import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';

function draws(rng: Rng, count: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    values.push(rng.nextUint32());
  }
  return values;
}

test('xoshiro128** core matches the reference output for state {1, 2, 3, 4}', () => {
  const rng = Rng.fromState(1, 2, 3, 4);
  assert.deepEqual(draws(rng, 6), [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('the first values of seeded streams are pinned (changing them changes every result)', () => {
  assert.deepEqual(draws(new Rng(42, 'layout'), 5), [3944229691, 3414395949, 1696308853, 3371644510, 1488456980]);
  assert.deepEqual(draws(new Rng(0, 'writer:0:1'), 3), [4225890469, 2911807007, 2210974441]);
  const rng = new Rng(42, 'layout');
  assert.equal(rng.nextDouble(), 0.9183375373108387);
  assert.equal(rng.nextInt(1000), 394);
  assert.equal(rng.nextExponential(2), 2.1194078968514494);
});

test('the same seed and stream name give the identical sequence', () => {
  assert.deepEqual(draws(new Rng(12345, 'churn:1:0'), 1000), draws(new Rng(12345, 'churn:1:0'), 1000));
});

test('different stream names or seeds give different sequences', () => {
  const base = draws(new Rng(7, 'writer:0:0'), 16);
  assert.notDeepEqual(draws(new Rng(7, 'writer:0:1'), 16), base);
  assert.notDeepEqual(draws(new Rng(7, 'writer:1:0'), 16), base);
  assert.notDeepEqual(draws(new Rng(8, 'writer:0:0'), 16), base);
  assert.notDeepEqual(draws(new Rng(7 + 2 ** 32, 'writer:0:0'), 16), base);
  assert.notDeepEqual(draws(new Rng(-7, 'writer:0:0'), 16), base);
});

test('streams of neighbouring names are uncorrelated in their first draws', () => {
  const firsts = new Set<number>();
  for (let writer = 0; writer < 1000; writer++) {
    firsts.add(new Rng(1, `writer:${writer}:0`).nextUint32());
  }
  assert.equal(firsts.size, 1000);
});

test('nextUint32 returns unsigned 32-bit integers with balanced bits', () => {
  const rng = new Rng(3, 'bits');
  const ones = new Array<number>(32).fill(0);
  const drawCount = 20000;
  for (let i = 0; i < drawCount; i++) {
    const value = rng.nextUint32();
    assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32);
    for (let bit = 0; bit < 32; bit++) {
      ones[bit] += (value >>> bit) & 1;
    }
  }
  for (let bit = 0; bit < 32; bit++) {
    assert.ok(Math.abs(ones[bit] / drawCount - 0.5) < 0.02, `bit ${bit} set in ${ones[bit]} of ${drawCount}`);
  }
});

test('nextDouble lies in [0, 1) and nextDoubleOpenZero in (0, 1], both with mean 1/2', () => {
  const rng = new Rng(5, 'doubles');
  let sum = 0, sumOpen = 0;
  const drawCount = 100000;
  for (let i = 0; i < drawCount; i++) {
    const x = rng.nextDouble();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    const y = rng.nextDoubleOpenZero();
    assert.ok(y > 0 && y <= 1);
    sumOpen += y;
  }
  assert.ok(Math.abs(sum / drawCount - 0.5) < 0.005);
  assert.ok(Math.abs(sumOpen / drawCount - 0.5) < 0.005);
});

test('nextInt covers [0, n) uniformly, including n = 1 and n = 2^31', () => {
  const rng = new Rng(9, 'ints');
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 100000; i++) {
    counts[rng.nextInt(10)]++;
  }
  for (const count of counts) {
    assert.ok(Math.abs(count - 10000) < 500, `bucket count ${count}`);
  }
  for (let i = 0; i < 100; i++) {
    assert.equal(rng.nextInt(1), 0);
    const big = rng.nextInt(2 ** 31);
    assert.ok(Number.isInteger(big) && big >= 0 && big < 2 ** 31);
  }
});

test('nextExponential has the requested mean and is always positive and finite', () => {
  const rng = new Rng(11, 'lifetimes');
  let sum = 0;
  const drawCount = 200000;
  for (let i = 0; i < drawCount; i++) {
    const x = rng.nextExponential(3);
    assert.ok(x > 0 && Number.isFinite(x));
    sum += x;
  }
  assert.ok(Math.abs(sum / drawCount - 3) < 0.05);
});

test('shuffleInt32 permutes exactly the requested range and leaves the rest alone', () => {
  const rng = new Rng(13, 'shuffle');
  const array = Int32Array.from({ length: 100 }, (_, i) => i);
  rng.shuffleInt32(array, 10, 90);
  for (let i = 0; i < 10; i++) {
    assert.equal(array[i], i);
    assert.equal(array[99 - i], 99 - i);
  }
  const middle = Array.from(array.subarray(10, 90)).sort((a, b) => a - b);
  assert.deepEqual(middle, Array.from({ length: 80 }, (_, i) => i + 10));
  assert.notDeepEqual(Array.from(array.subarray(10, 90)), Array.from({ length: 80 }, (_, i) => i + 10));
});

test('shuffleInt32 makes every permutation of 3 elements about equally likely', () => {
  const rng = new Rng(17, 'shuffle3');
  const counts = new Map<string, number>();
  const array = new Int32Array(3);
  for (let i = 0; i < 60000; i++) {
    array.set([0, 1, 2]);
    rng.shuffleInt32(array, 0, 3);
    const key = array.join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  for (const count of counts.values()) {
    assert.ok(Math.abs(count - 10000) < 500, `permutation count ${count}`);
  }
});

test('bad seeds and shuffle ranges are rejected with the value in the message', () => {
  assert.throws(() => new Rng(1.5, 'x'), /got 1\.5/);
  assert.throws(() => new Rng(Number.NaN, 'x'), RangeError);
  assert.throws(() => Rng.fromState(0, 0, 0, 0), RangeError);
  assert.throws(() => new Rng(1, 'x').shuffleInt32(new Int32Array(4), 2, 5), /\[2, 5\)/);
});

test('fillInts gives the nextInt sequence, and the stream goes on from where it left off', () => {
  for (const n of [1, 7, 512, 16_777_216, 2 ** 31]) {
    const one = new Rng(42, `fill:${n}`);
    const batch = new Rng(42, `fill:${n}`);
    const out = new Int32Array(300);
    for (const count of [0, 1, 256, 300, 37]) {
      batch.fillInts(n, out, count);
      for (let i = 0; i < count; i++) assert.equal(out[i], one.nextInt(n), `n ${n}, count ${count}, draw ${i}`);
      // The state is stored back: the next single draws agree too.
      assert.equal(batch.nextDouble(), one.nextDouble());
    }
  }
});
