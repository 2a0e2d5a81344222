/**
 * The workload parser under hostile input (issue 18): self-referential aliases, deep
 * nesting, values beyond a double or too long, fields whose size would make the engine
 * allocate without bound. Each is one WorkloadError naming the field, never a RangeError
 * or a TypeError from deeper down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { WorkloadError } from '../../src/core/errors.js';
import { parseWorkload, type ParseWorkloadOptions } from '../../src/workload/parse-workload.js';

const FILE = 'w.yaml';
const MINIMAL = 'guest:\n  memory: 64MiB\n  initial:\n    used: 16MiB\n';

function rejects(text: string, message: string | RegExp, options?: ParseWorkloadOptions): void {
  assert.throws(
    () => parseWorkload(text, FILE, options),
    (err: unknown) => {
      assert.ok(err instanceof WorkloadError, `expected a WorkloadError, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('YAML aliases and nesting', () => {
  it('a self-referential alias is a clean error naming the field (was exit 70, "Converting circular structure to JSON")', () => {
    rejects('guest:\n  memory: &a [*a]\n  initial: {used: 16MiB}\n', 'w.yaml: guest.memory[0] is a YAML alias to a node that contains it (a cycle)');
    rejects('guest: &g\n  memory: 64MiB\n  initial: {used: 16MiB}\n  pcp: *g\n', 'w.yaml: guest.pcp is a YAML alias to a node that contains it (a cycle)');
  });

  it('also through --set', () => {
    rejects(MINIMAL, 'w.yaml: --set guest.memory has a value that is not valid YAML: [0] is a YAML alias to a node that contains it (a cycle)', { sets: ['guest.memory=&a [*a]'] });
  });

  it('an anchor used twice side by side is not a cycle', () => {
    const workload = parseWorkload(`${MINIMAL}phases:\n  - duration: 1s\n    writes: [&w {rate: 100/s, workingSet: 4MiB}, *w]\n`, FILE);
    assert.equal(workload.phases[0].writes.length, 2);
  });

  it('nesting deeper than 64 levels is refused with a message, not a stack overflow', () => {
    rejects(`a: ${'['.repeat(100)}${']'.repeat(100)}\n`, /^w\.yaml: \.\.\.0\](\[0\])+ nests collections more than 64 levels deep$/);
    rejects(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'w.yaml: line 1: nests collections too deeply (at most 64 levels)');
  });
});

describe('fields that size the engine are range-checked by name', () => {
  it('pcp high beyond the guest was "Invalid typed array length" with no field (exit 2)', () => {
    rejects(`${MINIMAL}  pcp: {high: 100000000000, batch: 1}\n`, "w.yaml: guest.pcp.high must be between 0 and the guest's pages / guest.vcpus (16384) (got 100000000000)");
    rejects(`${MINIMAL}  vcpus: 4\n  pcp: {high: 4097, batch: 4097}\n`, "w.yaml: guest.pcp.high must be between 0 and the guest's pages / guest.vcpus (4096) (got 4097); guest.pcp.batch must be between 1 and the guest's pages / guest.vcpus (4096) (got 4097)");
    assert.equal(parseWorkload(`${MINIMAL}  vcpus: 4\n  pcp: {high: 4096, batch: 63}\n`, FILE).guest.pcp?.highPages, 4096);
  });

  it('vcpus: at most 4096 (QEMU q35 max_cpus); 10^9 used 4 GB under --max-memory 256MiB', () => {
    rejects(`${MINIMAL}  vcpus: 1000000000\n`, 'w.yaml: guest.vcpus must be between 1 and 4096 (got 1000000000)');
    assert.equal(parseWorkload(`${MINIMAL}  vcpus: 4096\n`, FILE).guest.vcpus, 4096);
  });

  it('hint list capacities: at most one entry per guest page', () => {
    rejects(`${MINIMAL}hints: [{strategy: page-reporting, capacity: 100000000000}]\n`, "w.yaml: hints[0].capacity must be between 1 and the guest's pages (16384) (got 100000000000)");
    rejects(`${MINIMAL}hints: [{strategy: per-page, capacity: 16385}]\n`, "w.yaml: hints[0].capacity must be between 1 and the guest's pages (16384) (got 16385)");
  });

  it('values too long or beyond a double are refused by field (a start of 400 nines ran and reported "migration at Infinity s")', () => {
    rejects(`${MINIMAL}migration: {start: ${'9'.repeat(400)}s}\n`, `w.yaml: migration.start is too long for a value (401 characters, at most 100) (got ${'9'.repeat(197)}...)`);
    rejects(`${MINIMAL}migration: {start: ${'9'.repeat(60)}s}\n`, 'w.yaml: migration.start must be at most 1000000000 s (31 years) (got 999999999999999999999999999999999999999999999999999999999999s)');
    rejects(`${MINIMAL}phases: [{writes: [{rate: ${'9'.repeat(400)}/s, workingSet: 1MiB}]}]\n`, /^w\.yaml: phases\[0\]\.writes\[0\]\.rate is too long for a value \(402 characters, at most 100\)/);
  });
});
