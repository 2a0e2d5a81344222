/**
 * The worker thread of `migsim run` (see interrupt.ts): simulates the one workload it is
 * given (all its runs, or only run `runIndex`: 0 = none, i = hints[i - 1], when the runs
 * go in parallel workers), posts each onRunStart/onRound to the main thread for the progress bar, and stops
 * at the next round once the main thread's SIGINT listener has set the shared flag.
 * Results and errors go back as messages, never as uncaught exceptions.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { simulateRun, simulateWorkload } from '../core/index.js';
import { MigsimError } from '../core/errors.js';
import type { RoundStats, Workload } from '../core/types.js';
import type { SimulateWorkerMessage } from './interrupt.js';

class Stop extends Error {}

if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as { workload: Workload; flag: SharedArrayBuffer; runIndex: number | null };
  const flag = new Int32Array(data.flag);
  const post = (message: SimulateWorkerMessage): void => port.postMessage(message);
  try {
    const hooks = {
      onRunStart(label: string, runIndex: number, runCount: number) {
        if (Atomics.load(flag, 0) !== 0) throw new Stop();
        post({ type: 'run-start', label, runIndex, runCount });
      },
      onRound(label: string, round: RoundStats) {
        if (Atomics.load(flag, 0) !== 0) throw new Stop();
        post({ type: 'round', label, round });
      },
    };
    if (data.runIndex === null) {
      post({ type: 'done', results: simulateWorkload(data.workload, hooks) });
    } else {
      // One run of the workload; the main thread fills savedBytes once all are back.
      const hint = data.runIndex === 0 ? null : data.workload.hints[data.runIndex - 1];
      const label = hint === null ? 'none' : hint.label;
      hooks.onRunStart(label, data.runIndex, data.workload.hints.length + 1);
      post({ type: 'done', results: [simulateRun(data.workload, hint, (round) => hooks.onRound(label, round))] });
    }
  } catch (error) {
    if (error instanceof Stop) {
      post({ type: 'interrupted' });
    } else {
      const isError = error instanceof Error;
      post({
        type: 'error',
        name: isError ? error.name : 'Error',
        message: isError ? error.message : String(error),
        code: error instanceof MigsimError ? error.code : null,
        exitCode: error instanceof MigsimError ? error.exitCode : null,
        stack: isError ? (error.stack ?? null) : null,
      });
    }
  }
}
