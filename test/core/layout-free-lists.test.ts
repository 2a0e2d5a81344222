/**
 * The order of the free lists at t = 0 (src/core/layout.ts buildFreeLists, docs/model.md
 * §1.3, §10.2a item 6): old-data blocks at the heads, `seeded` in a seeded order or
 * `last-freed` in descending pfn (one ascending munmap: __free_one_page adds each merged
 * block at the head), then never-touched blocks in ascending pfn (boot order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { buildInitialLayout } from '../../src/core/layout.js';
import type { FreeListOrder, GuestConfig } from '../../src/core/types.js';
import { buddyGuest, buddyGuestShape } from './buddy-guest-fixture.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const PAGE = 4 * UNITS.KiB;

/** The list of `order` from head to tail. */
function list(buddy: BuddyAllocator, order: number): number[] {
  const pfns: number[] = [];
  for (let pfn = buddy.head[order]; pfn >= 0; pfn = buddy.nextOf(pfn)) pfns.push(pfn);
  return pfns;
}

/**
 * 64 pages in 4-page blocks (maxOrder 2): used 8 pages (the memmap at pfn 63, pfns 0–6),
 * old data 16 (pfns 7–22), never touched 23–62. Free blocks: 7 (order 0, old data); 8, 12,
 * 16, 20 (order 2, old data; 20–23 holds the never-touched 23); 24 … 56 (order 2); 60
 * (order 1); 62 (order 0).
 */
function smallGuest(freeListOrder: FreeListOrder, layout: 'ordered' | 'shuffled' = 'ordered', seed = 1): { guest: GuestConfig; seed: number } {
  const w = makeWorkload({
    guest: {
      memoryBytes: 64 * PAGE,
      maxOrder: 2,
      pageblockOrder: 2,
      initial: { usedBytes: 8 * PAGE, freeDirtyBytes: 16 * PAGE, fragmentation: 0, layout, freeListOrder, regions: [], buddyinfoFreeBlocks: null },
    },
    seed,
  });
  return { guest: w.guest, seed: w.seed };
}

function build(guest: GuestConfig, seed: number): { memory: GuestMemory; buddy: BuddyAllocator } {
  const totalPages = guest.memoryBytes / guest.pageSizeBytes;
  const memory = new GuestMemory(totalPages, 1);
  const buddy = new BuddyAllocator(totalPages, guest.maxOrder);
  buildInitialLayout(guest, seed, memory, buddy);
  return { memory, buddy };
}

const NEVER_TOUCHED_ORDER2 = [24, 28, 32, 36, 40, 44, 48, 52, 56];

test('last-freed: the old data heads the lists in descending pfn (20, 16, 12, 8), then never-touched blocks ascending', () => {
  const { guest, seed } = smallGuest('last-freed');
  const { buddy } = build(guest, seed);
  assert.deepEqual(list(buddy, 2), [20, 16, 12, 8, ...NEVER_TOUCHED_ORDER2]);
  assert.deepEqual(list(buddy, 1), [60]);
  assert.deepEqual(list(buddy, 0), [7, 62]);
  buddy.checkInvariants();
  // The hint driver's order-2 allocations (alloc_pages at MAX_ORDER - 1) take the heads: top of the old data first.
  assert.deepEqual([buddy.alloc(2), buddy.alloc(2), buddy.alloc(2), buddy.alloc(2), buddy.alloc(2)], [20, 16, 12, 8, 24]);
});

test('seeded (default): the same four old-data blocks at the heads in a seeded order, the same never-touched tail; the pages are the same', () => {
  const orders = new Set<string>();
  for (let seed = 1; seed <= 20; seed++) {
    const { guest } = smallGuest('seeded', 'ordered', seed);
    const seeded = build(guest, seed);
    const heads = list(seeded.buddy, 2);
    assert.deepEqual([...heads.slice(0, 4)].sort((a, b) => a - b), [8, 12, 16, 20]);
    assert.deepEqual(heads.slice(4), NEVER_TOUCHED_ORDER2);
    assert.deepEqual(list(seeded.buddy, 0), [7, 62]);
    orders.add(heads.slice(0, 4).join(','));
    const lastFreed = build(smallGuest('last-freed', 'ordered', seed).guest, seed);
    assert.deepEqual(lastFreed.memory.allocated.words, seeded.memory.allocated.words);
    for (let pfn = 0; pfn < 64; pfn++) assert.equal(lastFreed.memory.zero.test(pfn), seeded.memory.zero.test(pfn), `pfn ${pfn}`);
  }
  assert.ok(orders.size > 1, 'the seeded order depends on the seed');
});

test('property: with last-freed, each list holds its old-data blocks first in descending pfn, then the never-touched ones ascending; the allocator invariants hold', () => {
  fc.assert(
    fc.property(
      fc.record(buddyGuestShape(0.05)),
      (c) => {
        const { workload: w, totalPages, usedPages } = buddyGuest(c, 1, { freeListOrder: 'last-freed' });
        let built: ReturnType<typeof build>;
        try {
          built = build(w.guest, w.seed);
        } catch (e) {
          if (e instanceof Error && /guest\.initial/.test(e.message)) return; // too fragmented for this guest
          throw e;
        }
        const { memory, buddy } = built;
        buddy.checkInvariants();
        assert.equal(buddy.freePages, totalPages - usedPages);
        for (let pfn = 0; pfn < totalPages; pfn++) assert.equal(buddy.findFreeBlock(pfn) >= 0, !memory.allocated.test(pfn), `pfn ${pfn}`);
        for (let order = 0; order <= c.maxOrder; order++) {
          const pfns = list(buddy, order);
          const pages = 2 ** order;
          const old = pfns.map((pfn) => memory.zero.countRange(pfn, pfn + pages) < pages);
          const firstNew = old.indexOf(false);
          const split = firstNew < 0 ? pfns.length : firstNew;
          assert.ok(old.slice(split).every((x) => !x), `order ${order}: old data after a never-touched block`);
          for (let i = 1; i < split; i++) assert.ok(pfns[i] < pfns[i - 1], `order ${order}: old data not descending`);
          for (let i = split + 1; i < pfns.length; i++) assert.ok(pfns[i] > pfns[i - 1], `order ${order}: never touched not ascending`);
        }
      },
    ),
    { numRuns: 200 },
  );
});
