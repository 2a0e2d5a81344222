/**
 * Where writers' working sets lie at t = 0 (docs/model.md §1.4, `phases[].writes[].placement`).
 *
 * - `used` (default): drawn from the pages of `guest.initial.used` (Writer, extent-aligned
 *   runs by a seeded shuffle); with `layout: ordered` that is the lowest pfns.
 * - `allocator`: a process that allocated its working set after the initial state was made,
 *   before the migration starts: the working set is taken from the buddy allocator's free
 *   lists as §1.3 builds them, one block of the extent's order at a time (a 2 MiB extent is
 *   an order-9 allocation: an anonymous fault under CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS), in
 *   the order the allocator hands blocks out (__rmqueue_smallest: the head of the smallest
 *   non-empty list; old data first, in the layout's seeded order).
 * - `last-freed`: the same allocation made right after one process freed the old data in
 *   ascending pfn order (a munmap of memory it had faulted in ascending order), so the free
 *   lists' heads hold the last blocks freed (__free_one_page and the per-CPU lists are LIFO):
 *   the highest old-data blocks, taken in descending pfn; then the lists' heads. This is the
 *   testbed's `wl dirty`, which mmaps and fills its buffer after `wl fill` freed its 700 MiB
 *   (guest/wl.c): inside the real guest its THPs lie at pfns 186368–201727, the top of the
 *   fill's freed memory, faulted in descending 2 MiB steps (validation/issue12-placement).
 *
 * A sequential writer still goes in ascending pfn (§1.4), though the real dirtier walks its
 * buffer in virtual order, here descending 2 MiB blocks: docs/model.md §10.2a says what that
 * order changes and why it is not followed.
 *
 * `initial.used` and `initial.freeDirty` describe the guest at t = 0 with the working sets
 * in place (as /proc/meminfo reads at `migrate`). So the layout is built with those working
 * sets still free and holding old data (the process's memory held the freed data before it
 * wrote its own), then the writers allocate them: used and old-data totals end as given.
 * `fragmentation` is scaled so that the mixed blocks are the same ones.
 *
 * Setup only: allocates the per-writer extent arrays and one bitmap copy.
 */
import { Bitmap } from './bitmap.js';
import type { BuddyAllocator } from './buddy-allocator.js';
import { ConfigError } from './errors.js';
import type { GuestMemory } from './guest-memory.js';
import { buildInitialLayout, type LayoutSummary } from './layout.js';
import type { GuestConfig, Phase, WorkingSetPlacement } from './types.js';

export interface GuestAtStart {
  layout: LayoutSummary;
  /**
   * Per writer, in declaration order over all phases: the extents' first pfns of an
   * allocator-placed working set, in allocation order; null for a `used` writer.
   */
  allocatedExtents: (Int32Array | null)[];
  /**
   * The pages of `initial.used` a `used` writer draws from: the layout's used pages,
   * without the allocated working sets (memory.allocated itself when there are none), so
   * that two writers never share a page. Read streams read any used page (memory.allocated).
   */
  usedAtStart: Bitmap;
}

/** Bytes of every allocator-placed working set together. */
export function allocatorWorkingSetBytes(phases: readonly Phase[]): number {
  let bytes = 0;
  for (const phase of phases) for (const w of phase.writes) if (w.placement !== undefined && w.placement !== 'used') bytes += w.workingSetBytes;
  return bytes;
}

/**
 * Builds the initial layout (layout.ts), then allocates the allocator-placed working sets
 * from `buddy`: their pages become allocated, non-zero, populated and stale, as the used
 * pages are. @throws ConfigError naming the writer's field when a working set cannot be
 * placed (an extent that is not a power-of-two block up to maxOrder, a working set that is
 * not whole extents, too little free memory, or a buddyinfo layout).
 */
export function buildGuestAtStart(
  guest: GuestConfig,
  phases: readonly Phase[],
  seed: number,
  memory: GuestMemory,
  buddy: BuddyAllocator,
): GuestAtStart {
  const allocatedBytes = allocatorWorkingSetBytes(phases);
  const allocatedExtents: (Int32Array | null)[] = [];
  if (allocatedBytes === 0) {
    const layout = buildInitialLayout(guest, seed, memory, buddy);
    for (const phase of phases) for (let i = 0; i < phase.writes.length; i++) allocatedExtents.push(null);
    return { layout, allocatedExtents, usedAtStart: memory.allocated };
  }
  const initial = guest.initial;
  if (initial.buddyinfoFreeBlocks !== null) {
    throw new ConfigError(firstAllocatorField(phases), 'allocator and last-freed need guest.initial.used, not a buddyinfo file (the file describes the free lists after the process allocated)');
  }
  if (allocatedBytes > initial.usedBytes) {
    throw new ConfigError(firstAllocatorField(phases), `allocator-placed working sets (${allocatedBytes} bytes) exceed guest.initial.used (${initial.usedBytes} bytes)`);
  }
  const pageSize = guest.pageSizeBytes;
  const freeBytes = guest.memoryBytes - initial.usedBytes;
  const layoutGuest: GuestConfig = {
    ...guest,
    initial: {
      ...initial,
      usedBytes: initial.usedBytes - allocatedBytes,
      freeDirtyBytes: initial.freeDirtyBytes + allocatedBytes,
      // The same mixed blocks: fragmentation is a share of free bytes, and free grows by the working sets.
      fragmentation: freeBytes > 0 ? (initial.fragmentation * freeBytes) / (freeBytes + allocatedBytes) : 0,
    },
  };
  const layout = buildInitialLayout(layoutGuest, seed, memory, buddy);
  // Where last-freed's downward search goes on, and how many allocated pages held old data.
  const cursor = { pfn: memory.totalPages, oldDataPages: 0 };
  const usedAtStart = new Bitmap(memory.totalPages);
  usedAtStart.words.set(memory.allocated.words);
  phases.forEach((phase, p) =>
    phase.writes.forEach((w, i) => {
      if (w.placement === undefined || w.placement === 'used') {
        allocatedExtents.push(null);
        return;
      }
      const field = `phases[${p}].writes[${i}]`;
      const extentPages = w.extentBytes / pageSize;
      const order = Math.log2(extentPages);
      if (!(Number.isInteger(order) && order <= guest.maxOrder)) {
        throw new ConfigError(`${field}.extent`, `must be a power-of-two number of pages up to 2^maxOrder under placement: ${w.placement} (one buddy block each; got ${w.extentBytes} bytes)`);
      }
      const workingSetPages = w.workingSetBytes / pageSize;
      if (workingSetPages % extentPages !== 0) {
        throw new ConfigError(`${field}.workingSet`, `must be a whole number of extents (${w.extentBytes} bytes) under placement: ${w.placement} (got ${w.workingSetBytes} bytes)`);
      }
      allocatedExtents.push(allocateExtents(buddy, memory, workingSetPages / extentPages, order, w.placement, cursor, field));
    }),
  );
  const allocatedPages = allocatedBytes / pageSize;
  return {
    layout: { ...layout, usedPages: layout.usedPages + allocatedPages, freePages: layout.freePages - allocatedPages, freeDirtyPages: layout.freeDirtyPages - cursor.oldDataPages },
    allocatedExtents,
    usedAtStart,
  };
}

/**
 * Takes `count` blocks of `order` off the free lists; their pages hold the process's data.
 * `last-freed` takes the highest wholly free old-data blocks first, searching down from
 * below the previous one (`cursor.pfn`), so all writers together scan memory once; counts the
 * pages that held old data in `cursor.oldDataPages`.
 */
function allocateExtents(buddy: BuddyAllocator, memory: GuestMemory, count: number, order: number, placement: WorkingSetPlacement, cursor: { pfn: number; oldDataPages: number }, field: string): Int32Array {
  const starts = new Int32Array(count);
  const pages = 2 ** order;
  for (let e = 0; e < count; e++) {
    let pfn = -1;
    if (placement === 'last-freed') {
      let q = Math.floor(cursor.pfn / pages) * pages - pages;
      while (q >= 0 && !(memory.allocated.countRange(q, q + pages) === 0 && memory.zero.countRange(q, q + pages) === 0)) q -= pages;
      cursor.pfn = Math.max(q, 0);
      if (q >= 0 && buddy.allocBlock(q, order)) pfn = q;
    }
    if (pfn < 0) pfn = buddy.alloc(order);
    if (pfn < 0) {
      throw new ConfigError(`${field}.workingSet`, `the guest's free lists have no order-${order} block for extent ${e + 1} of ${count} (placement: ${placement})`);
    }
    cursor.oldDataPages += pages - memory.zero.countRange(pfn, pfn + pages);
    memory.allocated.setRange(pfn, pfn + pages);
    memory.zero.clearRange(pfn, pfn + pages);
    memory.populated.setRange(pfn, pfn + pages);
    memory.stale.setRange(pfn, pfn + pages);
    starts[e] = pfn;
  }
  return starts;
}

function firstAllocatorField(phases: readonly Phase[]): string {
  for (let p = 0; p < phases.length; p++) {
    const i = phases[p].writes.findIndex((w) => w.placement !== undefined && w.placement !== 'used');
    if (i >= 0) return `phases[${p}].writes[${i}].placement`;
  }
  return 'phases';
}
