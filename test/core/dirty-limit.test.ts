/**
 * dirty-limit's per-vCPU sleep (src/core/endings/dirty-limit.ts, after QEMU's
 * system/dirtylimit.c), worked by hand on a 16 MiB dirty ring (4096 entries of 4 KiB).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { DirtyLimitThrottle } from '../../src/core/endings/dirty-limit.js';

const MiB = 2 ** 20;

function throttle(quotaMBps: number, naturalMBps: number[], ringPages = 4096, periodSec = 1): DirtyLimitThrottle {
  return new DirtyLimitThrottle(quotaMBps * MiB, periodSec, ringPages, 4096, Float64Array.from(naturalMBps, (rate) => rate * MiB));
}

/** Each period's (time, sleep µs, measured MB/s after it) until a period changes nothing. */
function ramp(limit: DirtyLimitThrottle, vcpu = 0): [number, number, number][] {
  const steps: [number, number, number][] = [];
  for (let k = 0; k < 50; k++) {
    const atSec = limit.nextSec;
    if (!limit.tick()) break;
    steps.push([atSec, limit.throttleUsPerFull[vcpu], limit.currentMBps(vcpu)]);
  }
  return steps;
}

test('quota 128 MB/s on a vCPU dirtying 192: three steps of ring_full_time / 10, one per period, stopping within 25 MB/s', () => {
  const limit = throttle(128, [192]);
  limit.start(10);
  assert.equal(limit.nextSec, 11);
  // ring_full_time = 16 MiB × 10^6 / 192 = 83333 µs; the gap (64, then 46, 32 MB/s) is
  // under 50% of the current rate, so each period adds 8333 µs; the rate is
  // 192 × 83333.3 / (83333.3 + sleep): 174.5, 160.0, 147.7 MB/s. 147 is within 25 of 128: done.
  assert.deepEqual(ramp(limit), [
    [11, 8333, 174],
    [12, 16666, 160],
    [13, 24999, 147],
  ]);
  assert.equal(limit.adjustments, 3);
  assert.ok(Math.abs(limit.scale(0) - 83333.333 / (83333.333 + 24999)) < 1e-6);
});

test("QEMU's default quota 1 MB/s: one linear step (99% of the gap) at the first period's end", () => {
  const limit = throttle(1, [192]);
  limit.start(0);
  // sleep_pct = 191 × 100 / 192 = 99; throttle_us = 83333 × 99 / 1 = 8249967, which is
  // also the cap ring_full_time × 99. 16 MiB per 8.33 s: 1.92 MB/s, 1 in whole MB/s.
  assert.deepEqual(ramp(limit), [[1, 8249967, 1]]);
});

test('a linear step when the gap is over half the rate, and a sleep given back when the rate falls below the quota', () => {
  const limit = throttle(64, [192]);
  limit.start(0);
  // gap 128 of 192: 66% > 50% → sleep_pct 66, throttle_us = 83333 × 66 / 34 = 161764.
  // 192 × 83333.3 / (83333.3 + 161764) = 65.28: within 25 of 64.
  assert.deepEqual(ramp(limit), [[1, 161764, 65]]);
  // Above the quota by less than the tolerance: nothing; a vCPU that stops dirtying: no sleep.
  const idle = throttle(64, [0]);
  idle.start(0);
  assert.equal(idle.tick(), false);
  assert.equal(idle.scale(0), 1);
});

test('each vCPU is adjusted on its own; a vCPU under the quota is left alone', () => {
  const limit = throttle(128, [192, 100]);
  limit.start(0);
  limit.tick();
  assert.deepEqual(Array.from(limit.throttleUsPerFull), [8333, 0]);
  assert.equal(limit.scale(1), 1);
});

test('a ring under 1 MiB has a ring_full_time of 0 in whole MiB: QEMU never sleeps (faithful)', () => {
  const limit = throttle(1, [192], 128);
  limit.start(0);
  assert.equal(limit.tick(), false);
  assert.equal(limit.scale(0), 1);
});

test('a step of ring_full_time / 10 can overshoot the 25 MB/s tolerance both ways: the sleep then alternates every period, as QEMU would', () => {
  // quota 657, 820 unthrottled, a 4 MiB ring: ring_full_time = 4 × 10^6 / 820 = 4878 µs,
  // a step is 487 µs. 820 × 4878 / (4878 + 974) = 683.5 (26 over), with one more step
  // 631.0 (26 under): the sleep goes 974, 1461, 974, … forever.
  const limit = throttle(657, [820], 1024);
  limit.start(0);
  const steps = ramp(limit).slice(0, 6);
  assert.deepEqual(steps.map(([, sleep, rate]) => [sleep, rate]), [
    [487, 745],
    [974, 683],
    [1461, 631],
    [974, 683],
    [1461, 631],
    [974, 683],
  ]);
});

test('property: the sleep stays within [0, 99 × ring_full_time] and the rate never rises above the unthrottled one', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }), fc.constantFrom(1024, 4096, 65536), (quota, natural, ring) => {
      const limit = throttle(quota, [natural], ring);
      limit.start(0);
      const ringFullUs = Math.floor((Math.floor((ring * 4096) / MiB) * 1e6) / natural);
      for (let k = 0; k < 30; k++) {
        limit.tick();
        const sleep = limit.throttleUsPerFull[0];
        assert.ok(sleep >= 0 && sleep <= ringFullUs * 99, `sleep ${sleep}`);
        assert.ok(limit.currentMBps(0) <= natural);
      }
    }),
    { numRuns: 200 },
  );
});

test('the per-round dirty_limit_throttle_us column shows the ramp on the comparison guest (quota 96 MB/s from 192)', async () => {
  const { readWorkload } = await import('../../src/io/read-workload.js');
  const { simulateRun } = await import('../../src/core/simulation.js');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const base = readWorkload(`${root}workloads/comparisons/dirtylimit-bandwidth.yaml`);
  const workload = { ...base, migration: { ...base.migration, dirtyLimit: { vcpuDirtyLimitBytesPerSec: 96 * MiB, periodSec: 1 } } };
  const result = simulateRun(workload, null);
  const sleeps = result.rounds.slice(0, 8).map((round) => round.dirtyLimitThrottleUs);
  // Triggered at the sync ending round 3 (10.0 s); each period adds 8333 µs (a gap under
  // 50% of the rate) until within 25 MB/s: 192 → 174 → 160 → 147 → 137 → 128 → 120 MB/s; rounds
  // last about 1.9 s, so a round sees two steps.
  assert.deepEqual(sleeps, [0, 0, 0, 8333, 24999, 41665, 49998, 49998]);
  assert.equal(result.summary.ending, 'converged');
});
