import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRisingScaleKeepsOrder, freeBlocks, perPage, tinyHarness } from './strategy-harness.js';

/**
 * 16 pages, maxOrder 2, all in use; capacity 4. Frees 0 and 1 (they merge into [0,2)),
 * then 4 (order 0) and [8,10) (order 1): the fourth entry fills the array at t = 1 s.
 */
function filled(batch: number) {
  const h = tinyHarness(perPage({ capacity: 4, batch }), { pages: 16, maxOrder: 2, free: [], populated: true });
  h.clock.nowSec = 1;
  h.buddy.free(0, 0);
  h.buddy.free(1, 0);
  h.buddy.free(4, 0);
  assert.equal(h.strategy.nextGuestSec, Infinity);
  h.buddy.free(8, 1);
  return h;
}

test('a full array is scanned at once; only entries still free at their recorded order are reported', () => {
  const h = filled(1);
  assert.equal(h.strategy.nextGuestSec, 1);
  h.step();
  // (0,0) merged into [0,2) and (1,0) is no head: dropped. 4 and [8,10) are isolated.
  assert.deepEqual(freeBlocks(h.buddy), [[0, 1]]);
  assert.equal(h.memory.held.countSet(), 3);
  assert.equal(h.costs.blocksHeldPeak, 2);
  // One hypercall per entry, 1 µs apart.
  assert.equal(h.strategy.nextArrivalSec, 1 + 1e-6);
  h.step();
  assert.equal(h.strategy.nextArrivalSec, 1 + 2e-6);
  h.step();
  assert.equal(h.strategy.nextArrivalSec, Infinity);
  assert.equal(h.costs.hintCalls, 2);
  assert.equal(h.costs.pagesHinted, 3);
  assert.equal(h.costs.redundantPagesHinted, 0);
  assert.equal(h.costs.guestCpuSec, 2e-6);
  assert.equal(h.costs.maxLockHoldSec, 0);
  // Discarded and returned: free again, zero, unbacked; the returns were not recorded.
  assert.deepEqual(freeBlocks(h.buddy), [[4, 0], [8, 1], [0, 1]]);
  assert.equal(h.memory.held.countSet(), 0);
  assert.deepEqual([4, 8, 9].map((pfn) => h.memory.zero.test(pfn) && !h.memory.populated.test(pfn)), [true, true, true]);
  assert.equal(h.memory.zero.test(0), false, 'the merged block was never reported');
  h.buddy.checkInvariants();
});

test('with batch 2 the isolated entries go in one hypercall', () => {
  const h = filled(2);
  h.runUntil(2);
  assert.equal(h.costs.hintCalls, 1);
  assert.equal(h.costs.pagesHinted, 3);
});

test('re-reporting a page that was discarded and not allocated since is redundant', () => {
  const h = filled(1);
  h.runUntil(2);
  // An allocation takes [8,10): those pages are fresh again. Taking pfn 4 off the list
  // without allocating it (as isolation does) leaves it discarded.
  assert.equal(h.buddy.alloc(1), 8);
  h.buddy.removeFree(4, 0);
  h.buddy.free(4, 0);
  h.buddy.free(8, 0);
  h.buddy.free(9, 0);
  h.buddy.free(12, 2);
  h.runUntil(3);
  // (4,0) still heads an order-0 block; 8 and 9 merged into [8,10); [12,16) is isolated.
  assert.equal(h.costs.hintCalls, 2 + 2);
  assert.equal(h.costs.pagesHinted, 3 + 1 + 4);
  assert.equal(h.costs.redundantPagesHinted, 1);
});

test('a full array waits for the hypercalls in flight', () => {
  const h = tinyHarness(perPage({ capacity: 2 }), { pages: 16, maxOrder: 2, free: [], populated: true });
  h.clock.nowSec = 1;
  h.buddy.free(0, 0);
  h.buddy.free(2, 0);
  h.step(); // scan: two calls in flight, until 1 + 2 µs
  h.buddy.free(4, 0);
  h.buddy.free(6, 0);
  assert.equal(h.strategy.nextGuestSec, Infinity);
  h.buddy.free(8, 0); // the array is full: not recorded
  h.step();
  h.step();
  assert.equal(h.strategy.nextGuestSec, 1 + 2e-6);
  h.runUntil(2);
  assert.equal(h.costs.hintCalls, 4);
  assert.equal(h.memory.zero.test(8), false);
});

test('a scale that rises between hypercalls (the host gives the vCPU more CPU) never moves the next one back', () => {
  // The scan at 1 s, then two hypercalls.
  assertRisingScaleKeepsOrder(filled(1), 1, 2);
});
