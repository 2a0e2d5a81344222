/**
 * Multifd (src/core/wire/multifd.ts): exact bytes on a guest small enough to count by
 * hand, the rate limit's lag of `channels` packets, and properties every transport must
 * keep: each page is sent once per time it is dirty, nothing is lost, and multifd-bytes
 * is exactly its packets, headers and syncs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulateRun } from '../../src/core/simulation.js';
import type { MultifdConfig, Workload } from '../../src/core/types.js';
import { freePageHint, makeWorkload, multifdConfig, UNITS } from './workload-fixture.js';

const { KiB, MiB } = UNITS;
const PAGE = 4096;

const multifd = multifdConfig;

test('a 16-page guest through 2 channels: every byte counted by hand', () => {
  // 8 pages of data, 8 zero pages, packets of 4 pages (header 320 + 8·4 = 352 bytes).
  const workload = makeWorkload({
    guest: { memoryBytes: 64 * KiB, maxOrder: 3, pageblockOrder: 3, initial: { usedBytes: 32 * KiB, freeDirtyBytes: 0 } },
    migration: { wire: { flushIovecs: 64 }, multifd: multifd({ channels: 2, packetPages: 4 }) },
  });
  const result = simulateRun(workload, null);
  const header = 352;
  const setup = 2 * 64 + 2 * header; // MultiFDInit_t per channel, then the setup sync
  const bulkPackets = 4 * header + 8 * PAGE; // 16 pages in 4 packets, 8 of them with data
  const wrapSync = 2 * header + 8; // a SYNC packet per channel, RAM_SAVE_FLAG_MULTIFD_FLUSH
  const eos = 8;
  const finalSync = 2 * header; // completion: no pages left, a last sync, EOS
  assert.deepEqual(
    result.rounds.map((r) => [r.kind, r.normalPages, r.zeroPages, r.bytes, r.multifdBytes, r.multifdPackets, r.multifdSyncs]),
    [
      ['bulk', 8, 8, setup + bulkPackets + wrapSync + eos, setup + bulkPackets + 2 * header, 4, 2],
      ['stop-copy', 0, 0, finalSync + eos, finalSync, 0, 1],
    ],
  );
  assert.equal(result.summary.totalBytes, setup + bulkPackets + wrapSync + eos + finalSync + eos);
  assert.equal(result.summary.lostPages, 0);
});

test('zero-page detection legacy sends zero pages on the main stream, none sends their data', () => {
  const base = {
    guest: { memoryBytes: 64 * KiB, maxOrder: 3, pageblockOrder: 3, initial: { usedBytes: 32 * KiB, freeDirtyBytes: 0 } },
  };
  const legacy = simulateRun(makeWorkload({ ...base, migration: { multifd: multifd({ packetPages: 4, zeroPageDetection: 'legacy' }) } }), null);
  // 8 data pages fill 2 packets; the 8 zero pages go as 9-byte records on the main stream.
  assert.equal(legacy.rounds[0].zeroPages, 8);
  assert.equal(legacy.rounds[0].multifdPackets, 2);
  assert.equal(legacy.summary.totalBytes, 2 * 64 + 2 * 352 + (2 * 352 + 8 * PAGE) + 8 * 9 + (2 * 352 + 8) + 8 + 2 * 352 + 8);
  const none = simulateRun(makeWorkload({ ...base, migration: { multifd: multifd({ packetPages: 4, zeroPageDetection: 'none' }) } }), null);
  assert.equal(none.rounds[0].zeroPages, 0);
  assert.equal(none.rounds[0].normalPages, 16);
  assert.equal(none.rounds[0].multifdBytes, 2 * 64 + 2 * 352 + 4 * 352 + 16 * PAGE + 2 * 352);
});

test('the rate limit sees a packet only once its channel sent it: a slot sends channels packets more', () => {
  // All data, 16 MiB = 32 packets of 128 pages (525632 bytes with the 1344-byte header);
  // a 100 ms slot of 3 MB: 6 packets must be seen to exceed it, and 3 channels hold 3 more.
  const workload = makeWorkload({
    guest: { memoryBytes: 16 * MiB, initial: { usedBytes: 16 * MiB, freeDirtyBytes: 0 } },
    migration: { bandwidthBytesPerSec: 30e6, linkBandwidthBytesPerSec: 1e9, syncTimeSecPerGiB: 0, downtimeLimitSec: 0.001, multifd: multifd({ channels: 3 }) },
  });
  const result = simulateRun(workload, null);
  // 9 packets per slot: 32 packets take 4 slots (the last partly), so the bulk round ends in the 4th.
  const bulk = result.rounds[0];
  assert.equal(bulk.multifdPackets, 32);
  assert.ok(bulk.durationSec > 0.3 && bulk.durationSec < 0.4, `bulk took ${bulk.durationSec} s`);
  // Without the lag (one channel's worth), slots of 7 packets would need 5 slots.
  const single = simulateRun({ ...workload, migration: { ...workload.migration, multifd: multifd({ channels: 1 }) } }, null);
  assert.ok(single.rounds[0].durationSec > 0.4, `one channel took ${single.rounds[0].durationSec} s`);
});

function randomWorkload(p: {
  seed: number;
  memoryMiB: number;
  usedMiB: number;
  freeDirtyMiB: number;
  rate: number;
  bandwidthGbit: number;
  channels: number;
  packetPages: number;
  detection: MultifdConfig['zeroPageDetection'];
  flushIovecs: number;
}): Workload {
  return makeWorkload({
    seed: p.seed,
    guest: { memoryBytes: p.memoryMiB * MiB, initial: { usedBytes: p.usedMiB * MiB, freeDirtyBytes: p.freeDirtyMiB * MiB } },
    phases: [
      {
        durationSec: null,
        writes: p.rate === 0 ? [] : [{ ratePagesPerSec: p.rate, workingSetBytes: 2 * MiB, extentBytes: 2 * MiB, pattern: 'uniform', skew: 0.99, arrivals: 'poisson', vcpu: null, cpuShare: 1, bytesPerWrite: 8 }],
        churn: [],
        trace: null,
      },
    ],
    migration: {
      startSec: 0.01,
      bandwidthBytesPerSec: (p.bandwidthGbit * 1e9) / 8,
      linkBandwidthBytesPerSec: (p.bandwidthGbit * 1e9) / 8,
      maxDurationSec: 5,
      wire: { flushIovecs: p.flushIovecs },
      multifd: p.channels === 0 ? null : multifd({ channels: p.channels, packetPages: p.packetPages, zeroPageDetection: p.detection }),
    },
    hints: [freePageHint({ order: 9 })],
  });
}

const randomParams = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  memoryMiB: fc.constantFrom(8, 16, 32),
  usedMiB: fc.constantFrom(4, 6),
  freeDirtyMiB: fc.constantFrom(0, 2),
  rate: fc.constantFrom(0, 5_000, 50_000),
  bandwidthGbit: fc.constantFrom(1, 10),
  channels: fc.constantFrom(0, 1, 2, 5),
  packetPages: fc.constantFrom(3, 32, 128),
  detection: fc.constantFrom('multifd' as const, 'legacy' as const, 'none' as const),
  flushIovecs: fc.constantFrom(0, 64),
});

test('every transport sends each dirty page once per round and loses nothing', () => {
  fc.assert(
    fc.property(randomParams, fc.boolean(), (p, hinted) => {
      const workload = randomWorkload(p);
      const result = simulateRun(workload, hinted ? workload.hints[0] : null);
      const pages = (p.memoryMiB * MiB) / PAGE;
      // Round 1 covers every page once (sent or hinted away); each later round sends at
      // most what the sync before it found dirty, plus what hints may have re-dirtied.
      const [bulk] = result.rounds;
      if (result.rounds.length > 1 || bulk.kind !== 'stop-copy') {
        assert.ok(bulk.normalPages + bulk.zeroPages + bulk.skippedPages <= pages);
      }
      let sent = 0;
      for (const r of result.rounds) sent += r.normalPages + r.zeroPages + r.skippedPages;
      let dirtied = 0;
      for (const r of result.rounds) dirtied += r.dirtyPages;
      // Every page set at setup or by a sync leaves the bitmap exactly once.
      assert.equal(sent, pages + dirtied);
      if (result.summary.converged) assert.equal(result.summary.lostPages, 0);
    }),
    { numRuns: 40, seed: 20261203 },
  );
});

test('multifd-bytes is exactly its packets: headers, data pages, syncs and the channels\' init', () => {
  fc.assert(
    fc.property(randomParams.filter((p) => p.channels > 0), (p) => {
      const workload = randomWorkload(p);
      const result = simulateRun(workload, null);
      const header = 320 + 8 * p.packetPages;
      let bytes = 0;
      let packets = 0;
      let syncs = 0;
      let dataPages = 0;
      for (const r of result.rounds) {
        bytes += r.multifdBytes;
        packets += r.multifdPackets;
        syncs += r.multifdSyncs;
        dataPages += p.detection === 'multifd' || p.detection === 'legacy' ? r.normalPages : r.normalPages + r.zeroPages;
      }
      assert.equal(bytes, p.channels * 64 + (packets + syncs * p.channels) * header + dataPages * PAGE);
    }),
    { numRuns: 40, seed: 20261204 },
  );
});
