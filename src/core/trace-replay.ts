/**
 * Replays a recorded trace (docs/model.md §1.4) as guest events: each row allocates, frees or
 * writes a specific block, as the kernel's kmem:mm_page_alloc / mm_page_free tracepoints
 * report them. A trace from a real machine starts from an allocator state migsim does not
 * know, so a row that does not fit the simulated allocator (an alloc of a block that is not
 * free, a free or write of pages that are not allocated) is skipped and counted
 * (`traceRowsSkipped`) rather than corrupting the free lists.
 */
import type { BuddyAllocator } from './buddy-allocator.js';
import type { GuestMemory } from './guest-memory.js';
import { TRACE_ALLOC, TRACE_FREE, type CostCounters, type TraceRows } from './types.js';
import { timeOrNever } from './never.js';
import type { Blockable } from './endings/postcopy-vcpus.js';

export class TraceReplay implements Blockable {
  private readonly rows: TraceRows;
  private readonly startSec: number;
  private readonly endSec: number;
  private index = 0;
  /** How long the replay has waited (a postcopy fault, the switch): later rows come that much later. */
  private waitedSec = 0;
  /** While blocked, the next row's time; NaN when running. */
  private blockedNextSec = NaN;
  nextTime: number;

  /** Rows are timed from the phase start; the phase end (if any) cuts the replay. */
  constructor(rows: TraceRows, startSec: number, endSec: number) {
    this.rows = rows;
    this.startSec = startSec;
    this.endSec = endSec;
    this.nextTime = this.timeOf(0);
  }

  private timeOf(index: number): number {
    if (index >= this.rows.count) return Infinity;
    const t = this.startSec + this.waitedSec + this.rows.timesSec[index];
    return timeOrNever(t < this.endSec, t);
  }

  /**
   * The guest program stops (its vCPU waits on a postcopy fault, or the guest is paused):
   * no row fires until unblock. As ArrivalClock.block (workload-sources.ts) does for a writer.
   */
  block(): void {
    if (!Number.isNaN(this.blockedNextSec)) return;
    this.blockedNextSec = this.nextTime;
    this.nextTime = Infinity;
  }

  /** The wait ends at `atSec`: the next row fires then (or when due), every later one as much later. */
  unblock(atSec: number): void {
    const next = this.blockedNextSec;
    if (Number.isNaN(next)) return;
    this.blockedNextSec = NaN;
    // The blocked row (a fault's, unfired) happens at atSec; every later one as much later.
    if (next !== Infinity && atSec > next) this.waitedSec += atSec - next;
    this.nextTime = this.timeOf(this.index);
  }

  /** The first pfn of the current row. */
  get pfn(): number {
    return this.rows.pfns[this.index];
  }

  /**
   * How many pages the current row would write if fired now (0: none, or it would be
   * skipped), from `pfn`: after a postcopy switch the caller requests the ones the
   * destination lacks before firing, and the row waits for them, as a writer's write does.
   */
  pagesToWrite(memory: GuestMemory, buddy: BuddyAllocator, initOnAlloc: boolean, initOnFree: boolean): number {
    const rows = this.rows;
    const i = this.index;
    const pfn = rows.pfns[i];
    const order = rows.orders[i];
    const pages = 2 ** order;
    const op = rows.ops[i];
    if (op === TRACE_ALLOC) return initOnAlloc && buddy.freeBlockHolding(pfn, order) >= 0 ? pages : 0;
    if (memory.allocated.countRange(pfn, pfn + pages) !== pages) return 0;
    return op === TRACE_FREE && !initOnFree ? 0 : pages;
  }

  /**
   * Applies the current row. `initOnAlloc` zeroes allocated blocks (a write); without it an
   * allocation leaves the content undefined, which the loss check ignores until written.
   */
  fire(memory: GuestMemory, buddy: BuddyAllocator, initOnAlloc: boolean, initOnFree: boolean, costs: CostCounters): void {
    const rows = this.rows;
    const i = this.index;
    const pfn = rows.pfns[i];
    const pages = 2 ** rows.orders[i];
    const op = rows.ops[i];
    this.index = i + 1;
    this.nextTime = this.timeOf(this.index);
    if (op === TRACE_ALLOC) {
      if (!buddy.allocBlock(pfn, rows.orders[i])) {
        costs.traceRowsSkipped++;
        return;
      }
      memory.allocated.setRange(pfn, pfn + pages);
      if (initOnAlloc) memory.writeRange(pfn, pages, true);
      else memory.markUndefined(pfn, pfn + pages);
      return;
    }
    if (memory.allocated.countRange(pfn, pfn + pages) !== pages) {
      costs.traceRowsSkipped++;
      return;
    }
    if (op === TRACE_FREE) {
      memory.allocated.clearRange(pfn, pfn + pages);
      if (initOnFree) memory.writeRange(pfn, pages, true);
      buddy.free(pfn, rows.orders[i]);
    } else {
      memory.writeRange(pfn, pages, false);
    }
  }
}
