/**
 * `migsim sweep` and `migsim merge` end to end on the tiny fixture: the CSV is the same for
 * any --jobs, and shards merged give the whole sweep's bytes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { SUMMARY_COLUMNS } from '../../src/core/result-columns.js';
import { parseCsv } from '../../src/io/csv.js';
import { migsim } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'migsim-sweep-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const GRID = ['sweep', 'test/fixtures/tiny.yaml', '--set', 'migration.linkBandwidth=100Gbit/s', '--vary', 'migration.bandwidth=1Gbit/s..100Gbit/s:3', '--vary', 'hints=none,free-page-hint', '--vary', 'seed=1..2:2'];

function sweep(name: string, extra: string[]): string {
  const file = join(scratch, name);
  const result = migsim([...GRID, ...extra, '--csv', file]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return readFileSync(file, 'utf8');
}

describe('migsim sweep', () => {
  it('writes one row per (point, run), swept columns first, in point order', () => {
    const text = sweep('whole.csv', ['--jobs', '1']);
    const records = parseCsv(text, 'whole.csv');
    assert.deepEqual(records[0].fields, ['migration.bandwidth', 'vary.seed', ...SUMMARY_COLUMNS, 'point', 'grid_points']);
    assert.equal(records.length - 1, 6 * 2);
    const points = records.slice(1).map((r) => Number(r.fields[r.fields.length - 2]));
    assert.deepEqual(points, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    assert.deepEqual(records.slice(1, 3).map((r) => r.fields[3]), ['none', 'free-page-hint']);
    assert.equal(records[3].fields[0], '1Gbit/s');
    assert.equal(records[3].fields[1], '2');
    assert.equal(records[3].fields[4], '2'); // the seed column follows the axis
  });

  it('is byte-identical for --jobs 1 and --jobs 2', () => {
    assert.equal(sweep('jobs2.csv', ['--jobs', '2']), sweep('jobs1.csv', ['--jobs', '1']));
  });

  it('shards merged give the whole sweep, in any order of files', () => {
    const whole = sweep('whole2.csv', ['--jobs', '2']);
    const shards = [1, 2, 3, 4].map((i) => {
      sweep(`shard${i}.csv`, ['--shard', `${i}/4`, '--jobs', '1']);
      return join(scratch, `shard${i}.csv`);
    });
    const out = join(scratch, 'merged.csv');
    const result = migsim(['merge', shards[2], shards[0], shards[3], shards[1], '--csv', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(out, 'utf8'), whole);
  });

  it('merge refuses a missing shard and a duplicated one', () => {
    sweep('a.csv', ['--shard', '1/2', '--jobs', '1']);
    const missing = migsim(['merge', join(scratch, 'a.csv'), '--csv', join(scratch, 'x.csv')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing 3 of 6 points/);
    const twice = migsim(['merge', join(scratch, 'a.csv'), join(scratch, 'a.csv'), '--csv', '-']);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /point 0 run none is also in/);
  });

  it('a bad point value exits 2 naming the point', () => {
    const result = migsim(['sweep', 'test/fixtures/tiny.yaml', '--vary', 'migration.bandwidth=1Gbit/s,-1Gbit/s', '--csv', join(scratch, 'bad.csv')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /migration\.bandwidth must be > 0 .*sweep point 1/);
    // The value came from --vary, not from a --set the user never wrote.
    assert.match(result.stderr, /\(from --vary migration\.bandwidth\)/);
    assert.doesNotMatch(result.stderr, /--set/);
  });
});
