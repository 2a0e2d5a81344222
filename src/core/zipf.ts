/**
 * Table-free sampling for write patterns over working sets of up to 2^28+ pages:
 * ZipfSampler draws ranks 1..n with P(k) ∝ k^-exponent by rejection-inversion
 * (Hörmann & Derflinger 1996, as Apache Commons RNG's RejectionInversionZipfSampler),
 * O(1) memory and expected O(1) time for any n; FeistelPermutation is a seeded bijection
 * on [0, n) that turns ranks into pages (the "seeded permutation of the working set",
 * docs/model.md §1.4) without an n-entry table. Neither allocates per draw.
 */

import { Rng } from './rng.js';

/** Below this |x| the helper functions switch to their Taylor series (no cancellation). */
const HELPER_TAYLOR_THRESHOLD = 1e-8;

/** log1p(x) / x, accurate near 0 (→ 1 at x = 0). */
function log1pOverX(x: number): number {
  if (Math.abs(x) > HELPER_TAYLOR_THRESHOLD) {
    return Math.log1p(x) / x;
  }
  return 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x) / x, accurate near 0 (→ 1 at x = 0). */
function expm1OverX(x: number): number {
  if (Math.abs(x) > HELPER_TAYLOR_THRESHOLD) {
    return Math.expm1(x) / x;
  }
  return 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/**
 * Zipf ranks 1..n (inclusive) with P(k) = k^-exponent / H(n, exponent).
 *
 * Rejection-inversion: with h(x) = x^-exponent and H its antiderivative, draw u uniform
 * in (H(1.5) − 1, H(n + 0.5)], invert to x = H⁻¹(u), round to k; accept when k − x ≤ s
 * (a precomputed squeeze) or u ≥ H(k + 0.5) − h(k). The helpers written with log1p/expm1
 * make exponent = 1 (H = log) and exponent → 0 (uniform) exact limits, not special cases.
 */
export class ZipfSampler {
  /** Number of ranks. */
  readonly n: number;
  readonly exponent: number;
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly squeeze: number;

  /**
   * @param n number of ranks, an integer in [1, 2^31).
   * @param exponent the skew s ≥ 0 (0 = uniform).
   * @throws RangeError for a bad n or exponent.
   */
  constructor(n: number, exponent: number) {
    if (!(Number.isInteger(n) && n >= 1 && n < 2147483648)) {
      throw new RangeError(`zipf n must be an integer in [1, 2^31) (got ${n})`);
    }
    if (!(Number.isFinite(exponent) && exponent >= 0)) {
      throw new RangeError(`zipf exponent must be finite and >= 0 (got ${exponent})`);
    }
    this.n = n;
    this.exponent = exponent;
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** One rank in [1, n] (inclusive); consumes 53-bit doubles from `rng` (usually one). */
  sample(rng: Rng): number {
    const n = this.n, hIntegralN = this.hIntegralN, span = this.hIntegralX1 - hIntegralN;
    for (;;) {
      // u is uniform in (hIntegralX1, hIntegralN]
      const u = hIntegralN + rng.nextDouble() * span;
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      // rounding can push x just outside [1, n]
      if (k < 1) {
        k = 1;
      } else if (k > n) {
        k = n;
      }
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) {
        return k;
      }
    }
  }

  /** H(x) = (x^(1−s) − 1) / (1 − s), or log x at s = 1. */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.exponent) * logX) * logX;
  }

  /** h(x) = x^−s. */
  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  /** H⁻¹(y). */
  private hIntegralInverse(y: number): number {
    let t = y * (1 - this.exponent);
    if (t < -1) {
      // only reachable through rounding error; log1p(-1) would be -Infinity
      t = -1;
    }
    return Math.exp(log1pOverX(t) * y);
  }
}

/**
 * A seeded bijection on [0, n) without a table: a balanced 4-round Feistel network on
 * [0, 4^halfBits) (the smallest even power of two ≥ n, so at most 4n) plus cycle-walking,
 * which re-encrypts until the value falls back into [0, n). Expected ≤ 4 rounds of
 * walking per map (≤ 2 for most n).
 */
export class FeistelPermutation {
  /** Size of the permuted domain [0, n). */
  readonly n: number;
  private readonly halfBits: number;
  private readonly halfMask: number;
  private readonly key0: number;
  private readonly key1: number;
  private readonly key2: number;
  private readonly key3: number;

  /**
   * @param n domain size, an integer in [0, 2^32].
   * @param seedOrRng an Rng to draw the four round keys from (4 draws), or a seed, which
   *   uses the stream "feistel" of that seed.
   * @throws RangeError for a bad n.
   */
  constructor(n: number, seedOrRng: Rng | number) {
    if (!(Number.isInteger(n) && n >= 0 && n <= 4294967296)) {
      throw new RangeError(`permutation size must be an integer in [0, 2^32] (got ${n})`);
    }
    const rng = typeof seedOrRng === 'number' ? new Rng(seedOrRng, 'feistel') : seedOrRng;
    let bits = 2;
    while (bits < 32 && 2 ** bits < n) {
      bits += 2;
    }
    this.n = n;
    this.halfBits = bits >>> 1;
    this.halfMask = (1 << this.halfBits) - 1;
    this.key0 = rng.nextUint32() | 0;
    this.key1 = rng.nextUint32() | 0;
    this.key2 = rng.nextUint32() | 0;
    this.key3 = rng.nextUint32() | 0;
  }

  /** The image of `i` for an integer i in [0, n) (unchecked); a value in [0, n). */
  map(i: number): number {
    const n = this.n;
    let x = i;
    do {
      x = this.encrypt(x);
    } while (x >= n);
    return x;
  }

  /**
   * One pass of the Feistel network over [0, 4^halfBits): four rounds, the number
   * Luby–Rackoff needs for a strong pseudorandom permutation from a good round function.
   */
  private encrypt(x: number): number {
    const halfBits = this.halfBits, halfMask = this.halfMask;
    let left = x >>> halfBits;
    let right = x & halfMask;
    let next = left ^ (roundFunction(right, this.key0) & halfMask);
    left = right;
    right = next;
    next = left ^ (roundFunction(right, this.key1) & halfMask);
    left = right;
    right = next;
    next = left ^ (roundFunction(right, this.key2) & halfMask);
    left = right;
    right = next;
    next = left ^ (roundFunction(right, this.key3) & halfMask);
    left = right;
    right = next;
    // halfBits = 16 puts bit 31 in use: make the result unsigned
    return ((left << halfBits) | right) >>> 0;
  }
}

/** The Feistel round function: a keyed 32-bit avalanche mix (murmur3 finalizer). */
function roundFunction(half: number, key: number): number {
  let t = (half ^ key) | 0;
  t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
  t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
  return t ^ (t >>> 16);
}
