/**
 * The core's only source of randomness: xoshiro128** (Blackman & Vigna), a 32-bit
 * integer generator with 128 bits of state, seeded by splitmix32 from a key that mixes
 * the run seed with the name of one random source ("layout", "writer:0:1", "churn:1:0").
 * Each source owns its own stream, so adding a source or drawing more from one never
 * shifts another (common random numbers across hinted and unhinted runs, docs/model.md §1).
 * Deliberately not cryptographic; no allocation per draw.
 */

/** 2^32, 2^26 and 2^53 as doubles, for combining 32-bit draws into 53-bit doubles. */
const TWO_POW_32 = 4294967296;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/** Weyl increment of splitmix32: the golden ratio × 2^32, odd. */
const SPLITMIX32_GAMMA = 0x9e3779b9;

/** FNV-1a 32-bit parameters (offset basis and prime). */
const FNV1A32_OFFSET_BASIS = 0x811c9dc5;
const FNV1A32_PRIME = 0x01000193;

/**
 * The splitmix32 output function: a bijection on 32-bit words with full avalanche
 * (xorshift-multiply constants from Hash Prospector). Returns an unsigned 32-bit integer.
 */
function mix32(x: number): number {
  let t = x | 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text` (source names are ASCII). */
function fnv1a32(text: string): number {
  let hash = FNV1A32_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), FNV1A32_PRIME);
  }
  return hash >>> 0;
}

/**
 * A seeded xoshiro128** stream. All draws are deterministic functions of
 * `(seed, streamName)` and the number of earlier draws.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The last draw53(): small integers, so storing them never allocates. */
  private high27 = 0;
  private low26 = 0;

  /**
   * @param seed the run seed: any safe integer (negative values and values ≥ 2^32 are
   *   fine; all 53 bits take part in the key).
   * @param streamName names the random source; different names give independent streams.
   * @throws RangeError if `seed` is not a safe integer.
   */
  constructor(seed: number, streamName: string) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`rng seed must be a safe integer (got ${seed})`);
    }
    const seedLow = seed >>> 0;
    const seedHigh = Math.floor(seed / TWO_POW_32) >>> 0;
    // mix32 is a bijection, so for one name distinct seeds give distinct keys; mixing the
    // seed before the xor with the name hash keeps (seed, name) pairs from cancelling.
    let splitmixState = mix32(mix32(seedLow) ^ seedHigh) ^ fnv1a32(streamName);
    splitmixState = (splitmixState + SPLITMIX32_GAMMA) | 0;
    this.s0 = mix32(splitmixState) | 0;
    splitmixState = (splitmixState + SPLITMIX32_GAMMA) | 0;
    this.s1 = mix32(splitmixState) | 0;
    splitmixState = (splitmixState + SPLITMIX32_GAMMA) | 0;
    this.s2 = mix32(splitmixState) | 0;
    splitmixState = (splitmixState + SPLITMIX32_GAMMA) | 0;
    this.s3 = mix32(splitmixState) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      // The all-zero state is xoshiro's one fixed point; four consecutive zero outputs of
      // a bijection on a Weyl sequence cannot happen, but stay safe.
      this.s0 = 1;
    }
  }

  /**
   * A generator with the exact xoshiro128** state words given (for reference vectors).
   * Allocates one Rng. @throws RangeError on the all-zero state.
   */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    if (((s0 | s1 | s2 | s3) >>> 0) === 0) {
      throw new RangeError('xoshiro128** state must not be all zero (got 0, 0, 0, 0)');
    }
    const rng = new Rng(0, '');
    rng.s0 = s0 | 0;
    rng.s1 = s1 | 0;
    rng.s2 = s2 | 0;
    rng.s3 = s3 | 0;
    return rng;
  }

  /** The next 32 random bits as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1;
    let s2 = this.s2, s3 = this.s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /**
   * Draws 53 random bits from two consecutive 32-bit outputs into `high27` (the high 27
   * bits of the first) and `low26` (the high 26 of the second), both small integers. The
   * two xoshiro steps are written out, and the bits leave through fields, not a return
   * value: a call V8 does not inline returns a uint32 or a 53-bit double boxed, one heap
   * allocation per draw on the writer path.
   */
  private draw53(): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    let x = Math.imul(s1, 5);
    this.high27 = Math.imul((x << 7) | (x >>> 25), 9) >>> 5;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    x = Math.imul(s1, 5);
    this.low26 = Math.imul((x << 7) | (x >>> 25), 9) >>> 6;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = (s3 << 11) | (s3 >>> 21);
  }

  /** A uniform double in [0, 1) with 53 random bits (two 32-bit draws). */
  nextDouble(): number {
    this.draw53();
    return (this.high27 * TWO_POW_26 + this.low26) / TWO_POW_53;
  }

  /** A uniform double in (0, 1] with 53 random bits: safe under `Math.log`. */
  nextDoubleOpenZero(): number {
    this.draw53();
    return (this.high27 * TWO_POW_26 + this.low26 + 1) / TWO_POW_53;
  }

  /**
   * A uniform integer in [0, n) for an integer 1 ≤ n ≤ 2^31, as floor(53-bit double × n);
   * the bias is below n / 2^53 (< 2^-22). `n` is not checked (hot path). The result is
   * an int32 (`| 0`, exact below 2^31): where V8 does not inline this call, a double
   * result would be returned boxed, one allocation per draw on the writer path.
   */
  nextInt(n: number): number {
    this.draw53();
    return Math.floor(((this.high27 * TWO_POW_26 + this.low26) / TWO_POW_53) * n) | 0;
  }

  /**
   * `out[0, count)` = the next `count` nextInt(n), in order, with the generator's state in
   * locals over the loop (the same integer steps as draw53, the same double expression):
   * what a writer's batch of draws ahead costs without a field read and written per step.
   */
  fillInts(n: number, out: Int32Array, count: number): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < count; i++) {
      let x = Math.imul(s1, 5);
      const high27 = Math.imul((x << 7) | (x >>> 25), 9) >>> 5;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      x = Math.imul(s1, 5);
      const low26 = Math.imul((x << 7) | (x >>> 25), 9) >>> 6;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = Math.floor(((high27 * TWO_POW_26 + low26) / TWO_POW_53) * n) | 0;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** An exponential variate with the given mean (same unit as the mean), > 0 unless mean is 0. */
  nextExponential(mean: number): number {
    return -mean * Math.log(this.nextDoubleOpenZero());
  }

  /**
   * Fisher–Yates shuffle of `array[from, to)` in place (from inclusive, to exclusive);
   * every permutation is equally likely up to nextInt's bias. Does not allocate.
   */
  shuffleInt32(array: Int32Array, from: number, to: number): void {
    if (!(from >= 0 && from <= to && to <= array.length)) {
      throw new RangeError(`shuffle range [${from}, ${to}) must lie in [0, ${array.length}]`);
    }
    for (let i = to - 1; i > from; i--) {
      const j = from + this.nextInt(i - from + 1);
      const held = array[i];
      array[i] = array[j];
      array[j] = held;
    }
  }
}
