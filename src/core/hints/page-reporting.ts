/**
 * Linux free page reporting (mm/page_reporting.c, v5.7+, seed 004; docs/model.md §4.3) behind
 * virtio-balloon's reporting queue: a deferred worker isolates unreported free blocks of
 * order ≥ `minOrder` in batches, reports each batch with one call, the host discards it,
 * and the blocks return to the TAIL of their list flagged reported, so the allocator
 * reuses warm memory first. Runs from t = 0, before and during migration.
 *
 * The cycle, as page_reporting_process → _process_zone → _cycle → _drain:
 *   request    page_reporting_register, and every free that leaves a block of order
 *              ≥ minOrder (it is unreported: a merge or a fresh free clears the flag),
 *              schedule a pass `delay` later, unless one is pending; a request during a
 *              pass re-arms the next one.
 *   pass       cancelled if free memory < low + capacity × 2^minOrder pages (no re-arm);
 *              else for each order from minOrder up: budget = ceil(nr_free /
 *              (capacity × 16)) batches, so an idle guest is reported in about 16 passes
 *              × 2 s ≈ 30 s.
 *   fillBatch  walk the list from the head, skip reported blocks, isolate up to
 *              `capacity`; then rotate the next unreported block to the front
 *              (list_rotate_to_front), so the skipped reported blocks go behind.
 *   report     one call; it reaches the host `callCost` later (priority HINT).
 *   drainBatch the host discards the batch; each block is freed to the tail
 *              (FPI_TO_TAIL, no new request) and flagged reported unless it merged.
 *   end        another pass `delay` later if a request came during the pass or an
 *              unreported block of order ≥ minOrder is left.
 * Simplified against Linux: a batch holds one order (Linux's scatterlist carries a
 * partial batch into the next order and reports the leftover at the end), and the budget
 * is exact (Linux allows one extra call per order).
 *
 * Zone lock (docs/model.md §4.6): held only to isolate a batch and to drain it; the report
 * call runs after spin_unlock_irq, so a hint call holds it for 0.
 */
import type { MergeListener } from '../buddy-allocator.js';
import type { PageReportingOptions } from '../types.js';
import type { HintStrategy, StrategyContext } from './hint-strategy.js';
import type { HostDiscard } from './host-discard.js';

/** The budget divisor: a pass reports at most 1/16 of a list (page_reporting_cycle). */
const BUDGET_LIST_FRACTION = 16;

export class PageReporting implements HintStrategy, MergeListener {
  nextArrivalSec = Infinity;
  readonly gatheringDone = true;

  private readonly options: PageReportingOptions;
  private readonly context: StrategyContext;
  private readonly discard: HostDiscard;
  /** Below low + capacity × 2^minOrder free pages a pass reports nothing. */
  private readonly watermarkPages: number;
  private scale = 1;
  private stopped = false;

  /** A pass is due at this time (priority GUEST), or Infinity. */
  private passSec: number;
  private passActive = false;
  /** A request arrived while the pass ran: another one follows. */
  private requested = false;
  /** Set while the strategy frees its own blocks: those frees request nothing. */
  private draining = false;

  private order = 0;
  private budgetBatches = 0;
  private readonly batchPfns: Int32Array;
  private batchCount = 0;

  constructor(options: PageReportingOptions, context: StrategyContext, discard: HostDiscard) {
    this.options = options;
    this.context = context;
    this.discard = discard;
    this.watermarkPages = context.lowWatermarkPages + options.capacity * 2 ** options.minOrder;
    this.batchPfns = new Int32Array(options.capacity);
    context.buddy.enableReporting();
    // page_reporting_register: "begin initial flush of zones", 2 s after registration.
    this.passSec = context.clock.nowSec + options.delaySec;
  }

  get nextGuestSec(): number {
    return this.passSec;
  }

  onMerge(_pfn: number, _order: number): void {}

  /** page_reporting_notify_free: the one cheap check on the free path. */
  onFreed(_pfn: number, order: number): void {
    if (order < this.options.minOrder || this.draining || this.stopped) return;
    if (this.passActive) this.requested = true;
    else if (this.passSec === Infinity) this.passSec = this.context.clock.nowSec + this.options.delaySec;
  }

  onAlloc(pfn: number, order: number): void {
    this.discard.forget(pfn, 2 ** order);
  }

  /** The deferred worker runs a pass. */
  /** A pass (or report) may schedule an arrival: never fired ahead. */
  nextStepPagePfn(): number {
    return -1;
  }

  fireGuest(): void {
    const timeSec = this.passSec;
    this.passSec = Infinity;
    const buddy = this.context.buddy;
    if (buddy.freePages < this.watermarkPages) return;
    this.passActive = true;
    this.requested = false;
    this.order = this.options.minOrder;
    this.budgetBatches = this.budgetOf(this.order);
    this.fillBatch(timeSec);
  }

  /** The host has the batch: discard it, then drain and go on with the next one. */
  fireArrival(): void {
    const timeSec = this.nextArrivalSec;
    this.nextArrivalSec = Infinity;
    const { buddy, memory, costs } = this.context;
    const order = this.order;
    const pages = 2 ** order;
    costs.hintCalls++;
    costs.guestCpuSec += this.options.callCostSec;
    this.draining = true;
    for (let i = 0; i < this.batchCount; i++) {
      const pfn = this.batchPfns[i];
      costs.pagesHinted += pages;
      costs.redundantPagesHinted += this.discard.discard(pfn, pages);
      memory.held.clearRange(pfn, pfn + pages);
      buddy.freeToTail(pfn, order);
      // A block that merged on its way back is a new, unreported block.
      if (buddy.freeOrder[pfn] === order) buddy.markReported(pfn);
    }
    this.draining = false;
    this.batchCount = 0;
    this.budgetBatches--;
    this.fillBatch(timeSec);
  }

  start(_timeSec: number): void {}
  stop(_timeSec: number): void {}

  /** The guest pauses for good: a batch in flight goes back unreported; nothing more runs. */
  done(_timeSec: number): void {
    this.stopped = true;
    this.passSec = Infinity;
    this.nextArrivalSec = Infinity;
    const { buddy, memory } = this.context;
    const pages = 2 ** this.order;
    this.draining = true;
    for (let i = 0; i < this.batchCount; i++) {
      memory.held.clearRange(this.batchPfns[i], this.batchPfns[i] + pages);
      buddy.freeToTail(this.batchPfns[i], this.order);
    }
    this.draining = false;
    this.batchCount = 0;
  }

  /** A batch in flight is the device's until the report completes (microseconds). */
  giveBack(): boolean {
    return false;
  }

  setScale(scale: number): void {
    this.scale = scale;
  }

  private budgetOf(order: number): number {
    return Math.ceil(this.context.buddy.nrFree[order] / (this.options.capacity * BUDGET_LIST_FRACTION));
  }

  /** Isolates the next batch of this pass and sends it, or ends the pass. */
  private fillBatch(timeSec: number): void {
    const { buddy, memory, costs } = this.context;
    const capacity = this.options.capacity;
    const maxOrder = buddy.maxOrder;
    while (this.order <= maxOrder) {
      const order = this.order;
      if (this.budgetBatches > 0) {
        let count = 0;
        let pfn = buddy.headOf(order);
        while (pfn !== -1 && count < capacity) {
          if (!buddy.isReported(pfn)) this.batchPfns[count++] = pfn;
          pfn = buddy.nextOf(pfn);
        }
        if (count > 0) {
          while (pfn !== -1 && buddy.isReported(pfn)) pfn = buddy.nextOf(pfn);
          if (pfn !== -1) buddy.rotateToFront(pfn, order);
          const pages = 2 ** order;
          for (let i = 0; i < count; i++) {
            buddy.removeFree(this.batchPfns[i], order);
            memory.held.setRange(this.batchPfns[i], this.batchPfns[i] + pages);
          }
          this.batchCount = count;
          if (count > costs.blocksHeldPeak) costs.blocksHeldPeak = count;
          this.nextArrivalSec = timeSec + this.options.callCostSec / this.scale;
          return;
        }
      }
      this.order++;
      if (this.order <= maxOrder) this.budgetBatches = this.budgetOf(this.order);
    }
    this.endPass(timeSec);
  }

  private endPass(timeSec: number): void {
    this.passActive = false;
    if (this.requested || this.hasUnreported()) this.passSec = timeSec + this.options.delaySec;
    this.requested = false;
  }

  private hasUnreported(): boolean {
    const buddy = this.context.buddy;
    for (let order = this.options.minOrder; order <= buddy.maxOrder; order++) {
      for (let pfn = buddy.headOf(order); pfn !== -1; pfn = buddy.nextOf(pfn)) {
        if (!buddy.isReported(pfn)) return true;
      }
    }
    return false;
  }
}
