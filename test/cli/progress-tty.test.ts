/**
 * Progress goes to stderr whenever stderr is a terminal, whatever stdout is: `migsim run
 * x.yaml > out.txt` in a terminal showed no progress (the bar also required stdout to be one).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { progressAllowed } from '../../src/report/progress.js';

test('progress needs stderr to be a terminal, not stdout; --quiet turns it off', () => {
  const saved = { out: process.stdout.isTTY, err: process.stderr.isTTY };
  try {
    process.stdout.isTTY = false;
    process.stderr.isTTY = true;
    assert.equal(progressAllowed({ json: false, quiet: false }), true, 'stdout redirected to a file');
    assert.equal(progressAllowed({ json: true, quiet: false }), true, '--json on stdout');
    assert.equal(progressAllowed({ json: false, quiet: true }), false, '--quiet');
    process.stderr.isTTY = false;
    assert.equal(progressAllowed({ json: false, quiet: false }), false, 'stderr not a terminal');
  } finally {
    process.stdout.isTTY = saved.out;
    process.stderr.isTTY = saved.err;
  }
});
