import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';

import type { RoundStats } from '../../src/core/types.js';
import { newTransportCounters } from '../../src/core/wire/transport.js';
import { createProgress } from '../../src/report/progress.js';

/** A fake terminal: cli-progress draws only on a stream whose isTTY is true. */
function fakeTerminal(): { stream: Writable & { isTTY: boolean; columns: number }; text(): string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
    { isTTY: true, columns: 120, cursorTo() {}, moveCursor() {}, clearLine() {} },
  );
  return { stream, text: () => chunks.join('') };
}

const round = (number: number): RoundStats => ({
  round: number,
  kind: number === 1 ? 'bulk' : 'iterate',
  startSec: number,
  durationSec: 0.5,
  normalPages: 1,
  zeroPages: 0,
  skippedPages: 0,
  ...newTransportCounters(),
  throttlePct: 0,
  dirtyLimitThrottleUs: 0,
  unacceptedPages: 0,
  bytes: 3 * 2 ** 20,
  cumulativeBytes: number * 3 * 2 ** 20,
  dirtyPages: 0,
});

describe('progress bar', () => {
  it('stays silent while a run has taken 1 s or less', () => {
    const terminal = fakeTerminal();
    let now = 0;
    const progress = createProgress({ enabled: true, stream: terminal.stream, nowMs: () => now });
    const hooks = progress.hooksFor('tiny');
    hooks.onRunStart('none', 0, 2);
    now = 1000;
    hooks.onRound('none', round(1));
    progress.stop();
    assert.equal(terminal.text(), '');
  });

  it('appears once a run passes 1 s, names workload, run and round, and is cleared by stop()', () => {
    const terminal = fakeTerminal();
    let now = 0;
    const progress = createProgress({ enabled: true, stream: terminal.stream, nowMs: () => now });
    const hooks = progress.hooksFor('tiny');
    hooks.onRunStart('none', 0, 2);
    now = 1001;
    hooks.onRound('none', round(1));
    hooks.onRunStart('fph', 1, 2);
    hooks.onRound('fph', round(2));
    progress.stop();
    progress.stop();
    const text = terminal.text();
    assert.match(text, /run 1\/2 \[.*\] tiny\/none {2}round 1 bulk {2}t=1\.500s {2}3\.0 MiB sent/);
  });

  it('never draws when disabled (not a terminal, --json or --quiet)', () => {
    const terminal = fakeTerminal();
    let now = 0;
    const progress = createProgress({ enabled: false, stream: terminal.stream, nowMs: () => now });
    const hooks = progress.hooksFor('tiny');
    hooks.onRunStart('none', 0, 1);
    now = 60_000;
    hooks.onRound('none', round(1));
    progress.stop();
    assert.equal(terminal.text(), '');
  });
});
