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
