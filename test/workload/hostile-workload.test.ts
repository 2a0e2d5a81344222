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
