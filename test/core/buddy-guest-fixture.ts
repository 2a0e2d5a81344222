/**
 * Random small buddy guests for the layout property tests (layout-free-lists.test.ts,
 * working-set-placement.test.ts): a few max-order blocks, some used, some free old data.
 */
import fc from 'fast-check';
import type { InitialState, Layout, Workload } from '../../src/core/types.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const PAGE = 4 * UNITS.KiB;

export interface BuddyGuestShape {
  maxOrder: number;
  blocks: number;
  usedShare: number;
  dirtyShare: number;
  fragmentation: number;
  layout: Layout;
  seed: number;
}

/** The arbitraries of a shape; `minUsedShare` of the pages used at the least. */
export function buddyGuestShape(minUsedShare: number) {
  return {
    maxOrder: fc.integer({ min: 1, max: 5 }),
    blocks: fc.integer({ min: 4, max: 24 }),
    usedShare: fc.double({ min: minUsedShare, max: 0.8, noNaN: true }),
    dirtyShare: fc.double({ min: 0, max: 1, noNaN: true }),
    fragmentation: fc.constantFrom(0, 0, 0.05, 0.2),
    layout: fc.constantFrom<Layout>('ordered', 'shuffled'),
    seed: fc.integer({ min: 1, max: 1000 }),
  };
}

/**
 * The guest of a shape: 2 used pages at the least, old data `dirtyShare × dirtyScale` of
 * the free pages; `initial` overrides the rest of guest.initial.
 */
export function buddyGuest(c: BuddyGuestShape, dirtyScale: number, initial: Partial<InitialState> = {}): { workload: Workload; totalPages: number; usedPages: number } {
  const totalPages = c.blocks * 2 ** c.maxOrder;
  const usedPages = Math.max(2, Math.floor(totalPages * c.usedShare));
  const freeDirtyPages = Math.floor((totalPages - usedPages) * c.dirtyShare * dirtyScale);
  const workload = makeWorkload({
    guest: {
      memoryBytes: totalPages * PAGE,
      maxOrder: c.maxOrder,
      pageblockOrder: c.maxOrder,
      initial: { usedBytes: usedPages * PAGE, freeDirtyBytes: freeDirtyPages * PAGE, fragmentation: c.fragmentation, layout: c.layout, regions: [], buddyinfoFreeBlocks: null, ...initial },
    },
    seed: c.seed,
  });
  return { workload, totalPages, usedPages };
}
