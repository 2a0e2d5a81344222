/**
 * `migsim sweep <workload> --vary key=spec …`: simulates every point of the grid (the
 * cartesian product of the --vary axes, workload/sweep-grid.ts) on `--jobs` worker
 * threads and writes ONE tidy CSV: a row per (point, run), the swept columns first, then
 * the summary columns of src/core/result-columns.ts, then `point` (0-based grid index) and `grid_points`
 * (the whole grid's size, so `migsim merge` can check that shards cover it). Rows are in
 * point order, then run order: the file is the same for any --jobs. `--shard i/n` runs
 * only the points with index % n == i - 1 (round-robin).
 *
 * Before any worker starts, every point is parsed and its engine memory estimated
 * (memory-limit.ts): a point too large alone, or the --jobs largest together, refuse the
 * sweep with exit 2. Ctrl-C terminates the workers and exits 130 (interrupt.ts); the CSV is
 * written only once every point is done, atomically, so an earlier file stays as it was.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import { MigsimError, UsageError, type ErrorCode } from '../../core/errors.js';
import { readWorkload, readWorkloadText, WorkloadFileCache, type LoadWarning } from '../../io/read-workload.js';
import { formatSweepCsv, sweepColumns } from '../../io/sweep-csv.js';
import { formatSweepJson } from '../../io/results-json.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { createHeartbeat, heartbeatAllowed, heartbeatIntervalSec } from '../../report/heartbeat.js';
import { createSweepProgress } from '../../report/sweep-progress.js';
import { escapeControlChars } from '../../report/terminal-text.js';
import { progressAllowed } from '../../report/progress.js';
import { gridPoint, gridSize, parseShard, parseVaryOptions, shardIndices, type SweepAxis } from '../../workload/sweep-grid.js';
import type { SweepReply, SweepTask, SweepWorkerData } from '../sweep-worker.js';
import { InterruptedError, interrupted, onInterrupt, withInterruptGuard } from '../interrupt.js';
import { checkSweepMemory, checkWorkloadMemory, estimateEngineBytes, memoryLimit } from '../memory-limit.js';
import { EXIT_CODES } from '../../core/exit-codes.js';
import { writeStderrLine, writeStdout } from '../simulate.js';

export interface SweepOptions {
  vary: string[];
  set: string[];
  seed: number | null;
  /** Worker threads; null = os.availableParallelism(). */
  jobs: number | null;
  shard: string | null;
  /** Output path, `-` for stdout. */
  csv: string;
  /** `--json`: the sweep as one JSON document on stdout (then a `--csv -` is not printed). */
  json?: boolean;
  /** `--max-memory <size>`; null = MIGSIM_MAX_MEMORY or the machine's memory. */
  maxMemory?: string | null;
  /** `--allow-outside-paths`. */
  allowOutsidePaths?: boolean;
  /** `--max-events <n>`: per point; null = MIGSIM_MAX_EVENTS or the default. */
  maxEvents?: string | null;
  quiet: boolean;
}

export async function sweepCommand(file: string, options: SweepOptions): Promise<number> {
  const spec = parseVaryOptions(options.vary);
  checkOutputPaths([{ option: '--csv', path: options.csv }]);
  const shard = options.shard === null ? null : parseShard(options.shard);
  // The file is read once (the cache) and every worker gets its text: all points load the same workload.
  const cache = new WorkloadFileCache();
  const data: SweepWorkerData = { text: readWorkloadText(file, cache), file, seed: options.seed, hints: spec.hints, allowOutsidePaths: options.allowOutsidePaths === true };
  const size = gridSize(spec.axes);
  const indices = shardIndices(size, shard);
  const tasks: SweepTask[] = indices.map((index) => ({ index, sets: pointSets(spec.axes, options.set, index) }));
  // Parse every point before simulating any: a bad value, or a guest too large for the
  // memory limit, fails at once, naming the point. Only the estimates are kept: a point's
  // workload may hold a whole trace.
  const limit = memoryLimit({ maxMemory: options.maxMemory ?? null, maxEvents: options.maxEvents ?? null });
  const pointBytes: number[] = [];
  // A clamped value is one warning per field for the whole sweep, counting its points:
  // bandwidth points above the link give identical rows.
  const warned = new Map<string, { problem: string; points: number[] }>();
  for (const task of tasks) {
    const onWarning = (warning: LoadWarning): void => {
      const entry = warned.get(warning.field) ?? { problem: warning.problem, points: [] };
      if (!entry.points.includes(task.index)) entry.points.push(task.index);
      warned.set(warning.field, entry);
    };
    try {
      const workload = readWorkload(file, { sets: task.sets, hints: spec.hints, seed: options.seed, cache, onWarning, traceBudgetBytes: limit.bytes, allowOutsidePaths: options.allowOutsidePaths === true });
      checkWorkloadMemory(file, workload, limit);
      pointBytes.push(estimateEngineBytes(workload));
    } catch (error) {
      if (error instanceof MigsimError) throw new MigsimError(error.code, `${fromVary(error.message, spec.axes)} (sweep point ${describePoint(spec.axes, task.index)})`, error.exitCode);
      throw error;
    }
  }

  for (const [field, { problem, points }] of warned) {
    const where = tasks.length === 1 ? '' : ` at ${points.length} of ${tasks.length} points (first: ${describePoint(spec.axes, points[0])})`;
    writeStderrLine(`migsim: warning: ${escapeControlChars(file)}: ${field}${where}: ${escapeControlChars(problem)}${points.length > 1 ? '; their rows are identical' : ''}`);
  }

  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), tasks.length));
  checkSweepMemory(file, pointBytes, jobs, options.jobs === null ? 'one worker thread per core, the default' : `--jobs ${options.jobs}`, limit);
  const heartbeat = createHeartbeat({ intervalSec: heartbeatAllowed({ quiet: options.quiet }) ? heartbeatIntervalSec() : 0 });
  const progress = createSweepProgress({ enabled: progressAllowed({ json: false, quiet: options.quiet }), totalPoints: tasks.length, jobs, heartbeat });
  let replies: Map<number, SweepReply & { ok: true }>;
  try {
    // Ctrl-C terminates the workers and throws InterruptedError (exit 130) before the CSV is written.
    replies = await withInterruptGuard(() => runPool(data, tasks, jobs, () => progress.increment()));
  } finally {
    progress.stop();
    heartbeat.stop();
  }

  const rows: string[][] = [];
  const lost: string[] = [];
  for (const task of tasks) {
    const reply = replies.get(task.index)!;
    const values = gridPoint(spec.axes, task.index).values;
    for (const row of reply.rows) rows.push([...values, ...row, String(task.index), String(size)]);
    for (const message of reply.lost) lost.push(`lost pages: point ${describePoint(spec.axes, task.index)}: ${message}`);
  }
  const columns = sweepColumns(spec.axes.map((axis) => axis.key));
  const csv = formatSweepCsv(columns, rows);
  if (options.csv !== '-') writeFileAtomic(options.csv, csv);
  if (options.json === true) {
    writeStdout(formatSweepJson({ file, axes: spec.axes.map((axis) => axis.key), gridPoints: size, columns, rows }));
  } else if (options.csv === '-') {
    writeStdout(csv);
  }
  for (const message of lost) writeStderrLine(`migsim: ${message}`);
  return lost.length > 0 ? EXIT_CODES.lostPages : EXIT_CODES.ok;
}

/** The fixed `--set`s first, then the point's axis values (they win on the same key). */
function pointSets(axes: readonly SweepAxis[], fixed: readonly string[], index: number): string[] {
  const values = gridPoint(axes, index).values;
  return [...fixed, ...axes.map((axis, a) => `${axis.key}=${values[a]}`)];
}

/**
 * A point's values reach the workload as `--set`s, so a bad one reads "(from --set key)";
 * the user wrote `--vary key=…`: say so.
 */
function fromVary(message: string, axes: readonly SweepAxis[]): string {
  let text = message;
  for (const axis of axes) text = text.split(`(from --set ${axis.key})`).join(`(from --vary ${axis.key})`);
  return text;
}

function describePoint(axes: readonly SweepAxis[], index: number): string {
  const values = gridPoint(axes, index).values;
  return `${index}${axes.length > 0 ? ` (${axes.map((axis, a) => `${axis.key}=${values[a]}`).join(', ')})` : ''}`;
}

/**
 * Hands tasks to `jobs` workers, the next task to whichever worker is free; collects the
 * replies by point index (completion order does not matter). The first failed point, or
 * SIGINT (onInterrupt), rejects after every worker is terminated. Call inside
 * withInterruptGuard.
 */
function runPool(
  data: SweepWorkerData,
  tasks: readonly SweepTask[],
  jobs: number,
  onPointDone: () => void,
): Promise<Map<number, SweepReply & { ok: true }>> {
  const replies = new Map<number, SweepReply & { ok: true }>();
  if (interrupted()) return Promise.reject(new InterruptedError());
  if (tasks.length === 0) return Promise.resolve(replies);
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = false;
    const finish = (error: Error | null): void => {
      if (finished) return;
      finished = true;
      unregister();
      // terminate() stops a point's synchronous simulation at once; waiting for it means
      // no worker outlives the command, so sweep-worker needs no interrupt flag.
      Promise.all(workers.map((worker) => worker.terminate())).then(
        () => (error === null ? resolve(replies) : reject(error)),
        reject,
      );
    };
    const unregister = onInterrupt(() => finish(new InterruptedError()));
    const feed = (worker: Worker): void => {
      if (next < tasks.length) worker.postMessage(tasks[next++]);
    };
    for (let j = 0; j < jobs; j++) {
      const worker = new Worker(new URL('../sweep-worker.js', import.meta.url), { workerData: data });
      workers.push(worker);
      worker.on('message', (reply: SweepReply) => {
        if (!reply.ok) {
          finish(new MigsimError(reply.code as ErrorCode, reply.message, reply.exitCode));
          return;
        }
        replies.set(reply.index, reply);
        onPointDone();
        if (replies.size === tasks.length) finish(null);
        else feed(worker);
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (!finished) finish(new MigsimError('internal.invariant', `a sweep worker exited early (code ${code})`, 70));
      });
      feed(worker);
    }
  });
}

/** `--jobs n`: an integer >= 1. */
export function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!/^\d+$/.test(text) || !(jobs >= 1)) throw new UsageError(`--jobs must be an integer >= 1 (got ${text})`);
  return jobs;
}
