/**
 * `check --metric`: a downtime or total-time regression fails when that column is
 * compared (total_bytes alone let it pass); `--update` refuses `--set`; `--json` gives
 * every metric's verdict as one document.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { migsim } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'migsim-metric-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A baseline of tiny.yaml as it is, then with `none`'s downtime_s made 10% smaller (the run "regressed"). */
function baselines(): { exact: string; fasterDowntime: string } {
  const exact = join(scratch, 'exact.csv');
  const update = migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', exact, '--update', '-q']);
  assert.equal(update.status, 0, update.stderr);
  const lines = readFileSync(exact, 'utf8').trimEnd().split('\n');
  const header = lines[0].split(',');
  const downtime = header.indexOf('downtime_s');
  const none = lines.findIndex((line) => line.split(',')[1] === 'none');
  const cells = lines[none].split(',');
  cells[downtime] = (Number(cells[downtime]) * 0.9).toFixed(6);
  lines[none] = cells.join(',');
  const fasterDowntime = join(scratch, 'faster-downtime.csv');
  writeFileSync(fasterDowntime, `${lines.join('\n')}\n`);
  return { exact, fasterDowntime };
}

describe('check --metric', () => {
  const { exact, fasterDowntime } = baselines();

  it('total_bytes alone passes a downtime regression; --metric downtime_s fails it, naming the column', () => {
    assert.equal(migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', fasterDowntime, '-q']).status, 0);
    const result = migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', fasterDowntime, '--metric', 'total_bytes,downtime_s', '-q', '--no-color']);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, /OK: 2 runs match .*faster-downtime\.csv \(tolerance 0%\)/);
    assert.match(result.stdout, /baseline downtime_s/);
    assert.match(result.stdout, /tiny +none +1 +REGRESSED/);
    assert.match(result.stdout, /FAILED: 1 regressed, 0 missing, of 2 runs against .* \(downtime_s, tolerance 0%; 1 ok, 0 improved\)/);
  });

  it('a metric tolerance of its own lets the same change pass', () => {
    const result = migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', fasterDowntime, '--metric', 'downtime_s:15%', '-q']);
    assert.equal(result.status, 0, result.stdout);
  });

  it('refuses a column that is not a numeric summary column', () => {
    const result = migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', exact, '--metric', 'converged']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^migsim: --metric converged: not a numeric summary column \(one of seed, rounds, total_bytes, total_time_s, downtime_s,/);
  });

  it('--json: one document with every metric', () => {
    const result = migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', fasterDowntime, '--metric', 'total_bytes,downtime_s:5', '--json', '-q']);
    assert.equal(result.status, 1);
    const document = JSON.parse(result.stdout) as { ok: boolean; metrics: { metric: string; tolerancePct: number; ok: boolean; rows: { run: string; status: string; baseline: number; current: number }[] }[] };
    assert.equal(document.ok, false);
    assert.deepEqual(document.metrics.map((metric) => [metric.metric, metric.tolerancePct, metric.ok]), [['total_bytes', 0, true], ['downtime_s', 5, false]]);
    const none = document.metrics[1].rows.find((row) => row.run === 'none')!;
    assert.equal(none.status, 'regressed');
    assert.ok(Math.abs(none.current * 0.9 - none.baseline) < 1e-6, `${none.baseline} vs ${none.current}`);
  });
});

describe('check --update', () => {
  it('refuses --set: overridden results would be recorded under the workload name', () => {
    const file = join(scratch, 'never.csv');
    const result = migsim(['check', 'test/fixtures/tiny.yaml', '--baseline', file, '--update', '--set', 'migration.bandwidth=1Gbit/s']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^migsim: --update with --set migration\.bandwidth=1Gbit\/s: the baseline keys rows by workload, run and seed/);
    assert.throws(() => readFileSync(file), /ENOENT/);
  });
});
