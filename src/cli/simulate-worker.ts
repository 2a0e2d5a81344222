/**
 * The worker thread of `migsim run` (see interrupt.ts): simulates the one workload it is
 * given, posts each onRunStart/onRound to the main thread for the progress bar, and stops
 * at the next round once the main thread's SIGINT listener has set the shared flag.
 * Results and errors go back as messages, never as uncaught exceptions.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { simulateWorkload } from '../core/index.js';
import { MigsimError } from '../core/errors.js';
import type { Workload } from '../core/types.js';
import type { SimulateWorkerMessage } from './interrupt.js';

class Stop extends Error {}

if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as { workload: Workload; flag: SharedArrayBuffer };
  const flag = new Int32Array(data.flag);
  const post = (message: SimulateWorkerMessage): void => port.postMessage(message);
  try {
    const results = simulateWorkload(data.workload, {
      onRunStart(label, runIndex, runCount) {
        if (Atomics.load(flag, 0) !== 0) throw new Stop();
        post({ type: 'run-start', label, runIndex, runCount });
      },
      onRound(label, round) {
        if (Atomics.load(flag, 0) !== 0) throw new Stop();
        post({ type: 'round', label, round });
      },
    });
    post({ type: 'done', results });
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
