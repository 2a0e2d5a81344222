import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateRun, simulateWorkload, watermarkPages } from '../../src/core/simulation.js';
import type { Workload, WriteStream, ChurnStream } from '../../src/core/types.js';
import { freePageHint, makeWorkload, UNITS } from './workload-fixture.js';

const { KiB, MiB, GiB } = UNITS;
const NORMAL_PAGE_BYTES = 8 + 4096;

function writer(overrides: Partial<WriteStream>): WriteStream {
  return { ratePagesPerSec: 0, workingSetBytes: 0, extentBytes: 2 * MiB, pattern: 'uniform', skew: 0.99, arrivals: 'even', vcpu: null, cpuShare: 1, bytesPerWrite: 8, ...overrides };
}

function churn(overrides: Partial<ChurnStream>): ChurnStream {
  return { rateBlocksPerSec: 0, orders: [{ order: 0, weight: 1 }], lifetimeSec: 1, fill: 'data', arrivals: 'even', vcpu: null, ...overrides };
}

/**
 * 16 pages, 4-page blocks. Layout: used pfns 0–6, free never-touched 7–14, memmap at 15.
 * max-bandwidth 41 040 B/s makes each 100 ms slot's budget exactly one normal page.
 */
function tinyGuest(): Workload {
  return makeWorkload({
    guest: {
      memoryBytes: 64 * KiB,
      maxOrder: 2,
      pageblockOrder: 1,
      initial: { usedBytes: 32 * KiB, freeDirtyBytes: 0 },
    },
    phases: [{ durationSec: null, writes: [writer({ ratePagesPerSec: 2, workingSetBytes: 16 * KiB, extentBytes: 16 * KiB, pattern: 'sequential' })], churn: [], trace: null }],
    migration: { bandwidthBytesPerSec: 10 * NORMAL_PAGE_BYTES },
  });
}

test('a 16-page guest migrates with hand-computed bytes per round', () => {
  const { rounds, summary } = simulateRun(tinyGuest(), null);
  // Round 1: one normal page per slot for pfns 0–6 (7 slots), then in slot 8 the eight
  // zero pages (9 B) and the memmap page; each slot ends with an 8-byte EOS marker.
  // The write at t = 0.5 s (pfn 0, already sent) is the only dirty page at the sync at
  // 0.8 s; 4 KiB pending is below the threshold (41 120 B/s × 0.3 s), so switchover.
  assert.equal(rounds.length, 2);
  assert.deepEqual(
    rounds.map((r) => [r.round, r.kind, r.normalPages, r.zeroPages, r.skippedPages, r.bytes, r.cumulativeBytes, r.dirtyPages]),
    [
      [1, 'bulk', 8, 8, 0, 8 * NORMAL_PAGE_BYTES + 8 * 9 + 8 * 8, 32968, 1],
      [2, 'stop-copy', 1, 0, 0, NORMAL_PAGE_BYTES + 8, 32968 + 4112, 0],
    ],
  );
  assert.equal(rounds[0].startSec, 0);
  assert.equal(rounds[0].durationSec, 0.8);
  assert.equal(rounds[1].startSec, 0.8);
  assert.equal(summary.rounds, 1);
  assert.equal(summary.totalBytes, 37080);
  assert.equal(summary.converged, true);
  assert.equal(summary.lostPages, 0);
  assert.equal(summary.costs.faults, 1);
});

test('a guest with nothing dirty switches over after one bulk round', () => {
  const workload = tinyGuest();
  workload.phases = [{ durationSec: null, writes: [], churn: [], trace: null }];
  const { rounds, summary } = simulateRun(workload, null);
  assert.deepEqual(rounds.map((r) => [r.kind, r.normalPages, r.zeroPages, r.dirtyPages, r.bytes]), [
    ['bulk', 8, 8, 0, 32968],
    ['stop-copy', 0, 0, 0, 8],
  ]);
  assert.equal(summary.totalBytes, 32976);
});

test('uniform writes over a large working set follow the geometric closed form', () => {
  // pass preset, sync clear, link = max-bandwidth, scanning free: round k+1 re-sends the
  // distinct pages written while round k was sent: D(k+1) = W(1 − exp(−w·T(k)/W)),
  // T(k) = D(k)·(header + page)/bandwidth.
  const bandwidth = 1e9;
  const workingSetPages = (2 * GiB) / (4 * KiB);
  const writeRate = 100_000;
  const workload = makeWorkload({
    guest: { memoryBytes: 4 * GiB, initial: { usedBytes: 3 * GiB, freeDirtyBytes: 1 * GiB } },
    phases: [{ durationSec: null, writes: [writer({ ratePagesPerSec: writeRate, workingSetBytes: 2 * GiB })], churn: [], trace: null }],
    migration: {
      preset: 'pass',
      maxRounds: 30,
      bandwidthBytesPerSec: bandwidth,
      linkBandwidthBytesPerSec: bandwidth,
      scanRateBytesPerSec: 1e15,
      syncTimeSecPerGiB: 0,
      tracking: { clear: 'sync' },
    },
  });
  const { rounds } = simulateRun(workload, null);
  const iterate = rounds.filter((r) => r.kind !== 'stop-copy');
  assert.ok(iterate.length >= 3, `expected at least 3 rounds, got ${iterate.length}`);
  assert.equal(iterate[0].normalPages, (4 * GiB) / (4 * KiB));
  let expected = iterate[0].normalPages;
  for (let k = 1; k < rounds.length; k++) {
    const previousSec = (expected * NORMAL_PAGE_BYTES) / bandwidth;
    expected = workingSetPages * (1 - Math.exp((-writeRate * previousSec) / workingSetPages));
    const actual = rounds[k].normalPages;
    assert.ok(Math.abs(actual - expected) / expected < 0.02, `round ${k + 1}: ${actual} pages, closed form ${expected.toFixed(0)}`);
    expected = actual;
  }
});

/** 64 MiB guest, 16 MiB used: free memory lies in 11 order-10 blocks and 1 MiB of smaller ones. */
function hintGuest(initOnAlloc: boolean): Workload {
  return makeWorkload({
    guest: { initOnAlloc, initial: { usedBytes: 16 * MiB, freeDirtyBytes: 40 * MiB } },
    hints: [freePageHint()],
  });
}

test('fast hints skip exactly the free pages in blocks of the hint order in round 1', () => {
  const [none, hinted] = simulateWorkload(hintGuest(false));
  // Used run 0–3839 and memmap 16128–16383; free 3840–16127 = 256 + 11×1024 + 512 + 256.
  // The driver takes the 11 order-10 blocks (the min watermark, 256 pages, is left).
  assert.equal(hinted.rounds[0].skippedPages, 11 * 1024);
  assert.equal(hinted.summary.costs.hintCalls, 11);
  assert.equal(hinted.summary.costs.pagesHinted, 11 * 1024);
  assert.equal(hinted.summary.costs.blocksHeldPeak, 11);
  // No writes: every page is sent exactly once or skipped (the bulk stage may end in stop-copy).
  const sent = hinted.rounds.reduce((pages, r) => pages + r.normalPages + r.zeroPages, 0);
  assert.equal(sent + 11 * 1024, 16384);
  assert.equal(none.rounds[0].skippedPages, 0);
  assert.equal(hinted.summary.savedBytes, none.summary.totalBytes - hinted.summary.totalBytes);
  // The hinted blocks span pfns 4096–15359; old data (freeDirty) ends at pfn 14080, so
  // 9984 hinted pages would have gone as normal pages and 1280 as zero pages; the hinted
  // run also needs two fewer iterations (EOS markers).
  assert.equal(hinted.summary.savedBytes, 9984 * NORMAL_PAGE_BYTES + 1280 * 9 + 2 * 8);
  assert.equal(hinted.summary.lostPages, 0);
});

test('with init_on_alloc, hinted blocks come back as zero pages after the next sync', () => {
  const [, hinted] = simulateWorkload(hintGuest(true));
  assert.equal(hinted.rounds[0].skippedPages, 11 * 1024);
  assert.ok(hinted.rounds[0].dirtyPages >= 11 * 1024, `dirty at sync 1: ${hinted.rounds[0].dirtyPages}`);
  assert.ok(hinted.rounds[1].zeroPages >= 11 * 1024, `zero pages in round 2: ${hinted.rounds[1].zeroPages}`);
  assert.ok(hinted.summary.costs.zeroingSec > 0);
  assert.equal(hinted.summary.lostPages, 0);
});

/** 256 MiB guest with writes and mixed-order churn that converges at 128 MiB/s. */
function churnyGuest(
  hintOptions: Parameters<typeof freePageHint>[0],
  churnOrders = [{ order: 0, weight: 0.98 }, { order: 9, weight: 0.02 }],
  churnRate = 1000,
  lifetimeSec = 0.5,
): Workload {
  return makeWorkload({
    guest: { memoryBytes: 256 * MiB, initial: { usedBytes: 96 * MiB, freeDirtyBytes: 64 * MiB } },
    phases: [
      {
        durationSec: null,
        writes: [writer({ ratePagesPerSec: 5000, workingSetBytes: 32 * MiB })],
        churn: [churn({ rateBlocksPerSec: churnRate, orders: churnOrders, lifetimeSec })],
        trace: null,
      },
    ],
    migration: { startSec: 1, maxDurationSec: 60 },
    hints: [freePageHint(hintOptions)],
  });
}

test('no pages are lost by the baseline or by held free-page hints under churn', () => {
  for (const clear of ['lazy', 'sync'] as const) {
    const workload = churnyGuest({});
    workload.migration.tracking.clear = clear;
    workload.migration.tracking.clearChunkBytes = 16 * MiB;
    const [none, hinted] = simulateWorkload(workload);
    assert.equal(none.summary.lostPages, 0, `${clear}/none`);
    assert.equal(hinted.summary.lostPages, 0, `${clear}/free-page-hint`);
    assert.equal(hinted.summary.converged, true);
    assert.ok(hinted.summary.costs.hintCalls > 0);
  }
});

test('in-place hints gathered before logging lose pages the guest reuses', () => {
  // Long-lived order-9 allocations split hinted order-10 blocks while the guest runs
  // unlogged; the late hints then clear their bits. (Blocks freed again before the
  // switchover would not count: their content no longer matters.)
  const workload = churnyGuest({ inPlace: true, timing: 'before-logging', latencySec: 0.5 }, [{ order: 9, weight: 1 }], 10, 100);
  const [none, unsafe] = simulateWorkload(workload);
  assert.equal(none.summary.lostPages, 0);
  assert.ok(unsafe.summary.lostPages > 0, `lost ${unsafe.summary.lostPages}`);
});

test('in-place hints with lazy clear and clearsDirtyLog lose pages reused in flight', () => {
  // A reused page is written while its chunk is still unprotected (snap); the late hint
  // then clears the chunk's log and the page's bit, so its new content is never sent.
  const workload = churnyGuest({ inPlace: true, latencySec: 0.5 }, [{ order: 9, weight: 1 }], 10, 100);
  workload.migration.tracking.clearChunkBytes = 16 * MiB;
  const [none, inPlace] = simulateWorkload(workload);
  assert.equal(none.summary.lostPages, 0);
  assert.ok(inPlace.summary.lostPages > 0, `lost ${inPlace.summary.lostPages}`);
  const safe = churnyGuest({ inPlace: true, latencySec: 0.5 }, [{ order: 9, weight: 1 }], 10, 100);
  safe.migration.tracking.clearChunkBytes = 16 * MiB;
  safe.migration.tracking.clear = 'sync';
  assert.equal(simulateWorkload(safe)[1].summary.lostPages, 0, 'sync clear keeps the write logged');
});

test('two runs of the same workload are identical', () => {
  const workload = churnyGuest({});
  assert.equal(JSON.stringify(simulateWorkload(workload)), JSON.stringify(simulateWorkload(workload)));
});

test('a different seed changes the guest behaviour', () => {
  const a = churnyGuest({});
  const b = churnyGuest({});
  b.seed = 2;
  assert.notEqual(simulateWorkload(a)[0].summary.totalBytes, simulateWorkload(b)[0].summary.totalBytes);
});

test('Linux watermarks: min = 4·√KiB clamped, low = min + max(min/4, memory/1000)', () => {
  // 1 GiB: √1048576 = 1024 → 4096 KiB = 1024 pages; low adds max(256, 262) pages.
  assert.deepEqual(watermarkPages(1 * GiB, 4 * KiB, null), { min: 1024, low: 1024 + 262 });
  // 64 MiB: 4·√65536 = 1024 KiB = 256 pages; low adds max(64, 16).
  assert.deepEqual(watermarkPages(64 * MiB, 4 * KiB, null), { min: 256, low: 320 });
  // 16 MiB: 4·√16384 = 512 KiB = 128 pages; low adds max(32, 4).
  assert.deepEqual(watermarkPages(16 * MiB, 4 * KiB, null), { min: 128, low: 160 });
  // 1 MiB: 4·√1024 = 128 KiB, the floor.
  assert.deepEqual(watermarkPages(1 * MiB, 4 * KiB, null), { min: 32, low: 40 });
  // 1 TiB: 4·√2^30 KiB = 128 MiB, below the 256 MiB ceiling.
  assert.equal(watermarkPages(1024 * GiB, 4 * KiB, null).min, 32768);
  assert.equal(watermarkPages(16384 * GiB, 4 * KiB, null).min, 65536);
});

test('maxRounds forces a non-converged switchover', () => {
  const workload = makeWorkload({
    guest: { memoryBytes: 256 * MiB, initial: { usedBytes: 200 * MiB } },
    phases: [{ durationSec: null, writes: [writer({ ratePagesPerSec: 200_000, workingSetBytes: 128 * MiB })], churn: [], trace: null }],
    migration: { maxRounds: 5 },
  });
  const { summary, rounds } = simulateRun(workload, null);
  assert.equal(summary.rounds, 5);
  assert.equal(summary.converged, false);
  assert.equal(rounds.at(-1)!.kind, 'stop-copy');
  assert.equal(summary.lostPages, 0);
});

test('auto-converge raises the throttle of a guest dirtying faster than it migrates', () => {
  const workload = makeWorkload({
    guest: { memoryBytes: 256 * MiB, initial: { usedBytes: 200 * MiB } },
    phases: [{ durationSec: null, writes: [writer({ ratePagesPerSec: 200_000, workingSetBytes: 128 * MiB })], churn: [], trace: null }],
    migration: { autoConverge: { enabled: true }, maxDurationSec: 120 },
  });
  const { summary } = simulateRun(workload, null);
  assert.ok(summary.throttlePct >= 20, `throttle ${summary.throttlePct}`);
  assert.equal(summary.lostPages, 0);
});

test('the last phase runs until the end of stop-and-copy even when it has a duration', () => {
  const workload = tinyGuest();
  workload.phases[0].durationSec = 0.1;
  // Identical to the 16-page case: the write at 0.5 s still happens.
  const { rounds } = simulateRun(workload, null);
  assert.equal(rounds[0].dirtyPages, 1);
  const twoPhases = tinyGuest();
  twoPhases.phases = [{ ...twoPhases.phases[0], durationSec: 0.1 }, { durationSec: 5, writes: [], churn: [], trace: null }];
  assert.equal(simulateRun(twoPhases, null).rounds[0].dirtyPages, 0, 'the first phase ends at 0.1 s');
});

test('PML and dirty-ring log the same pages as write-protect, with exits instead of faults', () => {
  const base = churnyGuest({});
  base.migration.tracking.clear = 'sync';
  base.guest.vcpus = 2;
  const [wpNone, wpHinted] = simulateWorkload(base);
  const everyEntry = churnyGuest({});
  everyEntry.migration.tracking = { ...base.migration.tracking, mode: 'pml', pmlEntries: 1 };
  everyEntry.guest.vcpus = 2;
  const [pmlNone, pmlHinted] = simulateWorkload(everyEntry);
  // A one-entry buffer exits on every logged write: as many exits as write-protect faults.
  assert.equal(pmlNone.summary.costs.exits, wpNone.summary.costs.faults);
  assert.equal(pmlHinted.summary.costs.exits, wpHinted.summary.costs.faults);
  assert.equal(pmlNone.summary.costs.faults, 0);
  assert.equal(pmlNone.summary.totalBytes, wpNone.summary.totalBytes);
  assert.equal(pmlHinted.summary.totalBytes, wpHinted.summary.totalBytes);
  const ring = churnyGuest({});
  ring.migration.tracking = { ...base.migration.tracking, mode: 'dirty-ring', ringSize: 4096 };
  ring.guest.vcpus = 2;
  const [ringNone] = simulateWorkload(ring);
  assert.equal(ringNone.summary.totalBytes, wpNone.summary.totalBytes);
  // A 4096-entry ring per vCPU, harvested at each sync, exits at most faults / 4096 times.
  assert.ok(ringNone.summary.costs.exits > 0 && ringNone.summary.costs.exits <= wpNone.summary.costs.faults / 4096);
});
