/**
 * The write path's flags, interleaved (issue 15): one Uint32Array where the flags of a run
 * of 32 pages sit side by side, flag f's word for pages [32w, 32w + 32) at index
 * `(w << FLAG_SHIFT) | f`. A group is 16 bytes, so it never straddles a 64-byte cache line
 * (an ArrayBuffer's store is at least 16-byte aligned): a write that changes something
 * touches one line for populated, zero, stale and logged, where four separate bitmaps cost
 * a cache and TLB miss each at a random pfn of a large guest. Word loops that walk one flag
 * read it with a stride of 4 words; the sender, syncs, discards and the loss check read
 * several flags of the same group, one line per 32 pages.
 *
 * `quiet` (the write path's summary bit, read by every write) stays a dense Bitmap of its
 * own: 1 bit per page keeps it in cache where the groups (4 bits per page) would not be.
 * `snap`, `dstNonZero` and `held` stay Bitmaps: they are not on a write's common path.
 *
 * `PageFlag` is one flag's view with Bitmap's methods (same bits, same results), so code
 * that tests or sets bits and ranges does not see the layout; word loops use `flagIndex`
 * (or `word` / `setWord`) on `PageFlags.words`.
 */
import { popcount32, type BitSet } from './bitmap.js';

/** log2 of the words per group: flag f of word w is at (w << FLAG_SHIFT) | f. */
export const FLAG_SHIFT = 2;
/** Slots of the interleaved groups (GuestMemory's flags; docs/model.md §1.2). */
export const POPULATED = 0;
export const ZERO = 1;
export const STALE = 2;
export const LOGGED = 3;

/** Index in PageFlags.words of flag `slot`'s word w (the word holding pfns 32w..32w+31). */
export function flagIndex(w: number, slot: number): number {
  return (w << FLAG_SHIFT) | slot;
}

const ALL_ONES = 0xffffffff;

/** The interleaved words of every flag, for `sizeBits` pages. */
export class PageFlags {
  /** 1 << FLAG_SHIFT words per 32 pages; bits past sizeBits are always 0. */
  readonly words: Uint32Array;
  readonly sizeBits: number;
  /** Words per flag (⌈sizeBits / 32⌉). */
  readonly wordCount: number;

  constructor(sizeBits: number) {
    if (!(Number.isInteger(sizeBits) && sizeBits >= 0 && sizeBits <= 4294967296)) {
      throw new RangeError(`bitmap size must be an integer in [0, 2^32] bits (got ${sizeBits})`);
    }
    this.sizeBits = sizeBits;
    this.wordCount = Math.ceil(sizeBits / 32);
    this.words = new Uint32Array(this.wordCount << FLAG_SHIFT);
  }

  /** One flag's view. */
  flag(slot: number): PageFlag {
    return new PageFlag(this, slot);
  }
}

/**
 * One flag of a PageFlags: Bitmap's methods over its slot. Single-bit methods do not check
 * bounds (hot path), range methods do, as Bitmap's.
 */
export class PageFlag implements BitSet {
  /** The shared interleaved words (word w of this flag at (w << FLAG_SHIFT) | slot). */
  readonly interleaved: Uint32Array;
  readonly slot: number;
  readonly sizeBits: number;
  readonly wordCount: number;

  constructor(flags: PageFlags, slot: number) {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < 1 << FLAG_SHIFT)) throw new RangeError(`flag slot must be an integer in [0, ${1 << FLAG_SHIFT}) (got ${slot})`);
    this.interleaved = flags.words;
    this.slot = slot;
    this.sizeBits = flags.sizeBits;
    this.wordCount = flags.wordCount;
  }

  /** This flag's 32-bit word for pfns [32w, 32w + 32). */
  word(w: number): number {
    return this.interleaved[(w << FLAG_SHIFT) | this.slot];
  }

  setWord(w: number, value: number): void {
    this.interleaved[(w << FLAG_SHIFT) | this.slot] = value;
  }

  test(i: number): boolean {
    return ((this.interleaved[((i >>> 5) << FLAG_SHIFT) | this.slot] >>> (i & 31)) & 1) !== 0;
  }

  set(i: number): void {
    this.interleaved[((i >>> 5) << FLAG_SHIFT) | this.slot] |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.interleaved[((i >>> 5) << FLAG_SHIFT) | this.slot] &= ~(1 << (i & 31));
  }

  testAndSet(i: number): boolean {
    const index = ((i >>> 5) << FLAG_SHIFT) | this.slot, mask = 1 << (i & 31);
    const word = this.interleaved[index];
    if ((word & mask) !== 0) return false;
    this.interleaved[index] = word | mask;
    return true;
  }

  testAndClear(i: number): boolean {
    const index = ((i >>> 5) << FLAG_SHIFT) | this.slot, mask = 1 << (i & 31);
    const word = this.interleaved[index];
    if ((word & mask) === 0) return false;
    this.interleaved[index] = word & ~mask;
    return true;
  }

  /** Sets bits [from, to), a word at a time. */
  setRange(from: number, to: number): void {
    this.checkRange(from, to);
    if (from === to) return;
    const words = this.interleaved, slot = this.slot;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    const firstMask = ALL_ONES << (from & 31);
    const lastMask = ALL_ONES >>> (31 - ((to - 1) & 31));
    if (firstWord === lastWord) {
      words[(firstWord << FLAG_SHIFT) | slot] |= firstMask & lastMask;
      return;
    }
    words[(firstWord << FLAG_SHIFT) | slot] |= firstMask;
    for (let w = firstWord + 1; w < lastWord; w++) words[(w << FLAG_SHIFT) | slot] = ALL_ONES;
    words[(lastWord << FLAG_SHIFT) | slot] |= lastMask;
  }

  /** Clears bits [from, to), a word at a time. */
  clearRange(from: number, to: number): void {
    this.checkRange(from, to);
    if (from === to) return;
    const words = this.interleaved, slot = this.slot;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    const firstMask = ALL_ONES << (from & 31);
    const lastMask = ALL_ONES >>> (31 - ((to - 1) & 31));
    if (firstWord === lastWord) {
      words[(firstWord << FLAG_SHIFT) | slot] &= ~(firstMask & lastMask);
      return;
    }
    words[(firstWord << FLAG_SHIFT) | slot] &= ~firstMask;
    for (let w = firstWord + 1; w < lastWord; w++) words[(w << FLAG_SHIFT) | slot] = 0;
    words[(lastWord << FLAG_SHIFT) | slot] &= ~lastMask;
  }

  /** Number of set bits in [from, to), by popcount. */
  countRange(from: number, to: number): number {
    this.checkRange(from, to);
    if (from === to) return 0;
    const words = this.interleaved, slot = this.slot;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    const firstMask = ALL_ONES << (from & 31);
    const lastMask = ALL_ONES >>> (31 - ((to - 1) & 31));
    if (firstWord === lastWord) return popcount32(words[(firstWord << FLAG_SHIFT) | slot] & firstMask & lastMask);
    let setBits = popcount32(words[(firstWord << FLAG_SHIFT) | slot] & firstMask) + popcount32(words[(lastWord << FLAG_SHIFT) | slot] & lastMask);
    for (let w = firstWord + 1; w < lastWord; w++) {
      const word = words[(w << FLAG_SHIFT) | slot];
      if (word !== 0) setBits += popcount32(word);
    }
    return setBits;
  }

  /** Number of set bits in the whole flag. */
  countSet(): number {
    const words = this.interleaved, slot = this.slot, end = this.wordCount;
    let setBits = 0;
    for (let w = 0; w < end; w++) {
      const word = words[(w << FLAG_SHIFT) | slot];
      if (word !== 0) setBits += popcount32(word);
    }
    return setBits;
  }

  /** The smallest set index ≥ from, or −1 if none. */
  nextSet(from: number): number {
    if (!(from >= 0 && Number.isInteger(from))) throw new RangeError(`nextSet start must be an integer >= 0 (got ${from})`);
    if (from >= this.sizeBits) return -1;
    const words = this.interleaved, slot = this.slot, end = this.wordCount;
    let w = from >>> 5;
    let word = words[(w << FLAG_SHIFT) | slot] & (ALL_ONES << (from & 31));
    for (;;) {
      if (word !== 0) return w * 32 + (31 - Math.clz32(word & -word));
      if (++w >= end) return -1;
      word = words[(w << FLAG_SHIFT) | slot];
    }
  }

  clearAll(): void {
    const words = this.interleaved, slot = this.slot, end = this.wordCount;
    for (let w = 0; w < end; w++) words[(w << FLAG_SHIFT) | slot] = 0;
  }

  /** Sets every bit in [0, sizeBits), keeping the tail word's unused bits clear. */
  setAll(): void {
    const words = this.interleaved, slot = this.slot, end = this.wordCount;
    for (let w = 0; w < end; w++) words[(w << FLAG_SHIFT) | slot] = ALL_ONES;
    const tailBits = this.sizeBits & 31;
    if (tailBits !== 0) words[((end - 1) << FLAG_SHIFT) | slot] = ALL_ONES >>> (32 - tailBits);
  }

  /** Runs of consecutive set bits. */
  countRuns(): number {
    const words = this.interleaved, slot = this.slot, end = this.wordCount;
    let runs = 0;
    let carry = 0;
    for (let w = 0; w < end; w++) {
      const bits = words[(w << FLAG_SHIFT) | slot];
      if (bits !== 0) runs += popcount32(bits & ~((bits << 1) | carry));
      carry = bits >>> 31;
    }
    return runs;
  }

  private checkRange(from: number, to: number): void {
    if (!(from >= 0 && from <= to && to <= this.sizeBits)) {
      throw new RangeError(`bit range [${from}, ${to}) must lie in [0, ${this.sizeBits}]`);
    }
  }
}
