import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateWorkload } from '../../../src/core/simulation.js';
import { makeWorkload, UNITS } from '../workload-fixture.js';
import { freeBlocks, pageReporting, tinyHarness } from './strategy-harness.js';

const { KiB } = UNITS;
const NORMAL_PAGE_BYTES = 8 + 4096;

/**
 * 16 pages, maxOrder 2; free: three order-2 blocks [0,4) [4,8) [8,12), [12,14) at order 1
 * and pfn 14 at order 0 (pfn 15 in use); capacity 2, minOrder 1, low watermark 0, so a
 * pass needs 0 + 2 × 2^1 = 4 free pages. Budgets: ceil(nr_free / 32) = 1 batch per order.
 */
function harness(lowPages = 0) {
  return tinyHarness(pageReporting({ minOrder: 1, capacity: 2 }), {
    pages: 16,
    maxOrder: 2,
    free: [[0, 2], [4, 2], [8, 2], [12, 1], [14, 0]],
    lowPages,
    populated: true,
  });
}

test('registration requests the first pass 2 s later; each pass reports one budget per order', () => {
  const h = harness();
  assert.equal(h.strategy.nextGuestSec, 2);
  // Pass 1 at 2 s: order 1 reports [12,14) (1 call); order 2 isolates [0,4) and [4,8),
  // rotates [8,12) to the front, reports them (1 call): budget spent, [8,12) is left.
  h.step();
  assert.equal(h.costs.blocksHeldPeak, 1);
  assert.equal(h.strategy.nextArrivalSec, 2 + 1e-6);
  assert.ok(h.memory.held.test(12));
  h.runUntil(3);
  assert.equal(h.costs.hintCalls, 2);
  assert.equal(h.costs.pagesHinted, 2 + 8);
  assert.equal(h.costs.blocksHeldPeak, 2);
  // Reported blocks are back at the tail, behind the unreported one.
  assert.deepEqual(freeBlocks(h.buddy), [[14, 0], [12, 1], [8, 2], [0, 2], [4, 2]]);
  assert.deepEqual([0, 4, 8, 12, 14].map((pfn) => h.buddy.isReported(pfn)), [true, true, false, true, false]);
  assert.equal(h.memory.held.countSet(), 0);
  // Unreported blocks remain: pass 2 follows 2 s after pass 1 ended.
  assert.equal(h.strategy.nextGuestSec, 2 + 2e-6 + 2);
  h.runUntil(10);
  assert.equal(h.costs.hintCalls, 3);
  assert.equal(h.costs.pagesHinted, 14);
  assert.equal(h.costs.redundantPagesHinted, 0);
  assert.equal(h.costs.guestCpuSec, 3e-6);
  assert.equal(h.costs.maxLockHoldSec, 0, 'the report call runs outside the zone lock');
  // All reported, nothing left: no further pass. The host discarded 14 pages (not pfn 14).
  assert.equal(h.strategy.nextGuestSec, Infinity);
  assert.equal(h.memory.populated.countRange(0, 14), 0);
  assert.deepEqual([h.memory.populated.test(14), h.memory.populated.test(15)], [true, true]);
  assert.equal(h.memory.zero.countRange(0, 14), 14);
  h.buddy.checkInvariants();
});

test('allocation and merging clear the flag; re-reporting still-discarded pages is redundant', () => {
  const h = harness();
  h.runUntil(10);
  const before = { ...h.costs };
  assert.equal(h.buddy.alloc(0), 14);
  // The order-0 list is empty: alloc splits the reported [12,14); 13 stays free, unreported.
  assert.equal(h.buddy.alloc(0), 12);
  assert.equal(h.buddy.isReported(13), false);
  h.clock.nowSec = 20;
  // Freeing 12 merges it with 13 into an unreported order-1 block: a pass is requested.
  h.buddy.free(12, 0);
  assert.equal(h.buddy.isReported(12), false);
  assert.equal(h.strategy.nextGuestSec, 22);
  h.runUntil(30);
  assert.equal(h.costs.hintCalls - before.hintCalls, 1);
  assert.equal(h.costs.pagesHinted - before.pagesHinted, 2);
  // pfn 13 was discarded and never allocated since; pfn 12 was allocated in between.
  assert.equal(h.costs.redundantPagesHinted - before.redundantPagesHinted, 1);
  assert.equal(h.buddy.isReported(12), true);
});

test('a free below minOrder requests nothing; one at or above it requests a pass', () => {
  const h = tinyHarness(pageReporting({ minOrder: 1, capacity: 2 }), { pages: 16, maxOrder: 2, free: [] });
  h.runUntil(5); // the registration pass finds no free memory above the watermark
  assert.equal(h.costs.hintCalls, 0);
  h.clock.nowSec = 6;
  h.buddy.free(0, 0);
  assert.equal(h.strategy.nextGuestSec, Infinity);
  h.buddy.free(8, 2);
  assert.equal(h.strategy.nextGuestSec, 8);
});

test('nothing is reported while free memory is below low + capacity × 2^minOrder', () => {
  // 15 free pages; low 12 + 2 × 2 = 16 > 15: the pass is cancelled and not re-armed.
  const h = harness(12);
  h.runUntil(100);
  assert.equal(h.costs.hintCalls, 0);
  assert.equal(h.strategy.nextGuestSec, Infinity);
  // With low 11 the threshold is 15 pages: reporting runs.
  const ok = harness(11);
  ok.runUntil(100);
  assert.equal(ok.costs.hintCalls, 3);
});

test('the budget is ceil(nr_free / (capacity × 16)) batches per order and pass', () => {
  // 64 order-0 blocks (every other page free), capacity 1: budget ceil(64 / 16) = 4.
  const free: [number, number][] = [];
  for (let pfn = 0; pfn < 128; pfn += 2) free.push([pfn, 0]);
  const h = tinyHarness(pageReporting({ minOrder: 0, capacity: 1 }), { pages: 128, maxOrder: 3, free });
  h.runUntil(2.5);
  assert.equal(h.costs.hintCalls, 4);
  // Later passes shrink with the list's unreported share only through nr_free, which
  // stays 64: 16 passes report all 64 blocks, as "about 30 seconds" for an idle guest.
  h.runUntil(1000);
  assert.equal(h.costs.hintCalls, 64);
  assert.equal(h.costs.pagesHinted, 64);
  assert.ok(h.clock.nowSec > 30);
});

/**
 * makeWorkload guest: 16 pages, maxOrder 2; used pfns 0–6 and the memmap at 15; free
 * pfns 7–14 hold old data: blocks 7 (order 0), [8,12) (order 2), [12,14) (order 1), 14.
 * minFree 0, so the pass needs capacity 2 × 2 pages free. Migration at 3 s, after the
 * pass at 2 s has reported [12,14) and [8,12): six pages go as zero pages.
 */
test('reported pages are migrated as zero pages', () => {
  const workload = makeWorkload({
    guest: { memoryBytes: 64 * KiB, maxOrder: 2, pageblockOrder: 1, minFreeBytes: 0, initial: { usedBytes: 32 * KiB, freeDirtyBytes: 32 * KiB } },
    migration: { startSec: 3, bandwidthBytesPerSec: 10 * NORMAL_PAGE_BYTES },
    hints: [pageReporting({ minOrder: 1, capacity: 2 })],
  });
  const [none, reported] = simulateWorkload(workload);
  const sent = (rounds: typeof none.rounds) => [rounds.reduce((n, r) => n + r.normalPages, 0), rounds.reduce((n, r) => n + r.zeroPages, 0)];
  assert.deepEqual(sent(none.rounds), [16, 0]);
  assert.deepEqual(sent(reported.rounds), [10, 6]);
  assert.equal(reported.summary.costs.hintCalls, 2);
  assert.equal(reported.summary.costs.pagesHinted, 6);
  assert.equal(reported.summary.costs.blocksHeldPeak, 1);
  // Beyond the pages, only 8-byte EOS markers (one per iteration; the rate slots decide
  // how many): six pages moved from 4104 to 9 bytes.
  const eosBytes = (total: number, normal: number, zero: number) => total - normal * NORMAL_PAGE_BYTES - zero * 9;
  assert.equal(eosBytes(none.summary.totalBytes, 16, 0) % 8, 0);
  assert.equal(eosBytes(reported.summary.totalBytes, 10, 6) % 8, 0);
  assert.ok(reported.summary.savedBytes >= 6 * (NORMAL_PAGE_BYTES - 9), `saved ${reported.summary.savedBytes}`);
  assert.equal(reported.summary.lostPages, 0);
});
