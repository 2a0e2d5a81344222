/**
 * XBZRLE (src/core/wire/xbzrle.ts): one page sent again and again, its bytes counted by
 * hand against save_xbzrle_page; the cache's address index and age-based replacement; and
 * the transport properties (each dirty page leaves the bitmap once per time it is set,
 * nothing lost; xbzrle bytes are exactly its pages' encodings and its overflows' pages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulateRun } from '../../src/core/simulation.js';
import type { Workload } from '../../src/core/types.js';
import { Xbzrle, xbzrleEncodedBytes } from '../../src/core/wire/xbzrle.js';
import { freePageHint, makeWorkload, UNITS } from './workload-fixture.js';

const { KiB, MiB } = UNITS;
const PAGE = 4096;

function transport(cacheSizeBytes: number, bytesPerWrite: number): Xbzrle {
  // flushIovecs 0: every send's bytes reach the rate limit's counter at once, so each
  // sendPage returns the page's bytes on the wire.
  const w = makeWorkload({ migration: { wire: { flushIovecs: 0 } } });
  return new Xbzrle(w.migration, { cacheSizeBytes, bytesPerWrite }, PAGE);
}

test('xbzrle_encode_buffer lengths: zero run (2), run length (uleb128), the run; overflow past a page', () => {
  assert.equal(xbzrleEncodedBytes(0, PAGE), 0);
  assert.equal(xbzrleEncodedBytes(8, PAGE), 2 + 1 + 8);
  assert.equal(xbzrleEncodedBytes(200, PAGE), 2 + 2 + 200);
  assert.equal(xbzrleEncodedBytes(4092, PAGE), 4096);
  assert.equal(xbzrleEncodedBytes(4093, PAGE), -1);
  assert.equal(xbzrleEncodedBytes(PAGE, PAGE), -1);
});

test('a page sent four times: normal before XBZRLE starts, a cache miss, then 22-byte deltas', () => {
  const t = transport(64 * MiB, 8);
  // Bulk stage: header 8 + page 4096.
  assert.equal(t.sendPage(5, false), 4104);
  t.wrap(); // the first round completes: XBZRLE starts
  // Not cached: a cache miss, sent as a normal page and inserted.
  assert.equal(t.sendPage(5, false), 4104);
  t.wrap();
  // Cached: header 8 + flag 1 + length 2 + encoding (zero run 2 + run length 1 + 8 bytes).
  assert.equal(t.sendPage(5, false), 8 + 1 + 2 + 11);
  assert.equal(t.sendPage(5, false), 22);
  assert.deepEqual(
    [t.counters.xbzrleBytes, t.counters.xbzrlePages, t.counters.xbzrleCacheMiss, t.counters.xbzrleOverflow],
    [2 * (22 - 8), 2, 1, 0], // xbzrle-cache bytes leave out the 8-byte header
  );
  assert.equal(t.wireBytes, 4104 + 4104 + 22 + 22);
  // A zero page goes as 9 bytes and caches a zero page (no miss); its next send is a delta.
  assert.equal(t.sendPage(9, true), 9);
  assert.equal(t.sendPage(9, false), 22);
  assert.equal(t.counters.xbzrleCacheMiss, 1);
});

test('the cache is indexed by page address and refuses to replace a fresh page (CACHED_PAGE_LIFETIME 2)', () => {
  // 3 pages of cache: pow2floor gives 2 slots; pfns 1 and 3 share slot 1.
  const t = transport(3 * PAGE, 8);
  t.wrap(); // age 1
  t.sendPage(1, false); // miss, inserted at age 1
  t.sendPage(3, false); // miss, slot 1 holds a fresh page: not inserted
  t.wrap(); // age 2
  assert.equal(t.sendPage(3, false), 4104); // still a miss; 1's age 1 + 2 > 2: refused again
  assert.equal(t.sendPage(1, false), 22); // hit: its age becomes 2
  t.wrap();
  t.wrap(); // age 4: 1 is old (2 + 2 ≤ 4)
  assert.equal(t.sendPage(3, false), 4104); // miss, replaces 1
  assert.equal(t.sendPage(3, false), 22);
  assert.equal(t.sendPage(1, false), 4104); // 1 was evicted
  assert.equal(t.counters.xbzrleCacheMiss, 5); // 1, 3, 3 again, 3 replacing 1, 1
  assert.equal(t.counters.xbzrlePages, 2);
});

test('full-page writes overflow: counted, a page of xbzrle bytes, sent as a normal page', () => {
  const t = transport(64 * MiB, PAGE);
  t.wrap();
  t.sendPage(2, false);
  assert.equal(t.sendPage(2, false), 4104);
  assert.deepEqual([t.counters.xbzrleOverflow, t.counters.xbzrleBytes, t.counters.xbzrlePages], [1, PAGE, 0]);
});

function randomWorkload(p: { seed: number; memoryMiB: number; rate: number; cacheKiB: number; bytesPerWrite: number; flushIovecs: number }): Workload {
  return makeWorkload({
    seed: p.seed,
    guest: { memoryBytes: p.memoryMiB * MiB, initial: { usedBytes: 4 * MiB, freeDirtyBytes: 2 * MiB } },
    phases: [
      {
        durationSec: null,
        writes: p.rate === 0 ? [] : [{ ratePagesPerSec: p.rate, workingSetBytes: 2 * MiB, extentBytes: 2 * MiB, pattern: 'uniform', skew: 0.99, arrivals: 'poisson', vcpu: null, cpuShare: 1 }],
        churn: [],
        trace: null,
      },
    ],
    migration: {
      startSec: 0.01,
      bandwidthBytesPerSec: 1e9 / 8,
      linkBandwidthBytesPerSec: 1e9 / 8,
      maxDurationSec: 5,
      wire: { flushIovecs: p.flushIovecs },
      xbzrle: { cacheSizeBytes: p.cacheKiB * KiB, bytesPerWrite: p.bytesPerWrite },
    },
    hints: [freePageHint({ order: 9 })],
  });
}

const randomParams = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  memoryMiB: fc.constantFrom(8, 16),
  rate: fc.constantFrom(0, 5_000, 50_000),
  cacheKiB: fc.constantFrom(4, 64, 1024, 65536),
  bytesPerWrite: fc.constantFrom(8, 300, PAGE),
  flushIovecs: fc.constantFrom(0, 64),
});

test('with XBZRLE each dirty page leaves the bitmap once per time it is set, nothing lost, bytes exact', () => {
  fc.assert(
    fc.property(randomParams, fc.boolean(), (p, hinted) => {
      const workload = randomWorkload(p);
      const result = simulateRun(workload, hinted ? workload.hints[0] : null);
      const pages = (p.memoryMiB * MiB) / PAGE;
      let sent = 0;
      let dirtied = 0;
      let xbzrleBytes = 0;
      let xbzrlePages = 0;
      let overflow = 0;
      for (const r of result.rounds) {
        sent += r.normalPages + r.zeroPages + r.skippedPages;
        dirtied += r.dirtyPages;
        xbzrleBytes += r.xbzrleBytes;
        xbzrlePages += r.xbzrlePages;
        overflow += r.xbzrleOverflow;
      }
      assert.equal(sent, pages + dirtied);
      if (result.summary.converged) assert.equal(result.summary.lostPages, 0);
      const encoded = xbzrleEncodedBytes(p.bytesPerWrite, PAGE);
      assert.equal(xbzrleBytes, xbzrlePages * (encoded > 0 ? 3 + encoded : 0) + overflow * PAGE);
      if (encoded < 0) assert.equal(xbzrlePages, 0);
      else assert.equal(overflow, 0);
    }),
    { numRuns: 40, seed: 20261205 },
  );
});
