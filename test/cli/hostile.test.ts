/**
 * migsim under hostile conditions (issue 18), end to end through the built CLI: stdout
 * that fails, outputs that are devices or links, special files as inputs. Each case is one
 * line on stderr and a documented exit code, never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { migsim, REPO_ROOT } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';
const scratch = mkdtempSync(join(tmpdir(), 'migsim-hostile-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs migsim with stdout on /dev/full (every write fails with ENOSPC). */
function toDevFull(args: readonly string[]): { status: number | null; stderr: string } {
  const fd = openSync('/dev/full', 'w');
  try {
    const result = spawnSync(process.execPath, ['bin/migsim.js', ...args], { cwd: REPO_ROOT, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, stderr: result.stderr };
  } finally {
    closeSync(fd);
  }
}

describe('stdout that cannot be written', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, () => {
  const shard = join(scratch, 'shard.csv');
  const cases: [string, string[]][] = [
    ['validate', ['validate', TINY]],
    ['run (tables)', ['run', TINY, '-q']],
    ['run --json', ['run', TINY, '-q', '--json']],
    ['run --csv -', ['run', TINY, '-q', '--csv', '-']],
    ['merge --csv -', ['merge', shard, '--csv', '-']],
  ];
  for (const [name, args] of cases) {
    it(`${name} > /dev/full: one line, exit 2 (was a stack trace and exit 1, the code of a regression)`, () => {
      if (name.startsWith('merge')) assert.equal(migsim(['sweep', TINY, '--vary', 'seed=1,2', '--shard', '1/1', '--csv', shard, '-q']).status, 0);
      const result = toDevFull(args);
      assert.equal(result.stderr, 'migsim: cannot write to stdout (ENOSPC)\n');
      assert.equal(result.status, 2);
    });
  }

  it('a reader that goes away (EPIPE) is not an error', () => {
    const result = spawnSync('sh', ['-c', `node bin/migsim.js run ${TINY} -q --csv - | head -c 1 >/dev/null`], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
  });
});

describe('special files and oversized files as inputs', () => {
  const fifo = join(scratch, 'w.fifo');
  spawnSync('mkfifo', [fifo]);
  const zeroCsv = join(scratch, 'zero.csv');
  symlinkSync('/dev/zero', zeroCsv);
  const cases: [string, string[], string][] = [
    ['a FIFO as a workload blocked even validate', ['validate', fifo], `migsim: ${fifo}: cannot read (a FIFO, not a regular file)`],
    ['/dev/zero as a baseline died with std::bad_alloc', ['check', TINY, '--baseline', '/dev/zero', '-q'], 'migsim: /dev/zero: cannot read baseline (a character device, not a regular file)'],
    ['/dev/zero as a merge input', ['merge', '/dev/zero'], 'migsim: /dev/zero: cannot read (a character device, not a regular file)'],
    ['/dev/zero as buddyinfo', ['buddyinfo', '/dev/zero', '--memory', '1GiB', '--out', join(scratch, 'b.txt')], 'migsim: /dev/zero: cannot read buddyinfo (a character device, not a regular file)'],
    ['a link to /dev/zero as a plot input', ['plot', zeroCsv, '-o', join(scratch, 'plots')], `migsim: ${zeroCsv}: cannot read (a character device, not a regular file)`],
  ];
  for (const [name, args, line] of cases) {
    it(`${name}: refused, exit 2`, { skip: existsSync(fifo) ? false : 'no mkfifo' }, () => {
      const result = migsim(args);
      assert.equal(result.stderr, `${line}\n`);
      assert.equal(result.status, 2);
    });
  }

  it('a workload over 4 MiB is refused before it is parsed', () => {
    const big = join(scratch, 'big.yaml');
    writeFileSync(big, `${readFileSync(TINY, 'utf8')}${'#'.repeat(5 * 2 ** 20)}\n`);
    const result = migsim(['validate', big]);
    assert.equal(result.stderr, `migsim: ${big}: cannot read (5.0 MiB, over the limit of 4 MiB)\n`);
    assert.equal(result.status, 2);
  });

  it('a UTF-16 workload says so (was a message full of \\x00); a UTF-8 BOM is dropped', () => {
    const text = readFileSync(TINY, 'utf8');
    const utf16 = join(scratch, 'utf16.yaml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const refused = migsim(['validate', utf16]);
    assert.equal(refused.stderr, `migsim: ${utf16}: cannot read (UTF-16 text is not supported: save it as UTF-8)\n`);
    assert.equal(refused.status, 2);
    const noBom = join(scratch, 'utf16-no-bom.yaml');
    writeFileSync(noBom, Buffer.from(text, 'utf16le'));
    assert.equal(migsim(['validate', noBom]).stderr, `migsim: ${noBom}: cannot read (UTF-16 text is not supported: save it as UTF-8)\n`);
    const bom = join(scratch, 'bom.yaml');
    writeFileSync(bom, `\ufeff${text}`);
    assert.equal(migsim(['validate', bom]).status, 0);
  });

  it('a CSV saved with a UTF-8 BOM and CRLF line ends (Excel) plots and merges (was "missing column workload")', () => {
    const summary = join(scratch, 'excel.csv');
    const made = migsim(['run', TINY, '-q', '--seed', '3', '--summary-csv', join(scratch, 'plain.csv')]);
    assert.equal(made.status, 0, made.stderr);
    const more = migsim(['run', TINY, '-q', '--seed', '4', '--summary-csv', join(scratch, 'plain4.csv')]);
    assert.equal(more.status, 0, more.stderr);
    const rows = [readFileSync(join(scratch, 'plain.csv'), 'utf8'), readFileSync(join(scratch, 'plain4.csv'), 'utf8').split('\n').slice(1).join('\n')].join('');
    writeFileSync(summary, `\ufeff${rows.replace(/\n/g, '\r\n')}`);
    const plotted = migsim(['plot', summary, '-o', join(scratch, 'excel-plots')]);
    assert.equal(plotted.stderr, '');
    assert.equal(plotted.status, 0);
    const shard = join(scratch, 'excel-shard.csv');
    assert.equal(migsim(['sweep', TINY, '--vary', 'seed=1,2', '--csv', join(scratch, 'plain-shard.csv'), '-q']).status, 0);
    writeFileSync(shard, `\ufeff${readFileSync(join(scratch, 'plain-shard.csv'), 'utf8').replace(/\n/g, '\r\n')}`);
    const merged = migsim(['merge', shard]);
    assert.equal(merged.stderr, '');
    assert.equal(merged.stdout, readFileSync(join(scratch, 'plain-shard.csv'), 'utf8'));
  });
});

describe('error lines stay short', () => {
  it('a 1 MB value is quoted at most 200 characters (one error line was 1 MB)', () => {
    const file = join(scratch, 'long-value.yaml');
    writeFileSync(file, readFileSync(TINY, 'utf8').replace('start: 1s', `start: ${'0'.repeat(1_000_000)}x`));
    const refused = migsim(['validate', file]);
    assert.equal(refused.status, 2);
    assert.equal(refused.stderr, `migsim: ${file}: migration.start is too long for a value (1000001 characters, at most 100) (got ${'0'.repeat(197)}...)\n`);
  });

  it('a CSV header of 100000 columns is quoted at most 200 characters', () => {
    const csv = join(scratch, 'wide.csv');
    writeFileSync(csv, `${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\n`);
    const result = migsim(['check', TINY, '--baseline', csv, '-q']);
    assert.equal(result.status, 2);
    assert.ok(result.stderr.length < 400, `${result.stderr.length} characters`);
    assert.match(result.stderr, /^migsim: .*wide\.csv: missing column .* \(header: c0,c1,c2,.*\.\.\.\)\n$/);
  });

  it('a trace line is quoted at most 40 characters', () => {
    const dir = join(scratch, 'trace-echo');
    spawnSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'w.yaml'), 'guest:\n  memory: 16MiB\n  initial: {used: 4MiB}\nphases:\n  - trace: t.txt\n');
    writeFileSync(join(dir, 't.txt'), `${'secret'.repeat(1000)}\n`);
    const result = migsim(['validate', join(dir, 'w.yaml')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /line 1: expected "time op pfn order" \(got "(secret){6}s\.\.\."\)\n$/);
  });
});
