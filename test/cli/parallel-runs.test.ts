/**
 * `migsim run` simulates a workload's runs (`none` and each hint run) in parallel worker
 * threads: the output must be byte for byte what one worker running them in turn gives,
 * savedBytes included, and --jobs must be a positive integer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { REPO_ROOT } from './helpers.js';

const migsim = join(REPO_ROOT, 'bin', 'migsim.js');
const workload = join(REPO_ROOT, 'workloads', 'qemu', 'idle.yaml');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [migsim, 'run', workload, '--hints', 'all', '-q', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('hint runs in parallel workers give the output of one worker running them in turn', () => {
  const sequential = run('--jobs', '1', '--json');
  const parallel = run('--jobs', '3', '--json');
  assert.equal(sequential.status, 0, sequential.stderr);
  assert.equal(parallel.status, 0, parallel.stderr);
  const runs = (JSON.parse(sequential.stdout) as { workloads: { runs: { summary: { run: string; saved_bytes: number } }[] }[] }).workloads[0].runs;
  // Several hint runs, so three workers really overlap, and savedBytes is filled against none.
  assert.ok(runs.length >= 4, `expected at least 4 runs, got ${runs.length}`);
  assert.equal(runs[0].summary.saved_bytes, 0);
  assert.ok(runs.some((r) => r.summary.saved_bytes !== 0));
  assert.equal(parallel.stdout, sequential.stdout);
  // The tables too (the default output).
  assert.equal(run('--jobs', '2').stdout, run('--jobs', '1').stdout);
});

test('--jobs must be a positive integer', () => {
  const bad = run('--jobs', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--jobs must be an integer >= 1 \(got 0\)/);
});
