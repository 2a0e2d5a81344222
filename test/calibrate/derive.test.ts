/**
 * The parameter derivation of `migsim calibrate` on synthetic runs shaped like the QEMU 10
 * calibration's (guest numbers from its idle and garbage guests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { deriveParameters, type DerivedValue } from '../../src/calibrate/derive.js';
import type { MeasuredRun, MeasuredSample, MeasuredSync } from '../../src/calibrate/types.js';

const PAGE = 4096;
const SHAPE = { memoryBytes: 2 ** 30, pageSizeBytes: PAGE, maxOrder: 10, pageblockOrder: 9 };
const RAM_TOTAL_BYTES = 1074274304; // pc.ram plus 130 pages of ROM
const IDLE_BUDDYINFO = [
  { zone: 'DMA', counts: [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 3] },
  { zone: 'DMA32', counts: [2, 1, 2, 0, 2, 0, 2, 0, 2, 3, 228] },
];

function run(overrides: Partial<MeasuredRun> & Pick<MeasuredRun, 'scenario' | 'hints'>): MeasuredRun {
  return {
    name: `${overrides.scenario}_hints-${overrides.hints ? 'on' : 'off'}_rep1`,
    rep: 1,
    iterations: [],
    samples: [],
    syncs: [],
    guest: { memTotalKiB: 996628, memFreeKiB: 958000, memAvailableKiB: 891152, sReclaimableKiB: 9032, freePages: 239500, buddyinfo: IDLE_BUDDYINFO, fillBytes: 0 },
    totalTimeSec: 0.8,
    downtimeSec: 0.004,
    transferredBytes: 110880912,
    precopyBytes: 108127850,
    multifdBytes: 0,
    downtimeBytes: 2627976,
    xbzrle: null,
    postcopyBytes: 0,
    postcopyRequests: 0,
    blocktimeSec: null,
    normalPages: 26470,
    zeroPages: 235863,
    dirtySyncCount: 3,
    ramTotalBytes: RAM_TOTAL_BYTES,
    pageSizeBytes: PAGE,
    maxBandwidthBytesPerSec: 128 * 2 ** 20,
    downtimeLimitSec: 0.1,
    ...overrides,
  };
}

function value(values: DerivedValue[], scenario: string | null, path: string): number {
  const found = values.find((v) => v.scenario === scenario && v.path === path);
  assert.ok(found, `${scenario}/${path}`);
  return found.value;
}

function sync(startSec: number, endSec: number, dirtyPagesPeriod: number): MeasuredSync {
  return { startSec, endSec, dirtyPagesPeriod };
}

/** The sender sends until 20 ms, then idles while hints land at 2.68 GB/s (13.4 MB per 5 ms poll). */
function hintSamples(): MeasuredSample[] {
  const samples: MeasuredSample[] = [];
  let remaining = RAM_TOTAL_BYTES - 4000 * PAGE;
  for (let k = 0; k <= 10; k++) {
    const sending = k <= 4;
    const normal = sending ? 1000 * k : 4000;
    if (sending) remaining = RAM_TOTAL_BYTES - normal * PAGE;
    else remaining -= 2.68e9 * 0.005;
    samples.push({ timeSec: 0.005 * k, transferredBytes: normal * 4104, remainingBytes: remaining, normalPages: normal, zeroPages: 0, dirtySyncCount: 1, throttlePct: 0 });
  }
  return samples;
}

test('guest numbers come from nr_free_pages, buddyinfo, THP min_free_kbytes and the hints-off normal pages', () => {
  const idleOff = run({ scenario: 'idle', hints: false, syncs: [sync(0.0017, 0.0023, 0), sync(0.802, 0.8021, 59)] });
  const garbageOff = run({
    scenario: 'garbage',
    hints: false,
    guest: { ...idleOff.guest, freePages: 229071, fillBytes: 700 * 2 ** 20 },
    transferredBytes: 827204205,
    precopyBytes: 825099435,
    downtimeBytes: 1979184,
  });
  const values = deriveParameters([garbageOff, idleOff], SHAPE);
  // used = 262144 - 239500; non-zero = 26470 normal - (26470 + 235863 - 262274 = 59 sent twice).
  assert.equal(value(values, 'idle', 'guest.initial.used'), 22644 * PAGE);
  assert.equal(value(values, 'idle', 'guest.initial.freeDirty'), (26411 - 22644) * PAGE);
  // 2956 free pages lie in blocks below order 10: DMA 32+64+128+512, DMA32 2+2+8+32+128+512+1536.
  assert.equal(value(values, 'idle', 'guest.initial.fragmentation'), 2956 / 239500);
  // 2 zones x (2 + 3 x 3) pageblocks x 512 pages = 11264 pages = 44 MiB.
  assert.equal(value(values, 'idle', 'guest.minFree'), 11264 * PAGE);
  // The fill reuses idle's old data first: old data = idle's used + 700 MiB - garbage's used.
  assert.equal(value(values, 'garbage', 'guest.initial.freeDirty'), (22644 + 179200 - (262144 - 229071)) * PAGE);
  // transferred - precopy - downtime bytes: (125086 + 125586) / 2.
  assert.equal(value(values, null, 'migration.wire.deviceState'), 125336);
});

test('deviceState leaves out the pages a postcopy run sent after the switch (postcopy-bytes)', () => {
  // A postcopy run: 58.6 MiB went after the switch, counted in transferred; what is left
  // after RAM's four counters is the device state, as in a pre-copy run.
  const postcopyBytes = 61_473_024;
  const switched = run({ scenario: 'postcopy', hints: false, transferredBytes: 110880912 + postcopyBytes, postcopyBytes });
  const values = deriveParameters([switched], SHAPE);
  assert.equal(value(values, null, 'migration.wire.deviceState'), 110880912 - 108127850 - 2627976);
});

test('zeroRate is the fall of unsent bytes while the sender idles; firstTouchRate follows from the pages dirtied', () => {
  const idleOff = run({ scenario: 'idle', hints: false, syncs: [sync(0.0017, 0.0023, 0), sync(0.802, 0.8021, 59)] });
  const idleOn = run({ scenario: 'idle', hints: true, syncs: [sync(0.0017, 0.0042, 0), sync(0.7153, 0.7156, 43272)] });
  const garbageOn = run({
    scenario: 'garbage',
    hints: true,
    guest: { ...idleOff.guest, freePages: 229071, fillBytes: 700 * 2 ** 20 },
    samples: hintSamples(),
  });
  const values = deriveParameters([garbageOn, idleOff, idleOn], SHAPE);
  // Polls from 30 ms on: the first idle poll (25 ms) holds the hints queued while sending.
  assert.ok(Math.abs(value(values, null, 'guest.zeroRate') - 2.68e9) < 1, `${value(values, null, 'guest.zeroRate')}`);
  // 43272 dirtied - 59 x 0.7111/0.7998 background - 3767 x (1 - 2956/239500) old-data
  // pages at 2.68 GB/s; the other 39499 pages in the 705 ms left: 0.229 GB/s.
  const firstTouch = value(values, null, 'guest.firstTouchRate');
  assert.ok(Math.abs(firstTouch - 0.2295e9) / 0.2295e9 < 0.005, `${firstTouch}`);
});
