/**
 * No data lost: every output is replaced atomically (old file or new file, never half,
 * no temp file left), a failed write is one line and exit 2 with the old file intact,
 * Ctrl-C during a run exits 130 and leaves earlier files as they were, and CSV text cells
 * that a spreadsheet would run as formulas are written as text.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { formatCell } from '../../src/columns/cells.js';
import { parseBaselineCsv } from '../../src/io/baseline.js';
import { escapeControlChars } from '../../src/report/terminal-text.js';
import { interrupt, migsim, REPO_ROOT } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';
const scratch = mkdtempSync(join(tmpdir(), 'migsim-out-'));
after(() => {
  for (const name of readdirSync(scratch)) chmodSync(join(scratch, name), 0o700);
  rmSync(scratch, { recursive: true, force: true });
});
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const ROOT_SKIP = isRoot ? 'running as root: a read-only directory does not stop root writing' : false;

function freshDir(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  return dir;
}

describe('outputs are replaced atomically', () => {
  for (const flag of ['--csv', '--summary-csv', '--html']) {
    it(`${flag} replaces an existing file whole and leaves no temp file`, () => {
      const dir = freshDir(`atomic${flag}`);
      const file = join(dir, 'out');
      writeFileSync(file, 'old contents that are longer than nothing\n'.repeat(1000));
      const result = migsim(['run', TINY, flag, file, '--json']);
      assert.equal(result.status, 0, result.stderr);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes('old contents'));
      assert.match(text, flag === '--html' ? /<\/html>\n$/ : /^workload,run,seed,/);
      assert.deepEqual(readdirSync(dir), ['out']);
    });
  }

  it('check --update rewrites the baseline whole and leaves no temp file', () => {
    const dir = freshDir('update');
    const baseline = join(dir, 'baseline.csv');
    writeFileSync(baseline, 'workload,run,seed,total_bytes\nother,none,1,5\n');
    const result = migsim(['check', TINY, '--baseline', baseline, '--update']);
    assert.equal(result.status, 0, result.stderr);
    const rows = parseBaselineCsv(readFileSync(baseline, 'utf8'), baseline).map((entry) => `${entry.row.workload}/${entry.row.run}`);
    assert.deepEqual(rows, ['other/none', 'tiny/none', 'tiny/free-page-hint']);
    assert.deepEqual(readdirSync(dir), ['baseline.csv']);
    assert.equal(migsim(['check', TINY, '--baseline', baseline]).status, 0);
  });
});

describe('a failed write is exit 2 and leaves the old file', () => {
  it('a path under a regular file (ENOTDIR), for --csv, --summary-csv and --html', () => {
    const dir = freshDir('notdir');
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'x');
    for (const flag of ['--csv', '--summary-csv', '--html']) {
      const target = join(plain, 'out.csv');
      const result = migsim(['run', TINY, flag, target, '--json']);
      assert.equal(result.status, 2, flag);
      assert.equal(result.stderr, `migsim: ${flag} ${target}: cannot write (ENOTDIR)\n`, flag);
    }
    assert.equal(readFileSync(plain, 'utf8'), 'x');
    assert.deepEqual(readdirSync(dir), ['plain']);
  });

  it('a read-only directory: --csv and check --update fail with EACCES, the old files stay', { skip: ROOT_SKIP }, () => {
    const dir = freshDir('readonly');
    const csv = join(dir, 'rounds.csv');
    const baseline = join(dir, 'baseline.csv');
    writeFileSync(csv, 'old\n');
    writeFileSync(baseline, 'workload,run,seed,total_bytes\ntiny,none,1,5\n');
    chmodSync(dir, 0o555);
    const run = migsim(['run', TINY, '--csv', csv, '--json']);
    assert.equal(run.status, 2);
    assert.equal(run.stderr, `migsim: --csv ${csv}: cannot write (EACCES)\n`);
    const update = migsim(['check', TINY, '--baseline', baseline, '--update']);
    assert.equal(update.status, 2);
    assert.equal(update.stderr, `migsim: --baseline ${baseline}: cannot write (EACCES)\n`);
    assert.equal(readFileSync(csv, 'utf8'), 'old\n');
    assert.equal(readFileSync(baseline, 'utf8'), 'workload,run,seed,total_bytes\ntiny,none,1,5\n');
    assert.deepEqual(readdirSync(dir).sort(), ['baseline.csv', 'rounds.csv']);
  });
});

describe('SIGINT', () => {
  it('interrupting a long run exits 130 promptly, writes nothing and leaves earlier files intact', async () => {
    const dir = freshDir('sigint');
    const csv = join(dir, 'rounds.csv');
    const summary = join(dir, 'summary.csv');
    writeFileSync(csv, 'earlier rounds\n');
    writeFileSync(summary, 'earlier summary\n');
    // tiny's tables print once it is done: slow.yaml is then running in its worker.
    const result = await interrupt(['run', '-q', TINY, 'test/fixtures/slow.yaml', '--csv', csv, '--summary-csv', summary], (out) => out.includes('faults'), 300);
    assert.equal(result.signal, null, 'handled, not killed by the signal');
    assert.equal(result.code, 130);
    assert.ok(result.stopMs < 3000, `stopped ${result.stopMs} ms after SIGINT`);
    // slow.yaml cannot converge, which run says up front (one line) before simulating.
    assert.equal(result.stderr.replace(/^migsim: test\/fixtures\/slow\.yaml: migration: .* will not converge .*\n/, ''), 'migsim: interrupted (SIGINT): no output written by this run\n');
    assert.equal(readFileSync(csv, 'utf8'), 'earlier rounds\n');
    assert.equal(readFileSync(summary, 'utf8'), 'earlier summary\n');
    assert.deepEqual(readdirSync(dir).sort(), ['rounds.csv', 'summary.csv']);
  });

  it('interrupting check --update exits 130 and leaves the baseline as it was', async () => {
    const dir = freshDir('sigint-check');
    const baseline = join(dir, 'baseline.csv');
    const old = 'workload,run,seed,total_bytes\ntiny,none,1,5\n';
    writeFileSync(baseline, old);
    // check prints nothing before it is done: wait long enough for start-up and tiny.
    const result = await interrupt(['check', '-q', TINY, 'test/fixtures/slow.yaml', '--baseline', baseline, '--update'], null, 2500);
    assert.equal(result.signal, null, 'handled, not killed by the signal');
    assert.equal(result.code, 130);
    assert.equal(result.stdout, '');
    assert.equal(readFileSync(baseline, 'utf8'), old);
    assert.deepEqual(readdirSync(dir), ['baseline.csv']);
  });
});

describe('spreadsheet formulas and terminal control characters', () => {
  it('text cells starting with = + - @ get a leading quote; numbers never do', () => {
    assert.equal(formatCell('workload', '=SUM(A1)'), "'=SUM(A1)");
    assert.equal(formatCell('run', '-fph'), "'-fph");
    assert.equal(formatCell('run', '+x'), "'+x");
    assert.equal(formatCell('workload', '@x'), "'@x");
    assert.equal(formatCell('workload', 'web=1'), 'web=1');
    assert.equal(formatCell('saved_bytes', -5), '-5');
    assert.equal(formatCell('saved_bytes', '-5'), '-5', 'a number kept as text (baseline rewrite) stays a number');
    assert.equal(formatCell('workload', "'=x"), "'=x", 'idempotent');
  });

  it('run --summary-csv guards a formula-like workload name and label; check --update round-trips it', () => {
    const result = migsim(['run', 'test/fixtures/formula-name.yaml', '--summary-csv', '-']);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines[1].startsWith(`"'=HYPERLINK(""http://example.invalid"",""x"")",none,`), lines[1]);
    assert.ok(lines[2].includes(",'-fph,"), lines[2]);
    const baseline = join(scratch, 'formula-baseline.csv');
    assert.equal(migsim(['check', 'test/fixtures/formula-name.yaml', '--baseline', baseline, '--update']).status, 0);
    const check = migsim(['check', 'test/fixtures/formula-name.yaml', '--baseline', baseline]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it('run and check print names with escape sequences escaped, in the CSV too (ESC bytes went into --csv unchanged)', () => {
    const fixture = 'test/fixtures/control-name.yaml';
    const run = migsim(['run', fixture]);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f]/.test(run.stdout), 'no control character but newlines on stdout');
    assert.ok(run.stdout.startsWith('evil\\x1b[2J\\x1b]0;pwned\\x07  seed 1:'), run.stdout.slice(0, 80));
    assert.ok(run.stdout.includes('fph\\x1b[31m'));
    const csv = migsim(['run', fixture, '--summary-csv', '-']);
    assert.ok(csv.stdout.includes('evil\\x1b[2J\\x1b]0;pwned\\x07,none,'), csv.stdout.slice(0, 300));
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f]/.test(csv.stdout), 'no control character but newlines in the CSV');
    const baseline = join(scratch, 'control-baseline.csv');
    for (const args of [['--update'], []]) {
      const check = migsim(['check', fixture, '--baseline', baseline, ...args]);
      assert.equal(check.status, 0, check.stderr);
      assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f]/.test(check.stdout), check.stdout);
    }
  });

  it('control characters in names and paths are escaped for the terminal', () => {
    assert.equal(escapeControlChars('a\u001b[2Jb\n\t\u0007\u009b'), 'a\\x1b[2Jb\\n\\t\\x07\\x9b');
    assert.equal(escapeControlChars('plain/path.yaml'), 'plain/path.yaml');
  });
});
