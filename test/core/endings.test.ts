/**
 * How a migration ends: the postcopy engine page by page on a 16-page guest, postcopy in a
 * whole simulation, cancel and force at a cap, pauseAfterRound, the throttle trigger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { Bitmap } from '../../src/core/bitmap.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { PostcopyEngine, type PostcopyWire } from '../../src/core/endings/postcopy.js';
import { ThrottleTrigger, throttleScale } from '../../src/core/endings/guest-throttle.js';
import { simulateRun } from '../../src/core/simulation.js';
import type { PostcopyConfig, Workload, WriteStream } from '../../src/core/types.js';
import { parseTrace } from '../../src/workload/trace.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const { KiB } = UNITS;
const NORMAL_PAGE_BYTES = 8 + 4096;

/** Binary-exact times: a normal page 0.125 s, a zero page 0.0625 s, a round trip 0.25 s. */
function wire(preempt: boolean, queueWaitSec = 0): PostcopyWire {
  return { normalPageBytes: NORMAL_PAGE_BYTES, zeroPageBytes: 9, normalPageSec: 0.125, zeroPageSec: 0.0625, zeroPageDetection: true, preempt, requestLatencySec: 0.25, queueWaitSec };
}

/** 16 pages; the destination lacks 1, 2, 3, 5, 8, 9, 12, 15, of which 8 and 9 are zero. */
function sixteenPages(): { memory: GuestMemory; notReceived: Bitmap } {
  const memory = new GuestMemory(16, 1);
  memory.zero.setRange(0, 16);
  for (const pfn of [1, 2, 3, 5, 12, 15]) memory.zero.clear(pfn);
  const notReceived = new Bitmap(16);
  for (const pfn of [1, 2, 3, 5, 8, 9, 12, 15]) notReceived.set(pfn);
  return { memory, notReceived };
}

function landings(preempt: boolean, faults: [number, number][], queueWaitSec = 0): { log: [number, number][]; engine: PostcopyEngine } {
  const { memory, notReceived } = sixteenPages();
  const log: [number, number][] = [];
  const engine = new PostcopyEngine(memory, notReceived, 8, wire(preempt, queueWaitSec), { arrived: (pfn, at) => (log.push([pfn, at]), false) }, 0);
  for (const [pfn, at] of faults) {
    engine.runUntil(at);
    assert.equal(engine.isReceived(pfn), false);
    engine.request(pfn, at);
  }
  engine.runUntil(Infinity);
  return { log, engine };
}

test('postcopy on 16 pages: pushed in pfn order; a fault on pfn 12 at 0.0625 s jumps the queue after the page in flight', () => {
  const { log, engine } = landings(false, [[12, 0.0625]]);
  // The request reaches the source at 0.3125 s while pfn 3 is on the wire (0.25–0.375):
  // it goes next, then the walk goes on after it (ram_find_and_save_block keeps the served
  // page as last_page) at pfn 15, and wraps to 5, 8 and 9 (zero pages: 0.0625 s each).
  assert.deepEqual(log, [
    [1, 0.125],
    [2, 0.25],
    [3, 0.375],
    [12, 0.5],
    [15, 0.625],
    [5, 0.75],
    [8, 0.8125],
    [9, 0.875],
  ]);
  assert.deepEqual([engine.pushedPages, engine.requestedPages, engine.requests], [7, 1, 1]);
  assert.equal(engine.bytes, 6 * NORMAL_PAGE_BYTES + 2 * 9);
  assert.equal(engine.endSec, 0.875);
});

test('postcopy-preempt behind a 0.5 s socket: a fault on pfn 2, sent but still in the socket, is counted, skipped at the source, and waits for it', () => {
  // Sends end at 0.125 (1), 0.25 (2), 0.375 (3), 0.5 (5), 0.5625 (8), 0.625 (9), 0.75 (12),
  // 0.875 (15); each is placed 0.5 s later. The fault at 0.3125 finds pfn 2 in the socket;
  // the request (ready at 0.5625) finds its bit clear and sends nothing.
  const { log, engine } = landings(true, [[2, 0.3125]], 0.5);
  assert.deepEqual(log, [
    [1, 0.625],
    [2, 0.75],
    [3, 0.875],
    [5, 1],
    [8, 1.0625],
    [9, 1.125],
    [12, 1.25],
    [15, 1.375],
  ]);
  assert.deepEqual([engine.pushedPages, engine.requestedPages, engine.requests], [8, 0, 1]);
  assert.equal(engine.endSec, 1.375);
});

test('postcopy without preempt behind a 0.5 s socket: the request is served after the page in flight and waits in the socket like a pushed page', () => {
  // Ready at 0.3125 while pfn 3 is on the wire (0.25-0.375); pfn 12 is sent 0.375-0.5 and
  // placed at 1.0: the vCPU waits 0.25 round trip + 0.0625 rest of pfn 3 + 0.125 send + 0.5 socket.
  const { log, engine } = landings(false, [[12, 0.0625]], 0.5);
  assert.deepEqual(log, [
    [1, 0.625],
    [2, 0.75],
    [3, 0.875],
    [12, 1],
    [15, 1.125],
    [5, 1.25],
    [8, 1.3125],
    [9, 1.375],
  ]);
  assert.deepEqual([engine.pushedPages, engine.requestedPages, engine.requests], [7, 1, 1]);
  assert.equal(engine.endSec, 1.375);
});

test('postcopy-preempt: the request goes on its own channel when ready; the page in flight ends that much later', () => {
  const { log } = landings(true, [[12, 0.0625]]);
  assert.deepEqual(log, [
    [1, 0.125],
    [2, 0.25],
    [12, 0.4375],
    [3, 0.5],
    [5, 0.625],
    [8, 0.6875],
    [9, 0.75],
    [15, 0.875],
  ]);
});

test('a request goes before the walk once ready; one for a page the walk sent first is counted and dropped', () => {
  // A fault on pfn 5 at 0: ready at 0.25 s, when pfn 2 ends, so it goes before pfn 3; the
  // walk goes on after 5 and wraps to 3 last.
  const { log, engine } = landings(false, [[5, 0]]);
  assert.deepEqual(log.map(([pfn]) => pfn), [1, 2, 5, 8, 9, 12, 15, 3]);
  // A fault on pfn 15 at 0.7 s: ready at 0.95 s, but the walk sent it 0.75–0.875 s.
  const late = landings(false, [[15, 0.7]]);
  assert.deepEqual(late.log.map(([pfn]) => pfn), [1, 2, 3, 5, 8, 9, 12, 15]);
  assert.deepEqual([late.engine.requests, late.engine.requestedPages, late.engine.pushedPages], [1, 0, 8]);
  assert.equal(engine.requests, 1);
});

test('property: after the switch every missing page reaches the destination exactly once, whatever faults come and whatever the socket holds', () => {
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 96 }),
      fc.array(fc.boolean(), { minLength: 96, maxLength: 96 }),
      fc.array(fc.tuple(fc.nat(95), fc.integer({ min: 0, max: 4000 })), { maxLength: 20 }),
      fc.boolean(),
      fc.constantFrom(0, 0.0625, 0.5),
      (missing, zero, faults, preempt, queueWaitSec) => {
        const pages = missing.length;
        const memory = new GuestMemory(pages, 1);
        const notReceived = new Bitmap(pages);
        missing.forEach((m, pfn) => m && notReceived.set(pfn));
        zero.slice(0, pages).forEach((z, pfn) => z && memory.zero.set(pfn));
        const count = notReceived.countSet();
        const seen = new Map<number, number>();
        const engine = new PostcopyEngine(memory, notReceived, count, wire(preempt, queueWaitSec), { arrived: (pfn) => (seen.set(pfn, (seen.get(pfn) ?? 0) + 1), false) }, 0);
        const sorted = faults.map(([pfn, ms]) => [pfn % pages, ms / 1000] as const).sort((a, b) => a[1] - b[1]);
        for (const [pfn, at] of sorted) {
          engine.runUntil(at);
          if (!engine.isReceived(pfn)) engine.request(pfn, at);
        }
        engine.runUntil(Infinity);
        assert.equal(engine.done, true);
        assert.equal(seen.size, count);
        for (const [pfn, times] of seen) {
          assert.equal(times, 1, `pfn ${pfn} arrived ${times} times`);
          assert.equal(missing[pfn], true);
        }
        assert.equal(engine.pushedPages + engine.requestedPages, count);
        assert.equal(engine.normalPages * NORMAL_PAGE_BYTES + engine.zeroPages * 9, engine.bytes);
        for (let pfn = 0; pfn < pages; pfn++) assert.equal(engine.isReceived(pfn), true);
        assert.equal(engine.nextEventSec, Infinity);
      },
    ),
    { numRuns: 300 },
  );
});

function writer(overrides: Partial<WriteStream>): WriteStream {
  return { ratePagesPerSec: 0, workingSetBytes: 0, extentBytes: 16 * KiB, pattern: 'sequential', skew: 0.99, arrivals: 'even', vcpu: null, cpuShare: 1, bytesPerWrite: 8, ...overrides };
}

function postcopy(overrides: Partial<PostcopyConfig> = {}): PostcopyConfig {
  return { start: { kind: 'afterRound', round: 1 }, preempt: false, requestLatencySec: 0.25, bandwidthBytesPerSec: 10 * NORMAL_PAGE_BYTES, sendQueueBytes: 0, zeroPlaceCostSec: 0, ...overrides };
}

/**
 * The 16-page guest of simulation.test.ts (used pfns 0–6, one normal page per 100 ms
 * slot), its writer at 20 writes/s over pfns 0–3 in order, a downtime limit below one
 * page (so pre-copy never converges) and postcopy at 10 pages/s after round 1.
 */
function tinyPostcopy(pc: PostcopyConfig | null): Workload {
  const workload = makeWorkload({
    guest: { memoryBytes: 64 * KiB, maxOrder: 2, pageblockOrder: 1, initial: { usedBytes: 32 * KiB, freeDirtyBytes: 0 } },
    phases: [{ durationSec: null, writes: [writer({ ratePagesPerSec: 20, workingSetBytes: 16 * KiB })], churn: [], trace: null }],
    migration: { bandwidthBytesPerSec: 10 * NORMAL_PAGE_BYTES, downtimeLimitSec: 0.05, maxDurationSec: 5 },
  });
  workload.migration.postcopy = pc;
  return workload;
}

test('postcopy after round 1 on the 16-page guest: the switch, what is pushed and what the vCPU waits for', () => {
  const { rounds, summary } = simulateRun(tinyPostcopy(postcopy()), null);
  // Round 1 (0–0.8 s) as in simulation.test.ts; round 2's first slot sends pfn 0 and at
  // its end (0.9 s) the switch: pfns 0–3, all rewritten, are missing. The discard list is
  // one range (pfns 0–3): 14 + 16 bytes, plus the 8-byte EOS.
  assert.deepEqual(
    rounds.map((r) => [r.kind, r.normalPages, r.zeroPages, r.bytes]),
    [
      ['bulk', 8, 8, 32968],
      ['iterate', 1, 0, NORMAL_PAGE_BYTES + 8],
      ['stop-copy', 0, 0, 14 + 16 + 8],
      ['postcopy', 4, 0, 4 * NORMAL_PAGE_BYTES],
    ],
  );
  // Pushed 0, 1, 2, 3 at 0.1 s each from ~0.9 s. The write at 0.95 s (pfn 2) faults: its
  // request would be served at 1.2 s, when the walk delivers pfn 2 anyway; the vCPU waits
  // 0.25 s. Its next write (1.25 s, pfn 3) finds pfn 3 on the wire and waits until 1.3 s.
  assert.equal(summary.ending, 'postcopy');
  assert.equal(summary.postcopyRequests, 2);
  assert.equal(summary.postcopyBytes, 4 * NORMAL_PAGE_BYTES);
  assert.ok(Math.abs(summary.blocktimeSec - 0.3) < 1e-6, String(summary.blocktimeSec));
  assert.equal(summary.vcpuBlocktimeSecList, '0.300000');
  assert.ok(Math.abs(summary.noRollbackSec - 0.4) < 1e-6, String(summary.noRollbackSec));
  assert.equal(summary.totalBytes, 32968 + NORMAL_PAGE_BYTES + 8 + 38 + 4 * NORMAL_PAGE_BYTES);
  assert.equal(summary.lostPages, 0);
});

test('at a cap a non-converging run is cancelled (no downtime, nothing lost) or forced (flagged)', () => {
  const cancel = tinyPostcopy(null);
  cancel.migration.onNoConvergence = 'cancel';
  const cancelled = simulateRun(cancel, null);
  assert.equal(cancelled.summary.ending, 'cancelled');
  assert.equal(cancelled.summary.downtimeSec, 0);
  assert.equal(cancelled.summary.totalTimeSec, 5);
  assert.equal(cancelled.summary.lostPages, 0);
  assert.ok(cancelled.rounds.every((r) => r.kind !== 'stop-copy'));
  const force = tinyPostcopy(null);
  force.migration.onNoConvergence = 'force';
  const forced = simulateRun(force, null);
  assert.equal(forced.summary.ending, 'forced');
  assert.equal(forced.rounds.at(-1)!.kind, 'stop-copy');
  assert.ok(forced.summary.downtimeSec > 0);
  // The same rounds up to the cap; forcing adds the stop-copy's bytes.
  assert.equal(forced.summary.totalBytes - forced.rounds.at(-1)!.bytes, cancelled.summary.totalBytes);
});

test('pauseAfterRound: the guest stops after round 1, pre-copy converges, the downtime runs from the pause', () => {
  const workload = tinyPostcopy(null);
  workload.migration.pauseAfterRound = 1;
  const { rounds, summary } = simulateRun(workload, null);
  assert.equal(summary.ending, 'paused');
  assert.equal(summary.converged, true);
  // Paused at the sync ending round 1 (0.8 s) with pfns 0–3 dirty: round 2 sends them at
  // one page per slot, no page is dirtied again, and the sync at its end converges.
  assert.equal(rounds[0].durationSec, 0.8);
  assert.deepEqual(rounds.slice(1).map((r) => [r.kind, r.normalPages, r.dirtyPages]), [
    ['iterate', 4, 0],
    ['stop-copy', 0, 0],
  ]);
  assert.ok(Math.abs(summary.downtimeSec - (summary.totalTimeSec - 0.8)) < 1e-9);
  assert.equal(summary.downtimeOverLimit, true);
});

test('the throttle rises at most every second sync, once the period is 1 s old (migration_trigger_throttle)', () => {
  const steps: number[] = [];
  const ac = { enabled: true, initialPct: 20, incrementPct: 10, maxPct: 99, triggerThresholdPct: 50, tailslow: false };
  const trigger = new ThrottleTrigger(ac, null, { onThrottle: (pct) => steps.push(pct), onDirtyLimit: () => {} }, 0);
  // Each sync 1 s apart, 100 pages dirtied against 100 pages' bytes sent: above 50%.
  for (let k = 1; k <= 8; k++) {
    trigger.addDirtyPages(100);
    trigger.atSync(k, k * 100 * 4096, 4096);
  }
  assert.deepEqual(steps, [20, 30, 40, 50]);
  // A sync less than 1 s into the period changes nothing, not even the period.
  trigger.addDirtyPages(100);
  trigger.atSync(8.5, 900 * 4096, 4096);
  assert.deepEqual(steps, [20, 30, 40, 50]);
});

test('tailslow raises the throttle only by what the excess needs', () => {
  const steps: number[] = [];
  const ac = { enabled: true, initialPct: 20, incrementPct: 10, maxPct: 99, triggerThresholdPct: 50, tailslow: true };
  const trigger = new ThrottleTrigger(ac, null, { onThrottle: (pct) => steps.push(pct), onDirtyLimit: () => {} }, 0);
  // Dirtied 60 pages against 100 sent: threshold 50 → cpu_ideal = floor(80 × 50/60) = 66, increment min(14, 10) = 10;
  // then 52 dirtied: floor(70 × 50/52) = 67, increment 3.
  for (const [k, dirty] of [[1, 60], [2, 60], [3, 60], [4, 60], [5, 52], [6, 52]] as const) {
    trigger.addDirtyPages(dirty);
    trigger.atSync(k, k * 100 * 4096, 4096);
  }
  assert.deepEqual(steps, [20, 30, 33]);
});

test('a paced writer keeps its rate while the throttle leaves it its CPU share', () => {
  assert.equal(throttleScale(90, 0.06), 1);
  assert.ok(Math.abs(throttleScale(99, 0.06) - 0.01 / 0.06) < 1e-12);
  assert.equal(throttleScale(30, 1), 0.7);
});

/**
 * The 16-page guest with no writer and one read stream (20 reads/s over the 4 KiB extent
 * of one used page, so every read is the same pfn), postcopy at once (afterRound 0): every
 * page is missing at the switch and pushed in pfn order at 10 pages/s (zero pages faster).
 */
function tinyReads(rate: number): Workload {
  const workload = makeWorkload({
    guest: { memoryBytes: 64 * KiB, maxOrder: 2, pageblockOrder: 1, initial: { usedBytes: 32 * KiB, freeDirtyBytes: 0 } },
    phases: [{ durationSec: null, writes: [], reads: [writer({ ratePagesPerSec: rate, workingSetBytes: 4 * KiB, extentBytes: 4 * KiB })], churn: [], trace: null }],
    migration: { bandwidthBytesPerSec: 10 * NORMAL_PAGE_BYTES, downtimeLimitSec: 0.05, maxDurationSec: 5 },
  });
  workload.migration.postcopy = postcopy({ start: { kind: 'afterRound', round: 0 } });
  return workload;
}

test('zeroPlaceCost paces the zero pages pushed after the switch (UFFDIO_ZEROPAGE per page); bytes are the same', () => {
  const placed = tinyReads(0);
  placed.migration.postcopy = postcopy({ start: { kind: 'afterRound', round: 0 }, zeroPlaceCostSec: 0.05 });
  const { rounds, summary } = simulateRun(placed, null);
  const free = simulateRun(tinyReads(0), null);
  assert.deepEqual(rounds, free.rounds.map((r) => (r.kind === 'postcopy' ? rounds.at(-1)! : r)));
  assert.deepEqual(rounds.map((r) => [r.kind, r.normalPages, r.zeroPages, r.bytes]).at(-1), ['postcopy', 7, 8, 28800]);
  // From the resume: 7 normal pages at 0.1 s (the link) and 8 zero pages at 0.05 s each.
  assert.ok(Math.abs(summary.noRollbackSec - summary.downtimeSec - (7 * 0.1 + 8 * 0.05)) < 1e-9, String(summary.noRollbackSec));
  assert.equal(summary.totalBytes, free.summary.totalBytes);
});

test('reads after the switch fault too: a read of a page not received is one request, later reads of it none', () => {
  const reads = simulateRun(tinyReads(20), null);
  const none = simulateRun(tinyReads(0), null);
  // Without reads nothing asks for a page; with them, the first read of the page faults
  // once and the vCPU waits for it; the bytes are the same (every page goes once).
  assert.equal(none.summary.postcopyRequests, 0);
  assert.equal(reads.summary.postcopyRequests, 1);
  assert.equal(reads.summary.postcopyBytes, none.summary.postcopyBytes);
  assert.ok(reads.summary.blocktimeSec > 0);
  // Before the switch reads cost nothing: pre-copy's rounds are the same.
  assert.deepEqual(reads.rounds.slice(0, -1), none.rounds.slice(0, -1));
  // The switch at 0.1 s (one bulk slot sent pfn 0); 7 normal and 8 zero pages follow. The
  // first read (0.15 s) faults; its request is ready 0.25 s later and the page lands at
  // 0.55 s: 0.4 s blocked, and the vCPU's later reads find the page.
  assert.deepEqual(
    reads.rounds.map((r) => [r.kind, r.normalPages, r.zeroPages, r.bytes]),
    [
      ['bulk', 1, 0, 4112],
      ['stop-copy', 0, 0, 38],
      ['postcopy', 7, 8, 28800],
    ],
  );
  assert.ok(Math.abs(reads.summary.blocktimeSec - 0.4) < 1e-9, String(reads.summary.blocktimeSec));
  // Twice the rate: still one request (the page is read again only once it is there).
  assert.equal(simulateRun(tinyReads(40), null).summary.postcopyRequests, 1);
});

test('churn after the switch faults too: each missing page of an allocated block is requested', () => {
  // The 16-page guest at once into postcopy (switch at 0.1 s); four order-0 allocations a
  // second (fill data, long-lived), at 0.25 s and then 0.25 s after the vCPU resumes. Each
  // takes a free page the push has not reached yet: one request each, the vCPU waits.
  const workload = tinyReads(0);
  workload.phases[0].churn = [{ rateBlocksPerSec: 4, orders: [{ order: 0, weight: 1 }], lifetimeSec: 100, fill: 'data', arrivals: 'even', vcpu: null }];
  const { summary } = simulateRun(workload, null);
  assert.equal(summary.postcopyRequests, 2);
  assert.ok(summary.blocktimeSec > 0.4, String(summary.blocktimeSec));
  // The filled pages reach the destination with the source's data: nothing lost, and two
  // pages that were zero are pushed as normal pages (2 x (4104 - 9) more bytes).
  assert.equal(summary.lostPages, 0);
  assert.equal(summary.postcopyBytes, 28800 + 2 * (NORMAL_PAGE_BYTES - 9));
});

test('trace rows after the switch fault too: a row writing a page the destination lacks waits for it, and later rows as much later', () => {
  // The 16-page guest at once into postcopy (resume at ~0.1 s; the push sends pfns 1, 2, 3
  // ... at 0.1 s each), no writer; a trace writes used pfn 5 at 0.15 s and pfn 6 at 0.2 s.
  // Row 1 finds pfn 5 missing: requested, ready at 0.4 s, sent next, there at 0.5 s; the
  // row waits unfired 0.35 s. Row 2 comes 0.35 s later, at 0.55 s, while pfn 6 (the push
  // resumes after pfn 5) is on the wire until 0.6 s: a second request, 0.05 s more.
  const workload = tinyReads(0);
  workload.phases[0].trace = parseTrace('0.15 write 5 0\n0.2 write 6 0\n', 16, 2);
  const { summary, rounds } = simulateRun(workload, null);
  assert.equal(summary.postcopyRequests, 2);
  assert.ok(Math.abs(summary.blocktimeSec - 0.4) < 1e-6, String(summary.blocktimeSec));
  assert.equal(summary.lostPages, 0);
  // Every page still goes exactly once: the same bytes as without the trace.
  assert.equal(summary.postcopyBytes, simulateRun(tinyReads(0), null).summary.postcopyBytes);
  assert.equal(rounds.at(-1)!.kind, 'postcopy');
});
