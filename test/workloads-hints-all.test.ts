/**
 * Every bundled workload under every hint strategy (`--hints all`) loses no pages. The
 * `none` run is the golden test's (workloads.test.ts: hints do not change it), so only the
 * strategies' runs are simulated here. A file of its own so that the test runner can run
 * it beside the golden test on the other core.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simulateRun } from '../src/core/simulation.js';
import { readWorkload } from '../src/io/read-workload.js';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const SLOW = new Set(['guest-1tib.yaml']);

for (const file of readdirSync(join(root, 'workloads')).filter((f) => f.endsWith('.yaml') && !SLOW.has(f)).sort()) {
  test(`workloads/${file} loses no pages under every strategy (--hints all)`, () => {
    const workload = readWorkload(join(root, 'workloads', file), { hints: ['all'] });
    assert.ok(workload.hints.length >= 5, 'every strategy runs');
    for (const hint of workload.hints) {
      const { summary } = simulateRun(workload, hint);
      assert.equal(summary.lostPages, 0, `${summary.workload}/${summary.run} lost pages`);
    }
  });
}
