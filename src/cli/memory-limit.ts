/**
 * Refuses a workload before the engine allocates more memory than the machine has (or
 * --max-memory / MIGSIM_MAX_MEMORY allows), and a guest larger than the allocator can
 * index. The estimate is the engine's own layout (src/core, not changed here):
 *   - BuddyAllocator: Int32 next/prev links + an order byte = 9 B per page;
 *   - GuestMemory and precopy: about 12 one-bit-per-page bitmaps = 1.5 B per page;
 *   so ~10.5 B per guest page (1 TiB of 4 KiB pages: 268 M pages, ~2.6 GiB);
 *   - the churn free queue: one entry (8 + 8 + 4 + 1 = 21 B, doubled when it grows) per
 *     live block, at most rate x lifetime and never more than the guest's pages.
 * Runs happen one after another, so the largest workload is what counts.
 */
import { totalmem } from 'node:os';

import { MigsimError, UsageError } from '../core/errors.js';
import type { Workload } from '../core/types.js';
import { formatBytes, parseSize } from '../workload/units.js';
import { escapeControlChars } from '../report/terminal-text.js';

/** Allocator (9 B) plus ~12 one-bit bitmaps (1.5 B) per guest page. */
export const ENGINE_BYTES_PER_PAGE = 10.5;

/** Bytes per live churn block in the free queue: 21 B of typed arrays, x2 for growth slack. */
export const FREE_QUEUE_BYTES_PER_BLOCK = 42;

/** The allocator's links are Int32: pfns must fit in 2^31 - 1. */
export const MAX_GUEST_PAGES = 2 ** 31 - 1;

export interface MemoryLimitOptions {
  /** --max-memory as given (a size), or null. */
  maxMemory: string | null;
}

/** Estimated peak bytes the engine allocates to simulate `workload`. */
export function estimateEngineBytes(workload: Workload): number {
  const pages = workload.guest.memoryBytes / workload.guest.pageSizeBytes;
  let liveBlocks = 0;
  for (const phase of workload.phases) {
    for (const churn of phase.churn) liveBlocks += churn.rateBlocksPerSec * churn.lifetimeSec;
  }
  return pages * ENGINE_BYTES_PER_PAGE + Math.min(liveBlocks, pages) * FREE_QUEUE_BYTES_PER_BLOCK;
}

/** The limit in bytes and where it came from (for the message). */
export function memoryLimit(options: MemoryLimitOptions, env: NodeJS.ProcessEnv = process.env): { bytes: number; source: string } {
  const fromOption = options.maxMemory;
  const fromEnv = env.MIGSIM_MAX_MEMORY;
  const [text, source] = fromOption !== null ? [fromOption, '--max-memory'] : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, 'MIGSIM_MAX_MEMORY'] : [null, 'this machine\'s memory'];
  if (text === null) return { bytes: totalmem(), source };
  try {
    return { bytes: parseSize(text), source };
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
  for (const { file, workload } of loaded) {
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
      const churnBlocks = Math.round((needBytes - pagesBytes) / FREE_QUEUE_BYTES_PER_BLOCK);
      const churn = churnBlocks > 0 ? ` + ${churnBlocks} live churn blocks x ${FREE_QUEUE_BYTES_PER_BLOCK} B` : '';
      throw new MigsimError(
        'config.invalid',
        `${where}: simulating needs about ${formatBytes(Math.ceil(needBytes))} of memory (${pages} pages x ${ENGINE_BYTES_PER_PAGE} B${churn}), more than the ${formatBytes(limit.bytes)} of ${limit.source}; raise it with --max-memory or MIGSIM_MAX_MEMORY`,
      );
    }
  }
}
