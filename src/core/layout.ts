/**
 * Builds the guest's state at t = 0 from `guest.initial` (docs/model.md §1.3): which pages are
 * used, which free pages hold old data, and the buddy free lists, built directly (as
 * memblock hands memory to the buddy allocator at boot) rather than by replaying
 * allocations. The layout depends only on the workload and seed, so every run of a
 * workload starts from the same state.
 *
 * Ordered layout, lowest pfn first:
 *   [mixed blocks][used][free, old data][free, never touched][memmap: N × 64 B, top-down]
 * Mixed blocks hold, per maxOrder block, one free block of each order top…0 beside its used
 * buddy, so none can merge to pageblockOrder (511 free and 513 used pages per 4 MiB block).
 */
import { Bitmap } from './bitmap.js';
import { BuddyAllocator } from './buddy-allocator.js';
import { ConfigError } from './errors.js';
import { GuestMemory } from './guest-memory.js';
import { Rng } from './rng.js';
import type { FreeListOrder, GuestConfig, InitialRegion } from './types.js';

/** Linux's memmap costs 64 bytes of struct page per guest page (16 MiB per GiB). */
const STRUCT_PAGE_BYTES = 64;

export interface LayoutSummary {
  usedPages: number;
  freePages: number;
  freeDirtyPages: number;
  memmapPages: number;
  mixedBlocks: number;
}

/**
 * Fills `memory` (allocated, zero, populated, stale) and `buddy` (free lists) with the
 * initial state. Allocates scratch arrays proportional to the number of free blocks.
 */
export function buildInitialLayout(
  guest: GuestConfig,
  seed: number,
  memory: GuestMemory,
  buddy: BuddyAllocator,
): LayoutSummary {
  if (guest.initial.buddyinfoFreeBlocks !== null) {
    return buildBuddyinfoLayout(guest, guest.initial.buddyinfoFreeBlocks, seed, memory, buddy);
  }
  const totalPages = memory.totalPages;
  const pageSize = guest.pageSizeBytes;
  const maxOrder = guest.maxOrder;
  const blockPages = 2 ** maxOrder;
  const blockCount = Math.floor(totalPages / blockPages);
  const usedPages = Math.floor(guest.initial.usedBytes / pageSize);
  const freePages = totalPages - usedPages;
  const freeDirtyPages = Math.min(freePages, Math.floor(guest.initial.freeDirtyBytes / pageSize));
  if (usedPages > totalPages) {
    throw new ConfigError('guest.initial.used', `exceeds guest.memory (got ${usedPages} pages of ${totalPages})`);
  }
  const memmapPages = Math.min(usedPages, Math.ceil((totalPages * STRUCT_PAGE_BYTES) / pageSize));

  // Mixed blocks: free orders top…0, each beside its used lower buddy.
  const topMixedOrder = Math.min(guest.pageblockOrder - 1, maxOrder - 2);
  const mixedFreePerBlock = topMixedOrder >= 0 ? 2 ** (topMixedOrder + 1) - 1 : 0;
  const mixedUsedPerBlock = blockPages - mixedFreePerBlock;
  const mixedBlocks =
    mixedFreePerBlock > 0 ? Math.round((guest.initial.fragmentation * freePages) / mixedFreePerBlock) : 0;
  if (mixedBlocks * mixedUsedPerBlock > usedPages - memmapPages || mixedBlocks > blockCount) {
    throw new ConfigError(
      'guest.initial.fragmentation',
      `needs ${mixedBlocks} mixed blocks with ${mixedBlocks * mixedUsedPerBlock} used pages, ` +
        `but only ${usedPages - memmapPages} used pages lie outside the memmap (got ${guest.initial.fragmentation})`,
    );
  }
  const mixedFreePages = mixedBlocks * mixedFreePerBlock;
  const mixedDirtyPages = freePages > 0 ? Math.round((mixedFreePages * freeDirtyPages) / freePages) : 0;
  const usedRunPages = usedPages - memmapPages - mixedBlocks * mixedUsedPerBlock;
  const dirtyRunPages = freeDirtyPages - mixedDirtyPages;

  const allocated = memory.allocated;
  const zero = memory.zero;
  zero.setAll();
  const memmapStart = totalPages - memmapPages;
  const regions = guest.initial.regions;
  const pinned = placeRegions(regions, memmapStart, allocated, zero);
  if (pinned.usedPages > usedRunPages) {
    throw new ConfigError(
      'guest.initial.regions',
      `hold ${pinned.usedPages} used pages, more than guest.initial.used leaves outside the memmap and mixed blocks (${usedRunPages})`,
    );
  }
  if (pinned.oldPages > dirtyRunPages) {
    throw new ConfigError(
      'guest.initial.regions',
      `hold ${pinned.oldPages} pages of old data, more than guest.initial.freeDirty leaves outside mixed blocks (${dirtyRunPages})`,
    );
  }

  // Memory outside the regions and the memmap, ascending: [start, end) pairs.
  let gaps: number[] = [];
  let gapFrom = 0;
  for (const r of regions) {
    if (r.startPage > gapFrom) gaps.push(gapFrom, r.startPage);
    gapFrom = r.startPage + r.pages;
  }
  if (memmapStart > gapFrom) gaps.push(gapFrom, memmapStart);

  // Mixed blocks: the lowest whole maxOrder blocks outside the regions.
  let dirtyLeft = mixedDirtyPages;
  let mixedLeft = mixedBlocks;
  if (mixedLeft > 0) {
    const rest: number[] = [];
    for (let g = 0; g < gaps.length; g += 2) {
      const start = gaps[g];
      const end = gaps[g + 1];
      const aligned = Math.ceil(start / blockPages) * blockPages;
      let base = aligned;
      while (mixedLeft > 0 && base + blockPages <= end) {
        dirtyLeft = placeMixedBlock(base, blockPages, topMixedOrder, dirtyLeft, allocated, zero);
        base += blockPages;
        mixedLeft--;
      }
      if (base === aligned) {
        rest.push(start, end);
        continue;
      }
      if (aligned > start) rest.push(start, aligned);
      if (end > base) rest.push(base, end);
    }
    if (mixedLeft > 0) {
      throw new ConfigError(
        'guest.initial.fragmentation',
        `needs ${mixedBlocks} mixed blocks, but only ${mixedBlocks - mixedLeft} whole ${blockPages}-page blocks lie outside the memmap and guest.initial.regions (got ${guest.initial.fragmentation})`,
      );
    }
    gaps = rest;
  }

  // Then the rest of the used pages, then the rest of the old data, ascending through the gaps.
  const cursor = { gap: 0, pfn: gaps.length > 0 ? gaps[0] : memmapStart };
  const usedLeftOver = fillGaps(gaps, cursor, usedRunPages - pinned.usedPages, allocated, zero, true);
  const dirtyLeftOver = fillGaps(gaps, cursor, dirtyRunPages - pinned.oldPages, allocated, zero, false);
  if (usedLeftOver + dirtyLeftOver > 0) {
    const field = regions.length > 0 ? 'guest.initial.regions' : 'guest.initial';
    throw new ConfigError(field, `used and freeDirty do not fit in guest.memory (${usedLeftOver + dirtyLeftOver} pages more than the memory outside the memmap${regions.length > 0 ? ' and the regions' : ''}; ${totalPages} pages)`);
  }
  allocated.setRange(memmapStart, totalPages);
  zero.clearRange(memmapStart, totalPages);

  const rng = new Rng(seed, 'layout');
  if (guest.initial.layout === 'shuffled') {
    shuffleBlocksBelow(Math.floor(memmapStart / blockPages), blockPages, rng, allocated, zero);
  }

  markPopulatedAndStale(memory);
  buildFreeLists(totalPages, maxOrder, allocated, zero, buddy, rng, guest.initial.freeListOrder);
  return { usedPages, freePages, freeDirtyPages, memmapPages, mixedBlocks };
}

/**
 * The layout from a /proc/buddyinfo snapshot: exactly `freeBlocks[order]` free blocks of
 * each order. Blocks below maxOrder sit in *chains*: a region of 2^(top+1) pages whose
 * first page is used and which holds one free block of each order k ≤ top at offset 2^k
 * (a slot with no block left stays used), so no block can merge with its buddy, which
 * always contains the used first page. Chains come first, largest first (each stays
 * aligned), then the used pages, then the whole maxOrder blocks, then the memmap rounded
 * up to whole maxOrder blocks so that no partial block adds free blocks of its own. Old
 * data (`freeDirty`) goes to the chains' small blocks first (recently freed), then to
 * whole blocks in ascending pfn.
 */
function buildBuddyinfoLayout(
  guest: GuestConfig,
  freeBlocks: readonly number[],
  seed: number,
  memory: GuestMemory,
  buddy: BuddyAllocator,
): LayoutSummary {
  const totalPages = memory.totalPages;
  const maxOrder = guest.maxOrder;
  const blockPages = 2 ** maxOrder;
  const allocated = memory.allocated;
  const zero = memory.zero;
  const remaining = freeBlocks.slice(0, maxOrder);
  let freePages = 0;
  for (let order = 0; order <= maxOrder; order++) freePages += (freeBlocks[order] ?? 0) * 2 ** order;
  const freeDirtyPages = Math.min(freePages, Math.floor(guest.initial.freeDirtyBytes / guest.pageSizeBytes));
  const memmapPages = Math.ceil(Math.ceil((totalPages * STRUCT_PAGE_BYTES) / guest.pageSizeBytes) / blockPages) * blockPages;
  const wholeBlocks = freeBlocks[maxOrder] ?? 0;
  const wholeStart = totalPages - memmapPages - wholeBlocks * blockPages;

  allocated.setAll();
  zero.clearAll();
  let dirtyLeft = freeDirtyPages;
  let pfn = 0;
  for (let top = maxOrder - 1; top >= 0; top--) {
    while (remaining[top] > 0) {
      const chainPages = 2 ** (top + 1);
      if (pfn + chainPages > wholeStart) {
        throw new ConfigError(
          'guest.initial.buddyinfo',
          `needs more used memory than guest.memory leaves: its small free blocks need ${pfn + chainPages} pages below pfn ${wholeStart} (got ${freePages} free pages in ${totalPages})`,
        );
      }
      for (let order = 0; order <= top; order++) {
        if (remaining[order] === 0) continue;
        remaining[order]--;
        const start = pfn + 2 ** order;
        const pages = 2 ** order;
        allocated.clearRange(start, start + pages);
        const dirty = Math.min(dirtyLeft, pages);
        zero.setRange(start + dirty, start + pages);
        dirtyLeft -= dirty;
      }
      pfn += chainPages;
    }
  }
  allocated.clearRange(wholeStart, wholeStart + wholeBlocks * blockPages);
  const dirtyWhole = Math.min(dirtyLeft, wholeBlocks * blockPages);
  zero.setRange(wholeStart + dirtyWhole, wholeStart + wholeBlocks * blockPages);

  const rng = new Rng(seed, 'layout');
  if (guest.initial.layout === 'shuffled') {
    shuffleBlocksBelow(Math.floor((totalPages - memmapPages) / blockPages), blockPages, rng, allocated, zero);
  }
  markPopulatedAndStale(memory);
  buildFreeLists(totalPages, maxOrder, allocated, zero, buddy, rng, guest.initial.freeListOrder);
  return { usedPages: totalPages - freePages, freePages, freeDirtyPages, memmapPages, mixedBlocks: 0 };
}

/**
 * Writes `guest.initial.regions` (ascending, disjoint; the parser checks both): used pages
 * allocated and non-zero, old data free and non-zero, zero regions left free and zero.
 */
function placeRegions(
  regions: readonly InitialRegion[],
  memmapStart: number,
  allocated: Bitmap,
  zero: Bitmap,
): { usedPages: number; oldPages: number } {
  let usedPages = 0;
  let oldPages = 0;
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i];
    const end = r.startPage + r.pages;
    if (end > memmapStart) {
      throw new ConfigError(`guest.initial.regions[${i}]`, `ends at pfn ${end}, inside the memmap at the top of memory (from pfn ${memmapStart})`);
    }
    if (r.holds === 'used') {
      allocated.setRange(r.startPage, end);
      zero.clearRange(r.startPage, end);
      usedPages += r.pages;
    } else if (r.holds === 'old') {
      zero.clearRange(r.startPage, end);
      oldPages += r.pages;
    }
  }
  return { usedPages, oldPages };
}

/** One mixed block at `base`: free orders top…0, each beside its used lower buddy; returns the old data left. */
function placeMixedBlock(base: number, blockPages: number, topMixedOrder: number, dirtyLeft: number, allocated: Bitmap, zero: Bitmap): number {
  allocated.setRange(base, base + blockPages);
  zero.clearRange(base, base + blockPages);
  let offset = 0;
  for (let order = topMixedOrder; order >= 0; order--) {
    const half = 2 ** order;
    const freeStart = base + offset + half;
    allocated.clearRange(freeStart, freeStart + half);
    const dirty = Math.min(dirtyLeft, half);
    zero.setRange(freeStart + dirty, freeStart + half);
    dirtyLeft -= dirty;
    offset += 2 * half;
  }
  return dirtyLeft;
}

/**
 * Makes the next `pages` pages of the gaps ([start, end) pairs) from `cursor` on used
 * (allocated, non-zero) or old data (free, non-zero); returns the pages that did not fit.
 */
function fillGaps(gaps: readonly number[], cursor: { gap: number; pfn: number }, pages: number, allocated: Bitmap, zero: Bitmap, used: boolean): number {
  let left = pages;
  while (left > 0 && cursor.gap < gaps.length) {
    const end = gaps[cursor.gap + 1];
    const take = Math.min(left, end - cursor.pfn);
    if (used) allocated.setRange(cursor.pfn, cursor.pfn + take);
    zero.clearRange(cursor.pfn, cursor.pfn + take);
    cursor.pfn += take;
    left -= take;
    if (cursor.pfn === end) {
      cursor.gap += 2;
      if (cursor.gap < gaps.length) cursor.pfn = gaps[cursor.gap];
    }
  }
  return left;
}

/** Used and old-data pages are populated, non-zero and differ from the (zero) destination. */
function markPopulatedAndStale(memory: GuestMemory): void {
  const totalPages = memory.totalPages;
  const populatedWords = memory.populated.words;
  const staleWords = memory.stale.words;
  const zeroWords = memory.zero.words;
  for (let w = 0; w < zeroWords.length; w++) {
    populatedWords[w] = ~zeroWords[w];
    staleWords[w] = ~zeroWords[w];
  }
  if (totalPages % 32 !== 0) {
    const tailMask = (1 << (totalPages % 32)) - 1;
    populatedWords[zeroWords.length - 1] &= tailMask;
    staleWords[zeroWords.length - 1] &= tailMask;
  }
}

/** Seeded Fisher–Yates over whole maxOrder blocks [0, blocks): the memmap stays on top. */
function shuffleBlocksBelow(blocks: number, blockPages: number, rng: Rng, allocated: Bitmap, zero: Bitmap): void {
  if (blocks < 2) return;
  const permutation = new Int32Array(blocks);
  for (let i = 0; i < blocks; i++) permutation[i] = i;
  rng.shuffleInt32(permutation, 0, blocks);
  const pages = blocks * blockPages;
  const allocatedCopy = new Bitmap(pages);
  const zeroCopy = new Bitmap(pages);
  for (let i = 0; i < blocks; i++) {
    const from = permutation[i] * blockPages;
    const to = i * blockPages;
    for (let p = 0; p < blockPages; p++) {
      if (allocated.test(from + p)) allocatedCopy.set(to + p);
      if (zero.test(from + p)) zeroCopy.set(to + p);
    }
  }
  for (let p = 0; p < pages; p++) {
    if (allocatedCopy.test(p)) allocated.set(p);
    else allocated.clear(p);
    if (zeroCopy.test(p)) zero.set(p);
    else zero.clear(p);
  }
}

/**
 * Free runs become maximal aligned blocks, as memblock frees memory to the buddy
 * allocator. Lists start with blocks holding old data (recently freed) at the head, then
 * never-touched blocks in ascending pfn (boot order: __free_pages_core frees with
 * FPI_TO_TAIL). The old data's order: `seeded`, a seeded shuffle; `last-freed`, descending
 * pfn, as a process that faulted it in ascending pfn and freed it with one munmap leaves
 * it: __free_one_page puts each merged block at its list's head (a maxOrder block never
 * goes to the tail: buddy_merge_likely is false from MAX_ORDER - 2), so the last block
 * freed, the highest, is at the head (validation/issue12-placement).
 */
function buildFreeLists(
  totalPages: number,
  maxOrder: number,
  allocated: Bitmap,
  zero: Bitmap,
  buddy: BuddyAllocator,
  rng: Rng,
  freeListOrder: FreeListOrder,
): void {
  let dirtyCount = 0;
  let dirtyBlocks = new Int32Array(1024);
  let pfn = nextFree(allocated, 0, totalPages);
  while (pfn < totalPages) {
    const runEnd = nextUsed(allocated, pfn, totalPages);
    while (pfn < runEnd) {
      let order = maxOrder;
      while (order > 0 && (pfn % 2 ** order !== 0 || pfn + 2 ** order > runEnd)) order--;
      const pages = 2 ** order;
      if (zero.countRange(pfn, pfn + pages) < pages) {
        if (dirtyCount === dirtyBlocks.length) {
          const grown = new Int32Array(dirtyBlocks.length * 2);
          grown.set(dirtyBlocks);
          dirtyBlocks = grown;
        }
        dirtyBlocks[dirtyCount++] = pfn;
      } else {
        buddy.addFreeBlock(pfn, order, true);
      }
      pfn += pages;
    }
    pfn = nextFree(allocated, runEnd, totalPages);
  }
  if (freeListOrder === 'last-freed') dirtyBlocks.subarray(0, dirtyCount).reverse(); // collected ascending
  else rng.shuffleInt32(dirtyBlocks, 0, dirtyCount);
  // Insert in reverse so the first block of the seeded order ends up at the head.
  for (let i = dirtyCount - 1; i >= 0; i--) {
    const head = dirtyBlocks[i];
    let order = maxOrder;
    while (order > 0 && (head % 2 ** order !== 0 || !isFreeRange(allocated, head, 2 ** order, totalPages))) order--;
    // The order was chosen above as the largest aligned free block starting at `head`
    // within its run; recompute it the same way (runs are separated by used pages).
    buddy.addFreeBlock(head, order, false);
  }
}

function isFreeRange(allocated: Bitmap, pfn: number, pages: number, totalPages: number): boolean {
  if (pfn + pages > totalPages) return false;
  return allocated.countRange(pfn, pfn + pages) === 0;
}

/** First pfn ≥ from that is free (allocated bit clear), or `limit`. */
function nextFree(allocated: Bitmap, from: number, limit: number): number {
  const words = allocated.words;
  let w = from >>> 5;
  if (w >= words.length) return limit;
  let bits = ~words[w] & (~0 << (from & 31));
  while (bits === 0) {
    w++;
    if (w >= words.length) return limit;
    bits = ~words[w];
  }
  const pfn = (w << 5) + (31 - Math.clz32(bits & -bits));
  return pfn < limit ? pfn : limit;
}

/** First pfn ≥ from that is allocated, or `limit`. */
function nextUsed(allocated: Bitmap, from: number, limit: number): number {
  const pfn = allocated.nextSet(from);
  return pfn < 0 || pfn > limit ? limit : pfn;
}
