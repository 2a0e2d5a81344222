/**
 * Refuses a workload before the engine allocates more memory than the machine has (or
 * --max-memory / MIGSIM_MAX_MEMORY allows), and a guest larger than the allocator can
 * index. The estimate is the engine's own layout (src/core, not changed here):
 *   - BuddyAllocator: Int32 next/prev links + an order byte = 9 B per page;
 *   - GuestMemory and precopy: about 12 one-bit-per-page bitmaps = 1.5 B per page;
 *   so ~10.5 B per guest page (1 TiB of 4 KiB pages: 268 M pages, ~2.6 GiB);
 *   - the churn free queue: one entry (8 + 8 + 4 + 1 = 21 B, doubled when it grows) per
 *     live block, at most rate x lifetime and never more than the guest's pages;
 *   - per vCPU: the pcp ring (high + batch + 1 Int32 entries) and three Int32 counters;
 *   - trace rows: 14 B each (time 8, pfn 4, op and order 1 each).
 * The same check refuses a workload whose estimated events exceed --max-events
 * (work-limit.ts): both are bounds on what one workload may cost before it runs.
 * `run`, `check` and `plot` simulate one workload after another, so the largest is what
 * counts; `sweep` simulates `--jobs` points at once, so the sum of the largest few does.
 */
import { availableParallelism, totalmem } from 'node:os';

import { MigsimError, UsageError } from '../core/errors.js';
import type { Workload } from '../core/types.js';
import { formatBytes, parseSize } from '../workload/units.js';
import { escapeControlChars } from '../report/terminal-text.js';
import { checkWorkloadWork, workLimit, type WorkLimit } from './work-limit.js';

/** Allocator (9 B) plus ~12 one-bit bitmaps (1.5 B) per guest page. */
export const ENGINE_BYTES_PER_PAGE = 10.5;

/** Bytes per live churn block in the free queue: 21 B of typed arrays, x2 for growth slack. */
export const FREE_QUEUE_BYTES_PER_BLOCK = 42;

/** The allocator's links are Int32: pfns must fit in 2^31 - 1. */
export const MAX_GUEST_PAGES = 2 ** 31 - 1;

export interface MemoryLimitOptions {
  /** --max-memory as given (a size), or null. */
  maxMemory: string | null;
  /** --max-events as given, or null/absent (MIGSIM_MAX_EVENTS, else the default). */
  maxEvents?: string | null;
}

/** Bytes per trace row: time (Float64), pfn (Int32), op and order (Uint8). */
export const TRACE_BYTES_PER_ROW = 14;

/** Estimated peak bytes the engine allocates to simulate `workload`. */
export function estimateEngineBytes(workload: Workload): number {
  const pages = workload.guest.memoryBytes / workload.guest.pageSizeBytes;
  let liveBlocks = 0;
  for (const phase of workload.phases) {
    for (const churn of phase.churn) liveBlocks += churn.rateBlocksPerSec * churn.lifetimeSec;
  }
  return pages * ENGINE_BYTES_PER_PAGE + Math.min(liveBlocks, pages) * FREE_QUEUE_BYTES_PER_BLOCK + perVcpuBytes(workload) + traceBytes(workload);
}

/** The pcp rings and per-vCPU counters (PcpCache, GuestMemory's buffer fill). */
function perVcpuBytes(workload: Workload): number {
  const pcp = workload.guest.pcp;
  const ringEntries = pcp === null ? 0 : pcp.highPages + pcp.batchPages + 1;
  return workload.guest.vcpus * 4 * (ringEntries + 3);
}

function traceBytes(workload: Workload): number {
  let rows = 0;
  for (const phase of workload.phases) rows += phase.trace?.count ?? 0;
  return rows * TRACE_BYTES_PER_ROW;
}

/** A memory limit in bytes and where it came from (--max-memory, MIGSIM_MAX_MEMORY, the machine), for messages. */
export interface MemoryLimit {
  bytes: number;
  source: string;
  /** The events limit checked alongside (work-limit.ts). */
  work?: WorkLimit;
}

/** The limit that applies: --max-memory, else MIGSIM_MAX_MEMORY, else the machine's total memory. */
export function memoryLimit(options: MemoryLimitOptions, env: NodeJS.ProcessEnv = process.env): MemoryLimit {
  const fromOption = options.maxMemory;
  const fromEnv = env.MIGSIM_MAX_MEMORY;
  const [text, source] = fromOption !== null ? [fromOption, '--max-memory'] : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, 'MIGSIM_MAX_MEMORY'] : [null, 'this machine\'s memory'];
  const work = workLimit(options.maxEvents, env);
  if (text === null) return { bytes: totalmem(), source, work };
  try {
    return { bytes: parseSize(text), source, work };
  } catch (error) {
    throw new UsageError(`${source} ${(error as Error).message} (got ${JSON.stringify(text)})`);
  }
}

/**
 * Throws MigsimError 'config.invalid' (exit 2) naming the file when a workload's guest has
 * more pages than the allocator indexes, or its estimated engine memory exceeds the limit.
 */
export function checkMemoryLimit(loaded: readonly { file: string; workload: Workload }[], options: MemoryLimitOptions): void {
  const limit = memoryLimit(options);
  for (const { file, workload } of loaded) checkWorkloadMemory(file, workload, limit);
}

/** checkMemoryLimit for one workload against a limit already resolved. */
export function checkWorkloadMemory(file: string, workload: Workload, limit: MemoryLimit): void {
  const guest = workload.guest;
  const pages = guest.memoryBytes / guest.pageSizeBytes;
  const where = escapeControlChars(file);
  if (pages > MAX_GUEST_PAGES) {
    throw new MigsimError(
      'config.invalid',
      `${where}: guest.memory ${formatBytes(guest.memoryBytes)} is ${pages} pages of ${formatBytes(guest.pageSizeBytes)}, more than the allocator supports (2^31 - 1 pages = ${formatBytes(MAX_GUEST_PAGES * guest.pageSizeBytes)} of ${formatBytes(guest.pageSizeBytes)} pages)`,
    );
  }
  const needBytes = estimateEngineBytes(workload);
  if (needBytes > limit.bytes) {
    const pagesBytes = pages * ENGINE_BYTES_PER_PAGE;
    const vcpuBytes = perVcpuBytes(workload);
    const rowsBytes = traceBytes(workload);
    const churnBlocks = Math.round((needBytes - pagesBytes - vcpuBytes - rowsBytes) / FREE_QUEUE_BYTES_PER_BLOCK);
    let churn = churnBlocks > 0 ? ` + ${churnBlocks} live churn blocks x ${FREE_QUEUE_BYTES_PER_BLOCK} B` : '';
    if (rowsBytes > 0) churn += ` + ${rowsBytes / TRACE_BYTES_PER_ROW} trace rows x ${TRACE_BYTES_PER_ROW} B`;
    if (vcpuBytes >= 2 ** 20) churn += ` + ${formatBytes(vcpuBytes)} of per-vCPU lists`;
    throw new MigsimError(
      'config.invalid',
      `${where}: simulating needs about ${formatBytes(Math.ceil(needBytes))} of memory (${pages} pages x ${ENGINE_BYTES_PER_PAGE} B${churn}), more than the ${formatBytes(limit.bytes)} of ${limit.source}; raise it with --max-memory or MIGSIM_MAX_MEMORY`,
    );
  }
  checkWorkloadWork(file, workload, limit.work ?? workLimit(null));
}

/**
 * A sweep's workers each hold one point's engine at a time, so at worst the `jobs` largest
 * points are in memory together. Throws MigsimError 'config.invalid' (exit 2) naming the
 * file when their estimates add up to more than the limit, with the largest number of
 * workers that would fit. Call after checkWorkloadMemory passed for every point (so one
 * point alone always fits). `jobsSource` says where `jobs` came from, e.g. `--jobs 8`.
 */
export function checkSweepMemory(file: string, pointBytes: readonly number[], jobs: number, jobsSource: string, limit: MemoryLimit): void {
  const largestFirst = [...pointBytes].sort((a, b) => b - a);
  let needBytes = 0;
  let fitJobs = 0;
  for (let j = 0; j < Math.min(jobs, largestFirst.length); j++) {
    needBytes += largestFirst[j];
    if (needBytes <= limit.bytes) fitJobs = j + 1;
  }
  if (needBytes <= limit.bytes) return;
  throw new MigsimError(
    'config.invalid',
    `${escapeControlChars(file)}: running ${jobs} sweep points at once (${jobsSource}) needs about ${formatBytes(Math.ceil(needBytes))} of memory (the ${jobs} largest points, up to ${formatBytes(Math.ceil(largestFirst[0]))} each), more than the ${formatBytes(limit.bytes)} of ${limit.source}; run ${fitJobs} at a time with --jobs ${fitJobs}, or raise the limit with --max-memory or MIGSIM_MAX_MEMORY`,
  );
}

/**
 * How many of a workload's runs (`none` and each hint run) `run` and `check` simulate at
 * once, in worker threads: one per run, at most `jobs` (default: the machine's cores), and
 * no more than fit in the memory limit together (each run builds its own engine). At least 1.
 */
export function parallelRunsFor(workload: Workload, options: MemoryLimitOptions & { jobs?: number | null }): number {
  const runs = workload.hints.length + 1;
  const fitting = Math.floor(memoryLimit(options).bytes / estimateEngineBytes(workload));
  return Math.max(1, Math.min(runs, options.jobs ?? availableParallelism(), fitting));
}
