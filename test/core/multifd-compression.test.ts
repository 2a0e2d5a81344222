/**
 * Multifd compression (src/core/wire/multifd-compression.ts): exact bytes on a 16-page guest
 * through 2 channels, the content classes (in use, free, a writer's working set), the
 * channels' compression CPU bounding the time, and multifd-bytes being exactly headers plus
 * compressed payload in every round, stop-and-copy included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulateRun } from '../../src/core/simulation.js';
import type { MultifdCompressionConfig, MultifdConfig, WriteStream } from '../../src/core/types.js';
import { compressedBytes } from '../../src/core/wire/multifd-compression.js';
import { makeWorkload, multifdConfig, UNITS } from './workload-fixture.js';

const { KiB, MiB } = UNITS;
const PAGE = 4096;

function zlib(overrides: Partial<MultifdCompressionConfig> = {}): MultifdCompressionConfig {
  return { method: 'zlib', level: 1, threadRateBytesPerSec: 110e6, compressRatio: 4, freeCompressRatio: 4, zeroPageBytes: 18, ...overrides };
}

function multifd(compression: MultifdCompressionConfig | null, overrides: Partial<MultifdConfig> = {}): MultifdConfig {
  return multifdConfig({ compression, ...overrides });
}

function writer(overrides: Partial<WriteStream>): WriteStream {
  return { ratePagesPerSec: 0, workingSetBytes: 8 * KiB, extentBytes: 4 * KiB, pattern: 'sequential', skew: 0.99, arrivals: 'even', vcpu: null, cpuShare: 1, bytesPerWrite: 8, ...overrides };
}

// 16 pages: 6 in use, 2 free with stale data, 8 zero; packets of 4 pages (header 352 bytes).
const GUEST = { memoryBytes: 64 * KiB, maxOrder: 3, pageblockOrder: 3, initial: { usedBytes: 24 * KiB, freeDirtyBytes: 8 * KiB } };

test('a 16-page guest through 2 zlib channels: every byte counted by hand', () => {
  // In use compresses 4:1 (1024 B), free memory 2:1 (2048 B); a writer's 2 pages 8:1 (512 B).
  const compression = zlib({ compressRatio: 4, freeCompressRatio: 2 });
  const workload = makeWorkload({
    guest: GUEST,
    phases: [{ durationSec: null, writes: [writer({ compressRatio: 8 })], churn: [], trace: null }],
    migration: { wire: { flushIovecs: 64 }, multifd: multifd(compression, { packetPages: 4 }) },
  });
  const result = simulateRun(workload, null);
  const header = 352;
  const setup = 2 * 64 + 2 * header;
  const payload = 4 * 1024 + 2 * 512 + 2 * 2048; // zero pages travel as header offsets
  const bulkPackets = 4 * header + payload;
  const wrapSync = 2 * header + 8;
  const eos = 8;
  const finalSync = 2 * header;
  assert.deepEqual(
    result.rounds.map((r) => [r.kind, r.normalPages, r.zeroPages, r.bytes, r.multifdBytes, r.multifdPackets, r.multifdCompressedBytes]),
    [
      ['bulk', 8, 8, setup + bulkPackets + wrapSync + eos, setup + bulkPackets + 2 * header, 4, payload],
      ['stop-copy', 0, 0, finalSync + eos, finalSync, 0, 0],
    ],
  );
  assert.equal(result.summary.totalBytes, setup + bulkPackets + wrapSync + eos + finalSync + eos);
  // The same guest without compression: 8 pages of 4096 bytes where these sent 9216.
  const raw = simulateRun(makeWorkload({ guest: GUEST, migration: { wire: { flushIovecs: 64 }, multifd: multifd(null, { packetPages: 4 }) } }), null);
  assert.equal(raw.summary.totalBytes - result.summary.totalBytes, 8 * PAGE - payload);
  assert.equal(raw.rounds[0].multifdCompressedBytes, 0);
});

test('zero pages are compressed too when the channels do not detect them', () => {
  const workload = makeWorkload({ guest: GUEST, migration: { multifd: multifd(zlib(), { packetPages: 4, zeroPageDetection: 'none' }) } });
  const bulk = simulateRun(workload, null).rounds[0];
  assert.equal(bulk.normalPages, 16);
  assert.equal(bulk.multifdCompressedBytes, 8 * 1024 + 8 * 18);
  assert.equal(bulk.multifdBytes, 2 * 64 + 2 * 352 + 4 * 352 + 8 * 1024 + 8 * 18 + 2 * 352);
});

test('a ratio below 1 (random data) makes pages larger; sizes round up', () => {
  assert.equal(compressedBytes(PAGE, 0.99969), 4098);
  assert.equal(compressedBytes(PAGE, 3), 1366);
  assert.equal(compressedBytes(PAGE, 1), PAGE);
});

test('the channels\' compression CPU bounds an uncapped bulk stage', () => {
  // 16 MiB of data in use, 2 channels at 40 MB/s each, the link at 10 Gbit/s: 80 MB/s of pages.
  const base = {
    guest: { memoryBytes: 16 * MiB, initial: { usedBytes: 16 * MiB, freeDirtyBytes: 0 } },
  };
  const migration = { bandwidthBytesPerSec: 1.25e9, linkBandwidthBytesPerSec: 1.25e9, syncTimeSecPerGiB: 0, downtimeLimitSec: 0.001 };
  const slow = simulateRun(makeWorkload({ ...base, migration: { ...migration, multifd: multifd(zlib({ threadRateBytesPerSec: 40e6 })) } }), null);
  const bulkSec = slow.rounds[0].durationSec;
  const expected = (16 * MiB) / 80e6;
  assert.ok(Math.abs(bulkSec - expected) / expected < 0.02, `bulk ${bulkSec} s, expected ${expected} s`);
  // Four times the channels' rate: four times faster.
  const fast = simulateRun(makeWorkload({ ...base, migration: { ...migration, multifd: multifd(zlib({ threadRateBytesPerSec: 160e6 })) } }), null);
  assert.ok(Math.abs(fast.rounds[0].durationSec * 4 - bulkSec) / bulkSec < 0.02, `${fast.rounds[0].durationSec} s`);
});

test('multifd-bytes is exactly headers, syncs and compressed payload in every round, stop-and-copy included', () => {
  // Memory in use is one writer's working set, so every normal page compresses at its ratio.
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        rate: fc.constantFrom(2_000, 20_000, 80_000),
        ratio: fc.constantFrom(0.99969, 1.5, 3, 7.7),
        channels: fc.constantFrom(1, 2, 4),
        packetPages: fc.constantFrom(3, 128),
        method: fc.constantFrom('zlib' as const, 'zstd' as const),
      }),
      (p) => {
        const workload = makeWorkload({
          seed: p.seed,
          guest: { memoryBytes: 8 * MiB, initial: { usedBytes: 3 * MiB, freeDirtyBytes: 0 } },
          phases: [{ durationSec: null, writes: [writer({ ratePagesPerSec: p.rate, workingSetBytes: 3 * MiB, extentBytes: 4 * KiB, pattern: 'uniform', compressRatio: p.ratio })], churn: [], trace: null }],
          migration: {
            startSec: 0.01,
            bandwidthBytesPerSec: 200e6,
            linkBandwidthBytesPerSec: 1.25e9,
            maxDurationSec: 3,
            onNoConvergence: 'force',
            multifd: multifd(zlib({ method: p.method, compressRatio: 2 }), { channels: p.channels, packetPages: p.packetPages }),
          },
        });
        const result = simulateRun(workload, null);
        const header = 320 + 8 * p.packetPages;
        const pageBytes = compressedBytes(PAGE, p.ratio);
        let total = p.channels * 64;
        let multifdBytes = 0;
        for (const r of result.rounds) {
          assert.equal(r.multifdCompressedBytes, r.normalPages * pageBytes, `round ${r.round} (${r.kind})`);
          total += (r.multifdPackets + r.multifdSyncs * p.channels) * header + r.multifdCompressedBytes;
          multifdBytes += r.multifdBytes;
        }
        assert.equal(multifdBytes, total);
        assert.equal(result.summary.lostPages, 0);
      },
    ),
    { numRuns: 25, seed: 20261205 },
  );
});
