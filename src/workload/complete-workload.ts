/**
 * Completes a ParsedWorkload with the contents of the files it names into a Workload:
 * the buddyinfo block counts (and `used` as memory minus their free memory), each
 * phase's trace rows. Makes the checks the parser could not make without the files
 * (freeDirty and every writer's workingSet against the used memory), then freezes the
 * result (deepFreeze): nothing downstream can change a loaded workload.
 *
 * Pure: src/io/read-workload.ts reads the files and calls this. Tests that build a
 * workload from text with no files call it with no contents.
 */
import { WorkloadError } from '../core/errors.js';
import type { Phase, TraceRows, Workload } from '../core/types.js';
import { buddyinfoFreePages } from './buddyinfo.js';
import type { ParsedWorkload } from './parse-workload.js';

/** What the files named by a workload hold, read by the caller. */
export interface WorkloadFileContents {
  /** `guest.initial.buddyinfo`: free blocks per order, zones summed (parseBuddyinfo). */
  buddyinfoCounts?: readonly number[];
  /** Per phase, its trace's rows (null or absent for a phase without a trace). */
  traces?: readonly (TraceRows | null | undefined)[];
}

/**
 * The complete, frozen Workload. `file` names the workload in messages. Throws
 * WorkloadError (exit 2) naming the field when a named file's contents are missing or
 * contradict the workload.
 */
export function completeWorkload(parsed: ParsedWorkload, file: string, contents: WorkloadFileContents = {}): Workload {
  const { buddyinfoPath, ...initial } = parsed.guest.initial;
  let usedBytes = initial.usedBytes;
  let buddyinfoFreeBlocks: number[] | null = null;
  if (buddyinfoPath !== null) {
    if (contents.buddyinfoCounts === undefined) throw new WorkloadError(file, 'guest.initial.buddyinfo', `${buddyinfoPath}: was not read`);
    buddyinfoFreeBlocks = checkBuddyinfo(parsed, file, buddyinfoPath, contents.buddyinfoCounts);
    usedBytes = parsed.guest.memoryBytes - buddyinfoFreePages(buddyinfoFreeBlocks) * parsed.guest.pageSizeBytes;
  }
  if (usedBytes === null) throw new WorkloadError(file, 'guest.initial.used', 'is required (or guest.initial.buddyinfo)');
  const phases: Phase[] = parsed.phases.map(({ tracePath, ...phase }, index) => {
    const trace = contents.traces?.[index] ?? null;
    if (tracePath !== null && trace === null) throw new WorkloadError(file, `phases[${index}].trace`, `${tracePath}: was not read`);
    if (tracePath === null && trace !== null) throw new WorkloadError(file, `phases[${index}].trace`, 'rows given for a phase without a trace');
    return { ...phase, trace };
  });
  const { warnings: _warnings, ...fields } = parsed;
  const workload: Workload = {
    ...fields,
    guest: { ...parsed.guest, initial: { ...initial, usedBytes, buddyinfoFreeBlocks } },
    phases,
  };
  return deepFreeze(workload);
}

/**
 * The checks that need the buddyinfo file (the parser saw only its name): no order above
 * maxOrder, no more free memory than the guest has, freeDirty within it, and each writer's
 * working set within the used memory. Returns the counts padded to maxOrder + 1.
 */
function checkBuddyinfo(parsed: ParsedWorkload, file: string, path: string, counts: readonly number[]): number[] {
  const guest = parsed.guest;
  const field = 'guest.initial.buddyinfo';
  for (let order = guest.maxOrder + 1; order < counts.length; order++) {
    if (counts[order] > 0) throw new WorkloadError(file, field, `has free blocks of order ${order}, above guest.maxOrder ${guest.maxOrder} (got ${path})`);
  }
  const padded = Array.from({ length: guest.maxOrder + 1 }, (_, order) => counts[order] ?? 0);
  const freeBytes = buddyinfoFreePages(padded) * guest.pageSizeBytes;
  if (freeBytes > guest.memoryBytes) {
    throw new WorkloadError(file, field, `describes more free memory than guest.memory (got ${freeBytes} free bytes in ${path})`);
  }
  if (guest.initial.freeDirtyBytes > freeBytes) {
    throw new WorkloadError(file, 'guest.initial.freeDirty', `must be at most the free memory in ${path} (${freeBytes} bytes)`);
  }
  const usedBytes = guest.memoryBytes - freeBytes;
  parsed.phases.forEach((phase, p) =>
    phase.writes.forEach((writer, w) => {
      if (writer.workingSetBytes > usedBytes) {
        throw new WorkloadError(
          file,
          `phases[${p}].writes[${w}].workingSet`,
          `is larger than used memory (memory minus the free memory of ${path}: ${usedBytes} bytes)`,
        );
      }
    }),
  );
  return padded;
}

/**
 * Freezes `value` and everything reachable from it, in place; returns it. Typed arrays
 * (trace rows) cannot be frozen (their elements are always writable): their holder is.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
