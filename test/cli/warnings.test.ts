/**
 * Silent clamps and no-ops get one warning line on stderr, once, naming the field:
 * max-bandwidth above the link, a bandwidth sweep whose points above the link give
 * identical rows, hint runs that can do nothing with 2 MiB pages, and `validate`, which
 * prints a file's warnings as run does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { migsim } from './helpers.js';

const warnings = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('migsim: warning: '));

describe('warnings', () => {
  it('max-bandwidth above the link: one line naming migration.bandwidth, and the run still works', () => {
    const result = migsim(['run', 'test/fixtures/tiny.yaml', '--hints', 'none', '--set', 'migration.bandwidth=200Gbit/s', '-q']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(warnings(result.stderr), [
      'migsim: warning: test/fixtures/tiny.yaml: migration.bandwidth 200Gbit/s is above migration.linkBandwidth (10Gbit/s): clamped to the link, so it changes nothing',
    ]);
    assert.equal(warnings(migsim(['run', 'test/fixtures/tiny.yaml', '--hints', 'none', '--set', 'migration.bandwidth=unlimited', '-q']).stderr).length, 0, 'unlimited means the link');
  });

  it('a bandwidth sweep past the link: one line for all its points', () => {
    const result = migsim(['sweep', 'test/fixtures/tiny.yaml', '--vary', 'migration.bandwidth=1Gbit/s..100Gbit/s:5', '--vary', 'hints=none', '--jobs', '1', '-q']);
    assert.equal(result.status, 0, result.stderr);
    const lines = warnings(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /^migsim: warning: test\/fixtures\/tiny\.yaml: migration\.bandwidth at 2 of 5 points \(first: 3 \(migration\.bandwidth=31\.62Gbit\/s\)\): .*clamped to the link.*; their rows are identical$/);
  });

  it('2 MiB pages: a free-page-hint run that cannot find a 2 GiB block names guest.pageSize', () => {
    const result = migsim(['run', 'test/fixtures/tiny.yaml', '--hints', 'free-page-hint', '-q', '--set', 'guest.pageSize=2MiB', '--set', 'guest.memory=2GiB', '--set', 'guest.initial.used=1GiB']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(warnings(result.stderr), [
      'migsim: warning: tiny/free-page-hint made no hint call: no free block of guest.pageSize x 2^10 = 2 GiB (guest.pageSize 2 MiB) was found, so the run is the same as none',
    ]);
  });

  it('merge-notifier on a guest that frees nothing: says it hints on the free path (not that no free block exists: 32 MiB of tiny is free)', () => {
    const result = migsim(['run', 'test/fixtures/tiny.yaml', '--hints', 'merge-notifier', '-q']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(warnings(result.stderr), [
      'migsim: warning: tiny/merge-notifier made no hint call: merge-notifier hints a block as the guest frees it, and no free or merge reached order 9 (2 MiB) in the run, so the run is the same as none',
    ]);
  });

  it('postcopy: a free-page-hint run says QEMU does not hint under postcopy-ram', () => {
    const result = migsim(['run', 'test/fixtures/tiny.yaml', '--hints', 'free-page-hint', '-q', '--set', 'migration.postcopy.start.afterRound=1']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(warnings(result.stderr), [
      'migsim: warning: tiny/free-page-hint made no hint call: QEMU does not run free page hinting with postcopy-ram (migration.postcopy), so the run is the same as none',
    ]);
  });

  it('validate prints the same warnings as run, then ok, and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migsim-validate-'));
    try {
      const file = join(dir, 'w.yaml');
      writeFileSync(
        file,
        [
          'name: w',
          'guest: {memory: 1GiB, initial: {used: 256MiB}}',
          'migration:',
          '  multifd: {channels: 2, compression: {method: none, level: 5}}',
          'phases:',
          '  - writes: [{rate: 1000/s, workingSet: 64MiB, compressRatio: 2}]',
          '',
        ].join('\n'),
      );
      const result = migsim(['validate', file]);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(warnings(result.stderr), [
        `migsim: warning: ${file}: migration.multifd.compression.level changes nothing with method none`,
        `migsim: warning: ${file}: phases[0].writes[0].compressRatio changes nothing without migration.multifd.compression`,
      ]);
      assert.equal(result.stdout, `ok  ${file}\n`);
      // The same file through run: the same two lines.
      assert.deepEqual(warnings(migsim(['run', file, '--hints', 'none', '-q']).stderr), warnings(result.stderr));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a writer\'s catchUp on a guest whose hint driver holds no vCPU (more vCPUs, full or lazy preemption) changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migsim-catchup-'));
    try {
      const file = join(dir, 'w.yaml');
      writeFileSync(file, ['name: w', 'guest: {memory: 64MiB, initial: {used: 16MiB}}', 'phases:', '  - writes: [{rate: 1000/s, workingSet: 4MiB, catchUp: 1s}]', 'hints: [free-page-hint]', ''].join('\n'));
      // One vCPU, voluntary (the defaults): the hold applies, no warning.
      assert.deepEqual(warnings(migsim(['validate', file]).stderr), []);
      const run = (...set: string[]) => migsim(['run', file, '--hints', 'none', '-q', ...set.flatMap((s) => ['--set', s])]);
      assert.deepEqual(warnings(run('guest.preempt=none').stderr), []);
      assert.deepEqual(warnings(run('guest.vcpus=2').stderr), [
        `migsim: warning: ${file}: phases[0].writes[0].catchUp changes nothing with guest.vcpus 2: the hint driver holds no vCPU (docs/model.md §4.1)`,
      ]);
      for (const preempt of ['full', 'lazy']) {
        const result = run(`guest.preempt=${preempt}`);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(warnings(result.stderr), [
          `migsim: warning: ${file}: phases[0].writes[0].catchUp changes nothing with guest.preempt ${preempt}: the hint driver holds no vCPU (docs/model.md §4.1)`,
        ]);
      }
      // catchUp 0 is the default's behaviour: nothing to warn about.
      const zero = run('guest.vcpus=2', 'phases[0].writes[0].catchUp=0s');
      assert.equal(zero.status, 0, zero.stderr);
      assert.deepEqual(warnings(zero.stderr), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
