/**
 * One real migration as a management tool records it (src/io/read-migrate-log.ts,
 * src/calibrate/log-metrics.ts): a query-migrate log polled every 5 ms and the matching
 * virsh domjobinfo text, from validation/qemu10-tcg-uncapped (1 GiB idle, hints off). The
 * segmentation must give exactly the numbers the testbed's migrate.py wrote in that run's
 * iterations.csv; bad logs are refused with one line naming the file, line and field.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { logMetrics, segmentSamples } from '../../src/calibrate/log-metrics.js';
import { parseDomjobinfo, parseMigrateLog } from '../../src/io/read-migrate-log.js';
import { REPO_ROOT, migsim } from '../cli/helpers.js';

const FIXTURES = 'test/fixtures/qemu';
const read = (name: string): string => readFileSync(`${REPO_ROOT}/${FIXTURES}/${name}`, 'utf8');

describe('query-migrate log', () => {
  const samples = parseMigrateLog('log.jsonl', read('query-migrate-1gib-idle-uncapped.jsonl'));

  it('keeps the samples with RAM statistics (the 2 setup polls have none)', () => {
    assert.equal(samples.length, 164);
    assert.equal(samples[samples.length - 1].status, 'completed');
  });

  it("segments by dirty-sync-count exactly as migrate.py's iterations.csv", () => {
    const segments = segmentSamples(samples);
    assert.deepEqual(
      segments.map((s) => [s.dirtySyncCount, s.phase, s.samples, s.delta.bytes, s.delta.normalPages, s.delta.zeroPages]),
      [
        [1, 'precopy', 160, 99509795, 23761, 235715],
        [3, 'stop-copy', 4, 11399899, 2716, 148],
      ],
    );
  });

  it('gives the run metrics: 1 iteration, totals, QEMU total-time and downtime', () => {
    const m = logMetrics(samples)!;
    assert.deepEqual(m.iterations, [{ bytes: 99509795, normalPages: 23761, zeroPages: 235715 }]);
    assert.deepEqual(m.stopCopy, { bytes: 11399899, normalPages: 2716, zeroPages: 148 });
    assert.equal(m.totalBytes, 110909694);
    assert.equal(m.normalPages, 26477);
    assert.equal(m.zeroPages, 235863);
    assert.equal(m.totalTimeSec, 0.884);
    assert.equal(m.downtimeSec, 0.06);
  });

  it('a log that ends before completion has no metrics', () => {
    assert.equal(logMetrics(parseMigrateLog('a.jsonl', read('query-migrate-ends-active.jsonl'))), null);
  });
});

describe('virsh domjobinfo', () => {
  it('reads exact page counts and times, sizes to 3 decimals of their unit', () => {
    const [job] = parseDomjobinfo('job.txt', read('domjobinfo-1gib-idle-uncapped.txt'));
    assert.equal(job.status, 'completed');
    assert.equal(job.normalPages, 26477);
    assert.equal(job.zeroPages, 235863);
    assert.equal(job.dirtySyncCount, 3);
    assert.equal(job.totalTimeSec, 0.884);
    assert.equal(job.downtimeSec, 0.06);
    assert.equal(job.transferredBytes, Math.round(105.772 * 2 ** 20));
    assert.ok(Math.abs(job.transferredBytes - 110909694) < 0.0005 * 2 ** 20);
  });
});

describe('calibrate --log', () => {
  it('prints measured vs simulated per iteration and exits 0', () => {
    const result = migsim(['calibrate', '--log', `${FIXTURES}/query-migrate-1gib-idle-uncapped.jsonl`, '--workload', 'validation/qemu10-tcg-uncapped/workloads/1024mib_idle.yaml', '--csv', '-']);
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
    const rows = new Map(result.stdout.trim().split('\n').slice(1).map((line) => [line.split(',')[3], line]));
    assert.match(rows.get('iteration_1_bytes')!, /,99509795,/);
    assert.match(rows.get('total_bytes')!, /,110909694,/);
  });

  it('the table of one measured run has no mean column (it would repeat the measured one)', () => {
    const result = migsim(['calibrate', '--log', `${FIXTURES}/query-migrate-1gib-idle-uncapped.jsonl`, '--workload', 'validation/qemu10-tcg-uncapped/workloads/1024mib_idle.yaml', '-q']);
    assert.equal(result.status, 0, result.stderr);
    const header = result.stdout.split('\n').find((line) => line.startsWith('metric'));
    assert.deepEqual(header?.split(/\s+/), ['metric', 'unit', 'measured', 'simulated', 'error', 'target', 'status']);
    assert.match(result.stdout, /^total bytes +MiB +105\.772 +105\.512 +-0\.25%$/m);
  });

  it('--set overrides a field of --workload as run --set does; a bad key is one line, exit 2', () => {
    const args = ['calibrate', '--log', `${FIXTURES}/query-migrate-1gib-idle-uncapped.jsonl`, '--workload', 'validation/qemu10-tcg-uncapped/workloads/1024mib_idle.yaml', '--csv', '-'];
    const simulated = (stdout: string): Map<string, number> => new Map(stdout.trim().split('\n').slice(1).map((line) => [line.split(',')[3], Number(line.split(',')[7])]));
    const base = migsim(args);
    // 1 000 000 B more device state: the stop-copy and the total grow by exactly that.
    const set = migsim([...args, '--set', 'migration.wire.deviceState=1125268B']);
    assert.equal(set.status, 0, set.stderr);
    const before = simulated(base.stdout);
    const after = simulated(set.stdout);
    assert.equal(after.get('stop_copy_bytes')! - before.get('stop_copy_bytes')!, 1_000_000);
    assert.equal(after.get('total_bytes')! - before.get('total_bytes')!, 1_000_000);
    assert.equal(after.get('iteration_1_bytes'), before.get('iteration_1_bytes'));
    const unknown = migsim([...args, '--set', 'migration.nope=1']);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'migsim: validation/qemu10-tcg-uncapped/workloads/1024mib_idle.yaml: migration.nope is not a known field (from --set migration.nope)\n');
    const withDir = migsim(['calibrate', 'validation/qemu10-tcg-1gib', '--set', 'migration.downtimeLimit=1s']);
    assert.equal(withDir.status, 2);
    assert.equal(withDir.stderr, 'migsim: --set is for --log/--domjobinfo: a calibration directory keeps its workloads as they are\n');
  });

  const bad: [string, string[], string][] = [
    ['a query-dirty-rate reply', ['--log', `${FIXTURES}/query-migrate-wrong-command.jsonl`], `${FIXTURES}/query-migrate-wrong-command.jsonl: line 1: return.status is \"measured\": not a reply of query-migrate (it looks like query-dirty-rate)`],
    ['a missing field', ['--log', `${FIXTURES}/query-migrate-missing-normal.jsonl`], `${FIXTURES}/query-migrate-missing-normal.jsonl: line 1: return.ram.normal must be a number >= 0 (got undefined)`],
    ['a log that ends active', ['--log', `${FIXTURES}/query-migrate-ends-active.jsonl`], `${FIXTURES}/query-migrate-ends-active.jsonl: the last sample's status is active, not completed: poll until the migration ends (or add --domjobinfo with virsh domjobinfo --completed)`],
    ['domjobinfo of something else', ['--domjobinfo', `${FIXTURES}/query-migrate-wrong-command.jsonl`], `${FIXTURES}/query-migrate-wrong-command.jsonl: has no \`Job type:\` line: not the output of virsh domjobinfo`],
  ];
  for (const [what, args, message] of bad) {
    it(`${what}: one line, exit 2`, () => {
      const result = migsim(['calibrate', ...args, '--workload', 'workloads/qemu/idle.yaml']);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, `migsim: ${message}\n`);
    });
  }

  it('a directory whose runs lack a file (validation/issue12-testbed keeps no guest-premig.txt): one line saying what a run needs, exit 2', () => {
    const result = migsim(['calibrate', 'validation/issue12-testbed']);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'migsim: validation/issue12-testbed/multifd2_garbage_hints-off_rep1/guest-premig.txt: cannot read (ENOENT); each run of a calibration directory needs iterations.csv, summary.json and guest-premig.txt\n',
    );
  });
});
