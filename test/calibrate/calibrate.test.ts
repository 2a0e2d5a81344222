/**
 * Keeps migsim's reproduction of real QEMU 10 migrations from regressing: the workloads
 * in workloads/qemu/ are simulated and compared with the measured numbers, copied into
 * test/fixtures/calibration/ (CI runs on a clean clone, without ../shared). The targets
 * are those of `migsim calibrate` (src/calibrate/compare.ts): hints off within 2% on
 * bytes and pages, 5% on time, same iterations; hints on within 10% of the repetitions'
 * mean on bytes and on the zero pages re-sent in iteration 2; auto-converge: the first
 * throttled iteration within 1, total bytes within 15% (read from validation/qemu10-tcg-features).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { compareRun, iterationsAgree, type RunComparison } from '../../src/calibrate/compare.js';
import { newlyDirtiedPages, simulatedMetrics, type RunMetrics } from '../../src/calibrate/metrics.js';
import { simulateWorkload } from '../../src/core/simulation.js';
import { readWorkload } from '../../src/io/read-workload.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface FixtureRun {
  scenario: string;
  hints: boolean;
  rep: number;
  metrics: RunMetrics;
}

const fixture = JSON.parse(readFileSync(`${REPO_ROOT}test/fixtures/calibration/qemu10-tcg-1gib.json`, 'utf8')) as { runs: FixtureRun[] };

function comparisonsFor(scenario: string): RunComparison[] {
  const workload = readWorkload(`${REPO_ROOT}workloads/qemu/${scenario}.yaml`);
  const [none, hinted] = simulateWorkload(workload);
  return [false, true].map((hints) => {
    const reps = fixture.runs.filter((run) => run.scenario === scenario && run.hints === hints);
    const result = hints ? hinted : none;
    return compareRun(scenario, hints, result.summary.run, reps.map((run) => ({ name: `rep${run.rep}`, metrics: run.metrics })), simulatedMetrics(result));
  });
}

function missed(comparison: RunComparison): string[] {
  return comparison.rows
    .filter((row) => row.status === 'missed')
    .map((row) => `${comparison.scenario}/hints ${comparison.hints ? 'on' : 'off'} ${row.key}: measured mean ${row.measuredMean}, simulated ${row.simulated}, error ${row.error}`);
}

for (const scenario of ['idle', 'garbage']) {
  test(`${scenario}: hints off reproduces QEMU within 2% on bytes and pages, 5% on time, same iterations`, () => {
    const [off] = comparisonsFor(scenario);
    const targeted = off.rows.filter((row) => row.target !== null).map((row) => row.key);
    assert.deepEqual(targeted, ['total_bytes', 'normal_pages', 'zero_pages', 'iterations', 'total_time_s']);
    assert.deepEqual(missed(off), []);
  });

  test(`${scenario}: hints on stays within 10% of the repetitions' mean on bytes and iteration-2 zero pages`, () => {
    const [, on] = comparisonsFor(scenario);
    assert.deepEqual(
      on.rows.filter((row) => row.target !== null).map((row) => row.key),
      ['total_bytes', 'iteration_2_zero_pages'],
    );
    assert.deepEqual(missed(on), []);
  });
}

test('QEMU trace dirty counts accumulate over a 1 s period: each sync gets its own share', () => {
  // garbage_hints-on_rep1: the period does not end at 1.002123 s (not > 1 s after the
  // setup sync at 0.002251 s), so 216321 at the next sync means 60 new pages; it ends there.
  const rep1 = [
    { startSec: 0.0017, endSec: 0.002251, dirtyPagesPeriod: 0 },
    { startSec: 1.0019, endSec: 1.002123, dirtyPagesPeriod: 216261 },
    { startSec: 1.1012, endSec: 1.101681, dirtyPagesPeriod: 216321 },
    { startSec: 1.1021, endSec: 1.1022, dirtyPagesPeriod: 0 },
  ];
  assert.deepEqual(newlyDirtiedPages(rep1), [0, 216261, 60, 0]);
  // garbage_hints-on_rep2: the period ends at the sync 1.06 s, so 7786 is all new.
  const rep2 = [
    { startSec: 0.0016, endSec: 0.0023, dirtyPagesPeriod: 0 },
    { startSec: 1.0586, endSec: 1.06, dirtyPagesPeriod: 201386 },
    { startSec: 1.2199, endSec: 1.2223, dirtyPagesPeriod: 7786 },
    { startSec: 1.2254, endSec: 1.232, dirtyPagesPeriod: 8340 },
    { startSec: 1.2323, endSec: 1.2325, dirtyPagesPeriod: 8342 },
  ];
  assert.deepEqual(newlyDirtiedPages(rep2), [0, 201386, 7786, 554, 2]);
});

test('iteration counts agree when they differ only by a phantom iteration of the longer side', () => {
  const metrics = (iterations: number, phantomIterations: number): RunMetrics => ({
    iterations: Array.from({ length: iterations }, () => ({ bytes: 0, normalPages: 0, zeroPages: 0 })),
    stopCopy: { bytes: 0, normalPages: 0, zeroPages: 0 },
    phantomIterations,
    totalBytes: 0,
    normalPages: 0,
    zeroPages: 0,
    totalTimeSec: 0,
    downtimeSec: 0,
    dirtiedPages: [],
    transport: 'single',
    xbzrle: null,
    firstThrottleIteration: null,
    postcopy: null,
  });
  assert.equal(iterationsAgree(metrics(1, 0), metrics(1, 0)), true);
  assert.equal(iterationsAgree(metrics(2, 1), metrics(1, 0)), true);
  assert.equal(iterationsAgree(metrics(1, 0), metrics(2, 1)), true);
  assert.equal(iterationsAgree(metrics(2, 0), metrics(1, 0)), false);
  assert.equal(iterationsAgree(metrics(1, 1), metrics(2, 0)), false);
});

test('auto-converge against the real runs: first throttled iteration 4 (hints off) and 3 (on), totals within 15%', async () => {
  const { mkdtempSync, symlinkSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readCalibrationDir } = await import('../../src/io/read-calibration.js');
  const { measuredMetrics } = await import('../../src/calibrate/metrics.js');
  // Only the two auto-converge runs (the folder's other runs are large and not needed here).
  const dir = mkdtempSync(join(tmpdir(), 'migsim-autoconv-'));
  try {
    for (const hints of ['off', 'on']) {
      const name = `autoconv_dirty256at192_hints-${hints}_rep1`;
      symlinkSync(`${REPO_ROOT}validation/qemu10-tcg-features/${name}`, join(dir, name));
    }
    const runs = readCalibrationDir(dir);
    const measured = runs.map((run) => measuredMetrics(run));
    assert.deepEqual(measured.map((m) => m.firstThrottleIteration), [4, 3]);
    assert.deepEqual(measured.map((m) => m.totalBytes), [6794858775, 6114145769]);
    const results = simulateWorkload(readWorkload(`${REPO_ROOT}workloads/qemu/autoconv_dirty256at192.yaml`));
    const comparisons = runs.map((run, index) =>
      compareRun(run.scenario, run.hints, run.hints ? 'free-page-hint' : 'none', [{ name: 'rep1', metrics: measured[index] }],
        simulatedMetrics(results.find((r) => r.summary.run === (run.hints ? 'free-page-hint' : 'none'))!), 'auto-converge'),
    );
    for (const comparison of comparisons) {
      const row = (key: string) => comparison.rows.find((candidate) => candidate.key === key)!;
      assert.equal(row('first_throttle_iteration').status, 'met', `${comparison.run}: first throttled iteration`);
      assert.equal(row('first_throttle_iteration').error, 0);
      assert.equal(row('total_bytes').status, 'met', `${comparison.run}: total bytes ${row('total_bytes').error}%`);
      assert.ok(Math.abs(row('total_bytes').error!) < 12.5);
      // Iterations and time are printed, not targets (the real 99% stage is a matter of chance).
      assert.equal(row('iterations').target, null);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('auto-converge targets: the first throttled iteration within 1 of every repetition, total bytes within 15%', () => {
  const metrics = (firstThrottleIteration: number | null, totalBytes: number): RunMetrics => ({
    iterations: [],
    stopCopy: { bytes: 0, normalPages: 0, zeroPages: 0 },
    phantomIterations: 0,
    totalBytes,
    normalPages: 0,
    zeroPages: 0,
    totalTimeSec: 1,
    downtimeSec: 0,
    dirtiedPages: [],
    transport: 'single',
    xbzrle: null,
    firstThrottleIteration,
    postcopy: null,
  });
  const status = (simFirst: number | null, simBytes: number, reps: [number | null, number][]) => {
    const rows = compareRun('s', false, 'none', reps.map(([first, bytes], i) => ({ name: `rep${i + 1}`, metrics: metrics(first, bytes) })), metrics(simFirst, simBytes), 'auto-converge').rows;
    return ['first_throttle_iteration', 'total_bytes'].map((key) => rows.find((row) => row.key === key)!.status);
  };
  assert.deepEqual(status(5, 115, [[4, 100]]), ['met', 'met']);
  assert.deepEqual(status(6, 116, [[4, 100]]), ['missed', 'missed']);
  // Every repetition: 5 is within 1 of 4 and of 6, 6 is not within 1 of 4.
  assert.deepEqual(status(5, 100, [[4, 90], [6, 110]]), ['met', 'met']);
  assert.deepEqual(status(6, 100, [[4, 90], [6, 110]]), ['missed', 'met']);
  // A throttle that never rose on one side misses.
  assert.deepEqual(status(null, 100, [[4, 100]]), ['missed', 'met']);
  assert.deepEqual(status(4, 100, [[null, 100]]), ['missed', 'met']);
});
