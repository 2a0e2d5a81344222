/**
 * `migsim calibrate` end to end: spawns the built CLI. The real QEMU data lives outside
 * this repository (../shared/calibration); the tests that need it skip when it is absent,
 * as on a clean clone in CI (test/calibrate/ covers the targets from copied numbers).
 * The calibrate SIGINT test needs the data too (calibrate reads it before simulating).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { interrupt, migsim, REPO_ROOT } from './helpers.js';

const DATA_DIR = join(REPO_ROOT, '..', 'shared', 'calibration', 'qemu10-tcg-1gib');
const HAVE_DATA = existsSync(DATA_DIR);

test('a missing calibration directory exits 2 with one line naming it', () => {
  const result = migsim(['calibrate', 'no/such/dir']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr, 'migsim: no/such/dir: cannot read calibration directory (ENOENT)\n');
  assert.equal(result.stdout, '');
});

test('calibrate refuses guests over --max-memory before simulating, exit 2 naming the workload', { skip: HAVE_DATA ? false : 'no ../shared/calibration' }, () => {
  const result = migsim(['calibrate', DATA_DIR, '--max-memory', '1MiB']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^migsim: .*workloads\/qemu\/\w+\.yaml: simulating needs about 2\.6 MiB of memory .* more than the 1 MiB of --max-memory/);
  assert.equal(result.stderr.split('\n').length, 2);
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

test('SIGINT during calibrate exits 130 promptly and leaves an earlier CSV untouched', { skip: HAVE_DATA ? false : 'no ../shared/calibration' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-calibrate-sigint-'));
  try {
    // Both scenarios as slow.yaml (never done within the test) with the free-page-hint run the hints-on data needs.
    const slow = readFileSync(join(REPO_ROOT, 'test/fixtures/slow.yaml'), 'utf8');
    for (const scenario of ['garbage', 'idle']) {
      writeFileSync(join(dir, `${scenario}.yaml`), `${slow.replace(/^name: slow$/m, `name: ${scenario}`)}hints:\n  - free-page-hint\n`);
    }
    const csv = join(dir, 'calibration.csv');
    writeFileSync(csv, 'earlier calibration\n');
    const result = await interrupt(['calibrate', '-q', DATA_DIR, '--workloads', dir, '--csv', csv], null, 2500);
    assert.equal(result.signal, null, 'handled, not killed by the signal');
    assert.equal(result.code, 130);
    assert.ok(result.stopMs < 3000, `stopped ${result.stopMs} ms after SIGINT`);
    assert.equal(result.stderr, 'migsim: interrupted (SIGINT): no output written by this run\n');
    assert.equal(result.stdout, '');
    assert.equal(readFileSync(csv, 'utf8'), 'earlier calibration\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
