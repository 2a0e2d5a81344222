/**
 * `guest.initial.regions` (src/core/layout.ts, docs/model.md §1.3): ranges of guest-physical
 * memory with fixed content at t = 0; the ordered layout places mixed blocks, the rest of
 * the used pages and the rest of the old data ascending around them, the memmap on top.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { ConfigError } from '../../src/core/errors.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { buildInitialLayout } from '../../src/core/layout.js';
import type { GuestConfig, InitialRegion } from '../../src/core/types.js';
import { parseWorkload } from '../../src/workload/parse-workload.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const PAGE = 4 * UNITS.KiB;

function list(buddy: BuddyAllocator, order: number): number[] {
  const pfns: number[] = [];
  for (let pfn = buddy.head[order]; pfn >= 0; pfn = buddy.nextOf(pfn)) pfns.push(pfn);
  return pfns;
}

function guestWith(totalPages: number, maxOrder: number, usedPages: number, freeDirtyPages: number, regions: InitialRegion[], fragmentation = 0): GuestConfig {
  return makeWorkload({
    guest: {
      memoryBytes: totalPages * PAGE,
      maxOrder,
      pageblockOrder: maxOrder,
      initial: { usedBytes: usedPages * PAGE, freeDirtyBytes: freeDirtyPages * PAGE, fragmentation, layout: 'ordered', freeListOrder: 'last-freed', regions, buddyinfoFreeBlocks: null },
    },
  }).guest;
}

function build(guest: GuestConfig): { memory: GuestMemory; buddy: BuddyAllocator } {
  const totalPages = guest.memoryBytes / guest.pageSizeBytes;
  const memory = new GuestMemory(totalPages, 1);
  const buddy = new BuddyAllocator(totalPages, guest.maxOrder);
  buildInitialLayout(guest, 1, memory, buddy);
  return { memory, buddy };
}

/** 'U' used, 'o' free old data, '.' free never touched, per pfn. */
function picture(memory: GuestMemory): string {
  let s = '';
  for (let pfn = 0; pfn < memory.totalPages; pfn++) s += memory.allocated.test(pfn) ? 'U' : memory.zero.test(pfn) ? '.' : 'o';
  return s;
}

/**
 * 64 pages, maxOrder 2, used 16 (the memmap is pfn 63), old data 16. Regions: 0–3 never
 * touched (a DMA zone), 4–7 used (a kernel), 8–15 old data, 24–31 used (a reserved island).
 * The rest: used 16 − 1 − 4 − 8 = 3 pages at 16–18, old data 16 − 8 = 8 at 19–23 and
 * 32–34, never touched 35–62.
 */
const SMALL: InitialRegion[] = [
  { startPage: 0, pages: 4, holds: 'zero' },
  { startPage: 4, pages: 4, holds: 'used' },
  { startPage: 8, pages: 8, holds: 'old' },
  { startPage: 24, pages: 8, holds: 'used' },
];

test('regions on a 64-page guest: each page as computed by hand, and the free lists with last-freed', () => {
  const { memory, buddy } = build(guestWith(64, 2, 16, 16, SMALL));
  assert.equal(picture(memory), '....UUUUooooooooUUUoooooUUUUUUUUooo............................U');
  // Old-data blocks (8, 12, 20 of order 2 and 19 of order 0; 32 holds 3 old pages) descending at the heads,
  // then never-touched blocks ascending: the DMA zone's block 0 first.
  assert.deepEqual(list(buddy, 2), [32, 20, 12, 8, 0, 36, 40, 44, 48, 52, 56]);
  assert.deepEqual(list(buddy, 1), [60]);
  assert.deepEqual(list(buddy, 0), [19, 62]);
  buddy.checkInvariants();
  // The hint driver's order-2 allocations take the old data from the top down, then the lowest never-touched block.
  assert.deepEqual([buddy.alloc(2), buddy.alloc(2), buddy.alloc(2), buddy.alloc(2), buddy.alloc(2)], [32, 20, 12, 8, 0]);
});

test('regions with fragmentation: mixed blocks take the lowest whole maxOrder blocks outside the regions', () => {
  // 64 pages, maxOrder 3: a mixed block (top mixed order 1) frees base+2..3 and base+5 (3 pages).
  // used 16 = memmap 1 (pfn 63) + region 6 (0–5) + mixed 5 + 4 more; free 48, mixed blocks round(f × 48 / 3) = 1,
  // at 8 (the lowest whole block outside the region); the 4 used pages at 6, 7, 16, 17; old data 4 at 18–21.
  const { memory, buddy } = build(guestWith(64, 3, 16, 4, [{ startPage: 0, pages: 6, holds: 'used' }], 3 / 48));
  assert.equal(picture(memory), 'UUUUUUUU' + 'UU..U.UU' + 'UU' + 'oooo' + '.'.repeat(41) + 'U');
  buddy.checkInvariants();
  assert.equal(buddy.freePages, 48);
});

test('property: random regions on random guests: region contents, counts, ascending order outside them, allocator invariants', () => {
  fc.assert(
    fc.property(
      fc.record({
        maxOrder: fc.integer({ min: 1, max: 5 }),
        blocks: fc.integer({ min: 4, max: 24 }),
        usedShare: fc.double({ min: 0.05, max: 0.6, noNaN: true }),
        dirtyShare: fc.double({ min: 0, max: 1, noNaN: true }),
        cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 0, maxLength: 8 }),
        holds: fc.array(fc.constantFrom('used' as const, 'old' as const, 'zero' as const), { minLength: 4, maxLength: 4 }),
      }),
      (c) => {
        const totalPages = c.blocks * 2 ** c.maxOrder;
        const usedPages = Math.max(2, Math.floor(totalPages * c.usedShare));
        const freeDirtyPages = Math.floor((totalPages - usedPages) * c.dirtyShare);
        // Regions from sorted cut points over the lower 90% of memory: pairs [a, b) with a < b.
        const points = [...new Set(c.cuts.map((x) => Math.floor(x * totalPages * 0.9)))].sort((a, b) => a - b);
        const regions: InitialRegion[] = [];
        for (let i = 0; i + 1 < points.length; i += 2) {
          regions.push({ startPage: points[i], pages: points[i + 1] - points[i], holds: c.holds[(i / 2) % 4] });
        }
        let built: ReturnType<typeof build>;
        try {
          built = build(guestWith(totalPages, c.maxOrder, usedPages, freeDirtyPages, regions));
        } catch (e) {
          if (e instanceof ConfigError && /guest\.initial/.test(e.message)) return; // regions that do not fit this guest
          throw e;
        }
        const { memory, buddy } = built;
        buddy.checkInvariants();
        assert.equal(buddy.freePages, totalPages - usedPages);
        for (let pfn = 0; pfn < totalPages; pfn++) assert.equal(buddy.findFreeBlock(pfn) >= 0, !memory.allocated.test(pfn), `pfn ${pfn}`);
        const pic = picture(memory);
        assert.equal([...pic].filter((x) => x === 'o').length, freeDirtyPages);
        const inRegion = new Uint8Array(totalPages);
        for (const r of regions) {
          const want = r.holds === 'used' ? 'U' : r.holds === 'old' ? 'o' : '.';
          assert.equal(pic.slice(r.startPage, r.startPage + r.pages), want.repeat(r.pages));
          inRegion.fill(1, r.startPage, r.startPage + r.pages);
        }
        // Outside the regions and the memmap (its pages are the top ones): used, then old data, then never touched.
        const memmapPages = Math.ceil((totalPages * 64) / PAGE);
        let outside = '';
        for (let pfn = 0; pfn < totalPages - memmapPages; pfn++) if (!inRegion[pfn]) outside += pic[pfn];
        assert.match(outside, /^U*o*\.*$/);
        assert.equal(pic.slice(totalPages - memmapPages), 'U'.repeat(memmapPages));
      },
    ),
    { numRuns: 200 },
  );
});

test('regions that do not fit are refused naming the field', () => {
  const tooMuchUsed = guestWith(64, 2, 8, 0, [{ startPage: 0, pages: 8, holds: 'used' }]);
  assert.throws(() => build(tooMuchUsed), /guest\.initial\.regions hold 8 used pages, more than guest\.initial\.used leaves outside the memmap and mixed blocks \(7\)/);
  const intoMemmap = guestWith(64, 2, 8, 0, [{ startPage: 60, pages: 4, holds: 'zero' }]);
  assert.throws(() => build(intoMemmap), /guest\.initial\.regions\[0\] ends at pfn 64, inside the memmap/);
  const tooMuchOld = guestWith(64, 2, 8, 4, [{ startPage: 0, pages: 8, holds: 'old' }]);
  assert.throws(() => build(tooMuchOld), /hold 8 pages of old data, more than guest\.initial\.freeDirty/);
});

test('parse: regions read in bytes; overlapping, unaligned, shuffled or holds missing are refused', () => {
  const base = (regions: string, layout = 'ordered') =>
    `guest:\n  memory: 1GiB\n  initial:\n    used: 256MiB\n    layout: ${layout}\n    regions:\n${regions}`;
  const w = parseWorkload(base('      - {start: 16MiB, size: 30MiB, holds: used}\n      - {start: 224MiB, size: 44MiB, holds: old}\n'), 'w.yaml');
  assert.deepEqual(w.guest.initial.regions, [
    { startPage: 4096, pages: 7680, holds: 'used' },
    { startPage: 57344, pages: 11264, holds: 'old' },
  ]);
  const refuses = (text: string, message: RegExp) => assert.throws(() => parseWorkload(text, 'w.yaml'), message);
  refuses(base('      - {start: 16MiB, size: 30MiB, holds: used}\n      - {start: 40MiB, size: 4MiB, holds: old}\n'), /guest\.initial\.regions\[1\]\.start must be at or above the previous region's end \(46 ?MiB\)/);
  refuses(base('      - {start: 1000B, size: 4KiB, holds: used}\n'), /guest\.initial\.regions\[0\]\.start must be a multiple of guest\.pageSize/);
  refuses(base('      - {start: 0B, size: 4KiB}\n'), /guest\.initial\.regions\[0\]\.holds is required/);
  refuses(base('      - {start: 0B, size: 4KiB, holds: used}\n', 'shuffled'), /guest\.initial\.regions needs layout: ordered/);
  refuses(base('      - {start: 1GiB, size: 4KiB, holds: zero}\n'), /guest\.initial\.regions\[0\]\.size ends past guest\.memory/);
});
