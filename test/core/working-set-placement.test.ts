/**
 * Writers' working-set placement (src/core/working-set-placement.ts, docs/model.md §1.4):
 * which pfns an allocator-placed working set gets on small hand-laid guests, that the
 * default placement is the old one, and that the allocator and the page bitmaps agree after
 * any placement (fast-check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bitmap } from '../../src/core/bitmap.js';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { ConfigError } from '../../src/core/errors.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { buildInitialLayout } from '../../src/core/layout.js';
import { simulateRun } from '../../src/core/simulation.js';
import type { GuestConfig, Phase, Workload, WorkingSetPlacement, WriteStream } from '../../src/core/types.js';
import { Writer } from '../../src/core/workload-sources.js';
import { buildGuestAtStart } from '../../src/core/working-set-placement.js';
import { buddyGuest, buddyGuestShape } from './buddy-guest-fixture.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const { KiB } = UNITS;
const PAGE = 4 * KiB;

function writer(pages: number, placement: WorkingSetPlacement | undefined, extentPages = 4, pattern: WriteStream['pattern'] = 'uniform'): WriteStream {
  return {
    ratePagesPerSec: 100,
    workingSetBytes: pages * PAGE,
    extentBytes: extentPages * PAGE,
    pattern,
    skew: 0.99,
    arrivals: 'even',
    vcpu: null,
    cpuShare: 1,
    bytesPerWrite: 8,
    ...(placement === undefined ? {} : { placement }),
  };
}

/**
 * 64 pages in 4-page blocks (maxOrder 2), 16 used, 8 of old data, one 8-page writer. The
 * layout is built with the writer's 8 pages still free old data: used 8 (the memmap at pfn
 * 63 and pfns 0–6), old data 16 (pfns 7–22), never touched 23–62. Free blocks: 7 (order 0),
 * 8, 12, 16 and 20 (old data; 20–23 holds one zero page), then 24 … 56, 60 (order 1), 62.
 */
function smallGuest(writes: WriteStream[], layout: 'ordered' | 'shuffled' = 'ordered'): Workload {
  return makeWorkload({
    guest: {
      memoryBytes: 64 * PAGE,
      maxOrder: 2,
      pageblockOrder: 2,
      initial: { usedBytes: 16 * PAGE, freeDirtyBytes: 8 * PAGE, fragmentation: 0, layout, regions: [], buddyinfoFreeBlocks: null },
    },
    phases: [{ durationSec: null, writes, churn: [], trace: null }],
  });
}

function place(w: Workload): { memory: GuestMemory; buddy: BuddyAllocator; extents: (Int32Array | null)[]; used: number[]; summary: { usedPages: number; freePages: number; freeDirtyPages: number } } {
  const totalPages = w.guest.memoryBytes / w.guest.pageSizeBytes;
  const memory = new GuestMemory(totalPages, 1);
  const buddy = new BuddyAllocator(totalPages, w.guest.maxOrder);
  const atStart = buildGuestAtStart(w.guest, w.phases, w.seed, memory, buddy);
  const used: number[] = [];
  for (let pfn = 0; pfn < totalPages; pfn++) if (atStart.usedAtStart.test(pfn)) used.push(pfn);
  return { memory, buddy, extents: atStart.allocatedExtents, used, summary: atStart.layout };
}

/** The pfns a Writer built from `extents` writes (its working set), ascending. */
function workingSetPfns(w: Workload, memory: GuestMemory, extents: Int32Array | null): number[] {
  const spec = w.phases[0].writes[0];
  const totalPages = memory.totalPages;
  const writerObj = new Writer(spec, 'phases[0].writes[0]', 'writer:0:0', w.seed, 0, Infinity, PAGE, memory.allocated, totalPages, extents);
  const marks = new Uint16Array(totalPages);
  writerObj.markWorkingSet(marks, 1);
  const pfns: number[] = [];
  marks.forEach((v, pfn) => v && pfns.push(pfn));
  return pfns;
}

test('last-freed: the working set takes the highest whole old-data blocks, 16-19 then 12-15, and used and old data end as given', () => {
  const w = smallGuest([writer(8, 'last-freed')]);
  const { memory, buddy, extents } = place(w);
  // 20-23 holds the never-touched pfn 23, so it is not a block the old data filled.
  assert.deepEqual(Array.from(extents[0]!), [16, 12]);
  assert.deepEqual(workingSetPfns(w, memory, extents[0]), [12, 13, 14, 15, 16, 17, 18, 19]);
  assert.equal(memory.allocated.countRange(0, 64), 16);
  const freeOldData: number[] = [];
  for (let pfn = 0; pfn < 64; pfn++) if (!memory.allocated.test(pfn) && !memory.zero.test(pfn)) freeOldData.push(pfn);
  assert.deepEqual(freeOldData, [7, 8, 9, 10, 11, 20, 21, 22]);
  for (let pfn = 12; pfn < 20; pfn++) {
    assert.ok(memory.populated.test(pfn) && memory.stale.test(pfn) && !memory.zero.test(pfn), `pfn ${pfn}`);
  }
  buddy.checkInvariants();
  assert.equal(buddy.freePages, 48);
});

test('allocator: the working set is the first two blocks of the order-2 free list, as __rmqueue_smallest hands them out', () => {
  const w = smallGuest([writer(8, 'allocator')]);
  // The lists the allocation starts from: the same layout with the writer's pages still free.
  const shifted: GuestConfig = { ...w.guest, initial: { ...w.guest.initial, usedBytes: 8 * PAGE, freeDirtyBytes: 16 * PAGE } };
  const before = new BuddyAllocator(64, 2);
  buildInitialLayout(shifted, w.seed, new GuestMemory(64, 1), before);
  const first = before.head[2];
  const second = before.nextOf(first);
  // Old data heads the lists in the layout's seeded order: both are old-data blocks.
  assert.ok([8, 12, 16, 20].includes(first) && [8, 12, 16, 20].includes(second), `${first} ${second}`);
  const { buddy, extents } = place(w);
  assert.deepEqual(Array.from(extents[0]!), [first, second]);
  buddy.checkInvariants();
});

test('used (explicit) is the default placement: the same working set and the same run, byte for byte', () => {
  const implicit = smallGuest([writer(8, undefined)]);
  const explicit = smallGuest([writer(8, 'used')]);
  const a = place(implicit);
  const b = place(explicit);
  assert.equal(a.extents[0], null);
  assert.deepEqual(workingSetPfns(implicit, a.memory, null), workingSetPfns(explicit, b.memory, null));
  // Drawn from the used pages at the lowest pfns (0-6 and the memmap at 63 hold no whole 4-page block but 0-3).
  const defaultGuest = makeWorkload({ phases: [{ durationSec: null, writes: [writer(512, undefined, 512, 'sequential')], churn: [], trace: null }] });
  const usedRun = simulateRun(defaultGuest, null);
  const usedRunExplicit = simulateRun({ ...defaultGuest, phases: [{ ...defaultGuest.phases[0], writes: [writer(512, 'used', 512, 'sequential')] }] }, null);
  assert.deepEqual(usedRunExplicit.rounds, usedRun.rounds);
});

test('a used writer beside an allocated one never draws the allocated pages; a sequential writer goes in ascending pfn', () => {
  const w = smallGuest([writer(8, 'last-freed', 4, 'sequential'), writer(4, 'used')]);
  const { memory, extents, used } = place(w);
  assert.deepEqual(Array.from(extents[0]!), [16, 12]);
  assert.equal(extents[1], null);
  const sequential = new Writer(w.phases[0].writes[0], 'phases[0].writes[0]', 'writer:0:0', w.seed, 0, Infinity, PAGE, memory.allocated, 64, extents[0]);
  assert.deepEqual(Array.from({ length: 10 }, () => sequential.nextPfn()), [12, 13, 14, 15, 16, 17, 18, 19, 12, 13]);
  // usedAtStart: the layout's used pages only (pfns 0-6 and the memmap), not 12-19.
  assert.deepEqual(used, [0, 1, 2, 3, 4, 5, 6, 63]);
});

test('a placement that cannot be made names the field', () => {
  const tooBig = smallGuest([writer(64, 'last-freed')]);
  assert.throws(() => place(tooBig), (e: unknown) => e instanceof ConfigError && /allocator-placed working sets \(262144 bytes\) exceed guest\.initial\.used/.test(e.message));
  const oddExtent = smallGuest([writer(6, 'allocator', 3)]);
  assert.throws(() => place(oddExtent), (e: unknown) => e instanceof ConfigError && e.message.includes('phases[0].writes[0].extent'));
  const partial = smallGuest([writer(6, 'allocator', 4)]);
  assert.throws(() => place(partial), (e: unknown) => e instanceof ConfigError && e.message.includes('phases[0].writes[0].workingSet'));
});

test('property: after any placement the free lists hold exactly the unallocated pages, and used memory is initial.used', () => {
  fc.assert(
    fc.property(
      fc.record({
        ...buddyGuestShape(0.3),
        writers: fc.array(
          fc.record({ extentOrder: fc.integer({ min: 0, max: 5 }), extents: fc.integer({ min: 1, max: 3 }), placement: fc.constantFrom<WorkingSetPlacement>('used', 'allocator', 'last-freed') }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      (c) => {
        const { workload: w, totalPages, usedPages } = buddyGuest(c, 0.5);
        const writes = c.writers.map((x) => {
          const extentPages = 2 ** Math.min(x.extentOrder, c.maxOrder);
          return writer(extentPages * x.extents, x.placement, extentPages);
        });
        const phases: Phase[] = [{ durationSec: null, writes, churn: [], trace: null }];
        const workload = { ...w, phases };
        let placed: ReturnType<typeof place>;
        try {
          placed = place(workload);
        } catch (e) {
          // Too big a working set, or too much fragmentation, for this guest: refused with the field named.
          if (e instanceof ConfigError && /phases\[0\]\.writes\[\d\]|guest\.initial/.test(e.message)) return;
          throw e;
        }
        const { memory, buddy, extents, summary } = placed;
        buddy.checkInvariants();
        let freeOldData = 0;
        for (let pfn = 0; pfn < totalPages; pfn++) if (!memory.allocated.test(pfn) && !memory.zero.test(pfn)) freeOldData++;
        assert.deepEqual([summary.usedPages, summary.freePages, summary.freeDirtyPages], [usedPages, totalPages - usedPages, freeOldData]);
        assert.equal(memory.allocated.countRange(0, totalPages), usedPages);
        assert.equal(buddy.freePages, totalPages - usedPages);
        for (let pfn = 0; pfn < totalPages; pfn++) {
          assert.equal(buddy.findFreeBlock(pfn) >= 0, !memory.allocated.test(pfn), `pfn ${pfn}`);
        }
        // Allocated working sets: whole aligned extents of allocated, non-zero, stale pages, no page twice.
        const owner = new Int8Array(totalPages).fill(-1);
        extents.forEach((starts, i) => {
          if (starts === null) return;
          const extentPages = writes[i].extentBytes / PAGE;
          for (const start of starts) {
            assert.equal(start % extentPages, 0);
            for (let pfn = start; pfn < start + extentPages; pfn++) {
              assert.equal(owner[pfn], -1, `pfn ${pfn} placed twice`);
              owner[pfn] = i;
              assert.ok(memory.allocated.test(pfn) && !memory.zero.test(pfn) && memory.stale.test(pfn) && memory.populated.test(pfn));
            }
          }
        });
      },
    ),
    { numRuns: 200 },
  );
});

/**
 * Writer.markWorkingSetGranules (MergedLane's test of whether a writer can reach a hint
 * block): exactly the granules that hold a page of the working set, for any size, extent,
 * pattern, placement and granule.
 */
test('a writer marks exactly the granules that hold a page of its working set', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom(1, 3, 4),
      fc.constantFrom<WriteStream['pattern']>('uniform', 'zipf', 'sequential'),
      fc.constantFrom<WorkingSetPlacement | undefined>(undefined, 'used', 'allocator', 'last-freed'),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 1, max: 1000 }),
      (pages, extentPages, pattern, placement, shift, seed) => {
        const w = { ...smallGuest([writer(pages, placement, extentPages, pattern)]), seed };
        let placed;
        try {
          placed = place(w);
        } catch (error) {
          if (error instanceof ConfigError) return; // no room for that working set here
          throw error;
        }
        const expected = new Set(workingSetPfns(w, placed.memory, placed.extents[0]).map((pfn) => pfn >>> shift));
        const granules = new Bitmap(Math.ceil(64 / 2 ** shift));
        const writerObj = new Writer(w.phases[0].writes[0], 'phases[0].writes[0]', 'writer:0:0', w.seed, 0, Infinity, PAGE, placed.memory.allocated, 64, placed.extents[0]);
        writerObj.markWorkingSetGranules(granules, shift);
        const marked: number[] = [];
        for (let g = 0; g < granules.sizeBits; g++) if (granules.test(g)) marked.push(g);
        assert.deepEqual(marked, [...expected].sort((a, b) => a - b));
      },
    ),
    { numRuns: 200, seed: 20261203 },
  );
});
