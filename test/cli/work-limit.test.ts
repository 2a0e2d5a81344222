/**
 * The up-front work bound (cli/work-limit.ts): the estimate on hand-computable guests, and
 * the refusals of issue 18 (a rate of 10^12/s, a start of 87600 h, no caps at 1 B/s), each
 * one line naming the field that dominates and the estimate, before anything runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DEFAULT_MAX_EVENTS, estimateEvents, migrationBoundSec, workLimit } from '../../src/cli/work-limit.js';
import { estimateEngineBytes } from '../../src/cli/memory-limit.js';
import { readWorkload } from '../../src/io/read-workload.js';
import { migsim } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';

describe('event estimate', () => {
  it('tiny.yaml: 2000 writes/s until 1 s + 3600 s (maxDuration), 16384 pages, 36000 slots, two runs', () => {
    const workload = readWorkload(TINY);
    assert.deepEqual(migrationBoundSec(workload), { sec: 3600, by: 'migration.maxDuration' });
    // Per run: 2 x 2000 x 3601 + 16384 + 3600 / 0.1; none and free-page-hint.
    assert.equal(estimateEvents(workload).events, 2 * (2 * 2000 * 3601 + 16384 + 36000));
    assert.equal(estimateEvents(workload).largest, 'phases[0].writes[0].rate 2000/s x 3601 s, x 2 runs');
  });

  it('phases bound their writers: a 10 s phase writes for 10 s, churn counts twice, maxTotal bounds the time with no maxDuration', () => {
    const workload = readWorkload(TINY, {
      sets: [
        'phases=[{duration: 10s, writes: [{rate: 1000/s, workingSet: 4MiB}]}, {churn: [{rate: 50/s, order: 0, lifetime: 1s}]}]',
        'migration.maxDuration=none',
        'migration.maxTotal=128MiB',
        'hints=[]',
      ],
    });
    // maxTotal / bandwidth = 128 MiB / 128 MiB/s = 1 s after the start at 1 s: end 2 s.
    assert.deepEqual(migrationBoundSec(workload), { sec: 1, by: 'migration.maxTotal / bandwidth' });
    // Writes 1000 x 2 s (the first phase is cut at the end); churn 2 x 50 x 0 s (it starts at 10 s).
    assert.equal(estimateEvents(workload).events, 2 * (1000 * 2) + 16384 + 1 / 0.1);
  });

  it('every bundled workload fits the default limit with room to spare', () => {
    const files = ['workloads/database.yaml', 'workloads/kernel-build.yaml', 'workloads/guest-1tib.yaml', 'workloads/debates/per-4k-vs-2m.yaml', 'test/fixtures/slow.yaml'];
    for (const file of files) {
      const events = estimateEvents(readWorkload(file)).events;
      assert.ok(events * 5 < DEFAULT_MAX_EVENTS, `${file}: ${events}`);
    }
  });

  it('the limit: --max-events, else MIGSIM_MAX_EVENTS, else 3e10', () => {
    assert.deepEqual(workLimit('1e5', {}), { events: 1e5, source: '--max-events' });
    assert.deepEqual(workLimit(null, { MIGSIM_MAX_EVENTS: '2000' }), { events: 2000, source: 'MIGSIM_MAX_EVENTS' });
    assert.deepEqual(workLimit(null, {}), { events: 3e10, source: 'the default limit' });
    assert.throws(() => workLimit('-1', {}), /^UsageError: --max-events must be a number of events >= 1, such as 1e10 \(got "-1"\)$/);
  });

  it('per-vCPU pcp rings count in the memory estimate', () => {
    const plain = estimateEngineBytes(readWorkload(TINY));
    const withPcp = estimateEngineBytes(readWorkload(TINY, { sets: ['guest.vcpus=4', 'guest.pcp={high: 4000, batch: 63}'] }));
    assert.equal(withPcp - plain, 4 * 4 * (4000 + 63 + 1 + 3) - 1 * 4 * 3);
  });
});

describe('refused before running, one line naming the field and the estimate', () => {
  const cases: [string, string[], string][] = [
    ['a writer at 10^12/s', ['--set', 'phases[0].writes[0].rate=1000000000000/s'], 'simulating takes about 1.44e16 events (mostly phases[0].writes[0].rate 1.00e12/s x 3601 s, x 2 runs), more than the 3.00e10 of the default limit; raise it with --max-events or MIGSIM_MAX_EVENTS'],
    ['a start of 87600 h', ['--set', 'migration.start=87600h'], 'simulating takes about 2.52e12 events (mostly phases[0].writes[0].rate 2000/s x 3.15e8 s, x 2 runs), more than the 3.00e10 of the default limit; raise it with --max-events or MIGSIM_MAX_EVENTS'],
    ['no caps at 1 B/s', ['--set', 'migration.bandwidth=1B/s', '--set', 'migration.maxDuration=none'], 'simulating takes about 5.38e11 events (mostly phases[0].writes[0].rate 2000/s x 6.71e7 s, x 2 runs), more than the 3.00e10 of the default limit; raise it with --max-events or MIGSIM_MAX_EVENTS'],
    ['--max-events below the estimate', ['--max-events', '1e6'], 'simulating takes about 2.89e7 events (mostly phases[0].writes[0].rate 2000/s x 3601 s, x 2 runs), more than the 1.00e6 of --max-events; raise it with --max-events or MIGSIM_MAX_EVENTS'],
  ];
  for (const [name, args, line] of cases) {
    it(name, () => {
      const result = migsim(['run', TINY, '-q', ...args]);
      assert.equal(result.stderr, `migsim: ${TINY}: ${line}\n`);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
    });
  }
});
