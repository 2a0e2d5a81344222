/**
 * One bit per pfn over a Uint32Array: the representation of every per-page flag
 * (allocated, zero, populated, logged, stale, ..., docs/model.md §1.2) and of the dirty log,
 * as KVM's dirty bitmap and QEMU's migration bitmap are. Bit i lives in
 * words[i >>> 5] at (i & 31). Bits at or past sizeBits in the tail word are always 0,
 * so word walks need no masking. Nothing allocates after the constructor; single-bit
 * methods do not check bounds (hot path), range methods do.
 */

/** Number of set bits in the 32-bit word `x` (SWAR popcount). */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

const ALL_ONES = 0xffffffff;

export class Bitmap {
  /** The bits, 32 per word, little-endian within a word. Exposed for word-level loops. */
  readonly words: Uint32Array;
  /** Number of bits (pfns), exclusive upper bound of valid indices. */
  readonly sizeBits: number;

  /**
   * All bits clear. Allocates ⌈sizeBits / 32⌉ words (4 bytes per 32 pages).
   * @throws RangeError unless sizeBits is an integer in [0, 2^32].
   */
  constructor(sizeBits: number) {
    if (!(Number.isInteger(sizeBits) && sizeBits >= 0 && sizeBits <= 4294967296)) {
      throw new RangeError(`bitmap size must be an integer in [0, 2^32] bits (got ${sizeBits})`);
    }
    this.sizeBits = sizeBits;
    this.words = new Uint32Array(Math.ceil(sizeBits / 32));
  }

  /** Whether bit i is set (i in [0, sizeBits), unchecked). */
  test(i: number): boolean {
    return ((this.words[i >>> 5] >>> (i & 31)) & 1) !== 0;
  }

  /** Sets bit i (unchecked). */
  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }

  /** Clears bit i (unchecked). */
  clear(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }

  /** Sets bit i; returns true iff it was clear before (unchecked). */
  testAndSet(i: number): boolean {
    const words = this.words, wordIndex = i >>> 5, mask = 1 << (i & 31);
    const word = words[wordIndex];
    if ((word & mask) !== 0) {
      return false;
    }
    words[wordIndex] = word | mask;
    return true;
  }

  /** Clears bit i; returns true iff it was set before (unchecked). */
  testAndClear(i: number): boolean {
    const words = this.words, wordIndex = i >>> 5, mask = 1 << (i & 31);
    const word = words[wordIndex];
    if ((word & mask) === 0) {
      return false;
    }
    words[wordIndex] = word & ~mask;
    return true;
  }

  /** Sets bits [from, to) (from inclusive, to exclusive), a word at a time. */
  setRange(from: number, to: number): void {
    this.checkRange(from, to);
    if (from === to) {
      return;
    }
    const words = this.words;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    const firstMask = ALL_ONES << (from & 31);
    const lastMask = ALL_ONES >>> (31 - ((to - 1) & 31));
    if (firstWord === lastWord) {
      words[firstWord] |= firstMask & lastMask;
      return;
    }
    words[firstWord] |= firstMask;
    words.fill(ALL_ONES, firstWord + 1, lastWord);
    words[lastWord] |= lastMask;
  }

  /** Clears bits [from, to) (from inclusive, to exclusive), a word at a time. */
  clearRange(from: number, to: number): void {
    this.checkRange(from, to);
    if (from === to) {
      return;
    }
    const words = this.words;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    const firstMask = ALL_ONES << (from & 31);
    const lastMask = ALL_ONES >>> (31 - ((to - 1) & 31));
    if (firstWord === lastWord) {
      words[firstWord] &= ~(firstMask & lastMask);
      return;
    }
    words[firstWord] &= ~firstMask;
    words.fill(0, firstWord + 1, lastWord);
    words[lastWord] &= ~lastMask;
  }

  /** Number of set bits in [from, to) (from inclusive, to exclusive), by popcount. */
  countRange(from: number, to: number): number {
    this.checkRange(from, to);
    if (from === to) {
      return 0;
    }
    const words = this.words;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    const firstMask = ALL_ONES << (from & 31);
    const lastMask = ALL_ONES >>> (31 - ((to - 1) & 31));
    if (firstWord === lastWord) {
      return popcount32(words[firstWord] & firstMask & lastMask);
    }
    let setBits = popcount32(words[firstWord] & firstMask) + popcount32(words[lastWord] & lastMask);
    for (let w = firstWord + 1; w < lastWord; w++) {
      const word = words[w];
      if (word !== 0) {
        setBits += popcount32(word);
      }
    }
    return setBits;
  }

  /** Number of set bits in the whole bitmap, by popcount (O(words); does not allocate). */
  countSet(): number {
    const words = this.words, wordCount = words.length;
    let setBits = 0;
    for (let w = 0; w < wordCount; w++) {
      const word = words[w];
      if (word !== 0) {
        setBits += popcount32(word);
      }
    }
    return setBits;
  }

  /**
   * The smallest set index ≥ from, or −1 if none. Zero words are skipped whole; any
   * from ≥ sizeBits gives −1. @throws RangeError for a negative or fractional from.
   */
  nextSet(from: number): number {
    if (!(from >= 0 && Number.isInteger(from))) {
      throw new RangeError(`nextSet start must be an integer >= 0 (got ${from})`);
    }
    if (from >= this.sizeBits) {
      return -1;
    }
    const words = this.words, wordCount = words.length;
    let wordIndex = from >>> 5;
    let word = words[wordIndex] & (ALL_ONES << (from & 31));
    for (;;) {
      if (word !== 0) {
        // index of the lowest set bit: w & -w isolates it, clz32 locates it
        return wordIndex * 32 + (31 - Math.clz32(word & -word));
      }
      if (++wordIndex >= wordCount) {
        return -1;
      }
      word = words[wordIndex];
    }
  }

  /** Clears every bit. */
  clearAll(): void {
    this.words.fill(0);
  }

  /** Sets every bit in [0, sizeBits), keeping the tail word's unused bits clear. */
  setAll(): void {
    const words = this.words;
    words.fill(ALL_ONES);
    const tailBits = this.sizeBits & 31;
    if (tailBits !== 0) {
      words[words.length - 1] = ALL_ONES >>> (32 - tailBits);
    }
  }

  private checkRange(from: number, to: number): void {
    if (!(from >= 0 && from <= to && to <= this.sizeBits)) {
      throw new RangeError(`bit range [${from}, ${to}) must lie in [0, ${this.sizeBits}]`);
    }
  }

  /** Runs of consecutive set bits (a run's first bit is set and the bit before it clear). */
  countRuns(): number {
    const words = this.words;
    let runs = 0;
    let carry = 0;
    for (let w = 0; w < words.length; w++) {
      const bits = words[w];
      if (bits !== 0) runs += popcount32(bits & ~((bits << 1) | carry));
      carry = bits >>> 31;
    }
    return runs;
  }
}
