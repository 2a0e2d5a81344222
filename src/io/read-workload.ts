/**
 * Reads a workload file and hands its text to the (pure) parser. Relative paths inside
 * the workload (trace, buddyinfo) resolve against the file's directory. An unreadable
 * file becomes MigsimError 'workload.unreadable' (exit 2) `file: cannot read (ENOENT)`;
 * parse errors are the parser's WorkloadError, passed through untouched.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname } from 'node:path';

import { MigsimError, WorkloadError } from '../core/errors.js';
import type { TraceRows, Workload } from '../core/types.js';
import { buddyinfoFreePages, parseBuddyinfo } from '../workload/buddyinfo.js';
import { parseWorkload } from '../workload/parse-workload.js';
import { parseTrace } from '../workload/trace.js';
import { INPUT_LIMITS, readInputText } from './read-input.js';
import { errnoCode } from './write-atomic.js';

export interface ReadWorkloadOptions {
  /** `--set key=value` overrides, in command-line order. */
  sets?: string[];
  /** `--hints` list; null or absent = the file's own hints. */
  hints?: string[] | null;
  /** `--seed`; null or absent = the file's seed. */
  seed?: number | null;
}

/** Reads and parses `file` (path as the user gave it; it names the file in messages). */
export function readWorkload(file: string, options: ReadWorkloadOptions = {}): Workload {
  let text: string;
  try {
    text = readInputText(file, INPUT_LIMITS.workloadBytes);
  } catch (error) {
    throw new MigsimError('workload.unreadable', `${file}: cannot read (${errnoCode(error)})`);
  }
  const workload = parseWorkload(text, file, {
    sets: options.sets ?? [],
    hints: options.hints ?? null,
    seed: options.seed ?? null,
    baseDir: dirname(file),
  });
  if (workload.guest.initial.buddyinfoPath !== null) readBuddyinfo(workload, file);
  workload.phases.forEach((phase, index) => {
    if (phase.tracePath !== null) phase.trace = readTrace(workload, phase.tracePath, file, index);
  });
  return workload;
}

/** Reads a trace (gzip-compressed when it ends in .gz) into typed arrays. */
function readTrace(workload: Workload, path: string, file: string, phaseIndex: number): TraceRows {
  let text: string;
  try {
    const bytes = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new WorkloadError(file, `phases[${phaseIndex}].trace`, `${path}: cannot read (${errnoCode(error)})`);
  }
  const guest = workload.guest;
  try {
    return parseTrace(text, guest.memoryBytes / guest.pageSizeBytes, guest.maxOrder);
  } catch (error) {
    throw new WorkloadError(file, `phases[${phaseIndex}].trace`, `${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads `guest.initial.buddyinfo` into the workload: the free block counts, and `used` as
 * memory minus the free pages (the checks the parser could not make without the file).
 */
function readBuddyinfo(workload: Workload, file: string): void {
  const guest = workload.guest;
  const path = guest.initial.buddyinfoPath!;
  const field = `${file}: guest.initial.buddyinfo`;
  let counts: number[];
  try {
    counts = parseBuddyinfo(readInputText(path, INPUT_LIMITS.procFileBytes));
  } catch (error) {
    const why = error instanceof Error && !('code' in error) ? error.message : `cannot read (${errnoCode(error)})`;
    throw new WorkloadError(file, 'guest.initial.buddyinfo', `${path}: ${why}`);
  }
  for (let order = guest.maxOrder + 1; order < counts.length; order++) {
    if (counts[order] > 0) {
      throw new MigsimError('workload.invalid', `${field} has free blocks of order ${order}, above guest.maxOrder ${guest.maxOrder} (got ${path})`);
    }
  }
  const padded = Array.from({ length: guest.maxOrder + 1 }, (_, order) => counts[order] ?? 0);
  const freeBytes = buddyinfoFreePages(padded) * guest.pageSizeBytes;
  if (freeBytes > guest.memoryBytes) {
    throw new MigsimError('workload.invalid', `${field} describes more free memory than guest.memory (got ${freeBytes} free bytes in ${path})`);
  }
  if (guest.initial.freeDirtyBytes > freeBytes) {
    throw new MigsimError('workload.invalid', `${file}: guest.initial.freeDirty must be at most the free memory in ${path} (${freeBytes} bytes)`);
  }
  guest.initial.buddyinfoFreeBlocks = padded;
  guest.initial.usedBytes = guest.memoryBytes - freeBytes;
  workload.phases.forEach((phase, p) =>
    phase.writes.forEach((writer, w) => {
      if (writer.workingSetBytes > guest.initial.usedBytes) {
        throw new MigsimError(
          'workload.invalid',
          `${file}: phases[${p}].writes[${w}].workingSet is larger than used memory (memory minus the free memory of ${path}: ${guest.initial.usedBytes} bytes)`,
        );
      }
    }),
  );
}
