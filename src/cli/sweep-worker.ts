/**
 * A `migsim sweep` worker thread: loads (src/io/read-workload.ts) and simulates the grid points the main thread
 * posts, one at a time, and posts back each point's summary rows as plain string arrays
 * (cells in SUMMARY_COLUMNS order, already formatted, so the CSV is the same whichever
 * thread made it). Errors go back as messages, never as uncaught exceptions.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { simulateWorkload } from '../core/index.js';
import { ConfigError, MigsimError, type ErrorExitCode } from '../core/errors.js';
import { EXIT_CODES } from '../core/exit-codes.js';
import { formatCell, SUMMARY_COLUMNS, summaryRecord } from '../columns/cells.js';
import { readWorkload, WorkloadFileCache } from '../io/read-workload.js';

/** What the main thread gives every worker once. */
export interface SweepWorkerData {
  /** The workload file's text as the main thread read it (every point loads the same). */
  text: string;
  file: string;
  seed: number | null;
  hints: string[] | null;
  /** `--allow-outside-paths`. */
  allowOutsidePaths?: boolean;
}

/** One point to simulate: the `--set` assignments, fixed ones first. */
export interface SweepTask {
  index: number;
  sets: string[];
}

export type SweepReply =
  | { index: number; ok: true; rows: string[][]; lost: string[] }
  | { index: number; ok: false; message: string; code: string; exitCode: ErrorExitCode };

/** Simulates one point; the rows are the summary CSV cells of each run, `none` first. */
export function simulatePoint(data: SweepWorkerData, task: SweepTask, cache: WorkloadFileCache = cacheWith(data)): SweepReply {
  try {
    const workload = readWorkload(data.file, { sets: task.sets, hints: data.hints, seed: data.seed, cache, allowOutsidePaths: data.allowOutsidePaths === true });
    const results = simulateWorkload(workload);
    const rows: string[][] = [];
    const lost: string[] = [];
    for (const { summary } of results) {
      const record = summaryRecord(summary);
      rows.push(SUMMARY_COLUMNS.map((column) => formatCell(column, record[column])));
      if (summary.lostPages > 0) lost.push(`${summary.run} lost ${summary.lostPages} pages (${summary.lostZeroPages} zero-content)`);
    }
    return { index: task.index, ok: true, rows, lost };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RangeError) {
      return { index: task.index, ok: false, message: `${data.file}: ${error.message}`, code: 'config.invalid', exitCode: EXIT_CODES.usage };
    }
    if (error instanceof MigsimError) return { index: task.index, ok: false, message: error.message, code: error.code, exitCode: error.exitCode };
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { index: task.index, ok: false, message, code: 'internal.invariant', exitCode: EXIT_CODES.internal };
  }
}

/** A cache holding the workload text the main thread read. */
function cacheWith(data: SweepWorkerData): WorkloadFileCache {
  const cache = new WorkloadFileCache();
  cache.texts.set(data.file, data.text);
  return cache;
}

if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as SweepWorkerData;
  // One cache for the worker's life: buddyinfo and trace files are read once, not per point.
  const cache = cacheWith(data);
  port.on('message', (task: SweepTask) => {
    port.postMessage(simulatePoint(data, task, cache));
  });
}
