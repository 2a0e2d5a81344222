/**
 * The guest's activity as time-ordered event streams (docs/model.md §1.1, §1.4): page writers
 * and churn (block allocation) streams, each with its own seeded PRNG stream, plus the
 * heap of pending churn frees. A periodic stream's k-th event is at `anchor + k/rate`,
 * computed, never accumulated; a rate change (auto-converge throttle) re-anchors at the
 * last event. Poisson streams draw exponential gaps. Streams do not touch guest state:
 * the simulation asks them for the next time and the next draw.
 */
import { seedDoubleFields } from './double-fields.js';
import { ConfigError } from './errors.js';
import { Rng } from './rng.js';
import { FeistelPermutation, ZipfSampler } from './zipf.js';
import type { Arrivals, ChurnStream, WritePattern, WriteStream } from './types.js';
import type { Bitmap } from './bitmap.js';
import type { GuestMemory } from './guest-memory.js';
import { timeOrNever } from './never.js';

/** Event timing shared by writers and churn streams. */
class ArrivalClock {
  nextTime = Infinity;
  private anchorSec: number;
  /** The time of the event fired last (the start time before the first). */
  lastSec: number;
  private eventIndex = 0;
  private ratePerSec: number;
  private scale = 1;
  private readonly arrivals: Arrivals;
  private readonly endSec: number;
  private readonly rng: Rng;

  constructor(startSec: number, endSec: number, ratePerSec: number, arrivals: Arrivals, rng: Rng) {
    this.anchorSec = startSec;
    this.lastSec = startSec;
    seedDoubleFields(this, ['anchorSec', 'lastSec']);
    this.endSec = endSec;
    this.ratePerSec = ratePerSec;
    this.arrivals = arrivals;
    this.rng = rng;
    this.scheduleAfterLast();
  }

  /** Moves to the event after the one at `nextTime`. */
  advance(): void {
    this.lastSec = this.nextTime;
    this.scheduleAfterLast();
  }

  /** Whether events are evenly spaced: their times are computed, so they can be counted ahead. */
  get isEven(): boolean {
    return this.arrivals === 'even';
  }

  /**
   * How many of the next events come strictly before `boundSec`, at most `max`: those
   * `advance` would reach while `nextTime < boundSec`. Even arrivals only. The k-th time
   * is anchor + k/rate, monotonic in k, so an estimate corrected by the exact expression
   * gives the exact count.
   */
  countBefore(boundSec: number, max: number): number {
    const first = this.eventIndex;
    if (!(this.nextTime < boundSec)) return 0;
    const rate = this.ratePerSec * this.scale;
    const untilSec = Math.min(boundSec, this.endSec);
    // The last index j with anchor + j/rate < untilSec, from an estimate near it.
    let last = Math.min(first + max - 1, Math.floor((untilSec - this.anchorSec) * rate));
    if (!(last >= first)) last = first;
    while (last > first && !(this.anchorSec + last / rate < untilSec)) last--;
    while (last - first + 1 < max && this.anchorSec + (last + 1) / rate < untilSec) last++;
    return last - first + 1;
  }

  /** Moves past the next `count` ≥ 1 events (even arrivals), as `count` calls of advance would. */
  skip(count: number): void {
    this.eventIndex += count - 1;
    this.lastSec = this.anchorSec + this.eventIndex / (this.ratePerSec * this.scale);
    this.scheduleAfterLast();
  }

  /**
   * A throttle of x% scales the rate by (1 − x/100); the next event is 1/newRate after the
   * last. While blocked the blocked event moves the same way (a throttle during a vCPU hold,
   * hint-driver-hold.ts).
   */
  setScale(scale: number): void {
    if (scale === this.scale) return;
    this.scale = scale;
    const blocked = !Number.isNaN(this.blockedNextSec);
    if ((blocked ? this.blockedNextSec : this.nextTime) === Infinity) return;
    this.anchorSec = this.lastSec;
    this.eventIndex = 0;
    this.scheduleAfterLast();
    if (blocked) {
      this.blockedNextSec = this.nextTime;
      this.nextTime = Infinity;
    }
  }

  /** The next event while blocked (`block`), else NaN. */
  private blockedNextSec = NaN;

  /** The stream waits (a vCPU blocked on a missing page, or the guest stopped): no event until `unblock`. */
  block(): void {
    if (!Number.isNaN(this.blockedNextSec)) return;
    this.blockedNextSec = this.nextTime;
    this.nextTime = Infinity;
  }

  /** The wait ends at `atSec`: the blocked event happens then (or when due, if later), and every later one as much later. */
  unblock(atSec: number): void {
    const next = this.blockedNextSec;
    if (Number.isNaN(next)) return;
    this.blockedNextSec = NaN;
    this.nextTime = next;
    if (atSec > next) this.delay(atSec - next);
  }

  /**
   * The wait ends at `atSec` for a program paced by the clock (guest/wl.c: each event is due
   * at its own time, whatever happened before): the events keep their times; those that fell
   * due while blocked are the caller's to fire or skip (every one before `atSec`).
   */
  release(): void {
    const next = this.blockedNextSec;
    if (Number.isNaN(next)) return;
    this.blockedNextSec = NaN;
    this.nextTime = next;
  }

  /** Guest costs that slow the guest (`costsSlowGuest`) push every later event back. */
  delay(sec: number): void {
    if (this.nextTime === Infinity) return;
    this.anchorSec += sec;
    this.nextTime += sec;
    if (this.nextTime >= this.endSec) this.nextTime = Infinity;
  }

  /**
   * The next event after `lastSec` (every caller sets it first): the time is read from the
   * field, not passed, because a double argument to a call V8 does not inline is boxed
   * (one allocation per event).
   */
  private scheduleAfterLast(): void {
    const rate = this.ratePerSec * this.scale;
    if (!(rate > 0)) {
      this.nextTime = Infinity;
      return;
    }
    let next: number;
    if (this.arrivals === 'even') {
      this.eventIndex++;
      next = this.anchorSec + this.eventIndex / rate;
    } else {
      next = this.lastSec + this.rng.nextExponential(1 / rate);
    }
    this.nextTime = timeOrNever(next < this.endSec, next);
  }

}

/**
 * A stream of page writes over a working set placed once at t = 0: drawn from fully used,
 * extent-aligned runs of the initial layout, or taken from the allocator
 * (working-set-placement.ts).
 */
export class Writer {
  readonly clock: ArrivalClock;
  /** The writes' compressRatio under multifd compression; null: the compression's. */
  readonly compressRatio: number | null;
  /** The writes it makes at once after a vCPU hold, in seconds of them (resumeAfterHold); 0: none, it shifts. */
  readonly catchUpSec: number;
  private readonly rng: Rng;
  private readonly pattern: WritePattern;
  private readonly extentStarts: Int32Array;
  private readonly extentPages: number;
  private readonly workingSetPages: number;
  private readonly zipf: ZipfSampler | null;
  private readonly ranks: FeistelPermutation | null;
  private sequentialIndex = 0;
  private readonly isUniform: boolean;
  /** log2(extentPages) when it is a power of two, else −1; extentMask = extentPages − 1. */
  private readonly extentShift: number;
  private readonly extentMask: number;
  /**
   * Pfns drawn ahead, used from `drawnNext` to `drawnCount`. With even arrivals nothing
   * else draws from this writer's stream, so drawing a batch ahead in a tight loop gives
   * the same pfns in the same order; Poisson arrivals draw their gaps from the same
   * stream between pfns, so they draw one pfn at a time.
   */
  private readonly drawn: Int32Array;
  private drawnNext = 0;
  private drawnCount = 0;

  constructor(
    spec: WriteStream,
    fieldPath: string,
    streamName: string,
    seed: number,
    startSec: number,
    endSec: number,
    pageSizeBytes: number,
    allocatedAtStart: Bitmap,
    totalPages: number,
    allocatedExtents: Int32Array | null = null,
  ) {
    this.rng = new Rng(seed, streamName);
    this.compressRatio = spec.compressRatio ?? null;
    this.catchUpSec = spec.catchUpSec ?? 0;
    this.pattern = spec.pattern;
    this.extentPages = Math.max(1, Math.floor(spec.extentBytes / pageSizeBytes));
    this.isUniform = this.pattern === 'uniform';
    const isPowerOfTwo = this.extentPages <= 2 ** 30 && (this.extentPages & (this.extentPages - 1)) === 0;
    this.extentShift = isPowerOfTwo ? 31 - Math.clz32(this.extentPages) : -1;
    this.extentMask = this.extentPages - 1;
    this.workingSetPages = Math.floor(spec.workingSetBytes / pageSizeBytes);
    const extentsNeeded = Math.ceil(this.workingSetPages / this.extentPages);
    // Taken from the allocator at t = 0 (working-set-placement.ts, no draw), or drawn from used memory.
    this.extentStarts = allocatedExtents ?? drawUsedExtents(allocatedAtStart, totalPages, this.extentPages, extentsNeeded, this.rng, fieldPath, spec);
    // §1.4: a sequential writer goes in ascending pfn, whatever the placement.
    if (this.pattern === 'sequential') this.extentStarts.sort();
    this.zipf = this.pattern === 'zipf' && this.workingSetPages > 0 ? new ZipfSampler(this.workingSetPages, spec.skew) : null;
    this.ranks = this.zipf ? new FeistelPermutation(this.workingSetPages, this.rng) : null;
    const rate = this.workingSetPages > 0 ? spec.ratePagesPerSec : 0;
    this.clock = new ArrivalClock(startSec, endSec, rate, spec.arrivals, this.rng);
    this.drawn = new Int32Array(spec.arrivals === 'even' ? DRAW_AHEAD : 1);
  }

  /**
   * Sets the bits of `granules` (one per 2^granuleShift pages) that hold a page of the
   * working set: every page this writer writes lies in a granule it marks.
   */
  markWorkingSetGranules(granules: Bitmap, granuleShift: number): void {
    const starts = this.extentStarts;
    const extents = Math.ceil(this.workingSetPages / this.extentPages);
    for (let extent = 0; extent < extents; extent++) {
      const first = starts[extent];
      const pages = Math.min(this.extentPages, this.workingSetPages - extent * this.extentPages);
      granules.setRange(first >>> granuleShift, ((first + pages - 1) >>> granuleShift) + 1);
    }
  }

  /** Sets `classes[pfn] = value` for every page of the working set (multifd-compression.ts). */
  markContentClass(classes: Uint8Array, value: number): void {
    const starts = this.extentStarts;
    for (let index = 0; index < this.workingSetPages; index++) {
      const extent = Math.floor(index / this.extentPages);
      classes[starts[extent] + (index - extent * this.extentPages)] = value;
    }
  }

  /**
   * The writer's vCPU was held (hint-driver-hold.ts) and runs again at `atSec`. With
   * `catchUpSec` 0 the writer goes on where it stopped, every later write as much later (a
   * program paced by its own progress). Above 0 it is paced by the clock, as the testbed's
   * dirtier (guest/wl.c `wl dirty`: target = elapsed × rate, and `done` is moved to at most
   * 1 s of writes behind it): the writes due while held come at once at `atSec`, at most
   * `catchUpSec` of them (the last ones), the older ones skipped (their pages pass without a
   * write, as wl.c's `done` jumps ahead), and later writes keep their times. Once per hold,
   * not per write; allocation-free.
   */
  resumeAfterHold(atSec: number, catchUpSec: number, memory: GuestMemory, vcpu: number): void {
    const clock = this.clock;
    if (!(catchUpSec > 0)) {
      clock.unblock(atSec);
      return;
    }
    clock.release();
    memory.currentVcpu = vcpu;
    const fromSec = atSec - catchUpSec;
    while (clock.nextTime < atSec) {
      const pfn = this.nextPfn();
      if (clock.nextTime >= fromSec) memory.writePage(pfn, false);
      clock.advance();
    }
  }

  /** The pfn the current event writes. Allocation-free, and small enough for V8 to inline. */
  nextPfn(): number {
    if (this.drawnNext === this.drawnCount) this.drawAhead();
    return this.drawn[this.drawnNext++];
  }

  /**
   * The pfn the next event writes, without taking it. Drawing it early keeps the stream's
   * order: a Poisson writer's gap for the current event was drawn when it was scheduled.
   */
  peekPfn(): number {
    if (this.drawnNext === this.drawnCount) this.drawAhead();
    return this.drawn[this.drawnNext];
  }

  /**
   * Writes the next `count` pfns with non-zero data, as `count` nextPfn() and writePage()
   * would, but stops before the first pfn in bitmap word `avoidWord` (−1: none) or in
   * [avoidFromPfn, avoidFromPfn + avoidSpanPages) (span 0: none). Returns how many it wrote.
   */
  writeNext(count: number, memory: GuestMemory, avoidWord: number, avoidFromPfn = 0, avoidSpanPages = 0): number {
    let written = 0;
    while (written < count) {
      if (this.drawnNext === this.drawnCount) this.drawAhead();
      const drawn = this.drawn;
      const from = this.drawnNext;
      const batchEnd = Math.min(from + (count - written), this.drawnCount);
      // Stops before the first avoided pfn (GuestMemory.writePagesUntil: the test and the
      // write in one pass).
      const end = memory.writePagesUntil(drawn, from, batchEnd, avoidWord, avoidFromPfn, avoidSpanPages);
      const blocked = end < batchEnd;
      this.drawnNext = end;
      written += end - from;
      if (blocked) break;
    }
    return written;
  }

  /**
   * Fills `drawn`. The uniform draw goes in one call to the generator, and a power-of-two
   * extent (the usual 2 MiB / 4 KiB = 512 pages) is a shift and a mask instead of a
   * division (same result: index ≥ 0 and below 2^31).
   */
  private drawAhead(): void {
    const drawn = this.drawn;
    const count = drawn.length;
    const starts = this.extentStarts;
    const shift = this.extentShift;
    if (this.isUniform && shift >= 0) {
      // The working-set indexes first (Rng.fillInts: the generator's state in locals), then
      // each mapped through its extent in place.
      this.rng.fillInts(this.workingSetPages, drawn, count);
      const mask = this.extentMask;
      for (let i = 0; i < count; i++) {
        const index = drawn[i];
        drawn[i] = starts[index >>> shift] + (index & mask);
      }
    } else {
      for (let i = 0; i < count; i++) {
        const index = this.isUniform ? this.rng.nextInt(this.workingSetPages) : this.nextIndexSlow();
        const extent = Math.floor(index / this.extentPages);
        drawn[i] = starts[extent] + (index - extent * this.extentPages);
      }
    }
    this.drawnNext = 0;
    this.drawnCount = count;
  }

  /**
   * Raises out[pfn] to `value` over the working set (kept where larger): XBZRLE's per-page
   * write size (wire/xbzrle.ts). Setup only.
   */
  markWorkingSet(out: Uint16Array, value: number): void {
    for (let i = 0; i < this.workingSetPages; i++) {
      const extent = Math.floor(i / this.extentPages);
      const pfn = this.extentStarts[extent] + (i - extent * this.extentPages);
      if (out[pfn] < value) out[pfn] = value;
    }
  }

  /** The working-set index of a zipf or sequential write. */
  private nextIndexSlow(): number {
    if (this.pattern === 'zipf') return this.ranks!.map(this.zipf!.sample(this.rng) - 1);
    const index = this.sequentialIndex;
    this.sequentialIndex = index + 1 === this.workingSetPages ? 0 : index + 1;
    return index;
  }
}

/** Pfns a writer with even arrivals draws ahead at a time. */
const DRAW_AHEAD = 256;

/**
 * `extentsNeeded` extents drawn from the fully used extent-aligned runs of the initial
 * layout by a partial Fisher–Yates on the writer's stream (placement `used`, §1.4).
 */
function drawUsedExtents(allocatedAtStart: Bitmap, totalPages: number, extentPages: number, extentsNeeded: number, rng: Rng, fieldPath: string, spec: WriteStream): Int32Array {
  const candidates = fullyUsedExtents(allocatedAtStart, totalPages, extentPages);
  if (candidates.length < extentsNeeded) {
    throw new ConfigError(
      `${fieldPath}.workingSet`,
      `needs ${extentsNeeded} fully used ${spec.extentBytes / 1024} KiB extents, but the initial layout has only ${candidates.length} (got ${spec.workingSetBytes} bytes)`,
    );
  }
  // Partial Fisher–Yates: the first `extentsNeeded` entries are a seeded sample.
  for (let i = 0; i < extentsNeeded; i++) {
    const j = i + rng.nextInt(candidates.length - i);
    const t = candidates[i];
    candidates[i] = candidates[j];
    candidates[j] = t;
  }
  return candidates.slice(0, extentsNeeded);
}

/** Starts of aligned extents whose pages are all allocated at t = 0. Allocates the result. */
function fullyUsedExtents(allocated: Bitmap, totalPages: number, extentPages: number): Int32Array {
  const count = Math.floor(totalPages / extentPages);
  const starts = new Int32Array(count);
  let found = 0;
  for (let e = 0; e < count; e++) {
    const pfn = e * extentPages;
    if (allocated.countRange(pfn, pfn + extentPages) === extentPages) starts[found++] = pfn;
  }
  return starts.slice(0, found);
}

/** A stream of block allocations; each arrival draws its order and lifetime. */
export class ChurnSource {
  readonly clock: ArrivalClock;
  readonly fillZero: boolean;
  private readonly rng: Rng;
  private readonly orders: Int8Array;
  private readonly cumulativeWeights: Float64Array;
  private readonly lifetimeSec: number;
  /** Set by draw(): the order and lifetime of the current arrival. */
  drawnOrder = 0;
  drawnLifetimeSec = 0;

  constructor(spec: ChurnStream, streamName: string, seed: number, startSec: number, endSec: number) {
    this.rng = new Rng(seed, streamName);
    this.fillZero = spec.fill === 'zero';
    this.orders = new Int8Array(spec.orders.length);
    this.cumulativeWeights = new Float64Array(spec.orders.length);
    let total = 0;
    for (let i = 0; i < spec.orders.length; i++) {
      this.orders[i] = spec.orders[i].order;
      total += spec.orders[i].weight;
      this.cumulativeWeights[i] = total;
    }
    for (let i = 0; i < spec.orders.length; i++) this.cumulativeWeights[i] /= total;
    this.lifetimeSec = spec.lifetimeSec;
    this.clock = new ArrivalClock(startSec, endSec, spec.rateBlocksPerSec, spec.arrivals, this.rng);
  }

  /** Draws the order and lifetime of the current arrival, whether or not it will succeed. */
  draw(): void {
    const u = this.rng.nextDouble();
    let i = 0;
    while (i < this.orders.length - 1 && u >= this.cumulativeWeights[i]) i++;
    this.drawnOrder = this.orders[i];
    this.drawnLifetimeSec = this.rng.nextExponential(this.lifetimeSec);
  }
}

/**
 * Pending churn frees, a binary min-heap on (time, sequence) in growable typed arrays.
 * Ties at equal times go in allocation order.
 */
export class FreeQueue {
  private times = new Float64Array(256);
  private sequences = new Float64Array(256);
  private pfns = new Int32Array(256);
  private orders = new Int8Array(256);
  private count = 0;
  private nextSequence = 0;

  get size(): number {
    return this.count;
  }

  get nextTime(): number {
    return this.count > 0 ? this.times[0] : Infinity;
  }

  get topPfn(): number {
    return this.pfns[0];
  }

  get topOrder(): number {
    return this.orders[0];
  }

  push(timeSec: number, pfn: number, order: number): void {
    if (this.count === this.times.length) this.grow();
    let i = this.count++;
    const sequence = this.nextSequence++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent] < timeSec || (this.times[parent] === timeSec && this.sequences[parent] < sequence)) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = timeSec;
    this.sequences[i] = sequence;
    this.pfns[i] = pfn;
    this.orders[i] = order;
  }

  pop(): void {
    const last = --this.count;
    if (last === 0) return;
    const t = this.times[last];
    const s = this.sequences[last];
    const p = this.pfns[last];
    const o = this.orders[last];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && this.less(child + 1, child)) child++;
      if (t < this.times[child] || (t === this.times[child] && s < this.sequences[child])) break;
      this.move(child, i);
      i = child;
    }
    this.times[i] = t;
    this.sequences[i] = s;
    this.pfns[i] = p;
    this.orders[i] = o;
  }

  private less(a: number, b: number): boolean {
    return this.times[a] < this.times[b] || (this.times[a] === this.times[b] && this.sequences[a] < this.sequences[b]);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.sequences[to] = this.sequences[from];
    this.pfns[to] = this.pfns[from];
    this.orders[to] = this.orders[from];
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    times.set(this.times);
    this.times = times;
    const sequences = new Float64Array(n);
    sequences.set(this.sequences);
    this.sequences = sequences;
    const pfns = new Int32Array(n);
    pfns.set(this.pfns);
    this.pfns = pfns;
    const orders = new Int8Array(n);
    orders.set(this.orders);
    this.orders = orders;
  }
}

export type { ArrivalClock };
