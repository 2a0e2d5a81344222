/**
 * The guest's page allocator: a binary buddy allocator for one zone and one migratetype,
 * orders 0..maxOrder inclusive (Linux ≥ 6.4 MAX_PAGE_ORDER semantics), mirroring
 * mm/page_alloc.c: __rmqueue_smallest + expand() to allocate, __free_one_page with
 * buddy_merge_likely() to free. No per-CPU lists, compaction, reclaim, watermarks or
 * guard pages here (the engine owns policy, docs/model.md §1.3). State is struct-of-arrays:
 * the order of free block heads by pfn (1 byte per page), and the free lists' links (see
 * LINKS_SHARED_BELOW_ORDER); plus 1 bit per page with enableReporting(). Only
 * checkInvariants() allocates after construction.
 */

import { Bitmap } from './bitmap.js';
import { InvariantError } from './errors.js';

/** Pfns are stored in Int32Array links with −1 as "none", so at most 2^31 − 1 pages. */
const MAX_TOTAL_PAGES = 2147483647;
/** 1 << order must stay a positive int32: order ≤ 30 (4 TiB blocks of 4 KiB pages). */
const MAX_SUPPORTED_ORDER = 30;
/**
 * Free-list links (next, prev: Int32 pfns) of blocks of order < 6 share one pair of arrays
 * indexed by pfn; each higher order has its own pair indexed by pfn >> order. Links are
 * written only when a block is listed, so only the 4 KiB host pages of the link arrays that
 * hold a listed block's slot are ever backed. With one pair by pfn, free max-order blocks
 * (one head every 1024 pages) backed every 4 KiB page of both arrays, 8 B per guest page
 * (issue 15: 8.26 B/page for the 1 TiB bench guest); by pfn >> order the same heads fill
 * 8 B per 1024 pages. Low orders stay shared so that a long run with churn everywhere
 * backs at most 8 + 16/64 B of links per page (8 B before this split): a block of order
 * o ≥ 6 costs 8 B per 2^o pages at most.
 */
const LINKS_SHARED_BELOW_ORDER = 6;

/**
 * Notified by free() as blocks coalesce, for hint strategies that track merges
 * (arch_merge_page-style notifiers, page reporting's "a merged block is no longer
 * reported"), and optionally at the arch_free_page / arch_alloc_page points. Called
 * synchronously; it must not call back into the allocator's free() or alloc().
 */
export interface MergeListener {
  /** arch_free_page: at the start of free(), the block as freed, before any merge. */
  onFree?(pfn: number, order: number): void;
  /** After each merge step: the new combined free block (not yet on a list). */
  onMerge(pfn: number, order: number): void;
  /** Once per free(): the final block, already on its free list. */
  onFreed(pfn: number, order: number): void;
  /** arch_alloc_page: after alloc() took [pfn, pfn + 2^order) off the free lists. */
  onAlloc?(pfn: number, order: number): void;
}

/**
 * Free lists, one per order, are doubly linked through block-head pfns:
 *
 *   head[order] → pfn → next(pfn) → … → tail[order], and back through prev(), −1 ends,
 *   where next(pfn) = nextByOrder[order][pfn >> linkShift[order]].
 *
 * freeOrder[pfn] is the order of the free block headed at pfn, −1 for every other page
 * (allocated pages and non-head pages of free blocks); Linux keeps the same fact in
 * PageBuddy + page_private. next/prev are meaningful only where freeOrder ≥ 0.
 */
export class BuddyAllocator {
  /** Pages in the zone: pfns [0, totalPages). Need not be a multiple of 2^maxOrder. */
  readonly totalPages: number;
  /** Largest order (inclusive): blocks of up to 2^maxOrder pages. */
  readonly maxOrder: number;
  /**
   * Per order: the next block head on the same free list, or −1, at index pfn >>
   * linkShift[order] (LINKS_SHARED_BELOW_ORDER: orders below it share one array).
   */
  private readonly nextByOrder: Int32Array[];
  /** Per order: the previous block head on the same free list, or −1, as nextByOrder. */
  private readonly prevByOrder: Int32Array[];
  /** Per order: the shift from a head pfn to its link slot (0 or the order). */
  private readonly linkShift: Int32Array;
  /** Order of the free block headed at pfn, or −1. Read-only for callers. */
  readonly freeOrder: Int8Array;
  /** First block head per order (the next one alloc takes), or −1. Read-only for callers. */
  readonly head: Int32Array;
  /** Last block head per order, or −1. Read-only for callers. */
  readonly tail: Int32Array;
  /** Number of free blocks per order (Linux free_area[order].nr_free). Read-only for callers. */
  readonly nrFree: Int32Array;
  /** Null-checked once per merge step and once per free; set by a hint strategy. */
  mergeListener: MergeListener | null = null;
  /**
   * PageReported of free block heads (Linux free page reporting), or null until
   * enableReporting(). Taking a block off a list (allocation, merge, isolation) clears
   * its bit, so a split or merged block is unreported, as __del_page_from_free_list does.
   */
  private reported: Bitmap | null = null;
  private freePagesCount = 0;

  /**
   * An allocator with NO free blocks (every page allocated); add the initial layout with
   * addFreeBlock(). Allocates 1 byte per page, and 8 + 16/64 bytes per page of links
   * that the host backs only where blocks get listed. `linksSharedBelowOrder` moves the
   * split of LINKS_SHARED_BELOW_ORDER (tests vary it; the lists do not depend on it).
   * @throws RangeError unless 1 ≤ totalPages ≤ 2^31 − 1 and 0 ≤ maxOrder ≤ 30.
   */
  constructor(totalPages: number, maxOrder = 10, linksSharedBelowOrder = LINKS_SHARED_BELOW_ORDER) {
    if (!(Number.isInteger(totalPages) && totalPages >= 1 && totalPages <= MAX_TOTAL_PAGES)) {
      throw new RangeError(`buddy allocator pages must be an integer in [1, 2^31 - 1] (got ${totalPages})`);
    }
    if (!(Number.isInteger(maxOrder) && maxOrder >= 0 && maxOrder <= MAX_SUPPORTED_ORDER)) {
      throw new RangeError(`buddy allocator maxOrder must be an integer in [0, ${MAX_SUPPORTED_ORDER}] (got ${maxOrder})`);
    }
    this.totalPages = totalPages;
    this.maxOrder = maxOrder;
    // Links are written when a block goes on a list and read only for listed blocks, so
    // they are not filled: untouched pages of a fresh array cost the host nothing.
    const sharedNext = new Int32Array(totalPages);
    const sharedPrev = new Int32Array(totalPages);
    this.nextByOrder = [];
    this.prevByOrder = [];
    this.linkShift = new Int32Array(maxOrder + 1);
    for (let order = 0; order <= maxOrder; order++) {
      const shared = order < linksSharedBelowOrder;
      // A block of order o heads at pfn ≤ totalPages − 2^o, so pfn >> o < totalPages >> o.
      this.nextByOrder.push(shared ? sharedNext : new Int32Array(totalPages >>> order));
      this.prevByOrder.push(shared ? sharedPrev : new Int32Array(totalPages >>> order));
      this.linkShift[order] = shared ? 0 : order;
    }
    this.freeOrder = new Int8Array(totalPages).fill(-1);
    this.head = new Int32Array(maxOrder + 1).fill(-1);
    this.tail = new Int32Array(maxOrder + 1).fill(-1);
    this.nrFree = new Int32Array(maxOrder + 1);
  }

  /** Total pages on the free lists (Σ nrFree[order] · 2^order). */
  get freePages(): number {
    return this.freePagesCount;
  }

  /**
   * Puts the block [pfn, pfn + 2^order) on its free list as is, without merging (building
   * the initial layout). The caller guarantees the block is allocated now and that it
   * leaves no two free buddies unmerged; alignment, range and "not already a free head"
   * are checked. @throws InvariantError on a misaligned, out-of-range or free block.
   */
  addFreeBlock(pfn: number, order: number, toTail: boolean): void {
    this.checkBlock('addFreeBlock', pfn, order);
    if (this.freeOrder[pfn] !== -1) {
      throw new InvariantError(`addFreeBlock: pfn ${pfn} already heads a free block of order ${this.freeOrder[pfn]}`);
    }
    this.addToFreeList(pfn, order, toTail);
  }

  /**
   * Allocates a block of 2^order pages (Linux __rmqueue_smallest): takes the HEAD of the
   * smallest non-empty free list of order ≥ `order` and splits it with expand(): the
   * upper half of each split goes to the head of the list one order down. Returns the
   * block's first pfn, or −1 if no list ≥ order has a block. Does not allocate.
   * @throws RangeError unless 0 ≤ order ≤ maxOrder.
   */
  alloc(order: number): number {
    const maxOrder = this.maxOrder, head = this.head;
    if (!(order >= 0 && order <= maxOrder)) {
      throw new RangeError(`alloc order must be in [0, ${maxOrder}] (got ${order})`);
    }
    for (let currentOrder = order; currentOrder <= maxOrder; currentOrder++) {
      const pfn = head[currentOrder];
      if (pfn === -1) {
        continue;
      }
      this.delFromFreeList(pfn, currentOrder);
      // expand(): halve down to the requested order, the upper halves stay free
      let high = currentOrder;
      while (high > order) {
        high--;
        this.addToFreeList(pfn + (1 << high), high, false);
      }
      const listener = this.mergeListener;
      if (listener !== null && listener.onAlloc !== undefined) listener.onAlloc(pfn, order);
      return pfn;
    }
    return -1;
  }

  /**
   * Frees the allocated block [pfn, pfn + 2^order) (Linux __free_one_page): merges with
   * the free buddy (pfn ^ 2^order) of the same order while one exists, up to maxOrder,
   * then puts the merged block at the head of its list, or at the tail when
   * buddy_merge_likely() (see freeBlock). Returns the merged block's head pfn; its order
   * is freeOrder[result]. Does not allocate.
   * @throws InvariantError if the block is misaligned, out of range or already a free head.
   */
  free(pfn: number, order: number): number {
    return this.freeBlock(pfn, order, false);
  }

  /**
   * As free(), but the merged block always goes to the TAIL of its list (Linux
   * FPI_TO_TAIL), as reported pages are returned (docs/model.md §1.3, §4.3), so that they
   * are the last to be reused.
   */
  freeToTail(pfn: number, order: number): number {
    return this.freeBlock(pfn, order, true);
  }

  /**
   * Takes the free block headed at pfn, of the given order, off its list (isolation, or
   * an engine-directed allocation of a specific block). Its pages become allocated.
   * @throws InvariantError if pfn does not head a free block of exactly that order.
   */
  removeFree(pfn: number, order: number): void {
    if (!(pfn >= 0 && pfn < this.totalPages) || this.freeOrder[pfn] !== order) {
      const actual = pfn >= 0 && pfn < this.totalPages ? this.freeOrder[pfn] : 'out of range';
      throw new InvariantError(`removeFree: pfn ${pfn} does not head a free block of order ${order} (got ${actual})`);
    }
    this.delFromFreeList(pfn, order);
  }

  /** Allocates the `reported` flags (one bit per page); idempotent. */
  enableReporting(): void {
    if (this.reported === null) this.reported = new Bitmap(this.totalPages);
  }

  /** Whether the free block headed at pfn is flagged reported. pfn unchecked. */
  isReported(pfn: number): boolean {
    return this.reported !== null && this.reported.test(pfn);
  }

  /**
   * Flags the free block headed at pfn as reported (page_reporting_drain's
   * __SetPageReported). @throws InvariantError if reporting is not enabled or pfn
   * heads no free block.
   */
  markReported(pfn: number): void {
    if (this.reported === null || !(pfn >= 0 && pfn < this.totalPages) || this.freeOrder[pfn] === -1) {
      throw new InvariantError(`markReported: pfn ${pfn} does not head a free block (or reporting is not enabled)`);
    }
    this.reported.set(pfn);
  }

  /**
   * Linux list_rotate_to_front: the blocks before pfn on its list move, in order, behind
   * the tail, so pfn becomes the head. O(1). @throws InvariantError unless pfn heads a
   * free block of exactly that order.
   */
  rotateToFront(pfn: number, order: number): void {
    if (!(pfn >= 0 && pfn < this.totalPages) || this.freeOrder[pfn] !== order) {
      throw new InvariantError(`rotateToFront: pfn ${pfn} does not head a free block of order ${order}`);
    }
    const next = this.nextByOrder[order], prev = this.prevByOrder[order], shift = this.linkShift[order];
    const first = this.head[order];
    if (first === pfn) return;
    const last = this.tail[order];
    const before = prev[pfn >> shift];
    // [first … before] [pfn … last]  →  [pfn … last] [first … before]
    next[last >> shift] = first;
    prev[first >> shift] = last;
    next[before >> shift] = -1;
    prev[pfn >> shift] = -1;
    this.head[order] = pfn;
    this.tail[order] = before;
  }

  /**
   * Allocates the specific block [pfn, pfn + 2^order), as a kernel trace reports it (trace
   * replay): the free block containing it leaves its list and is split down to it, the
   * other halves going to the head of their lists as expand() puts them. Returns false,
   * changing nothing, when the range is misaligned or not wholly inside one free block.
   */
  allocBlock(pfn: number, order: number): boolean {
    const head = this.freeBlockHolding(pfn, order);
    if (head < 0) return false;
    let blockOrder = this.freeOrder[head];
    this.delFromFreeList(head, blockOrder);
    let base = head;
    while (blockOrder > order) {
      blockOrder--;
      const half = 2 ** blockOrder;
      if (pfn >= base + half) {
        this.addToFreeList(base, blockOrder, false);
        base += half;
      } else {
        this.addToFreeList(base + half, blockOrder, false);
      }
    }
    const listener = this.mergeListener;
    if (listener !== null && listener.onAlloc !== undefined) listener.onAlloc(pfn, order);
    return true;
  }

  /**
   * The head of the free block that wholly holds [pfn, pfn + 2^order), or −1 when the
   * range is misaligned, out of range or not inside one free block (allocBlock's test).
   */
  freeBlockHolding(pfn: number, order: number): number {
    if (!(order >= 0 && order <= this.maxOrder) || pfn % 2 ** order !== 0 || pfn + 2 ** order > this.totalPages) return -1;
    const head = this.findFreeBlock(pfn);
    return head >= 0 && this.freeOrder[head] >= order ? head : -1;
  }

  /** Whether pfn heads a free block (of any order). pfn unchecked. */
  isFreeHead(pfn: number): boolean {
    return this.freeOrder[pfn] !== -1;
  }

  /**
   * The head pfn of the free block containing pfn, or −1 if pfn is allocated. Scans the
   * maxOrder + 1 candidate heads pfn & ~(2^o − 1). pfn unchecked.
   */
  findFreeBlock(pfn: number): number {
    const freeOrder = this.freeOrder, maxOrder = this.maxOrder;
    for (let order = 0; order <= maxOrder; order++) {
      const candidate = pfn & ~((1 << order) - 1);
      if (freeOrder[candidate] >= order) {
        return candidate;
      }
    }
    return -1;
  }

  /** The first block head on the free list of `order` (the one alloc takes next), or −1. */
  headOf(order: number): number {
    return this.head[order];
  }

  /** Whether a free block of `order` or above exists: an allocation of `order` would succeed (splitting one). */
  hasFreeBlock(order: number): boolean {
    for (let o = order; o <= this.maxOrder; o++) if (this.head[o] >= 0) return true;
    return false;
  }

  /** The block head after pfn on its free list, or −1. pfn must head a free block. */
  nextOf(pfn: number): number {
    const order = this.freeOrder[pfn];
    return this.nextByOrder[order][pfn >> this.linkShift[order]];
  }

  /**
   * Checks every structural invariant, O(totalPages), allocating a scratch array (tests
   * and debugging only): listed blocks are in range, aligned and carry their list's
   * order; prev/next/head/tail agree; list lengths equal nrFree; every page with
   * freeOrder ≥ 0 is listed; free blocks do not overlap; freePages = Σ nrFree·2^order;
   * no two free buddies of the same order < maxOrder remain unmerged; only free block
   * heads are flagged reported.
   * @throws InvariantError naming the first violation found.
   */
  checkInvariants(): void {
    const { totalPages, maxOrder, freeOrder, head, tail, nrFree } = this;
    // 0 = not seen, 1 = inside a listed free block, 2 = head of a listed free block
    const seen = new Uint8Array(totalPages);
    let listedPages = 0;
    for (let order = 0; order <= maxOrder; order++) {
      const blockPages = 2 ** order;
      const next = this.nextByOrder[order], prev = this.prevByOrder[order], shift = this.linkShift[order];
      let listed = 0;
      let previous = -1;
      let pfn = head[order];
      while (pfn !== -1) {
        if (!(Number.isInteger(pfn) && pfn >= 0 && pfn + blockPages <= totalPages)) {
          throw new InvariantError(`free list ${order}: block ${pfn} (+${blockPages} pages) lies outside [0, ${totalPages})`);
        }
        if (pfn % blockPages !== 0) {
          throw new InvariantError(`free list ${order}: block ${pfn} is not aligned to ${blockPages} pages`);
        }
        if (freeOrder[pfn] !== order) {
          throw new InvariantError(`free list ${order}: block ${pfn} has freeOrder ${freeOrder[pfn]}`);
        }
        if (prev[pfn >> shift] !== previous) {
          throw new InvariantError(`free list ${order}: block ${pfn} has prev ${prev[pfn >> shift]}, expected ${previous}`);
        }
        if (seen[pfn] === 2) {
          throw new InvariantError(`free list ${order}: block ${pfn} is listed twice (cycle or shared link)`);
        }
        for (let p = pfn; p < pfn + blockPages; p++) {
          if (seen[p] !== 0) {
            throw new InvariantError(`free list ${order}: block ${pfn} overlaps another free block at pfn ${p}`);
          }
          seen[p] = 1;
        }
        seen[pfn] = 2;
        listed++;
        previous = pfn;
        pfn = next[pfn >> shift];
      }
      if (tail[order] !== previous) {
        throw new InvariantError(`free list ${order}: tail is ${tail[order]}, last block is ${previous}`);
      }
      if (listed !== nrFree[order]) {
        throw new InvariantError(`free list ${order}: nrFree is ${nrFree[order]}, list holds ${listed} blocks`);
      }
      listedPages += listed * blockPages;
    }
    if (listedPages !== this.freePagesCount) {
      throw new InvariantError(`freePages is ${this.freePagesCount}, free lists hold ${listedPages} pages`);
    }
    const reported = this.reported;
    for (let pfn = 0; pfn < totalPages; pfn++) {
      const order = freeOrder[pfn];
      if (order === -1) {
        if (reported !== null && reported.test(pfn)) {
          throw new InvariantError(`pfn ${pfn} is flagged reported but heads no free block`);
        }
        continue;
      }
      if (seen[pfn] !== 2) {
        throw new InvariantError(`pfn ${pfn} has freeOrder ${order} but is on no free list`);
      }
      if (order < maxOrder) {
        const buddy = pfn ^ (1 << order);
        if (buddy < totalPages && freeOrder[buddy] === order) {
          throw new InvariantError(`free buddies ${Math.min(pfn, buddy)} and ${Math.max(pfn, buddy)} of order ${order} are not merged`);
        }
      }
    }
  }

  /**
   * Linux __free_one_page: the merge loop, then the list placement.
   *
   * Merge: while order < maxOrder and the buddy pfn ^ 2^order heads a free block of
   * exactly that order (page_is_buddy), unlink the buddy, combine (pfn & buddy) and go
   * up one order. Placement (buddy_merge_likely): if the final order < maxOrder − 1 and
   * the buddy of the final block's parent (order + 1) is free at order + 1, the block
   * goes to the tail, where it lingers and is likely to merge two levels up when its own
   * buddy is freed; otherwise, to the head. forceTail (FPI_TO_TAIL) skips the heuristic.
   */
  private freeBlock(pfn: number, order: number, forceTail: boolean): number {
    const freeOrder = this.freeOrder, maxOrder = this.maxOrder, totalPages = this.totalPages;
    const listener = this.mergeListener;
    if (!(order >= 0 && order <= maxOrder && pfn >= 0 && pfn + (1 << order) <= totalPages) ||
        (pfn & ((1 << order) - 1)) !== 0 || freeOrder[pfn] !== -1) {
      this.failFree(pfn, order);
    }
    if (listener !== null && listener.onFree !== undefined) listener.onFree(pfn, order);
    while (order < maxOrder) {
      const buddy = pfn ^ (1 << order);
      if (buddy >= totalPages || freeOrder[buddy] !== order) {
        break;
      }
      this.delFromFreeList(buddy, order);
      pfn &= buddy;
      order++;
      if (listener !== null) {
        listener.onMerge(pfn, order);
      }
    }
    let toTail = forceTail;
    if (!toTail && order < maxOrder - 1) {
      const higherBuddy = (pfn & ~(1 << order)) ^ (1 << (order + 1));
      toTail = higherBuddy < totalPages && freeOrder[higherBuddy] === order + 1;
    }
    this.addToFreeList(pfn, order, toTail);
    if (listener !== null) {
      listener.onFreed(pfn, order);
    }
    return pfn;
  }

  private failFree(pfn: number, order: number): never {
    if (!(order >= 0 && order <= this.maxOrder)) {
      throw new InvariantError(`free: order must be in [0, ${this.maxOrder}] (got ${order})`);
    }
    if (!(Number.isInteger(pfn) && pfn >= 0 && pfn + 2 ** order <= this.totalPages)) {
      throw new InvariantError(`free: block ${pfn} of order ${order} lies outside [0, ${this.totalPages})`);
    }
    if ((pfn & ((1 << order) - 1)) !== 0) {
      throw new InvariantError(`free: block ${pfn} is not aligned to order ${order}`);
    }
    throw new InvariantError(`free: block ${pfn} of order ${order} is already free (heads a free block of order ${this.freeOrder[pfn]})`);
  }

  private checkBlock(operation: string, pfn: number, order: number): void {
    if (!(Number.isInteger(order) && order >= 0 && order <= this.maxOrder)) {
      throw new InvariantError(`${operation}: order must be in [0, ${this.maxOrder}] (got ${order})`);
    }
    if (!(Number.isInteger(pfn) && pfn >= 0 && pfn + 2 ** order <= this.totalPages)) {
      throw new InvariantError(`${operation}: block ${pfn} of order ${order} lies outside [0, ${this.totalPages})`);
    }
    if (pfn % 2 ** order !== 0) {
      throw new InvariantError(`${operation}: block ${pfn} is not aligned to order ${order}`);
    }
  }

  /** Linux __add_to_free_list (+ set_buddy_order): link at the head or tail, count. */
  private addToFreeList(pfn: number, order: number, toTail: boolean): void {
    const next = this.nextByOrder[order], prev = this.prevByOrder[order], shift = this.linkShift[order];
    if (toTail) {
      const last = this.tail[order];
      prev[pfn >> shift] = last;
      next[pfn >> shift] = -1;
      if (last === -1) {
        this.head[order] = pfn;
      } else {
        next[last >> shift] = pfn;
      }
      this.tail[order] = pfn;
    } else {
      const first = this.head[order];
      next[pfn >> shift] = first;
      prev[pfn >> shift] = -1;
      if (first === -1) {
        this.tail[order] = pfn;
      } else {
        prev[first >> shift] = pfn;
      }
      this.head[order] = pfn;
    }
    this.freeOrder[pfn] = order;
    this.nrFree[order]++;
    this.freePagesCount += 1 << order;
  }

  /** Linux __del_page_from_free_list: unlink, clear the order, count. */
  private delFromFreeList(pfn: number, order: number): void {
    const next = this.nextByOrder[order], prev = this.prevByOrder[order], shift = this.linkShift[order];
    const after = next[pfn >> shift], before = prev[pfn >> shift];
    if (before === -1) {
      this.head[order] = after;
    } else {
      next[before >> shift] = after;
    }
    if (after === -1) {
      this.tail[order] = before;
    } else {
      prev[after >> shift] = before;
    }
    this.freeOrder[pfn] = -1;
    this.nrFree[order]--;
    this.freePagesCount -= 1 << order;
    if (this.reported !== null) this.reported.clear(pfn);
  }
}
