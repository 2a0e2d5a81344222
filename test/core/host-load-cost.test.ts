/**
 * With a shared host (`host:`, docs/model.md §10.2c), a workload's `loadCost` is the
 * destination's CPU per normal page: the host's first touch makes it 2 us on one host and
 * 16 us on another (validation/issue12x-host-first-touch), so the testbed's 12.6 us
 * (HOST_CPU_COSTS) is only the value for a workload that sets none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_CPU_COSTS } from '../../src/core/host-cpu.js';
import { simulateRun } from '../../src/core/simulation.js';
import type { HostConfig } from '../../src/core/types.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const { MiB } = UNITS;

/**
 * The bulk round of a 256 MiB guest (55 296 normal pages, 10 240 zero pages) sent uncapped
 * over 100 Gbit/s in lockstep, hints off; a 1 ms downtime limit keeps every page in it.
 */
function bulkRound(loadCostSec: number, host: HostConfig | null) {
  const guest = { memoryBytes: 256 * MiB, initial: { usedBytes: 16 * MiB, freeDirtyBytes: 200 * MiB } };
  const migration = { bandwidthBytesPerSec: 4096 * MiB, linkBandwidthBytesPerSec: 100e9 / 8, loadCostSec, downtimeLimitSec: 0.001 };
  return simulateRun(makeWorkload({ guest, migration, host }), null).rounds[0];
}

const closeTo = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} against ${expected}`);

test('with a host, loadCost is the destination CPU per normal page: 1 us more a page is 1 us more per page, as without a host', () => {
  // 2 cores, nothing else running: the migration thread and the destination each have a
  // core, so a normal page takes its slowest stage, the destination's load (the link's
  // 0.33 us and the source's 1.33 us are shorter), and the run is the host-less one.
  const host = { cores: 2, otherLoad: 0 };
  const two = bulkRound(2e-6, host);
  const three = bulkRound(3e-6, host);
  assert.equal(two.normalPages, 55_296);
  assert.equal(three.normalPages, 55_296);
  closeTo(three.durationSec - two.durationSec, 55_296 * 1e-6, 'loadCost 3 us against 2 us');
  closeTo(two.durationSec, bulkRound(2e-6, null).durationSec, 'the same run without a host');
});

test('with a host and no loadCost, the destination costs the testbed\'s 12.6 us a normal page', () => {
  const host = { cores: 2, otherLoad: 0 };
  const unset = bulkRound(0, host);
  assert.deepEqual(unset, bulkRound(HOST_CPU_COSTS.destinationNormalPageSec, host));
  // and 12.6 us a page is over five times the 2 us run (whose pages take 2 us each).
  assert.ok(unset.durationSec > bulkRound(2e-6, host).durationSec * 5);
});
