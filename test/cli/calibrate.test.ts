/**
 * `migsim calibrate` end to end: spawns the built CLI. The real QEMU data lives outside
 * this repository (../shared/calibration); the tests that need it skip when it is absent,
 * as on a clean clone in CI (test/calibrate/ covers the targets from copied numbers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { migsim, REPO_ROOT } from './helpers.js';

const DATA_DIR = join(REPO_ROOT, '..', 'shared', 'calibration', 'qemu10-tcg-1gib');
const HAVE_DATA = existsSync(DATA_DIR);

test('a missing calibration directory exits 2 with one line naming it', () => {
  const result = migsim(['calibrate', 'no/such/dir']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr, 'migsim: no/such/dir: cannot read calibration directory (ENOENT)\n');
  assert.equal(result.stdout, '');
});

test('calibrate prints every scenario, hints off and on, and meets its targets', { skip: HAVE_DATA ? false : 'no ../shared/calibration' }, () => {
  const result = migsim(['calibrate', DATA_DIR]);
  assert.equal(result.status, 0, result.stderr);
  for (const title of ['garbage, hints off', 'garbage, hints on', 'idle, hints off', 'idle, hints on']) {
    assert.ok(result.stdout.includes(title), title);
  }
  assert.match(result.stdout, /targets: 14 met, 0 missed/);
  assert.match(result.stdout, /guest\.zeroRate/);
});

test('calibrate --csv writes the same table every time', { skip: HAVE_DATA ? false : 'no ../shared/calibration' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-calibrate-'));
  try {
    const first = join(dir, 'a.csv');
    assert.equal(migsim(['calibrate', DATA_DIR, '--csv', first]).status, 0);
    const stdout = migsim(['calibrate', DATA_DIR, '--csv', '-']);
    assert.equal(stdout.status, 0);
    const text = readFileSync(first, 'utf8');
    assert.equal(stdout.stdout, text);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], 'scenario,hints,run,metric,unit,rep1,rep2,measured_mean,simulated,error,target,status');
    assert.ok(lines.some((line) => line.startsWith('idle,off,none,total_bytes,bytes,110880912,110950671,')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
