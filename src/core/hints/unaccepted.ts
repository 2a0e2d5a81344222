/**
 * Lazily accepted memory of a confidential guest (TDX / SEV-SNP; Linux ≥ 6.5
 * mm/page_alloc.c cond_accept_memory, seed 001; docs/model.md §4.5). A hypothetical model:
 * upstream QEMU cannot pre-copy such guests; the point is what acceptance costs the guest.
 *
 * At t = 0, every `chunk`-aligned chunk that lies at or above `acceptedAtBoot` and is
 * free and never touched in the initial layout is unaccepted: off the free lists, zero,
 * unpopulated, and left out of the migration bitmap at setup (never sent, counted as
 * `unaccepted_pages` in the bulk row). Chunks holding used or old-data pages (the memmap
 * at the top, freeDirty blocks) were accepted when the guest wrote them.
 * Under allocation pressure — a guest allocation that finds no block of its order, or
 * would leave accepted free memory below `low` — the allocator accepts the lowest
 * unaccepted chunk (zone->unaccepted_pages is FIFO in pfn order), one at a time, before
 * any held hint block is given back: `1 + chunk / acceptGranularity` calls (one MapGPA,
 * one accept per granule), each `callCost`. The accepted chunk is zero, backed by the
 * host (populated), protected and unlogged, with its migration bitmap bits clear; it is
 * freed to the TAIL of the free lists (__free_pages_ok with FPI_TO_TAIL). Allocations by
 * hint drivers never accept memory (they call the allocator directly).
 *
 * Zone lock (docs/model.md §4.6): acceptance runs under the zone lock in the allocation path
 * ("sitting on one CPU with interrupts off, blocking all the other CPUs from doing page
 * allocation in this zone", seed 001), so it holds the lock for every call of a chunk:
 * 3 µs for 4 MiB at 2 MiB granules, 513 µs for 2 MiB at 4 KiB at the default 1 µs.
 */
import type { BuddyAllocator } from '../buddy-allocator.js';
import { Bitmap } from '../bitmap.js';
import type { UnacceptedOptions } from '../types.js';
import type { HintStrategy, StrategyContext } from './hint-strategy.js';

export class Unaccepted implements HintStrategy {
  readonly nextArrivalSec = Infinity;
  readonly nextGuestSec = Infinity;
  readonly gatheringDone = true;

  private readonly context: StrategyContext;
  private readonly chunkPages: number;
  /** MapGPA plus one accept call per granule. */
  private readonly callsPerChunk: number;
  private readonly chunkSec: number;
  /** First pfn of each unaccepted chunk, ascending; accepted from nextChunk on. */
  private readonly chunkPfns: Int32Array;
  private nextChunk = 0;

  /**
   * Takes the unaccepted chunks off the free lists; must run before any strategy installs
   * an allocator listener. Allocates one bit per page and one int per chunk.
   */
  constructor(options: UnacceptedOptions, context: StrategyContext) {
    this.context = context;
    const { memory, buddy, guest } = context;
    const totalPages = memory.totalPages;
    this.chunkPages = options.chunkBytes / guest.pageSizeBytes;
    this.callsPerChunk = 1 + options.chunkBytes / options.acceptGranularityBytes;
    this.chunkSec = this.callsPerChunk * options.callCostSec;
    const acceptedPages = Math.floor(options.acceptedAtBootBytes / guest.pageSizeBytes);
    const firstChunk = Math.ceil(acceptedPages / this.chunkPages);
    const lastChunk = Math.floor(totalPages / this.chunkPages);
    const found = new Int32Array(Math.max(0, lastChunk - firstChunk));
    let count = 0;
    const unaccepted = new Bitmap(totalPages);
    for (let c = firstChunk; c < lastChunk; c++) {
      const from = c * this.chunkPages;
      const to = from + this.chunkPages;
      if (memory.allocated.countRange(from, to) !== 0 || memory.populated.countRange(from, to) !== 0) continue;
      carveFreeRange(buddy, from, to);
      unaccepted.setRange(from, to);
      found[count++] = from;
    }
    this.chunkPfns = found.subarray(0, count);
    memory.unaccepted = count > 0 ? unaccepted : null;
  }

  /** Accepts the next chunk; false when every chunk is accepted. */
  giveBack(): boolean {
    if (this.nextChunk >= this.chunkPfns.length) return false;
    const from = this.chunkPfns[this.nextChunk++];
    const to = from + this.chunkPages;
    const { memory, buddy, costs } = this.context;
    costs.acceptCalls += this.callsPerChunk;
    costs.guestCpuSec += this.chunkSec;
    if (this.chunkSec > costs.maxLockHoldSec) costs.maxLockHoldSec = this.chunkSec;
    memory.settleRange(from, to);
    memory.unaccepted!.clearRange(from, to);
    memory.populated.setRange(from, to);
    memory.logged.clearRange(from, to);
    memory.snap.clearRange(from, to);
    memory.quiet.clearRange(from, to);
    freeRange(buddy, from, to);
    return true;
  }

  fireArrival(): void {}
  fireGuest(): void {}

  nextStepPagePfn(): number {
    return -1;
  }
  start(_timeSec: number): void {}
  stop(_timeSec: number): void {}
  done(_timeSec: number): void {}
  setScale(_scale: number): void {}
}

/** Frees [from, to) as maximal aligned blocks, each to the tail of its list (merging). */
function freeRange(buddy: BuddyAllocator, from: number, to: number): void {
  let pfn = from;
  while (pfn < to) {
    let order = buddy.maxOrder;
    while (order > 0 && ((pfn & (2 ** order - 1)) !== 0 || pfn + 2 ** order > to)) order--;
    buddy.freeToTail(pfn, order);
    pfn += 2 ** order;
  }
}

/**
 * Takes [from, to) — all free — off the free lists: each free block overlapping it is
 * removed and the parts of it outside the range are freed again.
 */
function carveFreeRange(buddy: BuddyAllocator, from: number, to: number): void {
  let pfn = from;
  while (pfn < to) {
    const head = buddy.findFreeBlock(pfn);
    const order = buddy.freeOrder[head];
    const end = head + 2 ** order;
    buddy.removeFree(head, order);
    if (head < from) freeRange(buddy, head, from);
    if (end > to) freeRange(buddy, to, end);
    pfn = end < to ? end : to;
  }
}
