/**
 * `run --json` carries what was simulated, not only the results: the workload file and
 * its resolved parameters (memory, bandwidth, preset, strategies, after --set).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { migsim } from './helpers.js';

test('run --json carries the workload file and its resolved parameters', () => {
  const result = migsim(['run', 'test/fixtures/tiny.yaml', '--json', '-q', '--set', 'migration.bandwidth=unlimited']);
  assert.equal(result.status, 0, result.stderr);
  const [workload] = JSON.parse(result.stdout).workloads;
  assert.equal(workload.file, 'test/fixtures/tiny.yaml');
  assert.equal(workload.parameters.guest.memoryBytes, 64 * 2 ** 20);
  assert.equal(workload.parameters.migration.preset, 'qemu');
  assert.equal(workload.parameters.migration.bandwidthBytesPerSec, 10e9 / 8, 'unlimited is the link after clamping');
  assert.deepEqual(workload.parameters.hints.map((hint: { label: string; strategies: string[] }) => [hint.label, hint.strategies]), [['free-page-hint', ['free-page-hint']]]);
  assert.equal(workload.parameters.seed, workload.seed);
});

test('sweep --json: every point with its axis values and each run\'s summary, the same numbers as the CSV', () => {
  const args = ['sweep', 'test/fixtures/tiny.yaml', '--vary', 'seed=1,2', '--vary', 'migration.bandwidth=1Gbit/s,10Gbit/s', '-q'];
  const json = migsim([...args, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const csv = migsim(args);
  assert.equal(csv.status, 0, csv.stderr);
  const document = JSON.parse(json.stdout);
  assert.equal(document.file, 'test/fixtures/tiny.yaml');
  assert.deepEqual(document.axes, ['seed', 'migration.bandwidth']);
  assert.equal(document.gridPoints, 4);
  assert.deepEqual(
    document.points.map((point: { point: number; values: Record<string, string> }) => [point.point, point.values.seed, point.values['migration.bandwidth']]),
    [[0, '1', '1Gbit/s'], [1, '1', '10Gbit/s'], [2, '2', '1Gbit/s'], [3, '2', '10Gbit/s']],
  );
  const lines = csv.stdout.trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((line) => line.split(','));
  const runs = document.points.flatMap((point: { runs: Record<string, unknown>[] }) => point.runs);
  assert.equal(runs.length, rows.length);
  runs.forEach((run: Record<string, unknown>, r: number) => {
    for (const column of ['run', 'total_bytes', 'downtime_s', 'converged', 'hint_calls']) {
      const cell = rows[r][header.indexOf(column)];
      assert.equal(typeof run[column] === 'number' ? Number(cell) : String(cell), run[column] === true || run[column] === false ? String(run[column]) : run[column], column);
    }
    assert.equal(typeof run.total_bytes, 'number');
    assert.equal(typeof run.converged, 'boolean');
  });
});

test('calibrate --json: every comparison and derived value; exit 0 when the targets are met', () => {
  const result = migsim(['calibrate', 'validation/qemu10-tcg-1gib', '--json', '-q']);
  assert.equal(result.status, 0, result.stderr);
  const document = JSON.parse(result.stdout);
  assert.equal(document.ok, true);
  assert.deepEqual(
    document.comparisons.map((comparison: { scenario: string; hints: boolean }) => `${comparison.scenario}/${comparison.hints ? 'on' : 'off'}`).sort(),
    ['garbage/off', 'garbage/on', 'idle/off', 'idle/on'],
  );
  const garbageOff = document.comparisons.find((comparison: { scenario: string; hints: boolean }) => comparison.scenario === 'garbage' && !comparison.hints);
  const total = garbageOff.rows.find((row: { key: string }) => row.key === 'total_bytes');
  // The two real repetitions' totals, as validation/qemu10-tcg-1gib's iterations.csv sum them.
  assert.deepEqual(total.measured, [827204205, 827191929]);
  assert.equal(total.status, 'met');
  assert.ok(Math.abs(total.error) < 2);
  assert.ok(document.derived.length > 0);
  assert.equal(migsim(['calibrate', 'validation/qemu10-tcg-1gib', '--json', '--csv', '-', '-q']).status, 2);
});
