/**
 * The shared host-CPU budget (src/core/host-cpu.ts, docs/model.md §10.2c): CFS's max-min
 * fair share in closed form, a slot's demands computed by hand, and the budget's effect
 * on a whole run (none without contention, slower hint work with it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HOST_CPU_COSTS, HostCpu, fullThreadShare, type HostCpuCosts } from '../../src/core/host-cpu.js';
import { simulateRun } from '../../src/core/simulation.js';
import type { HostConfig, Workload } from '../../src/core/types.js';
import { freePageHint, makeWorkload, UNITS } from './workload-fixture.js';
import { assertRisingScaleKeepsOrder, tinyHarness } from './hints/strategy-harness.js';

const { MiB } = UNITS;

test('fullThreadShare: 2 cores, the vCPU and one busy thread: the vCPU runs at full speed', () => {
  assert.equal(fullThreadShare(2, 2, new Float64Array(0), 0), 1);
  assert.equal(fullThreadShare(2, 1, Float64Array.of(1), 1), 1);
});

test('fullThreadShare: 2 cores, the vCPU and three busy threads: 2/4 each', () => {
  assert.equal(fullThreadShare(2, 4, new Float64Array(0), 0), 0.5);
  assert.equal(fullThreadShare(2, 1, Float64Array.of(1, 1, 1), 3), 0.5);
});

test('fullThreadShare: threads that want less than the even split keep what they want', () => {
  // 2 cores; the vCPU beside threads wanting 0.4, 0.2, 1, 1 (given out of order): 0.2 and
  // 0.4 are below the even split (2/5, then 1.8/4), the rest share 1.4 three ways.
  assert.equal(fullThreadShare(2, 1, Float64Array.of(0.4, 1, 0.2, 1), 4), 1.4 / 3);
  // Everyone satisfied: 0.3 + 0.5 + the vCPU's 1 fit in 2 cores.
  assert.equal(fullThreadShare(2, 1, Float64Array.of(0.5, 0.3), 2), 1);
  // Never contended.
  assert.equal(fullThreadShare(Infinity, 9, Float64Array.of(1, 1), 2), 1);
});

test('fullThreadShare never gives more than a core, nor less than the even split', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
      (cores, full, list) => {
        const share = fullThreadShare(cores, full, Float64Array.from(list), list.length);
        assert.ok(share <= 1);
        assert.ok(share >= Math.min(1, cores / (full + list.length)) - 1e-12);
        // The cores are used up, or everyone has what it wants.
        const used = list.reduce((sum, d) => sum + Math.min(d, share), 0) + full * share;
        assert.ok(share === 1 || Math.abs(used - cores) < 1e-9);
      },
    ),
  );
});

/** Round costs, so that a slot's demands are hand-computable. */
const COSTS: HostCpuCosts = {
  sourceNormalPageSec: 10e-6,
  sourceZeroPageSec: 1e-6,
  channelNormalPageSec: 4e-6,
  queuePageSec: 1e-6,
  destinationNormalPageSec: 50e-6,
  destinationZeroPageSec: 2e-6,
  hintPageSec: 1e-6,
};

test('HostCpu: before any slot only the other jobs compete (2 cores, load 2.5: 2 of 4 threads)', () => {
  // The vCPU and 2 whole other jobs want a core each, the half job 0.5: 2 / 4 > 0.5, so it
  // keeps 0.5, and 1.5 splits three ways.
  assert.equal(new HostCpu({ cores: 2, otherLoad: 2.5 }, 0, COSTS).guestShare, 0.5);
});

test('HostCpu: one stream, a slot of 100 ms with 1000 normal and 5000 zero pages and 20 000 pages hinted', () => {
  const host = new HostCpu({ cores: 2, otherLoad: 1 }, 0, COSTS);
  // Source 1000 × 10 us + 5000 × 1 us = 15 ms (0.15); iothread 20 000 × 1 us = 20 ms (0.2); destination
  // 1000 × 50 us + 5000 × 2 us = 60 ms (0.6), more than the 1.65 / 3 left after the first
  // two: it, the vCPU and one other job share 2 − 0.35 three ways.
  const share = host.slotEnded(0.1, 1000, 5000, 20_000);
  assert.ok(Math.abs(share - 0.55) < 1e-12, `share ${share}`);
  // Totals: the next slot counts only what is new (here nothing: the others take 1 core).
  assert.equal(host.slotEnded(0.1, 1000, 5000, 20_000), 1);
});

test('HostCpu: multifd splits the pages over the channels and the receive threads', () => {
  const host = new HostCpu({ cores: 2, otherLoad: 0 }, 4, COSTS);
  // 8000 normal pages in 100 ms: migration thread 8 ms (0.08), each channel 8000 × 4 us / 4
  // = 8 ms (0.08), each receiver 8000 × 50 us / 4 = 100 ms (1, capped): the four receivers
  // and the vCPU share what is left, 2 − 0.4, five ways.
  assert.ok(Math.abs(host.slotEnded(0.1, 8000, 0, 0) - (2 - 5 * 0.08) / 5) < 1e-12);
});

test('HostCpu: under multifd the polling iothread wants a whole core while hints arrive, and nothing once they stop', () => {
  // Before the first slot the hinting has started: the vCPU, the iothread and one other job
  // want a core each on 2 cores (2/3); without the polling the vCPU has a whole core.
  assert.equal(new HostCpu({ cores: 2, otherLoad: 1 }, 4, COSTS, true).guestShare, 2 / 3);
  assert.equal(new HostCpu({ cores: 2, otherLoad: 1 }, 4, COSTS, false).guestShare, 1);
  const host = new HostCpu({ cores: 2, otherLoad: 1 }, 4, COSTS, true);
  // 1000 normal and 5000 zero pages and 20 000 hinted in 100 ms: migration thread 6000 × 1 us
  // = 6 ms (0.06), each channel (1000 × 4 us + 5000 × 1 us) / 4 = 2.25 ms (0.0225), each
  // receiver (1000 × 50 us + 5000 × 2 us) / 4 = 15 ms (0.15): 0.75 in all, below the level;
  // the vCPU, the iothread and the other job share 2 − 0.75 three ways.
  assert.ok(Math.abs(host.slotEnded(0.1, 1000, 5000, 20_000) - 1.25 / 3) < 1e-12);
  // No hint in the next slot (the guest is done): the iothread stops polling and the vCPU
  // shares the 2 cores with the other job alone.
  assert.equal(host.slotEnded(0.1, 1000, 5000, 20_000), 1);
  // Hints again: the iothread polls again.
  assert.equal(host.slotEnded(0.1, 1000, 5000, 20_001), 2 / 3);
  // The same slot with the iothread charged per hinted page (one stream's case): 20 000 × 1 us
  // = 20 ms (0.2) beside the 0.75; the vCPU and the other job share 2 − 0.95.
  const perPage = new HostCpu({ cores: 2, otherLoad: 1 }, 4, COSTS, false);
  assert.ok(Math.abs(perPage.slotEnded(0.1, 1000, 5000, 20_000) - 1.05 / 2) < 1e-12);
});

test('HostCpu: a migration thread wanting more than the fair level is held to it, and still asks for a whole core', () => {
  // No source cost: 2 cores, the vCPU and 2 other jobs; 2000 normal pages in 100 ms keep
  // the destination busy 100 ms (1): four threads want a core, each gets 0.5.
  const host = new HostCpu({ cores: 2, otherLoad: 2 }, 0, { ...COSTS, sourceNormalPageSec: 0 });
  assert.equal(host.slotEnded(0.1, 2000, 0, 0), 0.5);
  assert.deepEqual([host.sourceShare, host.channelShare, host.destinationShare], [1, 1, 0.5]);
  // At half a core its 1000 pages of the next slot keep it runnable the whole slot
  // (1000 × 50 us / 0.5 = 100 ms): it still wants 1, not the 0.5 of CPU it got.
  assert.equal(host.slotEnded(0.1, 3000, 0, 0), 0.5);
  assert.equal(host.destinationShare, 0.5);
  // 400 pages (40 ms at half a core, 0.4): below the level, it runs at full speed.
  host.slotEnded(0.1, 3400, 0, 0);
  assert.equal(host.destinationShare, 1);
  // With the source's 10 us a page: 2000 pages are 0.2 of a core (kept), the destination 1:
  // (2 − 0.2) / 4 = 0.45 each.
  const withSource = new HostCpu({ cores: 2, otherLoad: 2 }, 0, COSTS);
  assert.ok(Math.abs(withSource.slotEnded(0.1, 2000, 0, 0) - 0.45) < 1e-12);
  assert.deepEqual([withSource.sourceShare, withSource.destinationShare], [1, withSource.guestShare]);
});

test('HostCpu: a vCPU with no hint work in the slot takes no core; its share is what it gets on joining', () => {
  // No source cost; 2 cores, 2 other jobs; 2000 normal pages in 100 ms keep the destination
  // busy (1). vCPU idle: three threads want a core, 2/3 each; the vCPU would get 2/4.
  const costs = { ...COSTS, sourceNormalPageSec: 0 };
  const idle = new HostCpu({ cores: 2, otherLoad: 2 }, 0, costs);
  assert.equal(idle.slotEnded(0.1, 2000, 0, 0, false), 0.5);
  assert.equal(idle.destinationShare, 2 / 3);
  // Hinting, as before: four whole-core threads, 0.5 each.
  const busy = new HostCpu({ cores: 2, otherLoad: 2 }, 0, costs);
  assert.equal(busy.slotEnded(0.1, 2000, 0, 0, true), 0.5);
  assert.equal(busy.destinationShare, 0.5);
  // Nothing else wants a whole core: the destination beside half a job runs at full speed;
  // the vCPU joining would share the 1.5 left with it (0.75).
  const alone = new HostCpu({ cores: 2, otherLoad: 0.5 }, 0, costs);
  assert.equal(alone.slotEnded(0.1, 2000, 0, 0, false), 0.75);
  assert.equal(alone.destinationShare, 1);
  // One core, a job at 0.5 and the destination: max-min gives each 0.5.
  const oneCore = new HostCpu({ cores: 1, otherLoad: 0.5 }, 0, costs);
  oneCore.slotEnded(0.1, 2000, 0, 0, false);
  assert.equal(oneCore.destinationShare, 0.5);
});

test('HostCpu: with otherSessions the other jobs compete as sessions (CFS autogroup), each up to a core', () => {
  // Load 4 in one session: one entity beside the vCPU, 2/2 each; by thread, 2/5.
  assert.equal(new HostCpu({ cores: 2, otherLoad: 4, otherSessions: 1 }, 0, COSTS).guestShare, 1);
  assert.equal(new HostCpu({ cores: 2, otherLoad: 4 }, 0, COSTS).guestShare, 0.4);
  // Load 1.5 in three sessions wanting 0.5 each: 0.5 × 4 fits, the vCPU keeps what is left
  // (0.5); by thread one job and half a job: the vCPU gets (2 − 0.5) / 2.
  assert.equal(new HostCpu({ cores: 2, otherLoad: 1.5, otherSessions: 3 }, 0, COSTS).guestShare, 0.5);
  assert.equal(new HostCpu({ cores: 2, otherLoad: 1.5 }, 0, COSTS).guestShare, 0.75);
  // As in validation/issue12x-hosts: a hints-off slot whose 2000 normal pages keep the
  // destination busy (1), no source cost, load 4: one session leaves it a whole core, four
  // sessions of one hold it to 2/5.
  const costs = { ...COSTS, sourceNormalPageSec: 0 };
  const one = new HostCpu({ cores: 2, otherLoad: 4, otherSessions: 1 }, 0, costs);
  one.slotEnded(0.1, 2000, 0, 0, false);
  assert.equal(one.destinationShare, 1);
  const four = new HostCpu({ cores: 2, otherLoad: 4, otherSessions: 4 }, 0, costs);
  four.slotEnded(0.1, 2000, 0, 0, false);
  assert.equal(four.destinationShare, 0.4);
  // One session per thread is the thread split.
  const perThread = new HostCpu({ cores: 2, otherLoad: 4 }, 0, costs);
  perThread.slotEnded(0.1, 2000, 0, 0, false);
  assert.equal(perThread.destinationShare, 0.4);
});

test('HostCpu: otherCpu comes off the cores before the split; the QEMU threads share the rest', () => {
  // The hinting multifd start (validation/issue12-driver-rate): the vCPU and the polling
  // iothread want a core each; the other jobs keep 0.75 of the 2 cores busy: 1.25 / 2 each
  // (without otherCpu each has a whole core).
  assert.equal(new HostCpu({ cores: 2, otherLoad: 0, otherCpu: 0.75 }, 4, COSTS, true).guestShare, 0.625);
  assert.equal(new HostCpu({ cores: 2, otherLoad: 0 }, 4, COSTS, true).guestShare, 1);
  // otherLoad threads compete in what is left: 1.25 three ways.
  assert.equal(new HostCpu({ cores: 2, otherLoad: 1, otherCpu: 0.75 }, 4, COSTS, true).guestShare, 1.25 / 3);
  // The slot of the polling test above (the migration threads want 0.75 in all, below the
  // level) with the others at 0.75: the vCPU and the iothread share 2 − 0.75 − 0.75.
  const host = new HostCpu({ cores: 2, otherLoad: 0, otherCpu: 0.75 }, 4, COSTS, true);
  assert.ok(Math.abs(host.slotEnded(0.1, 1000, 5000, 20_000) - 0.5 / 2) < 1e-12);
  // A destination that wants a whole core (2000 normal pages at 50 us, one stream, no source
  // cost) beside the idle vCPU and otherCpu 1.5: it is held to the half core left.
  const held = new HostCpu({ cores: 2, otherLoad: 0, otherCpu: 1.5 }, 0, { ...COSTS, sourceNormalPageSec: 0 });
  held.slotEnded(0.1, 2000, 0, 0, false);
  assert.equal(held.destinationShare, 0.5);
});

test('HostCpu: the default costs are the measured ones', () => {
  assert.equal(HOST_CPU_COSTS.destinationNormalPageSec, 12.6e-6);
  assert.equal(HOST_CPU_COSTS.sourceZeroPageSec, 0.264e-6);
});

/**
 * A 64 MiB guest, 16 MiB used and the rest old data (every hint block costs the same to
 * zero), hinted while a `bandwidthMiB` MiB/s sender walks it.
 */
function hintedGuest(host: HostConfig | null, seed: number, bandwidthMiB = 8, freeDirtyMiB = 48): Workload {
  return makeWorkload({
    seed,
    guest: { zeroRateBytesPerSec: 256 * MiB, firstTouchRateBytesPerSec: 64 * MiB, initial: { usedBytes: 16 * MiB, freeDirtyBytes: freeDirtyMiB * MiB } },
    migration: { bandwidthBytesPerSec: bandwidthMiB * MiB },
    hints: [freePageHint()],
    host,
  });
}

test('a host with unlimited cores gives the same run as no host section', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 64, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (otherLoad, seed) => {
      const without = hintedGuest(null, seed, 32, 24);
      const unlimited = hintedGuest({ cores: Infinity, otherLoad }, seed, 32, 24);
      assert.deepEqual(simulateRun(unlimited, unlimited.hints[0]), simulateRun(without, without.hints[0]));
    }),
    { numRuns: 8 },
  );
});

test('on a contended host the hint work takes longer but costs the guest the same CPU', () => {
  // The 8 MiB/s sender is still in the used pages when the hints are done: the same 11
  // blocks are hinted either way. One core for the vCPU, one other job and the migration
  // threads: the vCPU gets half a core before the first slot ends, a little less after
  // (the sender's and the destination's work: 0.49 here). The zeroing's CPU is the work
  // at zeroRate either way (guest_cpu_s, zeroing_s); its time stretches (next test).
  const free = simulateRun(hintedGuest(null, 1), freePageHint());
  const shared = simulateRun(hintedGuest({ cores: 1, otherLoad: 1 }, 1), freePageHint());
  assert.equal(shared.summary.costs.hintCalls, 11);
  assert.equal(free.summary.costs.hintCalls, 11);
  const workSec = (11 * 4 * MiB) / (256 * MiB);
  assert.equal(free.summary.costs.zeroingSec, workSec);
  assert.ok(Math.abs(shared.summary.costs.zeroingSec - workSec) < 1e-12, String(shared.summary.costs.zeroingSec));
  assert.ok(Math.abs(shared.summary.costs.guestCpuSec - free.summary.costs.guestCpuSec) < 1e-12);
});

test('a faster sender meets blocks the slowed hints have not cleared yet; hints-off runs only wait for the destination', () => {
  const free = simulateRun(hintedGuest(null, 1, 32, 24), freePageHint());
  const shared = simulateRun(hintedGuest({ cores: 1, otherLoad: 1 }, 1, 32, 24), freePageHint());
  assert.ok(shared.summary.totalBytes > free.summary.totalBytes);
  assert.ok(shared.rounds[0].normalPages > free.rounds[0].normalPages);
  // Without hints the budget slows only the migration's threads: the same pages, later.
  const off = simulateRun(hintedGuest(null, 1, 32, 24), null);
  const offShared = simulateRun(hintedGuest({ cores: 1, otherLoad: 1 }, 1, 32, 24), null);
  assert.equal(offShared.rounds[0].normalPages, off.rounds[0].normalPages);
  assert.ok(offShared.summary.totalTimeSec > off.summary.totalTimeSec);
});

test('hints off, the vCPU takes no core: the destination shares one core with one other job, not with the vCPU too', () => {
  // 256 MiB, 54 676 normal pages, uncapped (4 GiB/s), lockstep: the destination's 12.6 us a
  // page bounds it. The first 100 ms slot runs at a whole core (7937 pages); after it the
  // destination and the other job want the core, the migration thread keeps its ~5%: the
  // destination gets (1 − 0.05) / 2 ≈ 0.475, i.e. 25.2–28 us a page (0.45–0.5 of the core).
  // Counting the idle vCPU as a third whole-core thread would give ≤ 1/3: ≥ 37.8 us.
  const guest = { memoryBytes: 256 * MiB, initial: { usedBytes: 16 * MiB, freeDirtyBytes: 200 * MiB } };
  const run = simulateRun(makeWorkload({ guest, migration: { bandwidthBytesPerSec: 4096 * MiB }, host: { cores: 1, otherLoad: 1 } }), null);
  const bulk = run.rounds[0];
  assert.equal(bulk.normalPages, 54_676);
  const firstSlotPages = Math.floor(0.1 / HOST_CPU_COSTS.destinationNormalPageSec);
  const perPageSec = (bulk.durationSec - 0.1) / (bulk.normalPages - firstSlotPages);
  const share = HOST_CPU_COSTS.destinationNormalPageSec / perPageSec;
  assert.ok(share > 0.45 && share <= 0.5, `destination share ${share}`);
});

test('in-place free-page-hint: a share that rises between reports never moves the next one back', () => {
  // Three free order-2 blocks, reported one after another from 1 s.
  const h = tinyHarness(freePageHint({ inPlace: true, order: 2 }), { pages: 16, maxOrder: 2, free: [[0, 2], [4, 2], [8, 2]] });
  h.strategy.start(1);
  assertRisingScaleKeepsOrder(h, 1, 3);
});
