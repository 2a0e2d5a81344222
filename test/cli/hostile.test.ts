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
import { gzipSync } from 'node:zlib';

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
    writeFileSync(join(dir, 't.txt'), `${'secret'.repeat(40)}\n`);
    const result = migsim(['validate', join(dir, 'w.yaml')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /line 1: expected "time op pfn order" \(got "(secret){6}s\.\.\."\)\n$/);
  });
});

describe('traces read within bounds', () => {
  const dir = join(scratch, 'traces');
  spawnSync('mkdir', ['-p', dir]);
  const workload = (trace: string): string => {
    const file = join(dir, `${trace}.yaml`);
    writeFileSync(file, `guest:\n  memory: 64MiB\n  initial: {used: 8MiB}\nphases:\n  - trace: ${trace}\nmigration: {start: 0.5s}\n`);
    return file;
  };

  it('a gzip bomb of NUL bytes is refused at the first NUL (was silently an empty trace, 6 GB RSS)', () => {
    writeFileSync(join(dir, 'zeros.gz'), gzipSync(Buffer.alloc(64 * 2 ** 20)));
    const result = migsim(['validate', workload('zeros.gz')]);
    assert.match(result.stderr, /phases\[0\]\.trace .*zeros\.gz: line 1: a NUL byte \(offset 0\): not a text trace\n$/);
    assert.equal(result.status, 2);
  });

  it('a gzip that inflates beyond the text budget is refused while inflating (a 10 MB gzip of 2.2 GB killed Node)', () => {
    // 400 MiB of rows compresses to well under 1 MiB; --max-memory 256MiB leaves 64 MiB of text.
    const row = Buffer.from('0 write 0 0\n');
    writeFileSync(join(dir, 'bomb.gz'), gzipSync(Buffer.alloc(400 * 2 ** 20, row)));
    const file = workload('bomb.gz');
    const result = migsim(['run', file, '-q', '--max-memory', '256MiB']);
    assert.equal(result.stderr, `migsim: ${file}: phases[0].trace ${dir}/bomb.gz: cannot read (inflates to more than 64 MiB, the limit for a trace's text)\n`);
    assert.equal(result.status, 2);
  });

  it('rows beyond the memory limit are refused while reading (30 M rows under --max-memory 256MiB used 2.7 GB)', () => {
    // 64 MiB of text is 5.6 M rows of 12 bytes; 256 MiB / 4 / 14 B allows 4.8 M.
    const rows = Buffer.alloc(60 * 2 ** 20, Buffer.from('0 write 0 0\n'));
    writeFileSync(join(dir, 'many.gz'), gzipSync(rows));
    const file = workload('many.gz');
    const result = migsim(['run', file, '-q', '--max-memory', '256MiB']);
    assert.equal(result.stderr, `migsim: ${file}: phases[0].trace ${dir}/many.gz: line 4793491: more than 4793490 rows (the limit for this trace; raise --max-memory)\n`);
    assert.equal(result.status, 2);
  });

  it('a line over 256 characters is refused by number', () => {
    writeFileSync(join(dir, 'long.txt'), `0 write 0 0\n${'0'.repeat(300)} write 0 0\n`);
    const result = migsim(['validate', workload('long.txt')]);
    assert.match(result.stderr, /long\.txt: line 2: longer than 256 characters \(got 310\)\n$/);
    assert.equal(result.status, 2);
  });

  it('a trace that is a FIFO or a device is refused, not read', () => {
    symlinkSync('/dev/zero', join(dir, 'dev.trace'));
    assert.match(migsim(['validate', workload('dev.trace')]).stderr, /dev\.trace is outside the workload's directory/);
    const result = migsim(['validate', workload('dev.trace'), '--allow-outside-paths']);
    assert.match(result.stderr, /dev\.trace: cannot read \(a character device, not a regular file\)\n$/);
    assert.equal(result.status, 2);
  });
});

describe('trace budget from a large memory limit', () => {
  it('a memory limit of 64 TiB still reads a gzip trace (the text limit stays within a Buffer: was ERR_OUT_OF_RANGE)', () => {
    const result = migsim(['validate', 'workloads/tsc-build-trace.yaml']);
    assert.equal(result.status, 0, result.stderr);
    const big = migsim(['run', 'workloads/tsc-build-trace.yaml', '-q', '--hints', 'none', '--max-memory', '64TiB', '--summary-csv', join(scratch, 'tsc.csv')]);
    assert.equal(big.stderr, '');
    assert.equal(big.status, 0);
  });
});

describe('files a workload names stay inside its directory', () => {
  const dir = join(scratch, 'contained');
  spawnSync('mkdir', ['-p', join(dir, 'sub')]);
  const workload = (trace: string): string => {
    const file = join(dir, 'sub', 'w.yaml');
    writeFileSync(file, `guest:\n  memory: 16MiB\n  initial: {used: 4MiB}\nphases:\n  - trace: ${trace}\n`);
    return file;
  };

  it('an absolute path elsewhere (/etc/passwd) is refused without quoting it (its first 60 characters were printed)', () => {
    const file = workload('/etc/passwd');
    const result = migsim(['validate', file]);
    assert.equal(result.stderr, `migsim: ${file}: phases[0].trace /etc/passwd is outside the workload's directory (${dir}/sub): pass --allow-outside-paths to read it\n`);
    assert.equal(result.status, 2);
    const allowed = migsim(['validate', file, '--allow-outside-paths']);
    assert.match(allowed.stderr, /\/etc\/passwd: line 1: expected "time op pfn order" \(got "[^"]{0,40}"\)\n$/);
  });

  it('../ out of the directory, and a link inside that points out, are refused; a file inside is read', () => {
    writeFileSync(join(dir, 'up.trace'), '0 write 0 0\n');
    assert.match(migsim(['validate', workload('../up.trace')]).stderr, /phases\[0\]\.trace .*\.\.\/up\.trace is outside the workload's directory/);
    symlinkSync('../up.trace', join(dir, 'sub', 'link.trace'));
    assert.match(migsim(['validate', workload('link.trace')]).stderr, /link\.trace is outside the workload's directory/);
    writeFileSync(join(dir, 'sub', 'in.trace'), '0 write 0 0\n');
    assert.equal(migsim(['validate', workload('in.trace')]).status, 0);
    assert.equal(migsim(['validate', workload('../up.trace'), '--allow-outside-paths']).status, 0);
  });
});

describe('plot inputs and outputs', () => {
  it('a summary CSV with total_bytes abc or downtime_s -1e308 is refused as check refuses it (plot drew both)', () => {
    const good = join(scratch, 'plot-good.csv');
    assert.equal(migsim(['run', TINY, '-q', '--summary-csv', good]).status, 0);
    const lines = readFileSync(good, 'utf8').split('\n');
    const header = lines[0].split(',');
    const cells = lines[1].split(',');
    for (const [column, value, problem] of [
      ['total_bytes', 'abc', 'a non-negative integer'],
      ['downtime_s', '-1e308', 'a number of seconds >= 0'],
    ]) {
      const bad = join(scratch, `plot-${column}.csv`);
      const changed = [...cells];
      changed[header.indexOf(column)] = value;
      writeFileSync(bad, [lines[0], changed.join(','), ...lines.slice(2)].join('\n'));
      const result = migsim(['plot', bad, '-o', join(scratch, 'plots-bad')]);
      assert.equal(result.stderr, `migsim: ${bad}:2: ${column} must be ${problem} (got "${value}")\n`);
      assert.equal(result.status, 2);
    }
  });

  it('plot -o where mkdir fails with ENOENT (/proc) ends with that error (Node\'s recursive mkdir never returned)', { skip: existsSync('/proc/self') ? false : 'no /proc' }, () => {
    const result = spawnSync(process.execPath, ['bin/migsim.js', 'plot', TINY, '-q', '-o', '/proc/migsim-no/such'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.signal, null, 'did not hang');
    assert.match(result.stderr, /^migsim: (--out-dir )?\/proc\/migsim-no\/such: cannot (create directory|write) \((ENOENT|EACCES|EROFS)[^)]*\)\n$/);
    assert.equal(result.status, 2);
  });
});
