import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeNotifier, tinyHarness } from './strategy-harness.js';

/**
 * A 16-page guest, maxOrder 3, every page in use; hint order 1 (2 pages). Frees pfn 0,
 * then 1, 2, 3 as single pages, then [4, 8) as an order-2 block: the range [0, 8)
 * coalesces step by step up to order 3.
 */
function freeSequence(placement: 'at-order' | 'after-merge') {
  const h = tinyHarness(mergeNotifier({ order: 1, placement }), { pages: 16, maxOrder: 3, free: [], populated: true });
  for (const pfn of [0, 1, 2, 3]) h.buddy.free(pfn, 0);
  h.buddy.free(4, 2);
  return h;
}

test('at-order hints a merge reaching the order and a free at or above it, once per range', () => {
  const h = freeSequence('at-order');
  // free 1 merges [0,2) to order 1: hint 2 pages; free 3 merges [2,4): hint 2 pages (the
  // merge on to order 2 is not hinted); free [4,8) at order 2 ≥ 1: hint 4 pages.
  assert.equal(h.costs.hintCalls, 3);
  assert.equal(h.costs.pagesHinted, 8);
  assert.equal(h.costs.redundantPagesHinted, 0);
  assert.equal(h.costs.guestCpuSec, 3e-6);
  assert.equal(h.costs.maxLockHoldSec, 0, 'the zone lock is dropped around the hypercall');
  // The host discarded [0, 8): zero and no longer backed; [8, 16) untouched.
  assert.equal(h.memory.zero.countRange(0, 16), 8);
  assert.equal(h.memory.populated.countRange(0, 8), 0);
  assert.equal(h.memory.populated.countRange(8, 16), 8);
  assert.equal(h.strategy.nextArrivalSec, Infinity);
  assert.equal(h.strategy.nextGuestSec, Infinity);
});

test('after-merge hints the final block of each free, re-hinting ranges as they merge higher', () => {
  const h = freeSequence('after-merge');
  // free 1 → [0,2) order 1: 2 pages; free 3 → [0,4) order 2: 4 pages, 2 of them already
  // discarded; free [4,8) → [0,8) order 3: 8 pages, 4 already discarded.
  assert.equal(h.costs.hintCalls, 3);
  assert.equal(h.costs.pagesHinted, 14);
  assert.equal(h.costs.redundantPagesHinted, 6);
  assert.equal(h.costs.maxLockHoldSec, 1e-6, 'the block is on the free list: the lock is held across the call');
});

test('an allocation makes its pages fresh again: re-hinting them is not redundant', () => {
  for (const [placement, pages, redundant] of [
    ['at-order', 2, 0],
    ['after-merge', 8, 6],
  ] as const) {
    const h = freeSequence(placement);
    const before = { ...h.costs };
    // alloc(1) splits [0,8): [0,2) is allocated, [2,4) and [4,8) stay free (and discarded).
    assert.equal(h.buddy.alloc(1), 0);
    h.buddy.free(0, 1);
    assert.equal(h.costs.hintCalls - before.hintCalls, 1, placement);
    assert.equal(h.costs.pagesHinted - before.pagesHinted, pages, placement);
    assert.equal(h.costs.redundantPagesHinted - before.redundantPagesHinted, redundant, placement);
  }
});

test('frees below the hint order that never merge up are not hinted', () => {
  const h = tinyHarness(mergeNotifier({ order: 2 }), { pages: 16, maxOrder: 3, free: [], populated: true });
  h.buddy.free(0, 0);
  h.buddy.free(2, 1);
  h.buddy.free(5, 0);
  assert.equal(h.costs.hintCalls, 0);
  assert.equal(h.memory.zero.countSet(), 0);
  h.buddy.free(1, 0); // [0,2) + [2,4) → order 2: hinted
  assert.equal(h.costs.hintCalls, 1);
  assert.equal(h.costs.pagesHinted, 4);
});

test('nothing is hinted after the switchover', () => {
  const h = tinyHarness(mergeNotifier({ order: 0 }), { pages: 16, maxOrder: 3, free: [], populated: true });
  h.strategy.done(1);
  h.buddy.free(0, 3);
  assert.equal(h.costs.hintCalls, 0);
});
