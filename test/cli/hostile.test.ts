/**
 * migsim under hostile conditions (issue 18), end to end through the built CLI: stdout
 * that fails, outputs that are devices or links, special files as inputs. Each case is one
 * line on stderr and a documented exit code, never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
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
