/**
 * `migsim sweep` under the memory limit and Ctrl-C, as `run` is: a point too large alone,
 * or the --jobs largest points together, refuse the sweep with exit 2 before any worker
 * starts; SIGINT terminates the workers and exits 130 with no CSV written.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { checkSweepMemory } from '../../src/cli/memory-limit.js';
import { interrupt, migsim } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';
const scratch = mkdtempSync(join(tmpdir(), 'migsim-sweep-limits-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function freshDir(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  return dir;
}

describe('sweep memory limit', () => {
  it('a point whose guest alone is over the limit exits 2 naming it, and writes nothing', () => {
    const dir = freshDir('huge');
    const csv = join(dir, 'sweep.csv');
    const result = migsim(['sweep', TINY, '--vary', 'guest.memory=64MiB,1TiB', '--jobs', '1', '--csv', csv], { MIGSIM_MAX_MEMORY: '1GiB' });
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      `migsim: ${TINY}: simulating needs about 2.6 GiB of memory (268435456 pages x 10.5 B), more than the 1 GiB of MIGSIM_MAX_MEMORY; raise it with --max-memory or MIGSIM_MAX_MEMORY (sweep point 1 (guest.memory=1TiB))\n`,
    );
    assert.equal(result.stdout, '');
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a guest the allocator cannot index exits 2 naming the point', () => {
    const result = migsim(['sweep', TINY, '--vary', 'guest.memory=64MiB,16TiB', '--csv', join(scratch, 'unused.csv')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^migsim: test\/fixtures\/tiny\.yaml: guest\.memory 16 TiB is 4294967296 pages of 4 KiB, more than the allocator supports .*\(sweep point 1 \(guest\.memory=16TiB\)\)\n$/);
  });

  it('a sweep that fits one point at a time but not two refuses --jobs 2, suggesting --jobs 1, and runs with it', () => {
    const dir = freshDir('jobs');
    const csv = join(dir, 'sweep.csv');
    // 64 MiB and 128 MiB guests: 16384 and 32768 pages x 10.5 B = 168 KiB and 336 KiB, + 12 B of per-vCPU counters.
    const grid = ['sweep', TINY, '--vary', 'guest.memory=64MiB,128MiB', '--max-memory', '400KiB', '--csv', csv];
    const refused = migsim([...grid, '--jobs', '2']);
    assert.equal(refused.status, 2);
    assert.equal(
      refused.stderr,
      `migsim: ${TINY}: running 2 sweep points at once (--jobs 2) needs about 504.0 KiB of memory (the 2 largest points, up to 336.0 KiB each), more than the 400 KiB of --max-memory; run 1 at a time with --jobs 1, or raise the limit with --max-memory or MIGSIM_MAX_MEMORY\n`,
    );
    assert.deepEqual(readdirSync(dir), []);

    const fits = migsim([...grid, '--jobs', '1']);
    assert.equal(fits.status, 0, fits.stderr);
    assert.equal(readFileSync(csv, 'utf8').trimEnd().split('\n').length, 1 + 2 * 2);
  });

  it('counts the --jobs largest points, whatever their order in the grid', () => {
    const limit = { bytes: 100, source: '--max-memory' };
    checkSweepMemory('w.yaml', [10, 60, 30, 40], 2, '--jobs 2', limit);
    assert.throws(
      () => checkSweepMemory('w.yaml', [10, 60, 30, 40], 3, '--jobs 3', limit),
      (error: Error) => /running 3 sweep points at once \(--jobs 3\) needs about 130 B .*up to 60 B each.*; run 2 at a time with --jobs 2,/.test(error.message),
    );
    checkSweepMemory('w.yaml', [], 4, '--jobs 4', limit);
  });

  it('sweep --help lists --max-memory', () => {
    assert.match(migsim(['sweep', '--help']).stdout, /--max-memory <size> +refuse sweeps whose --jobs largest points/);
  });
});

describe('sweep SIGINT', () => {
  it('exits 130 promptly, terminates the workers and leaves an earlier CSV untouched', async () => {
    const dir = freshDir('sigint');
    const csv = join(dir, 'sweep.csv');
    writeFileSync(csv, 'earlier sweep\n');
    // sweep prints nothing before it is done: wait for start-up and the workers to begin slow.yaml.
    const result = await interrupt(['sweep', '-q', 'test/fixtures/slow.yaml', '--vary', 'seed=1..4:4', '--jobs', '2', '--csv', csv], null, 2500);
    assert.equal(result.signal, null, 'handled, not killed by the signal');
    assert.equal(result.code, 130);
    assert.ok(result.stopMs < 3000, `stopped ${result.stopMs} ms after SIGINT`);
    assert.equal(result.stderr, 'migsim: interrupted (SIGINT): no output written by this run\n');
    assert.equal(readFileSync(csv, 'utf8'), 'earlier sweep\n');
    assert.deepEqual(readdirSync(dir), ['sweep.csv']);
  });

  it('writes nothing to stdout with --csv -', async () => {
    const result = await interrupt(['sweep', '-q', 'test/fixtures/slow.yaml', '--vary', 'seed=1..2:2', '--csv', '-'], null, 2500);
    assert.equal(result.signal, null, 'handled, not killed by the signal');
    assert.equal(result.code, 130);
    assert.equal(result.stdout, '');
  });
});
