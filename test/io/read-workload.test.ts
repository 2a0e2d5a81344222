/**
 * One load path: io/read-workload.ts is how every command turns a file into a complete,
 * frozen Workload (buddyinfo and traces read), and the commands that used to parse files
 * themselves (sweep, its workers) now get the same workload as run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { WorkloadError } from '../../src/core/errors.js';
import { simulateWorkload } from '../../src/core/index.js';
import { parseCsv } from '../../src/io/csv.js';
import { readWorkload, WorkloadFileCache } from '../../src/io/read-workload.js';
import { completeWorkload } from '../../src/workload/complete-workload.js';
import { parseWorkload } from '../../src/workload/parse-workload.js';
import { REPO_ROOT, migsim } from '../cli/helpers.js';

const BUDDYINFO_WORKLOAD = join(REPO_ROOT, 'test/fixtures/buddyinfo/tcg-garbage.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'migsim-load-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('readWorkload', () => {
  it('returns a frozen workload: nothing downstream can change it', () => {
    const workload = readWorkload(BUDDYINFO_WORKLOAD);
    assert.ok(Object.isFrozen(workload) && Object.isFrozen(workload.guest.initial) && Object.isFrozen(workload.phases[0].writes));
    assert.throws(() => {
      (workload.guest.initial as { usedBytes: number }).usedBytes = 0;
    }, TypeError);
    assert.throws(() => {
      (workload.guest.initial.buddyinfoFreeBlocks as number[]).push(1);
    }, TypeError);
  });

  it('reads a trace once per cache, and the rows are shared by the workloads of one sweep', () => {
    const trace = join(scratch, 'w.trace');
    writeFileSync(trace, '0.001 alloc 100 0\n0.002 write 100 0\n0.003 free 100 0\n');
    const file = join(scratch, 'w.yaml');
    writeFileSync(file, 'guest: {memory: 64MiB, initial: {used: 16MiB}}\nphases: [{trace: w.trace}]\nmigration: {bandwidth: 1GiB/s}\n');
    const cache = new WorkloadFileCache();
    const a = readWorkload(file, { cache, sets: ['seed=1'] });
    const b = readWorkload(file, { cache, sets: ['seed=2'] });
    assert.equal(a.phases[0].trace!.count, 3);
    assert.equal(a.phases[0].trace, b.phases[0].trace);
    assert.notEqual(readWorkload(file).phases[0].trace, a.phases[0].trace);
  });
});

describe('completeWorkload', () => {
  it('refuses a parsed workload whose named files were not read, naming the field', () => {
    const parsed = parseWorkload('guest: {memory: 1GiB, initial: {buddyinfo: b.txt}}\n', 'w.yaml');
    assert.equal(parsed.guest.initial.usedBytes, null);
    assert.throws(() => completeWorkload(parsed, 'w.yaml'), (error: unknown) => error instanceof WorkloadError && error.message === 'w.yaml: guest.initial.buddyinfo b.txt: was not read');
    const traced = parseWorkload('guest: {memory: 1GiB, initial: {used: 1MiB}}\nphases: [{trace: t.trace}]\n', 'w.yaml');
    assert.throws(() => completeWorkload(traced, 'w.yaml'), /w\.yaml: phases\[0\]\.trace t\.trace: was not read/);
  });

  it('sets used from the buddyinfo counts and checks working sets against it', () => {
    const parsed = parseWorkload('guest: {memory: 64MiB, maxOrder: 10, initial: {buddyinfo: b.txt}}\nphases: [{writes: [{rate: 1/s, workingSet: 60MiB}]}]\n', 'w.yaml');
    // 1 block of order 10 = 4 MiB free: used 60 MiB, the working set fits exactly.
    const workload = completeWorkload(parsed, 'w.yaml', { buddyinfoCounts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] });
    assert.equal(workload.guest.initial.usedBytes, 60 * 2 ** 20);
    assert.deepEqual(workload.guest.initial.buddyinfoFreeBlocks, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.throws(
      () => completeWorkload(parsed, 'w.yaml', { buddyinfoCounts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] }),
      /^WorkloadError: w\.yaml: phases\[0\]\.writes\[0\]\.workingSet is larger than used memory \(memory minus the free memory of b\.txt: 58720256 bytes\)$/,
    );
  });
});

describe('every command loads the same way', () => {
  it('sweep simulates a buddyinfo workload as run does (it used to exit 2: "was not read")', () => {
    const sweep = migsim(['sweep', BUDDYINFO_WORKLOAD, '--vary', 'seed=1,2', '--jobs', '2', '-q']);
    assert.equal(sweep.status, 0, sweep.stderr);
    const rows = parseCsv(sweep.stdout, 'sweep');
    const header = rows[0].fields;
    const bytesOf = (seed: string, run: string): string => rows.find((r) => r.fields[header.indexOf('seed')] === seed && r.fields[header.indexOf('run')] === run)!.fields[header.indexOf('total_bytes')];
    for (const seed of [1, 2]) {
      const results = simulateWorkload(readWorkload(BUDDYINFO_WORKLOAD, { seed }));
      for (const { summary } of results) assert.equal(bytesOf(String(seed), summary.run), String(summary.totalBytes));
    }
  });
});
