/**
 * virtio-balloon VIRTIO_BALLOON_F_FREE_PAGE_HINT (docs/model.md §4.1), as Linux's
 * drivers/virtio/virtio_balloon.c and QEMU's hw/virtio/virtio-balloon.c implement it:
 * per command id the driver allocates blocks of `order` one at a time (init_on_alloc
 * zeroes each one, page by page), reports each, and holds it until DONE at switchover.
 * The host clears a reported block's bits in the migration bitmap, unless the report
 * arrives after STOP. `inPlace` models the earlier design (seed 003): free blocks are
 * reported from the free lists without being taken, so they can be reused while the
 * report is in flight; the dirty log is what must catch those pages.
 *
 * Lock hold (docs/model.md §4.6): the allocating driver holds the zone lock only inside
 * alloc_pages (no time of its own here: 0); the in-place walk reports each block from
 * under the zone lock (walk_free_mem_block), so it holds it for `callCost` per block.
 */
import { seedDoubleFields } from '../double-fields.js';
import type { BuddyAllocator } from '../buddy-allocator.js';
import type { GuestMemory } from '../guest-memory.js';
import type { Precopy } from '../precopy.js';
import type { CostCounters, FreePageHintOptions, GuestConfig } from '../types.js';
import type { HintStrategy } from './hint-strategy.js';
import { timeOrNever } from '../never.js';
import { popcount32 } from '../bitmap.js';
import type { HintDriverListener } from '../hint-driver-hold.js';

/**
 * Switch for tests only: off, a hint block's zeroing steps fired in runs go page by page
 * (zeroNextPage), which must give the same results (test/core/hints/zeroing-words.test.ts).
 */
export const zeroingShortcuts = { wordsAtOnce: true };

/** The low `count` bits, 1 ≤ count ≤ 32. */
function lowBits(count: number): number {
  return 0xffffffff >>> (32 - count);
}

export interface FreePageHintContext {
  memory: GuestMemory;
  buddy: BuddyAllocator;
  precopy: Precopy;
  costs: CostCounters;
  guest: GuestConfig;
  minWatermarkPages: number;
  /**
   * Told when the driver's loop starts and ends (hint-driver-hold.ts: under voluntary
   * preemption it keeps its vCPU), when the guest's streams wait for it; absent: nobody.
   */
  driverHold?: HintDriverListener | null;
}

export class FreePageHint implements HintStrategy {
  nextArrivalSec = Infinity;
  gatheringDone = false;

  private readonly options: FreePageHintOptions;
  private readonly context: FreePageHintContext;
  private readonly blockPages: number;
  private readonly pageSizeBytes: number;
  private scale = 1;

  private commandId = 0;
  private commandActive = false;
  private commandStartSec = 0;
  /** A start (new command id) is due at commandStartSec; it runs as a guest-side step. */
  private startPending = false;
  private blocksThisCommand = 0;
  private stoppedThisCommand = false;

  // The block being allocated and zeroed (held mode).
  private blockPfn = -1;
  private blockStartSec = 0;
  /** zeroWordsBefore's last step end (a slot, so that V8 keeps the double unboxed). */
  private readonly lastZeroEndSec = new Float64Array(1);
  private zeroIndex = 0;
  private populatedZeroed = 0;
  private untouchedZeroed = 0;
  private populatedPageSec = 0;
  private untouchedPageSec = 0;
  private nextZeroSec = Infinity;
  private reportCommandId = 0;

  // Held blocks, most recent last (given back first under pressure).
  private readonly heldPfns: Int32Array;
  private heldCount = 0;

  // In-place mode: the free blocks found at start, reported one after another.
  private readonly foundPfns: Int32Array;
  private readonly foundOrders: Int8Array;
  private foundCount = 0;
  private reportIndex = 0;

  constructor(options: FreePageHintOptions, context: FreePageHintContext) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['commandStartSec', 'blockStartSec', 'populatedPageSec', 'untouchedPageSec']);
    this.options = options;
    this.context = context;
    this.blockPages = 2 ** options.order;
    this.pageSizeBytes = context.guest.pageSizeBytes;
    const maxBlocks = Math.floor(context.memory.totalPages / this.blockPages) + 1;
    this.heldPfns = new Int32Array(options.inPlace ? 0 : maxBlocks);
    this.foundPfns = new Int32Array(options.inPlace ? maxBlocks : 0);
    this.foundOrders = new Int8Array(options.inPlace ? maxBlocks : 0);
  }

  get nextGuestSec(): number {
    const start = this.startPending ? this.commandStartSec : Infinity;
    return start < this.nextZeroSec ? start : this.nextZeroSec;
  }

  start(timeSec: number): void {
    this.commandStartSec = timeSec;
    this.startPending = true;
  }

  stop(_timeSec: number): void {
    this.commandActive = false;
    this.startPending = false;
    if (this.options.inPlace) this.nextArrivalSec = Infinity;
  }

  done(_timeSec: number): void {
    this.stop(_timeSec);
    const { buddy, memory } = this.context;
    const order = this.options.order;
    if (this.blockPfn >= 0) {
      this.heldPfns[this.heldCount++] = this.blockPfn;
      this.blockPfn = -1;
    }
    while (this.heldCount > 0) {
      const pfn = this.heldPfns[--this.heldCount];
      memory.held.clearRange(pfn, pfn + this.blockPages);
      buddy.free(pfn, order);
    }
    this.nextZeroSec = Infinity;
    this.nextArrivalSec = Infinity;
  }

  giveBack(): boolean {
    if (this.heldCount === 0) return false;
    const pfn = this.heldPfns[--this.heldCount];
    this.context.memory.held.clearRange(pfn, pfn + this.blockPages);
    this.context.buddy.free(pfn, this.options.order);
    return true;
  }

  setScale(scale: number): void {
    this.scale = scale;
  }

  /**
   * A report's arrival records the hint (Precopy.applyHint), takes the next block from the
   * free lists and marks it held; the only pages it writes are the rest of its own block's
   * zeroing (a tie with the report), as in order. Not with a merge listener on the
   * allocator (a combined strategy's), which an allocation would call.
   */
  arrivalOnlyHints(): boolean {
    return this.context.buddy.mergeListener === null && !this.arrivalMayEndHold();
  }

  /**
   * Whether the next arrival may end the driver's hold on its vCPU (hint-driver-hold.ts): its
   * block was taken for an earlier command, the command stopped, or no next block can be
   * taken. Then the streams on the vCPU resume (and write), which the sender's run must see
   * in order, so the arrival is left to the event loop.
   */
  private arrivalMayEndHold(): boolean {
    if (!this.context.driverHold) return false;
    if (!this.commandActive || this.stoppedThisCommand || this.reportCommandId !== this.commandId) return true;
    const buddy = this.context.buddy;
    return buddy.freePages - this.blockPages < this.context.minWatermarkPages || !buddy.hasFreeBlock(this.options.order);
  }

  /** A zeroing step writes one page and schedules nothing (the block's report was scheduled when it was taken). */
  nextStepPagePfn(): number {
    if (this.startPending && this.commandStartSec <= this.nextZeroSec) return -1;
    return this.nextZeroSec < Infinity ? this.blockPfn + this.zeroIndex : -1;
  }

  /** The rest of the block being zeroed, unless a command start is pending (it would come between). */
  plainStepsEndPfn(): number {
    if (this.startPending || this.nextZeroSec === Infinity) return -1;
    return this.blockPfn + this.blockPages;
  }

  firePlainStepsBefore(boundSec: number, avoidWord: number): number {
    // A pending command start stops the steps at its time (it comes first at equal times).
    const untilSec = this.startPending && this.commandStartSec < boundSec ? this.commandStartSec : boundSec;
    if (zeroingShortcuts.wordsAtOnce) return this.zeroWordsBefore(untilSec, avoidWord);
    let lastSec = -1;
    while (this.nextZeroSec < untilSec) {
      if ((this.blockPfn + this.zeroIndex) >>> 5 === avoidWord) break;
      lastSec = this.nextZeroSec;
      this.zeroNextPage();
    }
    return lastSec;
  }

  /**
   * firePlainStepsBefore a bitmap word at a time: the steps of the block's pages in one word
   * whose times are before `untilSec` zero those pages in one word operation
   * (GuestMemory.writeZeroWord). Step j of the word (1-based) ends at the closed form
   * zeroEndSec computes, blockStart + (populatedZeroed + a)·populatedPageSec +
   * (untouchedZeroed + j − a)·untouchedPageSec with a the populated pages among the word's
   * first j: the same integers, so the same doubles. Those times never decrease in j (IEEE
   * rounding is monotonic), so the steps before the bound are a prefix, found by bisection.
   * Nothing else writes a held block's pages, so `populated` read once per word is what
   * each step would have read.
   */
  private zeroWordsBefore(untilSec: number, avoidWord: number): number {
    const memory = this.context.memory;
    const startSec = this.blockStartSec, populatedSec = this.populatedPageSec, untouchedSec = this.untouchedPageSec;
    // The last step's end lives in a Float64Array slot, not a local: a loop-carried local
    // that starts as the integer −1 and takes a double was boxed by V8 each word, one
    // 16-byte heap number per word zeroed (11.6 MB of the 256 GiB hinted bench run's 50).
    const lastSec = this.lastZeroEndSec;
    lastSec[0] = -1;
    while (this.nextZeroSec < untilSec) {
      const pfn = this.blockPfn + this.zeroIndex;
      const w = pfn >>> 5;
      if (w === avoidWord) break;
      const bit = pfn & 31;
      const left = Math.min(32 - bit, this.blockPages - this.zeroIndex);
      const populated = memory.populatedBits(w) >>> bit;
      const populatedZeroed = this.populatedZeroed, untouchedZeroed = this.untouchedZeroed;
      // Steps [1, steps] end before untilSec; the first does (nextZeroSec).
      let steps = left;
      const inWord = populated & lowBits(left);
      let a = popcount32(inWord);
      let endSec = startSec + (populatedZeroed + a) * populatedSec + (untouchedZeroed + left - a) * untouchedSec;
      if (endSec < untilSec) {
        // All of the word's steps.
      } else if (inWord === 0 || a === left) {
        // One kind of page (a block is usually all old data or all never touched): step j
        // ends at start + (pz + j)·P + uz·U or start + pz·P + (uz + j)·U. An estimate of the
        // last j before untilSec, corrected by the exact expression (monotonic in j).
        const all = a === left ? 1 : 0;
        const stepSec = all === 1 ? populatedSec : untouchedSec;
        const baseSec = startSec + populatedZeroed * populatedSec + untouchedZeroed * untouchedSec;
        let j = Math.floor((untilSec - baseSec) / stepSec);
        if (!(j >= 1)) j = 1;
        if (!(j < left)) j = left - 1;
        while (j > 1 && !(startSec + (populatedZeroed + all * j) * populatedSec + (untouchedZeroed + j - all * j) * untouchedSec < untilSec)) j--;
        while (j + 1 < left && startSec + (populatedZeroed + all * (j + 1)) * populatedSec + (untouchedZeroed + (j + 1) - all * (j + 1)) * untouchedSec < untilSec) j++;
        steps = j;
        a = all * j;
        endSec = startSec + (populatedZeroed + a) * populatedSec + (untouchedZeroed + j - a) * untouchedSec;
      } else {
        let lo = 1, hi = left; // step lo ends before untilSec, step hi does not
        while (hi - lo > 1) {
          const mid = (lo + hi) >>> 1;
          const am = popcount32(populated & lowBits(mid));
          if (startSec + (populatedZeroed + am) * populatedSec + (untouchedZeroed + mid - am) * untouchedSec < untilSec) lo = mid;
          else hi = mid;
        }
        steps = lo;
        a = popcount32(populated & lowBits(lo));
        endSec = startSec + (populatedZeroed + a) * populatedSec + (untouchedZeroed + lo - a) * untouchedSec;
      }
      memory.writeZeroWord(w, lowBits(steps) << bit);
      lastSec[0] = endSec;
      this.populatedZeroed = populatedZeroed + a;
      this.untouchedZeroed = untouchedZeroed + steps - a;
      this.zeroIndex += steps;
      const more = this.zeroIndex < this.blockPages;
      this.nextZeroSec = timeOrNever(more, more ? this.zeroEndSec(pfn + steps) : 0);
    }
    return lastSec[0];
  }

  fireGuest(): void {
    if (this.startPending && this.commandStartSec <= this.nextZeroSec) {
      this.beginCommand(this.commandStartSec);
      return;
    }
    this.zeroNextPage();
  }

  fireArrival(): void {
    const timeSec = this.nextArrivalSec;
    const costs = this.context.costs;
    costs.hintCalls++;
    costs.guestCpuSec += this.options.callCostSec;
    if (this.options.inPlace) {
      const pfn = this.foundPfns[this.reportIndex];
      const pages = 2 ** this.foundOrders[this.reportIndex];
      costs.pagesHinted += pages;
      if (this.options.callCostSec > costs.maxLockHoldSec) costs.maxLockHoldSec = this.options.callCostSec;
      if (this.commandActive) this.context.precopy.applyHint(pfn, pages, this.options.clearsDirtyLog);
      this.reportIndex++;
      if (this.reportIndex < this.foundCount) {
        // Not before this one: a share that rose since (host-cpu.ts) must not move it back.
        this.nextArrivalSec = Math.max(timeSec, this.inPlaceArrivalSec(this.reportIndex));
      } else {
        this.nextArrivalSec = Infinity;
        this.gatheringDone = true;
      }
      return;
    }
    // With callCost 0 the report can tie with the last page's zeroing: finish zeroing first.
    while (this.nextZeroSec !== Infinity) this.zeroNextPage();
    const pfn = this.blockPfn;
    this.blockPfn = -1;
    this.nextArrivalSec = Infinity;
    costs.pagesHinted += this.blockPages;
    this.heldPfns[this.heldCount++] = pfn;
    if (this.heldCount > costs.blocksHeldPeak) costs.blocksHeldPeak = this.heldCount;
    if (this.commandActive && this.reportCommandId === this.commandId) {
      this.context.precopy.applyHint(pfn, this.blockPages, this.options.clearsDirtyLog);
    }
    // send_free_pages checks the command id before each block: a block taken for an earlier
    // command ends that loop, and the work item queued for the new id starts another after
    // process_one_work's cond_resched, where the streams on the vCPU run in between.
    const hold = this.context.driverHold;
    if (hold && this.reportCommandId !== this.commandId) hold.driverIdle(timeSec);
    this.allocateNext(timeSec);
  }

  private beginCommand(timeSec: number): void {
    this.startPending = false;
    this.commandId++;
    this.commandActive = true;
    this.blocksThisCommand = 0;
    this.stoppedThisCommand = false;
    if (this.options.inPlace) {
      this.findFreeBlocks();
      this.reportIndex = 0;
      this.nextArrivalSec = this.foundCount > 0 ? this.inPlaceArrivalSec(0) : Infinity;
      if (this.foundCount === 0) this.gatheringDone = true;
      return;
    }
    if (this.blockPfn < 0) this.allocateNext(timeSec);
  }

  /** Report k of an in-place command is sent `(k + 1) × callCost` after the start. */
  private inPlaceArrivalSec(index: number): number {
    let sendSec = this.commandStartSec + ((index + 1) * this.options.callCostSec) / this.scale;
    if (this.options.rateBlocksPerSec !== null) {
      sendSec = Math.max(sendSec, this.commandStartSec + (index + 1) / (this.options.rateBlocksPerSec * this.scale));
    }
    return sendSec + this.options.latencySec;
  }

  /** Walks the free lists of orders ≥ `order`, head to tail, without taking anything. */
  private findFreeBlocks(): void {
    const buddy = this.context.buddy;
    let count = 0;
    for (let order = this.options.order; order <= buddy.maxOrder; order++) {
      for (let pfn = buddy.headOf(order); pfn >= 0; pfn = buddy.nextOf(pfn)) {
        this.foundPfns[count] = pfn;
        this.foundOrders[count] = order;
        count++;
      }
    }
    this.foundCount = count;
  }

  /**
   * Takes the next block, unless the command stopped, the allocation fails, or the block
   * would take free memory below the min watermark.
   */
  private allocateNext(timeSec: number): void {
    const hold = this.context.driverHold;
    if (!this.commandActive || this.stoppedThisCommand) {
      // send_free_pages sees the new command id (STOP) and returns: the loop ends.
      if (hold) hold.driverIdle(timeSec);
      return;
    }
    const { buddy, memory, guest, minWatermarkPages } = this.context;
    const pfn = buddy.freePages - this.blockPages < minWatermarkPages ? -1 : buddy.alloc(this.options.order);
    if (pfn < 0) {
      this.stoppedThisCommand = true;
      this.gatheringDone = true;
      // get_free_page_and_send's alloc_pages failed (-EINTR): the loop ends.
      if (hold) hold.driverIdle(timeSec);
      return;
    }
    // The loop takes the vCPU from its first block (a no-op while it already has it).
    if (hold) hold.driverBusy(timeSec);
    this.blocksThisCommand++;
    memory.held.setRange(pfn, pfn + this.blockPages);
    this.blockPfn = pfn;
    this.blockStartSec = timeSec;
    this.reportCommandId = this.commandId;
    let zeroingSec = 0;
    if (guest.initOnAlloc) {
      this.populatedPageSec = this.pageSizeBytes / guest.zeroRateBytesPerSec / this.scale;
      this.untouchedPageSec = this.pageSizeBytes / guest.firstTouchRateBytesPerSec / this.scale;
      const populated = memory.populatedCount(pfn, pfn + this.blockPages);
      zeroingSec = populated * this.populatedPageSec + (this.blockPages - populated) * this.untouchedPageSec;
      // The vCPU's CPU is the work itself: the throttle's sleeps and the host's other
      // threads stretch zeroingSec (÷ scale) but cost the guest no CPU.
      const zeroingCpuSec = zeroingSec * this.scale;
      this.context.costs.zeroingSec += zeroingCpuSec;
      this.context.costs.guestCpuSec += zeroingCpuSec;
      this.zeroIndex = 0;
      this.populatedZeroed = 0;
      this.untouchedZeroed = 0;
      this.nextZeroSec = this.zeroEndSec(pfn);
    }
    let sendSec = timeSec + zeroingSec + this.options.callCostSec / this.scale;
    if (this.options.rateBlocksPerSec !== null) {
      sendSec = Math.max(sendSec, this.commandStartSec + this.blocksThisCommand / (this.options.rateBlocksPerSec * this.scale));
    }
    this.nextArrivalSec = sendSec + this.options.latencySec;
  }

  /** When zeroing of page `pfn` (the next one) ends: computed from counts, not summed. */
  private zeroEndSec(pfn: number): number {
    const populated = this.context.memory.isPopulated(pfn);
    return (
      this.blockStartSec +
      (this.populatedZeroed + (populated ? 1 : 0)) * this.populatedPageSec +
      (this.untouchedZeroed + (populated ? 0 : 1)) * this.untouchedPageSec
    );
  }

  /** init_on_alloc zeroes the block page by page; each is a guest write of zeros. */
  private zeroNextPage(): void {
    const memory = this.context.memory;
    const pfn = this.blockPfn + this.zeroIndex;
    if (memory.isPopulated(pfn)) this.populatedZeroed++;
    else this.untouchedZeroed++;
    memory.writePage(pfn, true);
    this.zeroIndex++;
    const more = this.zeroIndex < this.blockPages;
    this.nextZeroSec = timeOrNever(more, more ? this.zeroEndSec(pfn + 1) : 0);
  }
}
