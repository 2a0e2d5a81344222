/**
 * calc-dirty-rate as migsim simulates it (src/core/dirty-rate.ts) and the workloads made
 * from a measured rate (src/workload/from-dirty-rate.ts): exact counts on hand-computable
 * writers, the uniform writer's closed form, and the round trip measured rate → workload →
 * simulated calc-dirty-rate within sampling error, for each mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { qemuMiBPerSec, simulateDirtyRate } from '../../src/core/dirty-rate.js';
import { parseDirtyRate } from '../../src/io/read-dirty-rate.js';
import { planWriters, uniformRateForDistinct, workloadFromDirtyRate } from '../../src/workload/from-dirty-rate.js';
import type { Workload } from '../../src/core/types.js';
import { completeWorkload } from '../../src/workload/complete-workload.js';
import { parseWorkload } from '../../src/workload/parse-workload.js';
import { REPO_ROOT, migsim } from '../cli/helpers.js';

const FIXTURES = 'test/fixtures/qemu';
const GiB = 2 ** 30;

function workload(writes: string, extra = ''): Workload {
  return completeWorkload(parseWorkload(`name: t\nguest:\n  memory: 1GiB\n  vcpus: 2\n  initial:\n    used: 512MiB\nphases:\n  - writes:\n${writes}${extra}`, 't.yaml'), 't.yaml');
}

const OPTIONS = { calcTimeSec: 1, startSec: 0, samplePagesPerGiB: 512, ringEntries: 4096 };

describe('simulateDirtyRate', () => {
  it('counts a sequential writer exactly: every write a new page', () => {
    // Even arrivals at k/25600 s, k = 1…25599 strictly before 1 s.
    const r = simulateDirtyRate(workload('      - {rate: 25600/s, workingSet: 256MiB, pattern: sequential}\n'), OPTIONS);
    assert.equal(r.writes, 25599);
    assert.equal(r.distinctPages, 25599);
    // floor(25599 × 4096 / 2^20) = 99 MiB in 1000 ms.
    assert.equal(r.dirtyBitmap.rateMiBPerSec, 99);
    assert.equal(qemuMiBPerSec(25599, 4096, 1000), 99);
    // No page twice, so the ring counts the same; a ring of 4096 fills 6 times.
    assert.deepEqual(r.dirtyRing.vcpuPages, [25599, 0]);
    assert.equal(r.dirtyRing.rateMiBPerSec, 99);
    assert.equal(r.dirtyRing.resets, 6);
    // 1 GiB × 512 / GiB sampled pages; about 25599 / 262144 of them changed.
    assert.equal(r.pageSampling!.sampledPages, 512);
    assert.ok(Math.abs(r.pageSampling!.expectedMiBPerSec - (25599 / 262144) * 1024) < 1e-9);
  });

  it('a uniform writer leaves W(1 - e^(-rT/W)) distinct pages; the ring counts rewrites after each reset', () => {
    // W = 8192 pages, r = 16384/s: expected distinct 8192 (1 - e^-2) = 7083.3, sd ≈ sqrt(W e^-2 (1 - e^-2)) ≈ 30.
    const r = simulateDirtyRate(workload('      - {rate: 16384/s, workingSet: 32MiB}\n'), OPTIONS);
    assert.equal(r.writes, 16383);
    assert.ok(Math.abs(r.distinctPages - 8192 * (1 - Math.exp(-2))) < 100, `${r.distinctPages}`);
    // Resets every 4096 ring entries: more entries than distinct pages, fewer than writes.
    assert.ok(r.dirtyRing.vcpuPages[0] > r.distinctPages && r.dirtyRing.vcpuPages[0] < r.writes);
    assert.equal(r.dirtyBitmap.rateMiBPerSec, Math.floor(Math.floor((r.distinctPages * 4096) / 2 ** 20) * 1000 / 1000));
  });

  it('is deterministic', () => {
    const w = workload('      - {rate: 5000/s, workingSet: 64MiB, arrivals: poisson}\n');
    assert.deepEqual(simulateDirtyRate(w, OPTIONS), simulateDirtyRate(w, OPTIONS));
  });
});

describe('from-dirty-rate round trip', () => {
  const roundTrip = (fixture: string, memoryBytes: number, usedBytes: number) => {
    const file = `${FIXTURES}/${fixture}`;
    const measured = parseDirtyRate(file, readFileSync(`${REPO_ROOT}/${file}`, 'utf8'));
    const options = { memoryBytes, usedBytes, workingSetBytes: null, pageSizeBytes: 4096, ringEntries: 4096, name: 'rt' };
    const plans = planWriters(measured, options);
    assert.ok(typeof plans !== 'string', String(plans));
    const w = completeWorkload(parseWorkload(workloadFromDirtyRate(measured, options, plans), 'rt.yaml'), 'rt.yaml');
    return { measured, report: simulateDirtyRate(w, { ...OPTIONS, calcTimeSec: measured.calcTimeSec }) };
  };

  it('dirty-bitmap: 64 MB/s in, 64 ± 1 MB/s out', () => {
    const { measured, report } = roundTrip('query-dirty-rate-dirty-bitmap.json', 4 * GiB, 2 * GiB);
    assert.equal(measured.rateMiBPerSec, 64);
    assert.ok(Math.abs(report.dirtyBitmap.rateMiBPerSec - 64) <= 1, `${report.dirtyBitmap.rateMiBPerSec}`);
  });

  it('page-sampling: 120 MB/s in; the expectation within 1%, the 2048 samples within 3 standard errors', () => {
    const { report } = roundTrip('query-dirty-rate-page-sampling.json', 4 * GiB, 2 * GiB);
    const s = report.pageSampling!;
    assert.equal(s.sampledPages, 2048);
    assert.ok(Math.abs(s.expectedMiBPerSec - 120) / 120 < 0.01, `${s.expectedMiBPerSec}`);
    assert.ok(Math.abs(s.rateMiBPerSec - 120) <= 3 * s.stddevMiBPerSec + 1, `${s.rateMiBPerSec} ± ${s.stddevMiBPerSec}`);
  });

  it('dirty-ring: per vCPU 200 and 100 MB/s in, each within 2% out', () => {
    const { measured, report } = roundTrip('query-dirty-rate-dirty-ring.json', 4 * GiB, 2 * GiB);
    assert.equal(measured.calcTimeSec, 2);
    assert.equal(report.dirtyRing.vcpuMiBPerSec.length, 2);
    report.dirtyRing.vcpuMiBPerSec.forEach((rate, vcpu) => {
      const want = measured.vcpuMiBPerSec![vcpu];
      assert.ok(Math.abs(rate - want) / want <= 0.02, `vCPU ${vcpu}: ${rate} vs ${want}`);
    });
  });

  it('writes sizes as a person would (16GiB, 6GiB), exact bytes with the readable size only when not whole', () => {
    const file = `${FIXTURES}/query-dirty-rate-page-sampling.json`;
    const measured = parseDirtyRate(file, readFileSync(`${REPO_ROOT}/${file}`, 'utf8'));
    const options = { memoryBytes: 16 * GiB, usedBytes: 6 * GiB, workingSetBytes: 1.5 * GiB, pageSizeBytes: 4096, ringEntries: 4096, name: 'vm1' };
    const plans = planWriters(measured, options);
    assert.ok(typeof plans !== 'string', String(plans));
    const text = workloadFromDirtyRate(measured, options, plans);
    assert.match(text, /^ {2}memory: 16GiB$/m);
    assert.match(text, /^ {4}used: 6GiB$/m);
    assert.match(text, /^ {8}workingSet: 1610612736B +# 1\.5 GiB$/m);
    const w = completeWorkload(parseWorkload(text, 'vm1.yaml'), 'vm1.yaml');
    assert.equal(w.guest.memoryBytes, 16 * GiB);
    assert.equal(w.phases[0].writes[0].workingSetBytes, 1.5 * GiB);
  });

  it('inverts the closed form', () => {
    const r = uniformRateForDistinct(7083.3, 8192, 1);
    assert.ok(Math.abs(r - 16384) < 2, `${r}`);
  });
});

describe('bad query-dirty-rate input', () => {
  const cases: [string, string][] = [
    ['not-dirty-rate.json', 'return.dirty-rate is missing: not the reply of query-dirty-rate (it looks like query-migrate)'],
    ['dirty-rate-zero.json', 'return.dirty-rate must be > 0: a guest that dirtied nothing needs no writer (got 0)'],
    ['dirty-rate-no-calc-time.json', 'return.calc-time is missing'],
  ];
  for (const [fixture, problem] of cases) {
    it(`${fixture}: one line naming the file and the field, exit 2`, () => {
      const result = migsim(['workload', 'from-dirty-rate', `${FIXTURES}/${fixture}`, '--memory', '4GiB']);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, `migsim: ${FIXTURES}/${fixture}: ${problem}\n`);
    });
  }
});

describe('bad query-dirty-rate input, the whole file', () => {
  for (const [what, text, problem] of [
    ['an empty file', '', 'is empty: expected the reply of query-dirty-rate'],
    ['a JSON array', '[1, 2]', 'is not a JSON object: expected the reply of query-dirty-rate'],
  ]) {
    it(`${what}: "file: problem", one space`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'migsim-from-dirty-rate-'));
      writeFileSync(join(dir, 'rate.json'), text);
      const result = migsim(['workload', 'from-dirty-rate', join(dir, 'rate.json'), '--memory', '4GiB']);
      assert.equal(result.status, 2);
      assert.equal(result.stderr, `migsim: ${join(dir, 'rate.json')}: ${problem}\n`);
    });
  }
});

describe('from-dirty-rate names the workload', () => {
  it('after --out (vm1.yaml: vm1), else after the measurement file, unless --name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migsim-from-dirty-rate-'));
    const input = `${FIXTURES}/query-dirty-rate-page-sampling.json`;
    const saved = migsim(['workload', 'from-dirty-rate', input, '--memory', '4GiB', '--out', join(dir, 'vm1.yaml')]);
    assert.equal(saved.status, 0, saved.stderr);
    assert.match(readFileSync(join(dir, 'vm1.yaml'), 'utf8'), /^name: vm1$/m);
    const printed = migsim(['workload', 'from-dirty-rate', input, '--memory', '4GiB']);
    assert.match(printed.stdout, /^name: query-dirty-rate-page-sampling$/m);
    const named = migsim(['workload', 'from-dirty-rate', input, '--memory', '4GiB', '--out', join(dir, 'vm1.yaml'), '--name', 'web']);
    assert.equal(named.status, 0, named.stderr);
    assert.match(readFileSync(join(dir, 'vm1.yaml'), 'utf8'), /^name: web$/m);
  });
});
