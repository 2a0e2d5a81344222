/**
 * The free-page-hint driver holding its vCPU (src/core/hint-driver-hold.ts, docs/model.md
 * §4.1): a writer held for a hand-computed time, its writes skipped, caught up or shifted as
 * its `catchUp` says (guest/wl.c's pacing), and where the hold applies in a whole run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitmap } from '../../src/core/bitmap.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { HintDriverHold, type HintDriverListener } from '../../src/core/hint-driver-hold.js';
import { join } from 'node:path';
import { engineShortcuts } from '../../src/core/precopy.js';
import { readWorkload } from '../../src/io/read-workload.js';
import { REPO_ROOT } from '../cli/helpers.js';
import { simulateRun } from '../../src/core/simulation.js';
import type { Preemption, WriteStream, Workload } from '../../src/core/types.js';
import { ChurnSource, Writer } from '../../src/core/workload-sources.js';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { TraceReplay } from '../../src/core/trace-replay.js';
import { newCostCounters } from '../../src/core/result-columns.js';
import { TRACE_WRITE } from '../../src/core/types.js';
import { freePageHint, makeWorkload, UNITS } from './workload-fixture.js';
import { tinyHarness } from './hints/strategy-harness.js';

const { KiB, MiB } = UNITS;
const PAGE = 4 * KiB;

/** 16 pages from pfn 0, written in order at 10 a second (the k-th write at k/10 s). */
function sequentialWriter(catchUpSec: number | undefined): WriteStream {
  return {
    ratePagesPerSec: 10,
    workingSetBytes: 16 * PAGE,
    extentBytes: 16 * PAGE,
    pattern: 'sequential',
    skew: 0.99,
    arrivals: 'even',
    vcpu: null,
    cpuShare: 1,
    bytesPerWrite: 8,
    ...(catchUpSec === undefined ? {} : { catchUpSec }),
  };
}

/** A 64-page guest, the writer on vCPU 0 (and a second one on vCPU 1), three writes fired (pfns 0-2 at 0.1-0.3 s). */
function heldWriter(catchUpSec: number | undefined): { memory: GuestMemory; writer: Writer; other: Writer; hold: HintDriverHold } {
  const memory = new GuestMemory(64, 1, 2);
  const used = new Bitmap(64);
  used.setRange(0, 64);
  const writer = new Writer(sequentialWriter(catchUpSec), 'phases[0].writes[0]', 'writer:0:0', 1, 0, Infinity, PAGE, used, 64, Int32Array.of(0));
  const other = new Writer(sequentialWriter(catchUpSec), 'phases[0].writes[1]', 'writer:0:1', 1, 0, Infinity, PAGE, used, 64, Int32Array.of(32));
  const hold = new HintDriverHold([writer, other], Int32Array.of(0, 1), [], new Int32Array(0), memory);
  for (let i = 0; i < 3; i++) {
    memory.writePage(writer.nextPfn(), false);
    writer.clock.advance();
  }
  return { memory, writer, other, hold };
}

function populated(memory: GuestMemory, from: number, to: number): number[] {
  const pfns: number[] = [];
  for (let pfn = from; pfn < to; pfn++) if (memory.populated.test(pfn)) pfns.push(pfn);
  return pfns;
}

test('held from 0.35 to 2.05 s with catchUp 1s: the writes due 0.4-1.0 s are skipped, those of 1.1-2.0 s made at 2.05 s, the next at 2.1 s', () => {
  const { memory, writer, other, hold } = heldWriter(1);
  assert.equal(writer.clock.nextTime, 0.4);
  hold.driverBusy(0.35);
  assert.equal(writer.clock.nextTime, Infinity);
  // A writer on another vCPU is not held.
  assert.equal(other.clock.nextTime, 0.1);
  hold.driverBusy(1); // already held: no-op
  hold.driverIdle(2.05);
  // 17 writes fell due (k = 4..20); wl.c keeps the last second of them: k = 11..20, pfns
  // 10..15 then 0..3 (the walk passed pfns 3..9 without writing them).
  assert.deepEqual(populated(memory, 0, 16), [0, 1, 2, 3, 10, 11, 12, 13, 14, 15]);
  assert.equal(writer.clock.nextTime, 21 / 10);
  assert.equal(writer.nextPfn(), 4);
  assert.equal(hold.holds, 1);
  assert.ok(Math.abs(hold.heldSec - 1.7) < 1e-12);
  // The other vCPU's writer wrote nothing and kept its schedule.
  assert.deepEqual(populated(memory, 32, 48), []);
  assert.equal(other.clock.nextTime, 0.1);
});

test('held 0.35-0.65 s with catchUp 1s: all three writes due (0.4, 0.5, 0.6 s) are made at 0.65 s', () => {
  const { memory, writer, hold } = heldWriter(1);
  hold.driverBusy(0.35);
  hold.driverIdle(0.65);
  assert.deepEqual(populated(memory, 0, 16), [0, 1, 2, 3, 4, 5]);
  assert.equal(writer.clock.nextTime, 7 / 10);
});

test('without catchUp the writer goes on where it stopped: every later write 1.65 s later', () => {
  for (const catchUp of [undefined, 0]) {
    const { memory, writer, hold } = heldWriter(catchUp);
    hold.driverBusy(0.35);
    hold.driverIdle(2.05);
    assert.deepEqual(populated(memory, 0, 16), [0, 1, 2]);
    assert.ok(Math.abs(writer.clock.nextTime - 2.05) < 1e-12);
    assert.equal(writer.nextPfn(), 3);
    writer.clock.advance();
    assert.ok(Math.abs(writer.clock.nextTime - 2.15) < 1e-12);
  }
});

test('a churn stream on the held vCPU shifts by the hold; a stopped guest stays stopped', () => {
  const memory = new GuestMemory(64, 1);
  const churn = new ChurnSource({ rateBlocksPerSec: 4, orders: [{ order: 0, weight: 1 }], lifetimeSec: 1, fill: 'data', arrivals: 'even', vcpu: null }, 'churn:0:0', 1, 0, Infinity);
  const hold = new HintDriverHold([], new Int32Array(0), [churn], Int32Array.of(0), memory);
  assert.equal(churn.clock.nextTime, 0.25);
  hold.driverBusy(0.1);
  assert.equal(churn.clock.nextTime, Infinity);
  hold.driverIdle(1.1);
  assert.equal(churn.clock.nextTime, 1.1);
  hold.driverBusy(1.2);
  hold.guestStopped();
  hold.driverIdle(2);
  assert.equal(churn.clock.nextTime, Infinity);
});

/**
 * A 64 MiB guest, 16 MiB used, the rest never touched (12 hint blocks of 4 MiB, each taking
 * 3.9 ms of first touches), a writer of 256 pages at 2560 pages/s: the driver's loop holds
 * vCPU 0 while it takes the blocks.
 */
function hintedGuest(preempt: Preemption | undefined, vcpus = 1, catchUpSec?: number): Workload {
  return makeWorkload({
    guest: { memoryBytes: 64 * MiB, vcpus, ...(preempt === undefined ? {} : { preempt }) },
    phases: [{ durationSec: null, writes: [{ ...sequentialWriter(catchUpSec), ratePagesPerSec: 2560, workingSetBytes: 256 * PAGE, extentBytes: 2 * MiB }], churn: [], trace: null }],
    hints: [freePageHint()],
  });
}

test('in a run: the hold applies under none and voluntary (the default) with one vCPU, not under full or lazy, with two vCPUs, or with a rate or inPlace', () => {
  const bytes = (w: Workload) => simulateRun(w, w.hints[0]).summary.totalBytes;
  const free = bytes(hintedGuest('full'));
  assert.equal(bytes(hintedGuest('lazy')), free);
  assert.equal(bytes(hintedGuest('voluntary', 2)), free);
  const held = bytes(hintedGuest(undefined));
  assert.equal(bytes(hintedGuest('voluntary')), held);
  assert.equal(bytes(hintedGuest('none')), held);
  // The writer does not write while the driver takes the blocks: fewer pages to resend.
  assert.ok(held < free, `held ${held} < free ${free}`);
  for (const options of [{ rateBlocksPerSec: 1000 }, { inPlace: true }]) {
    const w = hintedGuest(undefined);
    const paced = { ...w, hints: [freePageHint(options)] };
    const full = { ...paced, guest: { ...paced.guest, preempt: 'full' as const } };
    assert.deepEqual(simulateRun(paced, paced.hints[0]).rounds, simulateRun(full, full.hints[0]).rounds);
  }
  // Hints off: nothing to hold.
  assert.deepEqual(simulateRun(hintedGuest(undefined), null).rounds, simulateRun(hintedGuest('full'), null).rounds);
});

test('a report that may end the hold is not fired inside the sender\'s run: the same rounds with arrivalsInside on and off', () => {
  // idle-after-boot's driver ends its last loop while pages are sent: fired inside, its
  // writer's resumed writes came after sends they precede (round 3 differed by 4104 B).
  const idle = readWorkload(join(REPO_ROOT, 'workloads/idle-after-boot.yaml'));
  for (const w of [hintedGuest(undefined), hintedGuest(undefined, 1, 1), idle]) {
    const inside = simulateRun(w, w.hints[0]);
    engineShortcuts.arrivalsInside = false;
    try {
      assert.deepEqual(simulateRun(w, w.hints[0]), inside);
    } finally {
      engineShortcuts.arrivalsInside = true;
    }
  }
});

test('in a run, by hand: the driver holds vCPU 0 from setup to 43.011 ms, and round 2 resends exactly the writes made before the sync at 0.1 s', () => {
  // 64 MiB guest, 16 MiB used: the driver takes 11 never-touched 4 MiB blocks (the 12th
  // would go below min), each 1024 pages at firstTouchRate 1 GiB/s (3.90625 ms) plus callCost
  // 1 us, from setup's sync at 31.25 us (500 us/GiB of 64 MiB): the hold ends at
  // 31.25 us + 11 x 3.90725 ms = 43.011 ms. The writer's k-th write is due at k/2560 s; 256
  // writes (k = 1..256, the last at the sync's 0.1 s, before it) cover its 256 pages once.
  const round2Normal = (w: Workload) => simulateRun(w, w.hints[0]).rounds[1].normalPages;
  const free = round2Normal(hintedGuest('full'));
  // Shifted: the 110 writes due before 43.011 ms (k/2560 < 0.043011) come 43.011 ms - k/2560
  // later, and only 146 of the 256 (43.011 ms + j/2560 <= 0.1 s, j = 0..145) before the sync.
  assert.equal(round2Normal(hintedGuest('voluntary')), free - 110);
  // catchUp 1 s: the 110 come at once at 43.011 ms, the rest on schedule: the same pages.
  assert.equal(round2Normal(hintedGuest('voluntary', 1, 1)), free);
  // catchUp 20 ms: only those due from 23.011 ms (k = 59..110) are made; k = 1..58 (pages
  // 0..57) are skipped, and the later writes (k = 111..256) reach pages 110..255 only.
  assert.equal(round2Normal(hintedGuest('voluntary', 1, 0.02)), free - 58);
});

/** A listener that records the driver's loop starting and ending, as [kind, time]. */
function recordingHold(): HintDriverListener & { events: [string, number][] } {
  const events: [string, number][] = [];
  return { events, driverBusy: (atSec) => events.push(['busy', atSec]), driverIdle: (atSec) => events.push(['idle', atSec]) };
}

test('the loop ends when the block in hand reaches the host after a STOP, or after a sync\'s new command id (which starts another)', () => {
  // Three free order-2 blocks of never-touched pages; callCost 1 us, no zeroing cost (the
  // harness's guest): the first block is taken at setup (0 s), and its report arrives 1 us later.
  for (const sync of [false, true]) {
    const hold = recordingHold();
    const h = tinyHarness(freePageHint({ order: 2 }), { pages: 16, maxOrder: 2, free: [[0, 2], [4, 2], [8, 2]], driverHold: hold });
    h.strategy.start(0);
    while (hold.events.length === 0) h.step();
    assert.deepEqual(hold.events, [['busy', 0]]);
    const arrivalSec = h.strategy.nextArrivalSec;
    assert.ok(arrivalSec > 0 && arrivalSec < Infinity);
    // STOP (and at a sync a new command id) before the block's report arrives: send_free_pages
    // sees the new id when it comes back for the next block, so the loop ends at the arrival.
    h.strategy.stop(arrivalSec / 2);
    if (sync) h.strategy.start(arrivalSec / 2);
    h.runUntil(arrivalSec);
    assert.deepEqual(hold.events.slice(0, 2), [['busy', 0], ['idle', arrivalSec]]);
    // After a STOP nothing more; after a new id the work item queued for it starts a new loop.
    if (sync) assert.deepEqual(hold.events[2], ['busy', arrivalSec]);
    else assert.equal(hold.events.length, 2);
  }
});

test('a trace replay is held too: the row due at 0.4 s fires at the hold\'s end (0.65 s), the later ones 0.25 s later; a row after the hold does not move', () => {
  const rows = { count: 3, timesSec: Float64Array.of(0.4, 0.5, 1.0), ops: Uint8Array.of(TRACE_WRITE, TRACE_WRITE, TRACE_WRITE), pfns: Int32Array.of(0, 1, 2), orders: new Uint8Array(3) };
  const memory = new GuestMemory(64, 1, 1);
  const buddy = new BuddyAllocator(64, 4);
  const costs = newCostCounters();
  const times = (hold: [number, number]): number[] => {
    const replay = new TraceReplay(rows, 0, Infinity);
    const driver = new HintDriverHold([], new Int32Array(0), [], new Int32Array(0), memory, [replay]);
    driver.driverBusy(hold[0]);
    assert.equal(replay.nextTime, Infinity);
    driver.driverIdle(hold[1]);
    const out: number[] = [];
    while (replay.nextTime !== Infinity) {
      out.push(Math.round(replay.nextTime * 1000) / 1000);
      replay.fire(memory, buddy, true, false, costs);
    }
    return out;
  };
  assert.deepEqual(times([0.35, 0.65]), [0.65, 0.75, 1.25]);
  assert.deepEqual(times([0.1, 0.2]), [0.4, 0.5, 1.0]);
});

test('in a run: the tsc build trace (one vCPU, no writers) is held under voluntary preemption, not under full', () => {
  const workload = readWorkload(join(REPO_ROOT, 'workloads/tsc-build-trace.yaml'));
  const fph = workload.hints.find((h) => h.label === 'free-page-hint');
  assert.ok(fph);
  const run = (preempt: Preemption) => simulateRun({ ...workload, guest: { ...workload.guest, preempt } }, fph).summary;
  const full = run('full');
  const held = run('voluntary');
  assert.notEqual(held.totalBytes, full.totalBytes);
  assert.equal(run('lazy').totalBytes, full.totalBytes);
});

