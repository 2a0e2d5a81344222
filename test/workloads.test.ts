/**
 * The bundled workloads against the committed baseline (a golden test): every run loses
 * no pages and sends exactly the bytes results/baseline.csv holds. The 1 TiB guest is left
 * to `npm run check` (about a minute). Every strategy on every workload: workloads-hints-all.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simulateWorkload } from '../src/core/simulation.js';
import { readWorkload } from '../src/io/read-workload.js';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const SLOW = new Set(['guest-1tib.yaml']);

function baselineBytes(): Map<string, number> {
  const [header, ...lines] = readFileSync(join(root, 'results', 'baseline.csv'), 'utf8').trim().split('\n');
  const columns = header.split(',');
  const at = (name: string) => columns.indexOf(name);
  const bytes = new Map<string, number>();
  for (const line of lines) {
    const cells = line.split(',');
    bytes.set(`${cells[at('workload')]}/${cells[at('run')]}/${cells[at('seed')]}`, Number(cells[at('total_bytes')]));
  }
  return bytes;
}

const expected = baselineBytes();
for (const dir of ['workloads', 'workloads/debates', 'workloads/qemu']) {
  for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml') && !SLOW.has(f)).sort()) {
    test(`${dir}/${file} loses no pages and matches the committed baseline`, () => {
      const workload = readWorkload(join(root, dir, file));
      for (const { summary } of simulateWorkload(workload)) {
        const key = `${summary.workload}/${summary.run}/${summary.seed}`;
        assert.equal(summary.lostPages, 0, `${key} lost pages`);
        assert.equal(summary.totalBytes, expected.get(key), `${key} total_bytes`);
      }
    });
  }
}
