import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { FeistelPermutation, ZipfSampler } from '../../src/core/zipf.js';

/** Draws `sampleCount` ranks and compares the frequencies with the exact pmf. */
function assertMatchesPmf(n: number, exponent: number, sampleCount: number, seed: number): void {
  const sampler = new ZipfSampler(n, exponent);
  const rng = new Rng(seed, `zipf:${n}:${exponent}`);
  const counts = new Float64Array(n + 1);
  for (let i = 0; i < sampleCount; i++) {
    const rank = sampler.sample(rng);
    assert.ok(Number.isInteger(rank) && rank >= 1 && rank <= n, `rank ${rank} outside [1, ${n}]`);
    counts[rank]++;
  }
  let normalizer = 0;
  for (let k = 1; k <= n; k++) {
    normalizer += k ** -exponent;
  }
  let totalVariation = 0;
  for (let k = 1; k <= n; k++) {
    const expected = (sampleCount * k ** -exponent) / normalizer;
    const deviation = Math.abs(counts[k] - expected);
    totalVariation += deviation / sampleCount / 2;
    // within a few % where counts are large; within 5 standard deviations (+2 for ranks
    // expected well below one sample) everywhere
    assert.ok(deviation <= Math.max(0.03 * expected, 5 * Math.sqrt(expected) + 2),
      `n=${n} s=${exponent} rank ${k}: ${counts[k]} samples, expected ${expected.toFixed(1)}`);
  }
  assert.ok(totalVariation < 0.01, `total variation distance ${totalVariation}`);
}

test('zipf n=100 s=0.99: frequencies over 1e6 samples match the exact pmf', () => {
  assertMatchesPmf(100, 0.99, 1_000_000, 1);
});

test('zipf with exponent exactly 1 matches the harmonic pmf', () => {
  assertMatchesPmf(50, 1, 500_000, 2);
});

test('zipf with exponent 0 and near 0 is uniform', () => {
  assertMatchesPmf(20, 0, 200_000, 3);
  assertMatchesPmf(20, 1e-12, 200_000, 4);
});

test('zipf with a steep exponent and n = 1 behaves', () => {
  assertMatchesPmf(1000, 2.5, 300_000, 5);
  const single = new ZipfSampler(1, 0.8);
  const rng = new Rng(6, 'single');
  for (let i = 0; i < 100; i++) {
    assert.equal(single.sample(rng), 1);
  }
});

test('zipf over 2^28 ranks needs no table and stays in range', () => {
  const n = 2 ** 28;
  const sampler = new ZipfSampler(n, 0.99);
  const rng = new Rng(7, 'huge');
  let rankOne = 0;
  for (let i = 0; i < 100_000; i++) {
    const rank = sampler.sample(rng);
    assert.ok(rank >= 1 && rank <= n);
    if (rank === 1) {
      rankOne++;
    }
  }
  // P(1) = 1 / H(2^28, 0.99) ≈ 0.049
  assert.ok(rankOne > 4000 && rankOne < 6000, `rank 1 drawn ${rankOne} times`);
});

test('zipf sampling is deterministic for a seed', () => {
  const sampler = new ZipfSampler(1000, 1.1);
  const a = new Rng(8, 'w'), b = new Rng(8, 'w');
  for (let i = 0; i < 1000; i++) {
    assert.equal(sampler.sample(a), sampler.sample(b));
  }
});

test('zipf rejects bad parameters with the value in the message', () => {
  assert.throws(() => new ZipfSampler(0, 1), /got 0/);
  assert.throws(() => new ZipfSampler(10.5, 1), /got 10\.5/);
  assert.throws(() => new ZipfSampler(10, -0.5), /got -0\.5/);
  assert.throws(() => new ZipfSampler(10, Number.POSITIVE_INFINITY), RangeError);
});

test('FeistelPermutation is a bijection on [0, n) for several n', () => {
  for (const n of [1, 2, 3, 4, 5, 16, 17, 1000, 4096, 4097, 65537]) {
    for (const seed of [0, 1, 99]) {
      const permutation = new FeistelPermutation(n, seed);
      const hit = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const image = permutation.map(i);
        assert.ok(Number.isInteger(image) && image >= 0 && image < n, `n=${n}: map(${i}) = ${image}`);
        assert.equal(hit[image], 0, `n=${n} seed=${seed}: ${image} hit twice`);
        hit[image] = 1;
      }
    }
  }
});

test('FeistelPermutation depends on its seed and scrambles the order', () => {
  const n = 4097;
  const a = new FeistelPermutation(n, 1), b = new FeistelPermutation(n, 2);
  const fromRng = new FeistelPermutation(n, new Rng(1, 'feistel'));
  let differing = 0, fixedPoints = 0;
  for (let i = 0; i < n; i++) {
    assert.equal(fromRng.map(i), a.map(i));
    if (a.map(i) !== b.map(i)) {
      differing++;
    }
    if (a.map(i) === i) {
      fixedPoints++;
    }
  }
  assert.ok(differing > n * 0.9, `${differing} of ${n} images differ between seeds`);
  assert.ok(fixedPoints < 20, `${fixedPoints} fixed points`);
});

test('FeistelPermutation handles domains up to 2^32', () => {
  const permutation = new FeistelPermutation(2 ** 32, 5);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const image = permutation.map(2 ** 32 - 1 - i);
    assert.ok(image >= 0 && image < 2 ** 32);
    seen.add(image);
  }
  assert.equal(seen.size, 1000);
  assert.throws(() => new FeistelPermutation(-1, 0), /got -1/);
});
