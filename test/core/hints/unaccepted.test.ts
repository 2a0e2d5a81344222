import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuddyAllocator } from '../../../src/core/buddy-allocator.js';
import { GuestMemory } from '../../../src/core/guest-memory.js';
import { buildInitialLayout } from '../../../src/core/layout.js';
import { simulateWorkload } from '../../../src/core/simulation.js';
import { createStrategy } from '../../../src/core/hints/create-strategy.js';
import { Precopy } from '../../../src/core/precopy.js';
import type { ChurnStream, Workload } from '../../../src/core/types.js';
import { makeWorkload, UNITS } from '../workload-fixture.js';
import { freeBlocks, unaccepted, zeroCosts } from './strategy-harness.js';

const { KiB } = UNITS;
const NORMAL_PAGE_BYTES = 8 + 4096;

/**
 * 16 pages, maxOrder 2: pfn 0 in use, the memmap at 15, pfns 1–14 free and never touched.
 * 4-page chunks above 16 KiB: [4,8) and [8,12) are unaccepted; [12,16) holds the memmap,
 * so the guest accepted it at boot. Accepting a chunk: 1 MapGPA + 16 KiB / granule calls.
 */
function confidentialGuest(granuleBytes = 8 * KiB, churn: ChurnStream[] = [], startSec = 0): Workload {
  return makeWorkload({
    guest: { memoryBytes: 64 * KiB, maxOrder: 2, pageblockOrder: 1, minFreeBytes: 4 * KiB, initial: { usedBytes: 8 * KiB } },
    phases: [{ durationSec: null, writes: [], churn, trace: null }],
    migration: { startSec },
    hints: [unaccepted({ acceptedAtBootBytes: 16 * KiB, chunkBytes: 16 * KiB, acceptGranularityBytes: granuleBytes })],
  });
}

function build(workload: Workload) {
  const memory = new GuestMemory(16, 1);
  const buddy = new BuddyAllocator(16, 2);
  buildInitialLayout(workload.guest, workload.seed, memory, buddy);
  const noop = () => {};
  const precopy = new Precopy(workload.migration, memory, 4096, { onDirtyLimit: noop, onPause: noop, onPostcopy: () => ({ arrived: () => false }), onPostcopyRunning: noop, onSetup: noop, onStopHints: noop, onStartHints: noop, onSwitchover: noop, onThrottle: noop, onRound: noop, dirtyLimitThrottleUs: () => 0 }, false);
  const costs = zeroCosts();
  const strategy = createStrategy(workload.hints[0], {
    memory, buddy, precopy, costs, guest: workload.guest, minWatermarkPages: 1, lowWatermarkPages: 1, clock: { nowSec: 0 },
  })!;
  return { memory, buddy, costs, strategy };
}

test('never-touched chunks above acceptedAtBoot start unaccepted, off the free lists', () => {
  const { memory, buddy } = build(confidentialGuest());
  assert.deepEqual(freeBlocks(buddy), [[1, 0], [14, 0], [2, 1], [12, 1]]);
  assert.equal(memory.unaccepted!.countSet(), 8);
  assert.equal(memory.unaccepted!.countRange(4, 12), 8);
  buddy.checkInvariants();
});

test('each accept takes the lowest chunk: 1 + chunk/granule calls under the zone lock, freed to the tail', () => {
  const { memory, buddy, costs, strategy } = build(confidentialGuest());
  assert.equal(strategy.giveBack(), true);
  assert.equal(costs.acceptCalls, 3);
  assert.equal(costs.guestCpuSec, 3e-6);
  assert.equal(costs.maxLockHoldSec, 3e-6);
  assert.deepEqual(freeBlocks(buddy), [[1, 0], [14, 0], [2, 1], [12, 1], [4, 2]]);
  assert.equal(memory.unaccepted!.countRange(4, 8), 0);
  assert.equal(memory.populated.countRange(4, 8), 4, 'the host backs accepted memory');
  assert.equal(memory.zero.countRange(4, 8), 4);
  assert.equal(strategy.giveBack(), true);
  assert.equal(strategy.giveBack(), false);
  assert.equal(costs.acceptCalls, 6);
  assert.equal(memory.unaccepted!.countSet(), 0);
  buddy.checkInvariants();
  // At 4 KiB granules a chunk costs 1 + 4 calls, and holds the lock 5 µs.
  const fine = build(confidentialGuest(4 * KiB));
  fine.strategy.giveBack();
  assert.equal(fine.costs.acceptCalls, 5);
  assert.equal(fine.costs.maxLockHoldSec, 5 * 1e-6);
});

test('unaccepted pages are never sent and are counted in the bulk row', () => {
  const [none, lazy] = simulateWorkload(confidentialGuest());
  assert.deepEqual([none.rounds[0].normalPages, none.rounds[0].zeroPages, none.rounds[0].unacceptedPages], [2, 14, 0]);
  assert.deepEqual([lazy.rounds[0].normalPages, lazy.rounds[0].zeroPages, lazy.rounds[0].unacceptedPages], [2, 6, 8]);
  assert.equal(none.summary.totalBytes, 2 * NORMAL_PAGE_BYTES + 14 * 9 + 2 * 8);
  assert.equal(lazy.summary.savedBytes, 8 * 9);
  assert.equal(lazy.summary.costs.acceptCalls, 0);
});

test('a guest allocation that would leave free memory below low accepts a chunk first', () => {
  // Ten order-0 allocations per second that live forever; low = 1 page. Accepted free
  // memory is 6 pages: allocations 1–5 leave 5…1; the 6th would leave 0 < low, so chunk
  // [4,8) is accepted first. Migration starts at 0.95 s, after 9 allocations.
  const churn: ChurnStream = { rateBlocksPerSec: 10, orders: [{ order: 0, weight: 1 }], lifetimeSec: 1e6, fill: 'data', arrivals: 'even', vcpu: null };
  const [none, lazy] = simulateWorkload(confidentialGuest(8 * KiB, [churn], 0.95));
  assert.equal(lazy.summary.costs.acceptCalls, 3);
  assert.equal(lazy.summary.costs.maxLockHoldSec, 3e-6);
  assert.equal(lazy.summary.costs.allocFailures, 0);
  assert.deepEqual([none.rounds[0].normalPages, none.rounds[0].zeroPages, none.rounds[0].unacceptedPages], [11, 5, 0]);
  assert.deepEqual([lazy.rounds[0].normalPages, lazy.rounds[0].zeroPages, lazy.rounds[0].unacceptedPages], [11, 1, 4]);
  assert.equal(lazy.summary.lostPages, 0);
});
