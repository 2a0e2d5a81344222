/**
 * The warnings said before simulating (src/core/endings/up-front.ts): a bulk round longer
 * than the cap, and a guest that dirties faster than the sender sends. Below about 1.3 MB/s
 * the sender's rate is not max-bandwidth: a rate slot sends a QEMUFile flush (32 normal
 * pages) before the limit sees its bytes, so at 1 bit/s a 64 MiB guest's bulk round takes
 * 25.5 s (the simulation's), not the 149 131 h the warning used to announce.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { convergenceWarnings } from '../../src/core/endings/up-front.js';
import { simulateRun } from '../../src/core/simulation.js';
import { makeWorkload, multifdConfig } from './workload-fixture.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** The fixture at max-bandwidth 1 bit/s with QEMUFile's 64 iovecs, capped at `maxDurationSec`. */
const oneBitPerSec = (maxDurationSec: number, memoryBytes = 64 * MiB) =>
  makeWorkload({ guest: { memoryBytes }, migration: { bandwidthBytesPerSec: 1 / 8, maxDurationSec, onNoConvergence: 'cancel', wire: { flushIovecs: 64 } } });

test('at 1 bit/s the bulk round is timed at a flush (32 pages of 4104 B) per 100 ms slot, as the simulation sends it', () => {
  // 32 × 4104 B / 0.1 s = 1 313 280 B/s = 1.25 MiB/s; 64 MiB / that = 51.1 s > 10 s.
  assert.deepEqual(convergenceWarnings(oneBitPerSec(10)), [
    'migration: the bulk round alone needs 51.1 s at 1.25 MiB/s (bandwidth 0.125 B/s, but each 100 ms rate slot sends a QEMUFile flush before the limit sees it), longer than maxDuration (10.0 s): the run ends cancelled there',
  ]);
  // Under an hour: no warning (the old text claimed 149130.8 h).
  assert.deepEqual(convergenceWarnings(oneBitPerSec(3600)), []);
  // The simulation agrees: an idle 64 MiB guest migrates well within the hour.
  const summary = simulateRun(oneBitPerSec(3600), null).summary;
  assert.equal(summary.ending, 'converged');
  assert.ok(summary.totalTimeSec < 60, `${summary.totalTimeSec} s`);
});

test('with multifd the floor is a packet per channel per slot; at a real max-bandwidth the text is unchanged', () => {
  const multifd = makeWorkload({ guest: { memoryBytes: 64 * GiB }, migration: { bandwidthBytesPerSec: 1 / 8, maxDurationSec: 10, onNoConvergence: 'cancel', multifd: multifdConfig({ channels: 2 }) } });
  // 2 channels × 128 pages × 4104 B / 0.1 s = 10 506 240 B/s = 10.02 MiB/s; 64 GiB / that = 1.8 h.
  assert.match(convergenceWarnings(multifd)[0], /^migration: the bulk round alone needs 1\.8 h at 10 MiB\/s \(bandwidth 0\.125 B\/s, but each 100 ms rate slot sends a packet per multifd channel before the limit sees it\)/);
  const slow = makeWorkload({ guest: { memoryBytes: 64 * GiB }, migration: { bandwidthBytesPerSec: 16 * MiB, maxDurationSec: 60, onNoConvergence: 'force', wire: { flushIovecs: 64 } } });
  assert.deepEqual(convergenceWarnings(slow), ['migration: the bulk round alone needs 1.1 h at bandwidth 16 MiB/s, longer than maxDuration (1.0 min): the run ends with a forced switchover there']);
});
