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
  /** The first pfn of the pages the last fired row wrote (see fire's result). */
  lastPfn = -1;

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
    if (next !== Infinity && atSec > next) this.waitedSec += atSec - next;
    this.nextTime = this.timeOf(this.index);
  }

  /**
   * Applies the current row. `initOnAlloc` zeroes allocated blocks (a write); without it an
   * allocation leaves the content undefined, which the loss check ignores until written.
   * Returns how many pages the row wrote, from `lastPfn` (0: none, or the row was
   * skipped), so that after a postcopy switch the caller can request the ones the
   * destination lacks.
   */
  fire(memory: GuestMemory, buddy: BuddyAllocator, initOnAlloc: boolean, initOnFree: boolean, costs: CostCounters): number {
    const rows = this.rows;
    const i = this.index;
    const pfn = rows.pfns[i];
    const pages = 2 ** rows.orders[i];
    const op = rows.ops[i];
    this.index = i + 1;
    this.nextTime = this.timeOf(this.index);
    this.lastPfn = pfn;
    if (op === TRACE_ALLOC) {
      if (!buddy.allocBlock(pfn, rows.orders[i])) {
        costs.traceRowsSkipped++;
        return 0;
      }
      memory.allocated.setRange(pfn, pfn + pages);
      if (!initOnAlloc) {
        memory.markUndefined(pfn, pfn + pages);
        return 0;
      }
      memory.writeRange(pfn, pages, true);
      return pages;
    }
    if (memory.allocated.countRange(pfn, pfn + pages) !== pages) {
      costs.traceRowsSkipped++;
      return 0;
    }
    if (op === TRACE_FREE) {
      memory.allocated.clearRange(pfn, pfn + pages);
      if (initOnFree) memory.writeRange(pfn, pages, true);
      buddy.free(pfn, rows.orders[i]);
      return initOnFree ? pages : 0;
    }
    memory.writeRange(pfn, pages, false);
    return pages;
  }
}
