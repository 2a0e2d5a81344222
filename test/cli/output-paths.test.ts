/**
 * Output paths are checked before anything is simulated: a bad --csv fails at once with
 * exit 2 and one line naming the option, instead of after the whole run (with the tables
 * already printed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { checkOutputDir, checkOutputPaths } from '../../src/io/output-paths.js';

import { migsim } from './helpers.js';

describe('outputs are checked before simulating', () => {
  const cases: [string, string[], RegExp][] = [
    ['run --csv into a missing directory', ['run', 'workloads/default.yaml', '--csv', '/nonexistent/dir/x.csv'], /^migsim: --csv \/nonexistent\/dir\/x\.csv: cannot write \(no directory \/nonexistent\/dir\)\n$/],
    ['run --summary-csv onto a directory', ['run', 'workloads/default.yaml', '--summary-csv', 'test'], /^migsim: --summary-csv test: cannot write \(EISDIR\)\n$/],
    ['run --html into a missing directory', ['run', 'workloads/default.yaml', '--html', 'no/such/dir/r.html'], /^migsim: --html no\/such\/dir\/r\.html: cannot write \(no directory no\/such\/dir\)\n$/],
    ['sweep --csv', ['sweep', 'test/fixtures/tiny.yaml', '--vary', 'seed=1,2', '--csv', '/nonexistent/x.csv'], /^migsim: --csv \/nonexistent\/x\.csv: cannot write/],
    ['check --update --baseline', ['check', 'test/fixtures/tiny.yaml', '--baseline', '/nonexistent/b.csv', '--update'], /^migsim: --baseline \/nonexistent\/b\.csv: cannot write/],
    ['calibrate --csv', ['calibrate', '--csv', '/nonexistent/c.csv'], /^migsim: --csv \/nonexistent\/c\.csv: cannot write/],
    // access(W_OK) says yes to root on /proc, where creating a file then fails (ENOENT): only a create proves the directory.
    ['run --csv into /proc', ['run', 'workloads/default.yaml', '--csv', '/proc/x.csv'], /^migsim: --csv \/proc\/x\.csv: cannot write \((ENOENT|EACCES)\)\n$/],
    ['run --summary-csv into /proc', ['run', 'workloads/default.yaml', '--summary-csv', '/proc/x.csv'], /^migsim: --summary-csv \/proc\/x\.csv: cannot write \((ENOENT|EACCES)\)\n$/],
    ['run --html into /proc', ['run', 'workloads/default.yaml', '--html', '/proc/x.html'], /^migsim: --html \/proc\/x\.html: cannot write \((ENOENT|EACCES)\)\n$/],
    ['sweep --csv into /proc', ['sweep', 'test/fixtures/tiny.yaml', '--vary', 'seed=1,2', '--csv', '/proc/x.csv'], /^migsim: --csv \/proc\/x\.csv: cannot write \((ENOENT|EACCES)\)\n$/],
    ['plot --out-dir under /proc', ['plot', 'test/fixtures/tiny.yaml', '--out-dir', '/proc/plots'], /^migsim: --out-dir \/proc\/plots: cannot write \((ENOENT|EACCES) on \/proc\)\n$/],
    ['workload from-dirty-rate --out into /proc', ['workload', 'from-dirty-rate', 'test/fixtures/qemu/query-dirty-rate-dirty-bitmap.json', '--memory', '16GiB', '--out', '/proc/x.yaml'], /^migsim: --out \/proc\/x\.yaml: cannot write \((ENOENT|EACCES)\)\n$/],
    // A missing shard: the output is checked before any input is read.
    ['merge --csv into /proc', ['merge', '/nonexistent/shard.csv', '--csv', '/proc/x.csv'], /^migsim: --csv \/proc\/x\.csv: cannot write \((ENOENT|EACCES)\)\n$/],
    ['buddyinfo --out into /proc', ['buddyinfo', 'test/fixtures/buddyinfo/tcg-garbage.buddyinfo', '--memory', '1GiB', '--out', '/proc/x.txt'], /^migsim: --out \/proc\/x\.txt: cannot write \((ENOENT|EACCES)\)\n$/],
    ['plot --out-dir under a file', ['plot', 'test/fixtures/tiny.yaml', '--out-dir', 'package.json/plots'], /^migsim: --out-dir package\.json\/plots: cannot write/],
  ];
  for (const [title, args, message] of cases) {
    it(title, () => {
      const started = Date.now();
      const result = migsim(args);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '', 'nothing simulated, no table printed');
      // default.yaml simulates for over a second; a refusal before simulating takes a fraction.
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    });
  }
});

describe('the pre-run check creates and removes its probe', () => {
  it('leaves a writable directory as it found it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migsim-probe-'));
    try {
      checkOutputPaths([{ option: '--csv', path: join(dir, 'x.csv') }]);
      checkOutputDir('--out-dir', join(dir, 'plots', 'deeper'));
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
