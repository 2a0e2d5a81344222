/**
 * Ctrl-C (SIGINT) during a command that simulates (`run`, `check`, `plot`, `sweep`,
 * `calibrate`): exit 130 with every file written before intact.
 *
 * The engine is synchronous, so a SIGINT listener on the thread that simulates would run
 * only after the whole simulation. These commands therefore simulate in worker threads
 * (simulate-worker.ts, or sweep-worker.ts for a sweep's pool) while this thread waits,
 * free to take the signal: the listener sets a flag in a SharedArrayBuffer and calls every
 * abort registered with onInterrupt, which terminates the running workers (that stops
 * even a long synchronous round at once); simulate-worker's onRound hook (called once per
 * round, the core's existing hook) also reads the flag with Atomics.load and throws, should
 * a worker outlive the terminate. The CLI throws InterruptedError, which the one catch site (main.ts) turns into exit 130. No
 * output file is written after an interrupt, and outputs are only ever replaced by an
 * atomic rename, so a file from an earlier run stays as it was. A second Ctrl-C is
 * Node's default: the process dies at once.
 */
import { Worker } from 'node:worker_threads';

import { ConfigError, InvariantError, MigsimError } from '../core/errors.js';
import { fillSavedBytes } from '../core/index.js';
import { EXIT_CODES } from '../core/exit-codes.js';
import type { RoundStats, RunResult } from '../core/types.js';
import type { LoadedWorkload } from './simulate.js';
import type { ProgressHooks } from '../report/progress.js';

/** Thrown when SIGINT stopped the simulation; main.ts maps it to exit 130. */
export class InterruptedError extends Error {
  readonly exitCode = EXIT_CODES.interrupted;
  constructor() {
    super('interrupted (SIGINT): no output written by this run');
    this.name = 'InterruptedError';
  }
}

/** Messages from simulate-worker.ts. */
export type SimulateWorkerMessage =
  | { type: 'run-start'; label: string; runIndex: number; runCount: number }
  | { type: 'round'; label: string; round: RoundStats }
  | { type: 'done'; results: RunResult[] }
  | { type: 'interrupted' }
  | { type: 'error'; name: string; message: string; code: string | null; exitCode: number | null; stack: string | null };

/** One flag for the process: set by the first SIGINT, read by every worker. */
const flagBuffer = new SharedArrayBuffer(4);
const flag = new Int32Array(flagBuffer);

/**
 * What stops each running simulation worker. A round can take long in wall time (the bulk
 * round of a 1 TiB guest, or the guest's setup before any round): worker.terminate()
 * stops the worker's synchronous loop at once, so Ctrl-C does not wait for the next hook.
 */
const activeAborts = new Set<() => void>();

/**
 * Registers `abort` to be called on SIGINT inside withInterruptGuard (it should terminate
 * the caller's workers and reject with InterruptedError); returns the call that
 * unregisters it, for when the work settles on its own.
 */
export function onInterrupt(abort: () => void): () => void {
  activeAborts.add(abort);
  return () => {
    activeAborts.delete(abort);
  };
}

/** True once SIGINT arrived during a guarded section. */
export function interrupted(): boolean {
  return Atomics.load(flag, 0) !== 0;
}

/**
 * Runs `body` with a SIGINT listener installed (once: a second Ctrl-C kills). Throws
 * InterruptedError after `body` if SIGINT arrived, even if `body` finished.
 */
export async function withInterruptGuard<T>(body: () => Promise<T>): Promise<T> {
  const onSigint = (): void => {
    Atomics.store(flag, 0, 1);
    for (const abort of [...activeAborts]) abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const value = await body();
    if (interrupted()) throw new InterruptedError();
    return value;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * Simulates one workload in worker threads, feeding `hooks` (the progress bar) from their
 * messages. With `parallelRuns` > 1 and hint runs, `none` and each hint run go to their
 * own worker, up to `parallelRuns` at a time, started in workload order; each run is
 * the same pure function of the workload either way (its own layout and random streams),
 * so the results are identical to one worker running them in turn. Errors come back as the
 * classes the synchronous path throws: a core ConfigError/RangeError as MigsimError
 * 'config.invalid' naming the file (exit 2); the first error or an interrupt stops every
 * worker.
 */
export function simulateInWorker(loaded: LoadedWorkload, hooks: ProgressHooks, parallelRuns = 1): Promise<RunResult[]> {
  if (interrupted()) return Promise.reject(new InterruptedError());
  const runCount = loaded.workload.hints.length + 1;
  const parallel = Math.min(parallelRuns, runCount);
  return new Promise<RunResult[]>((resolve, reject) => {
    const workers = new Set<Worker>();
    const results: RunResult[] = new Array<RunResult>(parallel > 1 ? runCount : 1);
    let nextRun = 0;
    let pending = 0;
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      unregister();
      action();
      for (const worker of workers) void worker.terminate();
    };
    const unregister = onInterrupt(() => settle(() => reject(new InterruptedError())));
    const start = (runIndex: number | null): void => {
      const worker = new Worker(new URL('./simulate-worker.js', import.meta.url), { workerData: { workload: loaded.workload, flag: flagBuffer, runIndex } });
      workers.add(worker);
      pending++;
      worker.on('message', (message: SimulateWorkerMessage) => {
        switch (message.type) {
          case 'run-start':
            hooks.onRunStart(message.label, message.runIndex, message.runCount);
            break;
          case 'round':
            hooks.onRound(message.label, message.round);
            break;
          case 'done':
            if (runIndex === null) {
              settle(() => resolve(message.results));
              break;
            }
            results[runIndex] = message.results[0];
            workers.delete(worker);
            void worker.terminate();
            pending--;
            if (nextRun < runCount) start(nextRun++);
            else if (pending === 0) settle(() => resolve(fillSavedBytes(results)));
            break;
          case 'interrupted':
            settle(() => reject(new InterruptedError()));
            break;
          case 'error':
            settle(() => reject(rebuildError(loaded.file, message)));
            break;
        }
      });
      worker.on('error', (error) => settle(() => reject(error)));
      worker.on('exit', (code) => {
        if (workers.has(worker)) settle(() => reject(new InvariantError(`simulation worker exited with code ${code} before finishing ${loaded.file}`)));
      });
    };
    if (parallel <= 1) {
      start(null);
      return;
    }
    while (nextRun < parallel) start(nextRun++);
  });
}

function rebuildError(file: string, message: Extract<SimulateWorkerMessage, { type: 'error' }>): Error {
  let error: Error;
  if (message.name === 'ConfigError' || message.name === 'RangeError') {
    error = new MigsimError('config.invalid', `${file}: ${message.message}`);
    error.cause = message.name === 'ConfigError' ? new ConfigError('', message.message) : new RangeError(message.message);
  } else if (message.name === 'InvariantError') {
    error = new InvariantError(message.message);
  } else if (message.code !== null && (message.exitCode === EXIT_CODES.usage || message.exitCode === EXIT_CODES.internal)) {
    error = new MigsimError(message.code as MigsimError['code'], message.message, message.exitCode);
  } else {
    error = new Error(message.message);
  }
  if (message.stack !== null) error.stack = message.stack;
  return error;
}
