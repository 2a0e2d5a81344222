/**
 * The heartbeat of long runs whose stderr is not a terminal: driven by a fake clock and
 * no timer, so the lines are exact and nothing depends on how fast the machine is; then
 * the CLI with a short interval, stdout and the CSV unchanged by it, --quiet silencing it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { createHeartbeat, heartbeatAllowed, heartbeatIntervalSec, sentText } from '../../src/report/heartbeat.js';
import { createProgress } from '../../src/report/progress.js';
import { createSweepProgress } from '../../src/report/sweep-progress.js';
import { makeRun, migsim } from '../cli/helpers.js';

function fakeClock(): { nowMs: () => number; set(ms: number): void } {
  let now = 1_000_000;
  const start = now;
  return { nowMs: () => now, set: (ms) => (now = start + ms) };
}

function collector(): { write(text: string): void; lines: string[] } {
  const lines: string[] = [];
  return { write: (text) => lines.push(text), lines };
}

describe('heartbeat', () => {
  it('one line per interval of wall time, none before the first interval, none without a status', () => {
    const clock = fakeClock();
    const stream = collector();
    const beat = createHeartbeat({ intervalSec: 10, nowMs: clock.nowMs, stream, timer: false });
    clock.set(12_000);
    beat.tick();
    assert.deepEqual(stream.lines, [], 'nothing to say yet');
    beat.status('web/none run 1/2, round 5 iterate, 12.3 GiB sent');
    clock.set(9_999);
    beat.tick();
    assert.deepEqual(stream.lines, []);
    clock.set(10_000);
    beat.tick();
    clock.set(15_000);
    beat.tick();
    clock.set(20_400);
    beat.tick();
    beat.tick();
    assert.deepEqual(stream.lines, ['migsim: web/none run 1/2, round 5 iterate, 12.3 GiB sent, 10 s\n', 'migsim: web/none run 1/2, round 5 iterate, 12.3 GiB sent, 20 s\n']);
    beat.stop();
    beat.stop();
  });

  it('interval 0 is off; allowed only when stderr is not a terminal and not --quiet; MIGSIM_HEARTBEAT_SEC', () => {
    const clock = fakeClock();
    const stream = collector();
    const off = createHeartbeat({ intervalSec: 0, nowMs: clock.nowMs, stream, timer: false });
    off.status('x');
    clock.set(1e9);
    off.tick();
    assert.deepEqual(stream.lines, []);
    assert.equal(heartbeatAllowed({ quiet: false }, false), true);
    assert.equal(heartbeatAllowed({ quiet: true }, false), false);
    assert.equal(heartbeatAllowed({ quiet: false }, true), false, 'a terminal gets the bar');
    assert.equal(heartbeatIntervalSec({}), 10);
    assert.equal(heartbeatIntervalSec({ MIGSIM_HEARTBEAT_SEC: '60' }), 60);
    assert.equal(heartbeatIntervalSec({ MIGSIM_HEARTBEAT_SEC: '0' }), 0);
    assert.equal(heartbeatIntervalSec({ MIGSIM_HEARTBEAT_SEC: 'often' }), 10);
    assert.equal(sentText(12.34 * 2 ** 30), '12.3 GiB');
    assert.equal(sentText(5 * 2 ** 20), '5.0 MiB');
  });

  it('the run hooks say which run and round, and the bytes sent so far', () => {
    const clock = fakeClock();
    const stream = collector();
    const heartbeat = createHeartbeat({ intervalSec: 10, nowMs: clock.nowMs, stream, timer: false });
    const progress = createProgress({ enabled: false, nowMs: clock.nowMs, heartbeat });
    const hooks = progress.hooksFor('web');
    const rounds = makeRun('none').rounds;
    hooks.onRunStart('none', 0, 2);
    clock.set(4_000);
    hooks.onRound('none', rounds[0]);
    hooks.onRunStart('fph', 1, 2);
    clock.set(10_500);
    heartbeat.tick();
    clock.set(21_000);
    hooks.onRound('fph', rounds[1]);
    progress.stop();
    heartbeat.stop();
    // makeRun's bulk round: 4096 × 4104 + 12288 × 9 + 8 B = 16920200 B; round 2 adds 50 × 4104 + 8: 17125408 B = 16.3 MiB.
    assert.deepEqual(stream.lines, ['migsim: web/fph run 2/2, starting, 11 s\n', 'migsim: web/fph run 2/2, round 2 iterate, 16.3 MiB sent, 21 s\n']);
  });

  it('a sweep without a terminal says points done of points', () => {
    const clock = fakeClock();
    const stream = collector();
    const heartbeat = createHeartbeat({ intervalSec: 10, nowMs: clock.nowMs, stream, timer: false });
    const progress = createSweepProgress({ enabled: false, totalPoints: 40, jobs: 2, heartbeat });
    for (let point = 1; point <= 12; point++) {
      clock.set(point * 1_000);
      progress.increment();
    }
    progress.stop();
    assert.deepEqual(stream.lines, ['migsim: sweep 10/40 points, 10 s\n']);
  });

  it('migsim run and sweep: the lines on stderr only; stdout and the CSV as without; --quiet none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migsim-heartbeat-'));
    try {
      const args = ['run', 'workloads/default.yaml', '--hints', 'none'];
      // An interval of 50 ms: default.yaml simulates for about a second, so at least one line.
      const beating = migsim([...args, '--csv', join(dir, 'a.csv')], { MIGSIM_HEARTBEAT_SEC: '0.05' });
      const quiet = migsim([...args, '--csv', join(dir, 'b.csv'), '-q'], { MIGSIM_HEARTBEAT_SEC: '0.05' });
      assert.equal(beating.status, 0, beating.stderr);
      assert.equal(beating.stdout, quiet.stdout);
      assert.equal(readFileSync(join(dir, 'a.csv'), 'utf8'), readFileSync(join(dir, 'b.csv'), 'utf8'));
      const lines = beating.stderr.split('\n').filter((line) => line !== '');
      assert.ok(lines.length >= 1, 'a heartbeat line');
      for (const line of lines) assert.match(line, /^migsim: default\/none run 1\/1, (starting|round \d+ (bulk|iterate|stop-copy), \d+\.\d (MiB|GiB) sent), \d+ s$/);
      assert.equal(quiet.stderr, '', '--quiet: no heartbeat');
      const sweepArgs = ['sweep', 'workloads/default.yaml', '--vary', 'migration.bandwidth=128MiB/s', '--jobs', '1'];
      const sweep = migsim(sweepArgs, { MIGSIM_HEARTBEAT_SEC: '0.05' });
      assert.equal(sweep.status, 0, sweep.stderr);
      assert.equal(sweep.stdout, migsim([...sweepArgs, '-q'], { MIGSIM_HEARTBEAT_SEC: '0.05' }).stdout);
      const sweepLines = sweep.stderr.split('\n').filter((text) => text !== '');
      assert.ok(sweepLines.length >= 1, 'a sweep heartbeat line');
      for (const line of sweepLines) assert.match(line, /^migsim: sweep [01]\/1 points, \d+ s$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
