/**
 * arch_free_page / arch_merge_page hints (docs/model.md §4.2; Alexander Duyck's 2019 RFC,
 * seed 000): on the guest's free path, one KVM_HC_UNUSED_PAGE_HINT hypercall per block,
 * and the host discards the block. Synchronous: the hypercall returns before the free
 * does, so the discard happens at the free's instant and the strategy has no events.
 *
 *   at-order     a free of a block of order ≥ `order` is hinted as freed (arch_free_page,
 *                before merging); a merge that reaches exactly `order` hints the merged
 *                block (arch_merge_page inside __free_one_page's loop). Merges above
 *                `order` are not hinted again: at most one hint per 2 MiB.
 *   after-merge  the final merged block is hinted once it reaches any order ≥ `order`
 *                (Aaron Lu's proposal, after done_merging): the same range is hinted again
 *                each time it merges higher (redundant pages hinted).
 *
 * Zone lock (docs/model.md §4.6): `at-order` holds it for 0 — arch_free_page runs before the
 * zone lock is taken, and arch_merge_page drops it around the hypercall, "safe as the
 * page has not yet been added to the buddy list" (seed 000). `after-merge` runs where the
 * block is already on the free list: it must keep the lock across the hypercall, or the
 * block could be allocated while the host discards it, so it holds it `callCost`.
 * The layout at t = 0 is taken as is: memory free at t = 0 was never hinted.
 */
import type { MergeListener } from '../buddy-allocator.js';
import type { CostCounters, MergeNotifierOptions } from '../types.js';
import type { HintStrategy, StrategyContext } from './hint-strategy.js';
import type { HostDiscard } from './host-discard.js';

export class MergeNotifier implements HintStrategy, MergeListener {
  readonly nextArrivalSec = Infinity;
  readonly nextGuestSec = Infinity;
  readonly gatheringDone = true;

  private readonly hintOrder: number;
  private readonly atOrder: boolean;
  private readonly callCostSec: number;
  private readonly lockHoldSec: number;
  private readonly costs: CostCounters;
  private readonly discard: HostDiscard;
  /** The guest is paused from the switchover on: no more frees are hinted. */
  private stopped = false;

  constructor(options: MergeNotifierOptions, context: StrategyContext, discard: HostDiscard) {
    this.hintOrder = options.order;
    this.atOrder = options.placement === 'at-order';
    this.callCostSec = options.callCostSec;
    this.lockHoldSec = this.atOrder ? 0 : options.callCostSec;
    this.costs = context.costs;
    this.discard = discard;
  }

  onFree(pfn: number, order: number): void {
    if (this.atOrder && order >= this.hintOrder) this.hint(pfn, order);
  }

  onMerge(pfn: number, order: number): void {
    if (this.atOrder && order === this.hintOrder) this.hint(pfn, order);
  }

  onFreed(pfn: number, order: number): void {
    if (!this.atOrder && order >= this.hintOrder) this.hint(pfn, order);
  }

  onAlloc(pfn: number, order: number): void {
    this.discard.forget(pfn, 2 ** order);
  }

  fireArrival(): void {}
  fireGuest(): void {}

  nextStepPagePfn(): number {
    return -1;
  }
  start(_timeSec: number): void {}
  stop(_timeSec: number): void {}
  done(_timeSec: number): void {
    this.stopped = true;
  }
  giveBack(): boolean {
    return false;
  }
  setScale(_scale: number): void {}

  /** One hypercall for [pfn, pfn + 2^order); the host discards it at once. */
  private hint(pfn: number, order: number): void {
    if (this.stopped) return;
    const pages = 2 ** order;
    const costs = this.costs;
    costs.hintCalls++;
    costs.pagesHinted += pages;
    costs.redundantPagesHinted += this.discard.discard(pfn, pages);
    costs.guestCpuSec += this.callCostSec;
    if (this.lockHoldSec > costs.maxLockHoldSec) costs.maxLockHoldSec = this.lockHoldSec;
  }
}
