/**
 * End-to-end: spawn `node bin/migsim.js` on the fixtures (stdout and stderr are pipes,
 * so never a terminal) and check exit codes, stdout, stderr and written files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { ROUND_COLUMNS, SUMMARY_COLUMNS } from '../../src/core/result-columns.js';
import { ANSI_RE, migsim, REPO_ROOT } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';
const LOSSY = 'test/fixtures/lossy.yaml';
const BAD = 'test/fixtures/bad-memory.yaml';

const scratch = mkdtempSync(join(tmpdir(), 'migsim-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** One line on stderr, `migsim: …`, no stack trace. */
function assertOneErrorLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], pattern);
  assert.ok(!/\n\s+at /.test(stderr), stderr);
}

describe('migsim (usage)', () => {
  it('--version prints the package version and exits 0', () => {
    const result = migsim(['--version']);
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trim(), version);
  });

  it('--help exits 0 and lists the commands and exit codes', () => {
    const result = migsim(['--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /run \[options\] <workload\.\.\.>/);
    assert.match(result.stdout, /check \[options\] <workload\.\.\.>/);
    assert.match(result.stdout, /validate <file\.\.\.>/);
    assert.match(result.stdout, /3 {4}a run lost pages/);
    assert.equal(migsim(['run', '--help']).status, 0);
  });

  it('an unknown option exits 2 with a migsim: message', () => {
    const result = migsim(['run', TINY, '--bogus']);
    assert.equal(result.status, 2);
    assertOneErrorLine(result.stderr, /^migsim: unknown option '--bogus'$/);
    assert.equal(result.stdout, '');
  });

  it('no command, an unknown command or a missing argument exits 2', () => {
    assert.equal(migsim([]).status, 2);
    assert.equal(migsim(['simulate']).status, 2);
    const missing = migsim(['run']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^migsim: missing required argument 'workload'/);
  });

  it('a bad --seed, --tolerance, --hints or --set exits 2 naming the option and the value', () => {
    const seed = migsim(['run', TINY, '--seed', '1.5']);
    assert.equal(seed.status, 2);
    assertOneErrorLine(seed.stderr, /^migsim: option '--seed <n>' argument '1\.5' is invalid\. Expected an integer >= 0\.$/);
    const tolerance = migsim(['check', TINY, '--baseline', 'x.csv', '--tolerance', '-3']);
    assert.equal(tolerance.status, 2);
    assert.match(tolerance.stderr, /--tolerance/);
    assert.equal(migsim(['run', TINY, '--hints', ',']).status, 2);
    const set = migsim(['run', TINY, '--set', 'migration.bandwidth']);
    assert.equal(set.status, 2);
    assertOneErrorLine(set.stderr, /argument 'migration\.bandwidth' is invalid\. Expected key=value/);
  });

  it('check without --baseline exits 2', () => {
    const result = migsim(['check', TINY]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /required option '--baseline <file>' not specified/);
  });
});

describe('migsim validate', () => {
  it('prints ok for each good file and exits 0', () => {
    const result = migsim(['validate', TINY, LOSSY]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `ok  ${TINY}\nok  ${LOSSY}\n`);
    assert.equal(result.stderr, '');
  });

  it('stops at the first bad file with its one-line file: path message, exit 2', () => {
    const result = migsim(['validate', TINY, BAD, LOSSY]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, `ok  ${TINY}\n`);
    assertOneErrorLine(result.stderr, /^migsim: test\/fixtures\/bad-memory\.yaml: guest\.memory .*\(got 64\)$/);
  });

  it('an unreadable file exits 2 with the errno', () => {
    const result = migsim(['validate', 'test/fixtures/no-such-file.yaml']);
    assert.equal(result.status, 2);
    assertOneErrorLine(result.stderr, /^migsim: test\/fixtures\/no-such-file\.yaml: cannot read \(ENOENT\)$/);
  });

  it('--debug and MIGSIM_DEBUG=1 add the stack trace', () => {
    assert.match(migsim(['validate', BAD, '--debug']).stderr, /\n\s+at /);
    assert.match(migsim(['validate', BAD], { MIGSIM_DEBUG: '1' }).stderr, /\n\s+at /);
  });
});

describe('migsim run', () => {
  it('prints the compact tables within 100 columns, no colour and no progress when not on a terminal', () => {
    const result = migsim(['run', TINY]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.ok(!ANSI_RE.test(result.stdout));
    assert.match(result.stdout, /^tiny {2}seed 1:\n {2}64 MiB guest/);
    assert.match(result.stdout, /\| none -+ \| free-page-hint -+\n/);
    assert.match(result.stdout, /\ntotal sent \(MiB\) /);
    assert.match(result.stdout, /\nsaved vs none \(MiB\)/);
    assert.ok(result.stdout.split('\n').every((line) => line.length <= 100));
  });

  it('--wide prints today\'s side-by-side tables; --hints all a row per strategy within 100 columns', () => {
    const wide = migsim(['run', TINY, '--wide']);
    assert.equal(wide.status, 0, wide.stderr);
    assert.match(wide.stdout, /^tiny {2}seed 1: 64 MiB guest/);
    assert.match(wide.stdout, /\ntotal sent \(bytes\)/);
    const all = migsim(['run', TINY, '--hints', 'all']);
    assert.equal(all.status, 0, all.stderr);
    assert.ok(all.stdout.split('\n').every((line) => line.length <= 100), all.stdout);
    assert.match(all.stdout, /\nrun +\| +sent +saved vs none/);
    assert.match(all.stdout, /\npage-reporting +\| /);
    assert.match(all.stdout, /\nguest costs +\| /);
  });

  it('colours only when asked: FORCE_COLOR colours the table, NO_COLOR and --no-color win over it', () => {
    assert.match(migsim(['run', TINY], { FORCE_COLOR: '1' }).stdout, ANSI_RE);
    const noColor = migsim(['run', TINY], { FORCE_COLOR: '1', NO_COLOR: '1' });
    assert.ok(!ANSI_RE.test(noColor.stdout) && !ANSI_RE.test(noColor.stderr));
    const flag = migsim(['run', TINY, '--no-color'], { FORCE_COLOR: '1' });
    assert.ok(!ANSI_RE.test(flag.stdout) && !ANSI_RE.test(flag.stderr));
  });

  it('--json prints one document with the CSV columns as keys and nothing else', () => {
    const result = migsim(['run', TINY, '--json']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    const document = JSON.parse(result.stdout);
    assert.equal(document.schemaVersion, 1);
    assert.equal(document.workloads.length, 1);
    const workload = document.workloads[0];
    assert.equal(workload.name, 'tiny');
    assert.equal(workload.seed, 1);
    assert.deepEqual(
      workload.runs.map((run: { summary: { run: string } }) => run.summary.run),
      ['none', 'free-page-hint'],
    );
    for (const run of workload.runs) {
      assert.deepEqual(Object.keys(run.summary), [...SUMMARY_COLUMNS]);
      assert.ok(run.rounds.length >= 2);
      for (const round of run.rounds) assert.deepEqual(Object.keys(round), [...ROUND_COLUMNS]);
      assert.equal(run.rounds[0].kind, 'bulk');
      assert.equal(run.rounds[run.rounds.length - 1].kind, 'stop-copy');
      assert.ok(Number.isInteger(run.summary.total_bytes));
      assert.equal(run.summary.total_bytes, run.rounds[run.rounds.length - 1].cumulative_bytes);
    }
  });

  it('--hints none runs only the baseline; --seed and --set reach the workload', () => {
    const document = JSON.parse(migsim(['run', TINY, '--json', '--hints', 'none', '--seed', '42', '--set', 'migration.bandwidth=512MiB/s']).stdout);
    const workload = document.workloads[0];
    assert.equal(workload.seed, 42);
    assert.equal(workload.runs.length, 1);
    assert.equal(workload.runs[0].summary.run, 'none');
    assert.equal(workload.runs[0].summary.seed, 42);
    const defaults = JSON.parse(migsim(['run', TINY, '--json', '--hints', 'none', '--seed', '42']).stdout);
    assert.ok(workload.runs[0].summary.total_time_s < defaults.workloads[0].runs[0].summary.total_time_s);
  });

  it('--set takes numbers with an exponent, in rates and durations, as plain numbers', () => {
    const plain = migsim(['run', TINY, '--json', '--hints', 'none']);
    const exponent = migsim(['run', TINY, '--json', '--hints', 'none', '--set', 'phases[0].writes[0].rate=2e3/s', '--set', 'migration.start=1e3ms']);
    assert.equal(exponent.status, 0, exponent.stderr);
    assert.equal(exponent.stdout, plain.stdout);
  });

  it('writes byte-identical CSVs on every run, with the fixed headers', () => {
    const outputs = [0, 1].map((index) => {
      const csv = join(scratch, `rounds-${index}.csv`);
      const summary = join(scratch, `summary-${index}.csv`);
      const result = migsim(['run', TINY, LOSSY, '--csv', csv, '--summary-csv', summary, '--quiet']);
      assert.equal(result.status, 3, result.stderr);
      return { rounds: readFileSync(csv, 'utf8'), summary: readFileSync(summary, 'utf8') };
    });
    assert.equal(outputs[0].rounds, outputs[1].rounds);
    assert.equal(outputs[0].summary, outputs[1].summary);
    const roundLines = outputs[0].rounds.trimEnd().split('\n');
    assert.equal(roundLines[0], ROUND_COLUMNS.join(','));
    // start_s and duration_s with 6 decimals, then an integer per further column of the table.
    const integerColumns = ROUND_COLUMNS.length - 7;
    assert.match(roundLines[1], new RegExp(`^tiny,none,1,1,bulk,\\d+\\.\\d{6},\\d+\\.\\d{6}(,\\d+){${integerColumns}}$`));
    const summaryLines = outputs[0].summary.trimEnd().split('\n');
    assert.equal(summaryLines[0], SUMMARY_COLUMNS.join(','));
    assert.deepEqual(
      summaryLines.slice(1).map((line) => line.split(',').slice(0, 3).join(',')),
      ['tiny,none,1', 'tiny,free-page-hint,1', 'lossy,none,1', 'lossy,fph-unsafe,1'],
    );
    assert.deepEqual(readdirSync(scratch).filter((name) => name.endsWith('.tmp')), []);
  });

  it('--csv - writes the CSV to stdout instead of the tables', () => {
    const result = migsim(['run', TINY, '--csv', '-']);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stdout.startsWith(`${ROUND_COLUMNS.join(',')}\n`));
    assert.equal(migsim(['run', TINY, '--json', '--summary-csv', '-']).status, 2);
  });

  it('lost pages: every output is written, then one stderr line per lossy run, exit 3', () => {
    const summary = join(scratch, 'lossy-summary.csv');
    const result = migsim(['run', LOSSY, '--json', '--summary-csv', summary]);
    assert.equal(result.status, 3);
    assertOneErrorLine(result.stderr, /^migsim: lost pages: lossy\/fph-unsafe lost [1-9]\d* pages \(\d+ zero-content\)$/);
    const document = JSON.parse(result.stdout);
    const runs = document.workloads[0].runs;
    assert.equal(runs[0].summary.lost_pages, 0);
    assert.ok(runs[1].summary.lost_pages > 0);
    assert.match(result.stderr, new RegExp(` lost ${runs[1].summary.lost_pages} pages \\(${runs[1].summary.lost_zero_pages} zero-content\\)`));
    assert.ok(existsSync(summary));
  });

  it('a bad workload exits 2 before anything is simulated or written', () => {
    const csv = join(scratch, 'never.csv');
    const result = migsim(['run', TINY, BAD, '--csv', csv]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assertOneErrorLine(result.stderr, /^migsim: test\/fixtures\/bad-memory\.yaml: guest\.memory /);
    assert.ok(!existsSync(csv));
  });

  it('an unknown --set key or --hints name is a one-line input error, exit 2', () => {
    const set = migsim(['run', TINY, '--set', 'migration.nonsense=1']);
    assert.equal(set.status, 2);
    assert.match(set.stderr, /^migsim: test\/fixtures\/tiny\.yaml: /);
    const hints = migsim(['run', TINY, '--hints', 'no-such-strategy']);
    assert.equal(hints.status, 2);
    assert.match(hints.stderr, /^migsim: .*no-such-strategy/);
  });

  it('two workloads with the same name are refused (names key the results)', () => {
    const result = migsim(['run', TINY, TINY]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /workload name "tiny" is also the name of test\/fixtures\/tiny\.yaml/);
  });

  it('an unwritable output exits 2 naming the option and the file, before simulating (no tables)', () => {
    const target = join(scratch, 'no-such-dir', 'out.csv');
    const result = migsim(['run', TINY, '--csv', target]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assertOneErrorLine(result.stderr, new RegExp(`^migsim: --csv ${escaped(target)}: cannot write \\(no directory ${escaped(join(scratch, 'no-such-dir'))}\\)$`));
  });
});

describe('migsim check', () => {
  const baseline = join(scratch, 'baseline.csv');

  it('a missing baseline without --update exits 2 and says how to create it', () => {
    const result = migsim(['check', TINY, '--baseline', baseline]);
    assert.equal(result.status, 2);
    assertOneErrorLine(result.stderr, /: cannot read baseline \(ENOENT\); create it with --update$/);
  });

  it('--update creates the baseline (sorted, deterministic) and exits 0', () => {
    const result = migsim(['check', TINY, '--baseline', baseline, '--update']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /updated .*baseline\.csv: 2 runs written/);
    const text = readFileSync(baseline, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], SUMMARY_COLUMNS.join(','));
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(',').slice(0, 3).join(',')),
      ['tiny,none,1', 'tiny,free-page-hint,1'],
    );
    assert.equal(migsim(['check', TINY, '--baseline', baseline, '--update']).status, 0);
    assert.equal(readFileSync(baseline, 'utf8'), text);
  });

  it('an unchanged run passes with one OK line', () => {
    const result = migsim(['check', TINY, '--baseline', baseline]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `OK: 2 runs match ${baseline} (tolerance 0%)\n`);
    assert.equal(result.stderr, '');
  });

  it('more bytes than the baseline is a regression (exit 1), unless within --tolerance', () => {
    const original = readFileSync(baseline, 'utf8');
    try {
      // Lower the recorded total of `none` by 1%: the run now looks 1% bigger.
      const lowered = original.replace(/^tiny,none,1,(\d+),(\d+),/m, (_match, rounds: string, bytes: string) => `tiny,none,1,${rounds},${Math.floor(Number(bytes) * 0.99)},`);
      assert.notEqual(lowered, original);
      writeFileSync(baseline, lowered);
      const result = migsim(['check', TINY, '--baseline', baseline]);
      assert.equal(result.status, 1);
      assert.match(result.stdout, /tiny\s+none\s+1\s+REGRESSED/);
      assert.match(result.stdout, /FAILED: 1 regressed, 0 missing, of 2 runs/);
      assert.equal(migsim(['check', TINY, '--baseline', baseline, '--tolerance', '2']).status, 0);
      assert.equal(migsim(['check', TINY, '--baseline', baseline, '--tolerance', '2%']).status, 0);
    } finally {
      writeFileSync(baseline, original);
    }
  });

  it('fewer bytes than the baseline passes and suggests --update', () => {
    const original = readFileSync(baseline, 'utf8');
    try {
      writeFileSync(baseline, original.replace(/^tiny,none,1,(\d+),(\d+),/m, (_m, rounds: string, bytes: string) => `tiny,none,1,${rounds},${Number(bytes) + 4096},`));
      const result = migsim(['check', TINY, '--baseline', baseline]);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /tiny\s+none\s+1\s+improved/);
      assert.match(result.stdout, /OK: 2 runs match .*1 improved, --update records them/);
    } finally {
      writeFileSync(baseline, original);
    }
  });

  it('a run missing from the baseline and a baseline row no longer produced both fail', () => {
    const original = readFileSync(baseline, 'utf8');
    try {
      const lines = original.trimEnd().split('\n');
      const ghost = lines[2].replace('tiny,free-page-hint,1,', 'tiny,ghost,1,');
      writeFileSync(baseline, `${[lines[0], lines[1], ghost].join('\n')}\n`);
      const result = migsim(['check', TINY, '--baseline', baseline]);
      assert.equal(result.status, 1);
      assert.match(result.stdout, /tiny\s+free-page-hint\s+1\s+not in baseline/);
      assert.match(result.stdout, /tiny\s+ghost\s+1\s+no longer produced/);
    } finally {
      writeFileSync(baseline, original);
    }
  });

  it('rows of workloads not given are left alone: noted by check, kept by --update', () => {
    const original = readFileSync(baseline, 'utf8');
    const shared = join(scratch, 'shared-baseline.csv');
    try {
      const other = original
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/^tiny,/, 'zz-other,'));
      writeFileSync(shared, `${original}${other.join('\n')}\n`);
      const result = migsim(['check', TINY, '--baseline', shared]);
      assert.equal(result.status, 0, result.stdout);
      assert.match(result.stdout, /\(2 baseline rows of workloads not given were not checked: zz-other\)/);
      assert.equal(migsim(['check', LOSSY, '--baseline', shared, '--update']).status, 3);
      assert.deepEqual(
        readFileSync(shared, 'utf8')
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((line) => line.split(',').slice(0, 2).join(',')),
        ['lossy,none', 'lossy,fph-unsafe', 'tiny,none', 'tiny,free-page-hint', 'zz-other,none', 'zz-other,free-page-hint'],
      );
    } finally {
      rmSync(shared, { force: true });
    }
  });

  it('a baseline without a needed column exits 2 naming the file and the column', () => {
    const broken = join(scratch, 'broken.csv');
    writeFileSync(broken, 'workload,run,seed,bytes\ntiny,none,1,5\n');
    const result = migsim(['check', TINY, '--baseline', broken]);
    assert.equal(result.status, 2);
    assertOneErrorLine(result.stderr, /^migsim: .*broken\.csv: missing column total_bytes/);
  });
});
