/**
 * XBZRLE (src/core/wire/xbzrle.ts): one page sent again and again, written or not since its
 * last send, its bytes counted by hand against save_xbzrle_page and xbzrle_encode_buffer; the cache's address index and age-based replacement; and
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

const WRITE_BYTES = new Uint16Array(64);

/**
 * A bare transport over a 64-page guest whose `stale` bits the test sets (a page written
 * since its last send) and whose pages' writers change `bytesPerWrite` bytes (0: whole page).
 */
function transport(cacheSizeBytes: number, bytesPerWrite: number): { t: Xbzrle; stale: Uint32Array } {
  // flushIovecs 0: every send's bytes reach the rate limit's counter at once, so each
  // sendPage returns the page's bytes on the wire.
  const w = makeWorkload({ migration: { wire: { flushIovecs: 0 } } });
  const stale = new Uint32Array(2);
  const writeBytes = WRITE_BYTES.slice().fill(bytesPerWrite === PAGE ? 0 : bytesPerWrite);
  return { t: new Xbzrle(w.migration, { cacheSizeBytes, encodeCostSec: 1.2e-6 }, PAGE, { staleWords: stale, writeBytes }), stale };
}

/** The guest writes page `pfn` (its stale bit), then the sender sends it (clears the bit), as precopy.ts does. */
function send(x: { t: Xbzrle; stale: Uint32Array }, pfn: number, written: boolean, zero = false): number {
  if (written) x.stale[pfn >>> 5] |= 1 << (pfn & 31);
  const bytes = x.t.sendPage(pfn, zero);
  x.stale[pfn >>> 5] &= ~(1 << (pfn & 31));
  return bytes;
}

test('xbzrle_encode_buffer lengths: uleb128 zero run, uleb128 run length, the run; overflow past a page', () => {
  assert.equal(xbzrleEncodedBytes(0, PAGE), 0);
  // An 8-byte store at offset 128 or beyond: 2 + 1 + 8; at the testbed dirtier's offsets
  // 40-96 (word pass mod 512, passes 5-12 in the calibration runs): 1 + 1 + 8.
  assert.equal(xbzrleEncodedBytes(8, PAGE), 2 + 1 + 8);
  assert.equal(xbzrleEncodedBytes(8, PAGE, 40), 1 + 1 + 8);
  assert.equal(xbzrleEncodedBytes(200, PAGE), 2 + 2 + 200);
  // The longest run after offset 128, then runs that start at 0.
  assert.equal(xbzrleEncodedBytes(PAGE - 128, PAGE), 2 + 2 + PAGE - 128);
  assert.equal(xbzrleEncodedBytes(PAGE - 127, PAGE), 1 + 2 + PAGE - 127);
  assert.equal(xbzrleEncodedBytes(PAGE - 3, PAGE), PAGE);
  assert.equal(xbzrleEncodedBytes(PAGE - 2, PAGE), -1);
  assert.equal(xbzrleEncodedBytes(PAGE, PAGE), -1);
});

test('a page sent five times: normal before XBZRLE starts, a cache miss, 22-byte deltas, nothing when unchanged', () => {
  const x = transport(64 * MiB, 8);
  const t = x.t;
  // Bulk stage: header 8 + page 4096.
  assert.equal(send(x, 5, true), 4104);
  t.wrap(); // the first round completes: XBZRLE starts
  // Not cached: a cache miss, sent as a normal page and inserted.
  assert.equal(send(x, 5, true), 4104);
  t.wrap();
  // Cached and written since: header 8 + flag 1 + length 2 + encoding (zero run 2 + run length 1 + 8 bytes).
  assert.equal(send(x, 5, true), 8 + 1 + 2 + 11);
  assert.equal(send(x, 5, true), 22);
  // Dirty but not written since its last send (written after the sync, before that send):
  // xbzrle_encode_buffer returns 0, nothing is sent, and QEMU still counts it in `pages`.
  assert.equal(send(x, 5, false), 0);
  assert.deepEqual(
    [t.counters.xbzrleBytes, t.counters.xbzrlePages, t.counters.xbzrleCacheMiss, t.counters.xbzrleOverflow],
    [2 * (22 - 8), 3, 1, 0], // xbzrle-cache bytes leave out the 8-byte header
  );
  assert.equal(t.wireBytes, 4104 + 4104 + 22 + 22);
  // A zero page goes as 9 bytes and caches a zero page (no miss); its next send is a delta.
  assert.equal(send(x, 9, true, true), 9);
  assert.equal(send(x, 9, true), 22);
  assert.equal(t.counters.xbzrleCacheMiss, 1);
});

test('the cache is indexed by page address and refuses to replace a fresh page (CACHED_PAGE_LIFETIME 2)', () => {
  // 3 pages of cache: pow2floor gives 2 slots; pfns 1 and 3 share slot 1.
  const x = transport(3 * PAGE, 8);
  const t = x.t;
  t.wrap(); // age 1
  send(x, 1, true); // miss, inserted at age 1
  send(x, 3, true); // miss, slot 1 holds a fresh page: not inserted
  t.wrap(); // age 2
  assert.equal(send(x, 3, true), 4104); // still a miss; 1's age 1 + 2 > 2: refused again
  assert.equal(send(x, 1, true), 22); // hit: its age becomes 2
  t.wrap();
  t.wrap(); // age 4: 1 is old (2 + 2 ≤ 4)
  assert.equal(send(x, 3, true), 4104); // miss, replaces 1
  assert.equal(send(x, 3, true), 22);
  assert.equal(send(x, 1, true), 4104); // 1 was evicted
  assert.equal(t.counters.xbzrleCacheMiss, 5); // 1, 3, 3 again, 3 replacing 1, 1
  assert.equal(t.counters.xbzrlePages, 2);
});

test('full-page writes overflow: counted in pages and overflow, a page of xbzrle bytes, sent as a normal page', () => {
  const x = transport(64 * MiB, PAGE);
  const t = x.t;
  t.wrap();
  send(x, 2, true);
  assert.equal(send(x, 2, true), 4104);
  assert.deepEqual([t.counters.xbzrleOverflow, t.counters.xbzrleBytes, t.counters.xbzrlePages], [1, PAGE, 1]);
});

test('stop-and-copy encodes too: finalWord sends the hits as deltas, sendFinal adds the EOS and device state', () => {
  const x = transport(64 * MiB, 8);
  const t = x.t;
  t.wrap();
  send(x, 3, true);
  send(x, 4, true); // both cached
  x.stale[0] |= (1 << 3) | (1 << 6); // 3 written again; 6 never sent (a miss)
  const before = t.wireBytes;
  t.finalWord(0, (1 << 3) | (1 << 4) | (1 << 6), 0);
  t.sendFinal(3, 0);
  const w = makeWorkload({ migration: { wire: { flushIovecs: 0 } } }).migration.wire;
  // 3: a 22-byte delta; 4: unchanged, nothing; 6: a miss, 4104 bytes.
  assert.equal(t.wireBytes - before, 22 + 0 + 4104 + w.eosBytes + w.deviceStateBytes);
  assert.deepEqual([t.counters.xbzrlePages, t.counters.xbzrleCacheMiss], [2, 3]);
});

function randomWorkload(p: { seed: number; memoryMiB: number; rate: number; cacheKiB: number; bytesPerWrite: number; flushIovecs: number }): Workload {
  return makeWorkload({
    seed: p.seed,
    guest: { memoryBytes: p.memoryMiB * MiB, initial: { usedBytes: 4 * MiB, freeDirtyBytes: 2 * MiB } },
    phases: [
      {
        durationSec: null,
        writes: p.rate === 0 ? [] : [{ ratePagesPerSec: p.rate, workingSetBytes: 2 * MiB, extentBytes: 2 * MiB, pattern: 'uniform', skew: 0.99, arrivals: 'poisson', vcpu: null, cpuShare: 1, bytesPerWrite: p.bytesPerWrite }],
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
      xbzrle: { cacheSizeBytes: p.cacheKiB * KiB, encodeCostSec: 1.2e-6 },
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
      // Every changed hit is a delta of the writer's size (the only writer of non-zero
      // data) or an overflow; unchanged hits send nothing: bytes are whole deltas.
      const encoded = xbzrleEncodedBytes(p.bytesPerWrite, PAGE);
      if (encoded < 0) assert.equal(xbzrleBytes, overflow * PAGE);
      else {
        assert.equal(overflow, 0);
        assert.equal(xbzrleBytes % (3 + encoded), 0);
        assert.ok(xbzrleBytes <= xbzrlePages * (3 + encoded));
      }
    }),
    { numRuns: 40, seed: 20261205 },
  );
});
