/**
 * The migration socket between the sender and the destination's loads
 * (src/core/wire/socket-pipeline.ts, docs/model.md §3.1): closed forms on small guests, the
 * sender driven directly, and the pipeline against a brute-force reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { GuestMemory } from '../../src/core/guest-memory.js';
import { PRIORITY_HINT, Precopy } from '../../src/core/precopy.js';
import type { MigrationConfig } from '../../src/core/types.js';
import { SocketPipeline } from '../../src/core/wire/socket-pipeline.js';
import { makeWorkload, NO_HOOKS, UNITS } from './workload-fixture.js';

const { MiB } = UNITS;
const NORMAL = 8 + 4096;
const ZERO = 9;
/** A time unit whose sums stay exact in binary: 2^-20 s (0.95 µs). */
const U = 2 ** -20;


/**
 * 1024 pages, no cap: a normal page costs the source U (sendCost) and the destination 8U
 * (loadCost), a zero page the source 2U (scanRate 4096 B / 2U) and the destination nothing;
 * the link (2^40 B/s) never bounds a page; no EOS, device state or sync time, so every time
 * below is a whole number of U.
 */
function uncapped(socketBufferBytes: number): MigrationConfig {
  const config = makeWorkload({ guest: { memoryBytes: 4 * MiB } }).migration;
  config.bandwidthBytesPerSec = Infinity;
  config.linkBandwidthBytesPerSec = 2 ** 40;
  config.sendCostSec = U;
  config.loadCostSec = 8 * U;
  config.scanRateBytesPerSec = 4096 / (2 * U);
  config.zeroLoadCostSec = 0;
  config.syncTimeSecPerGiB = 0;
  config.wire.eosBytes = 0;
  config.wire.socketBufferBytes = socketBufferBytes;
  return config;
}

/** 256 normal pages at pfns 0-255, then 768 zero pages: the idle guest's shape in small. */
function idleShape(): GuestMemory {
  const memory = new GuestMemory(1024, 1);
  memory.zero.setRange(256, 1024);
  return memory;
}

function runToEnd(precopy: Precopy): Precopy {
  while (!precopy.done) precopy.runUntil(Infinity, PRIORITY_HINT);
  return precopy;
}

function migrate(socketBufferBytes: number): Precopy {
  return runToEnd(new Precopy(uncapped(socketBufferBytes), idleShape(), 4096, NO_HOOKS, false));
}

/** `migrate`, with pfns 0-63 logged as written at 1000U (the source is in its zero pages). */
function migrateWithWrites(socketBufferBytes: number): Precopy {
  const memory = idleShape();
  const config = uncapped(socketBufferBytes);
  config.switchoverBandwidthBytesPerSec = 1e12;
  const precopy = new Precopy(config, memory, 4096, NO_HOOKS, false);
  while (precopy.runUntil(1000 * U, PRIORITY_HINT) === false) {
    /* decisions hand control back */
  }
  memory.logged.setRange(0, 64);
  return runToEnd(precopy);
}

test('buffers that hold the backlog: the time is the slower side, not the sum of the pages', () => {
  // The source: 256 × U + 768 × 2U = 1792U. The destination: the first page arrives at U,
  // then 256 loads of 8U back to back (the zero pages load in no time behind them): 2049U.
  const precopy = migrate(1 * MiB);
  assert.equal(precopy.endSec - precopy.startSec, 2049 * U);
  assert.equal(precopy.rounds[0].durationSec, 1792 * U, 'the round ends on the source');
  // Stop-copy has no page to send: its downtime is the destination draining its backlog.
  assert.equal(precopy.downtimeSec, 2049 * U - 1792 * U);
  assert.equal(precopy.destination.loadedSec, 2049 * U);
  assert.equal(precopy.destination.busySec, 256 * 8 * U);
});

test('no buffers (lockstep): each page takes its slowest stage and the pages add', () => {
  // 256 × 8U + 768 × 2U, the contract's §3.1.
  const precopy = migrate(0);
  assert.equal(precopy.endSec - precopy.startSec, 3584 * U);
  assert.equal(precopy.downtimeSec, 0);
  assert.equal(precopy.destination.busySec, 256 * 8 * U);
  assert.equal(precopy.destination.loadedSec, 3584 * U, 'the load is inside the last page\'s time');
});

test('stop-and-copy writes behind the backlog: the downtime runs until the destination has loaded it all', () => {
  // The guest of the first test with 2 MiB of buffers; at 1000U (the source in its zero
  // pages) pfns 0-63 are logged as written. A fixed switchover bandwidth lets the sync at
  // the iteration's end (1792U) switch over with them: the source writes them at U each
  // from 1792U, all before the destination finishes its 256 loads (2049U), so they load
  // after: 2049U + 64 × 8U = 2561U.
  const precopy = migrateWithWrites(2 * MiB);
  const stopCopy = precopy.rounds.at(-1)!;
  assert.deepEqual([stopCopy.kind, stopCopy.startSec, stopCopy.normalPages], ['stop-copy', 1792 * U, 64]);
  assert.equal(precopy.endSec, 2561 * U);
  assert.equal(precopy.downtimeSec, 2561 * U - 1792 * U);
  assert.equal(precopy.destination.busySec, (256 + 64) * 8 * U);
  // Lockstep: 3584U, then 64 × 8U.
  const lockstep = migrateWithWrites(0);
  assert.equal(lockstep.endSec, 3584 * U + 512 * U);
  assert.equal(lockstep.downtimeSec, 512 * U);
});

test('a postcopy switch waits for the destination to load what the buffers hold', () => {
  // Switch at the first iteration's end (1792U, the source's); the destination runs once it
  // has loaded the 256 normal pages (2049U): that is the downtime (no sync time, no bytes).
  const postcopy = { start: { kind: 'afterRound', round: 0 }, preempt: false, requestLatencySec: 0, bandwidthBytesPerSec: Infinity, sendQueueBytes: 0, zeroPlaceCostSec: 0 } as const;
  const withPostcopy = (socketBufferBytes: number) => ({ ...uncapped(socketBufferBytes), postcopy });
  const precopy = runToEnd(new Precopy(withPostcopy(1 * MiB), idleShape(), 4096, NO_HOOKS, false));
  assert.equal(precopy.ending, 'postcopy');
  const switchRow = precopy.rounds.find((r) => r.kind === 'stop-copy')!;
  assert.equal(switchRow.startSec, 1792 * U);
  assert.equal(precopy.downtimeSec, 257 * U);
  // Lockstep: the switch costs nothing here.
  const lockstep = runToEnd(new Precopy(withPostcopy(0), idleShape(), 4096, NO_HOOKS, false));
  assert.equal(lockstep.ending, 'postcopy');
  assert.equal(lockstep.downtimeSec, 0);
});

test('buffers of one page: each normal page waits for the one before to load', () => {
  // Page k (1-based) is written at U + 8(k−1)U and loaded at U + 8kU; the first zero page,
  // ready at 2041U + 2U, waits for an empty buffer at 2049U; the other 767 follow 2U apart.
  const precopy = migrate(NORMAL);
  assert.equal(precopy.endSec - precopy.startSec, 2049 * U + 767 * 2 * U);
  assert.equal(precopy.downtimeSec, 0);
});

test('the pipeline: a full buffer holds the source until the destination has loaded enough', () => {
  // Three normal pages fit; loads of 8U, source pages of U.
  const pipe = new SocketPipeline(3 * NORMAL, NORMAL, ZERO, 8 * U, 0, U);
  assert.equal(pipe.queues, true);
  assert.equal(pipe.write(false, U), U); // loaded 9U
  assert.equal(pipe.write(false, 2 * U), 2 * U); // 17U
  assert.equal(pipe.write(false, 3 * U), 3 * U); // 25U
  assert.equal(pipe.write(false, 4 * U), 9 * U, 'waits for the first load'); // 33U
  assert.equal(pipe.write(true, 10 * U), 17 * U, 'even 9 bytes wait for a whole page to leave');
  assert.equal(pipe.loadedSec, 33 * U, 'a zero page loads in no time behind the queue');
  // After everything is loaded the next page goes at once.
  assert.equal(pipe.write(false, 40 * U), 40 * U);
  assert.equal(pipe.loadedSec, 48 * U);
  assert.equal(pipe.busySec, 5 * 8 * U);
  // A page larger than the buffers waits for them to be empty.
  const tiny = new SocketPipeline(100, NORMAL, ZERO, 8 * U, 0, U);
  assert.equal(tiny.write(false, U), U);
  assert.equal(tiny.write(false, 2 * U), 9 * U);
});

test('when no load is longer than the source\'s fastest page nothing queues', () => {
  const pipe = new SocketPipeline(1 * MiB, NORMAL, ZERO, 0, 0.22e-6, 0.38e-6);
  assert.equal(pipe.queues, false);
  pipe.writeRun(3, 2, 5e-6, true);
  assert.equal(pipe.loadedSec, 5e-6 + 0.22e-6);
  assert.equal(pipe.busySec, 2 * 0.22e-6);
});

/**
 * The reference: every page kept, D_i = max(D_{i−1}, S_i) + load_i, and page i written at
 * the later of its ready time and the load end of the last page that must leave for
 * the pages after it plus page i to fit (all of them when page i alone does not fit).
 */
function reference(buffer: number, pages: { zero: boolean; sourceSec: number }[], normalLoad: number, zeroLoad: number): { written: number[]; loaded: number } {
  const written: number[] = [];
  const loadEnd: number[] = [];
  const bytes: number[] = [];
  let ready = 0;
  let loaded = 0;
  for (let i = 0; i < pages.length; i++) {
    const b = pages[i].zero ? ZERO : NORMAL;
    ready = (i === 0 ? 0 : written[i - 1]) + pages[i].sourceSec;
    let at = ready;
    // Pages first .. i−1 stay unloaded; the smallest `first` whose bytes with page i fit.
    let first = i;
    let held = b;
    while (first > 0 && held + bytes[first - 1] <= buffer) held += bytes[--first];
    if (b > buffer) first = i;
    if (first > 0) at = Math.max(at, loadEnd[first - 1]);
    written.push(at);
    bytes.push(b);
    loaded = Math.max(loaded, at) + (pages[i].zero ? zeroLoad : normalLoad);
    loadEnd.push(loaded);
  }
  return { written, loaded };
}

test('the pipeline agrees with a brute-force reference on random page sequences', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ zero: fc.boolean(), sourceUnits: fc.integer({ min: 0, max: 12 }) }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 20 * NORMAL }),
      (seq, normalUnits, zeroUnits, buffer) => {
        const pages = seq.map((p) => ({ zero: p.zero, sourceSec: p.sourceUnits * U }));
        const ref = reference(buffer, pages, normalUnits * U, zeroUnits * U);
        const pipe = new SocketPipeline(buffer, NORMAL, ZERO, normalUnits * U, zeroUnits * U, 0);
        let t = 0;
        for (let i = 0; i < pages.length; i++) {
          const at = pipe.write(pages[i].zero, t + pages[i].sourceSec);
          assert.equal(at, ref.written[i], `page ${i}`);
          t = at;
        }
        assert.equal(pipe.loadedSec, ref.loaded);
      },
    ),
    { numRuns: 300 },
  );
});

test('the sender with the pipeline ends where the reference says, on random guests without writers', () => {
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      fc.record({ send: fc.integer({ min: 1, max: 12 }), scan: fc.integer({ min: 1, max: 12 }), load: fc.integer({ min: 0, max: 24 }), zeroLoad: fc.integer({ min: 0, max: 24 }) }),
      fc.integer({ min: 0, max: 30 * NORMAL }),
      (zeroPattern, costs, buffer) => {
        const pages = 256;
        const memory = new GuestMemory(pages, 1);
        const zero: boolean[] = [];
        for (let pfn = 0; pfn < pages; pfn++) {
          zero.push(zeroPattern[pfn % 64] !== zeroPattern[(pfn * 7) % 64]);
          if (zero[pfn]) memory.zero.setRange(pfn, pfn + 1);
        }
        const config = uncapped(buffer);
        config.sendCostSec = costs.send * U;
        config.scanRateBytesPerSec = 4096 / (costs.scan * U);
        config.loadCostSec = costs.load * U;
        config.zeroLoadCostSec = costs.zeroLoad * U;
        const precopy = runToEnd(new Precopy(config, memory, 4096, NO_HOOKS, false));
        const time = precopy.endSec - precopy.startSec;
        if (buffer === 0) {
          const lockstep = zero.reduce((sum, z) => sum + (z ? Math.max(costs.scan, costs.zeroLoad) : Math.max(costs.send, costs.load)), 0);
          assert.equal(time, lockstep * U);
          return;
        }
        const ref = reference(buffer, zero.map((z) => ({ zero: z, sourceSec: (z ? costs.scan : costs.send) * U })), costs.load * U, costs.zeroLoad * U);
        assert.equal(time, Math.max(ref.written[pages - 1], ref.loaded));
        assert.equal(precopy.rounds[0].durationSec, ref.written[pages - 1], 'the round ends on the source');
      },
    ),
    { numRuns: 200 },
  );
});

/**
 * A shared host (docs/model.md §10.2c, wire/host-paced.ts): each party's CPU per page at a
 * whole core as `uncapped` has them (source U per normal page, 2U per zero page; the
 * destination 8U per normal page, nothing per zero page), the destination's receive
 * thread held to half a core: its loads take 16U.
 */
const HALF_CORE_COSTS = {
  sourceNormalPageSec: U,
  sourceZeroPageSec: 2 * U,
  channelNormalPageSec: U,
  queuePageSec: 0,
  destinationNormalPageSec: 8 * U,
  destinationZeroPageSec: 0,
  hintPageSec: 0,
};

function migrateOnHalfCore(socketBufferBytes: number): Precopy {
  const precopy = new Precopy(uncapped(socketBufferBytes), idleShape(), 4096, NO_HOOKS, false);
  precopy.paceByHost(0, HALF_CORE_COSTS);
  precopy.setHostShares(1, 1, 0.5, 0);
  return runToEnd(precopy);
}

test('a destination at half a core: loads take twice as long; the source waits once the buffers are full', () => {
  // Buffers that hold the backlog: the source ends its round as before (1792U), the
  // destination 256 loads of 16U after the first page arrives at U: 4097U (2049U at a whole core).
  const roomy = migrateOnHalfCore(2 * MiB);
  assert.equal(roomy.rounds[0].durationSec, 1792 * U);
  assert.equal(roomy.endSec - roomy.startSec, 4097 * U);
  assert.equal(roomy.destination.busySec, 256 * 16 * U);
  // Buffers of one page: page k is written at U + 16(k−1)U, when page k − 1 has loaded, and
  // loaded at U + 16kU; the first zero page (ready at 4083U) waits for 4097U, the other 767
  // follow 2U apart.
  const tight = migrateOnHalfCore(NORMAL);
  assert.equal(tight.endSec - tight.startSec, 4097 * U + 767 * 2 * U);
  // Lockstep: the load is a stage of the page, max(U, 16U) per normal page.
  const lockstep = migrateOnHalfCore(0);
  assert.equal(lockstep.endSec - lockstep.startSec, 256 * 16 * U + 768 * 2 * U);
  // At a whole core the paced sender is the plain one.
  const whole = new Precopy(uncapped(2 * MiB), idleShape(), 4096, NO_HOOKS, false);
  whole.paceByHost(0, HALF_CORE_COSTS);
  assert.equal(runToEnd(whole).endSec - whole.startSec, 2049 * U);
});

test('a destination at half a core in lockstep: stop-and-copy pays the paced load too', () => {
  // migrateWithWrites' guest on the half-core host, no buffers: the bulk round is
  // 256 × 16U + 768 × 2U; pfns 0-63, written in it, go in stop-and-copy at max(U, 16U)
  // each (a page sent again loads at loadCost, 8U, held to half a core): 1024U of downtime
  // (512U at a whole core, the previous test's lockstep case).
  const memory = idleShape();
  const config = uncapped(0);
  config.switchoverBandwidthBytesPerSec = 1e12;
  const precopy = new Precopy(config, memory, 4096, NO_HOOKS, false);
  precopy.paceByHost(0, HALF_CORE_COSTS);
  precopy.setHostShares(1, 1, 0.5, 0);
  while (precopy.runUntil(1000 * U, PRIORITY_HINT) === false) {
    /* decisions hand control back */
  }
  memory.logged.setRange(0, 64);
  runToEnd(precopy);
  assert.equal(precopy.rounds[0].durationSec, 256 * 16 * U + 768 * 2 * U);
  assert.equal(precopy.downtimeSec, 64 * 16 * U);
});

test('the pipeline: a load time that changes mid-stream applies from the next page written', () => {
  // Three normal pages fit; loads of 8U, then 16U from the fourth page.
  const pipe = new SocketPipeline(3 * NORMAL, NORMAL, ZERO, 8 * U, 0, U);
  assert.equal(pipe.write(false, U), U); // loaded 9U
  assert.equal(pipe.write(false, 2 * U), 2 * U); // 17U
  assert.equal(pipe.write(false, 3 * U), 3 * U); // 25U
  pipe.setLoadTimes(16 * U, 0, 4 * U);
  assert.equal(pipe.write(false, 4 * U), 9 * U, 'waits for the first page'); // loaded 25U + 16U
  assert.equal(pipe.loadedSec, 41 * U);
  assert.equal(pipe.write(false, 10 * U), 17 * U); // 57U
  assert.equal(pipe.write(false, 18 * U), 25 * U); // 73U
  assert.equal(pipe.write(false, 26 * U), 41 * U, 'waits for the first 16U load');
  assert.equal(pipe.loadedSec, 89 * U);
  assert.equal(pipe.busySec, 3 * 8 * U + 4 * 16 * U);
});
