import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { PcpCache } from '../../src/core/pcp-cache.js';
import { Rng } from '../../src/core/rng.js';
import { simulateWorkload } from '../../src/core/simulation.js';
import { freePageHint, makeWorkload, UNITS } from './workload-fixture.js';

test('per-CPU lists: LIFO reuse, refill by batch, drain of the batch oldest above high', () => {
  const buddy = new BuddyAllocator(16, 4);
  buddy.addFreeBlock(0, 4, false);
  const pcp = new PcpCache(1, 4, 2);
  // An empty list takes `batch` = 2 pages from the buddy, then hands out the last one taken.
  assert.deepEqual([0, 1, 2, 3, 4].map(() => pcp.alloc(0, buddy)), [1, 0, 3, 2, 5]);
  assert.equal(pcp.pagesOf(0), 1, 'pfn 4 is left on the list');
  assert.equal(buddy.freePages, 10);
  // Frees push on top; the fourth makes 5 > high = 4, so the two oldest (4, then 1) go back
  // to the buddy; neither merges, as its buddy (5, 0) is not free.
  for (const pfn of [1, 0, 3, 2, 5]) pcp.free(0, pfn, buddy);
  assert.equal(pcp.pagesOf(0), 4);
  assert.equal(buddy.freePages, 12);
  assert.equal(buddy.freeOrder[4], 0);
  assert.equal(buddy.freeOrder[1], 0);
  // LIFO: the most recently freed page comes back first.
  assert.equal(pcp.alloc(0, buddy), 5);
  buddy.checkInvariants();
});

test('pages never sit on a per-CPU list and the free lists at once (random sequences)', () => {
  const buddy = new BuddyAllocator(1024, 10);
  buddy.addFreeBlock(0, 10, false);
  const pcp = new PcpCache(2, 16, 4);
  const rng = new Rng(3, 'pcp-test');
  const live: number[] = [];
  for (let step = 0; step < 5000; step++) {
    const vcpu = rng.nextInt(2);
    if (live.length > 0 && rng.nextDouble() < 0.5) {
      pcp.free(vcpu, live.splice(rng.nextInt(live.length), 1)[0], buddy);
    } else {
      const pfn = pcp.alloc(vcpu, buddy);
      if (pfn >= 0) {
        assert.ok(buddy.findFreeBlock(pfn) < 0, `pfn ${pfn} handed out while free`);
        live.push(pfn);
      }
    }
    assert.ok(pcp.pagesOf(0) <= 16 && pcp.pagesOf(1) <= 16);
    assert.equal(buddy.freePages + live.length + pcp.pagesOf(0) + pcp.pagesOf(1), 1024);
  }
  buddy.checkInvariants();
});

test('a guest with per-CPU lists migrates without losing pages; the lists hide pages from hints', () => {
  const workload = makeWorkload({
    guest: { memoryBytes: 256 * UNITS.MiB, vcpus: 2, pcp: { highPages: 512, batchPages: 64 }, initial: { usedBytes: 96 * UNITS.MiB, freeDirtyBytes: 64 * UNITS.MiB } },
    phases: [{ durationSec: null, writes: [], churn: [{ rateBlocksPerSec: 2000, orders: [{ order: 0, weight: 1 }], lifetimeSec: 0.5, fill: 'data', arrivals: 'even', vcpu: null }], trace: null }],
    migration: { startSec: 1, tracking: { clear: 'sync' } },
    hints: [freePageHint()],
  });
  const [none, hinted] = simulateWorkload(workload);
  assert.equal(none.summary.lostPages, 0);
  assert.equal(hinted.summary.lostPages, 0);
});
