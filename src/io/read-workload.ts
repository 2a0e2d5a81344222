/**
 * The one way a workload file becomes a Workload: read the file, parse it
 * (src/workload/parse-workload.ts: a ParsedWorkload naming its buddyinfo and trace files),
 * read those files here, and complete it (src/workload/complete-workload.ts: the checks
 * that need them, then frozen). run, check, plot, calibrate, validate, dirty-rate and
 * sweep (its main thread and its workers) all load through readWorkload.
 *
 * Relative paths inside the workload (trace, buddyinfo) resolve against the file's
 * directory. An unreadable workload file becomes MigsimError 'workload.unreadable'
 * (exit 2) `file: cannot read (ENOENT)`; an unreadable or malformed named file is a
 * WorkloadError naming the field (`file: phases[0].trace t.gz: cannot read (ENOENT)`);
 * parse errors are the parser's WorkloadError, passed through untouched.
 */
import { constants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';

import { MigsimError, WorkloadError } from '../core/errors.js';
import type { TraceRows, Workload } from '../core/types.js';
import { parseBuddyinfo } from '../workload/buddyinfo.js';
import { completeWorkload } from '../workload/complete-workload.js';
import { parseWorkload, type ParsedWorkload } from '../workload/parse-workload.js';
import { MAX_TRACE_ROWS, parseTraceBytes } from '../workload/trace.js';
import { formatBytes } from '../workload/units.js';
import { INPUT_LIMITS, InputError, readInputBytes, readInputText } from './read-input.js';
import { errnoCode } from './write-atomic.js';

export interface ReadWorkloadOptions {
  /** `--set key=value` overrides, in command-line order. */
  sets?: readonly string[];
  /** `--hints` list; null or absent = the file's own hints. */
  hints?: readonly string[] | null;
  /** `--seed`; null or absent = the file's seed. */
  seed?: number | null;
  /**
   * Keeps what was read for the next call (a sweep loads the same file once per grid
   * point): the workload text, buddyinfo counts and trace rows by path. Absent: nothing is
   * kept. Loaded workloads are frozen, so sharing trace rows between them is safe.
   */
  cache?: WorkloadFileCache;
  /** Receives each warning of the parser (a clamped value): the file, the field, what happened. */
  onWarning?: (warning: LoadWarning) => void;
  /**
   * Bytes reading one trace may take (DEFAULT_TRACE_BUDGET_BYTES when absent; commands
   * pass their memory limit): a quarter for the text (inflated), the rest for the rows
   * (14 B each, up to three times over while the arrays grow and are trimmed).
   */
  traceBudgetBytes?: number;
  /**
   * `--allow-outside-paths`: read buddyinfo and trace files outside the workload file's
   * directory. Off by default: a workload from elsewhere must not read (and quote in an
   * error) `/etc/shadow` or `../../secret`.
   */
  allowOutsidePaths?: boolean;
}

/** 2 GiB: 512 MiB of trace text, 38 M rows. */
export const DEFAULT_TRACE_BUDGET_BYTES = 2 * 2 ** 30;

/** Most bytes of trace text whatever the budget: 1 GiB (gunzip's maxOutputLength must fit a Buffer). */
export const MAX_TRACE_TEXT_BYTES = 2 ** 30;

/** The text and row limits a trace budget gives (see ReadWorkloadOptions.traceBudgetBytes). */
export function traceLimits(budgetBytes: number): { textBytes: number; rows: number } {
  return {
    textBytes: Math.min(MAX_TRACE_TEXT_BYTES, Math.floor(budgetBytes / 4)),
    rows: Math.max(1, Math.min(MAX_TRACE_ROWS, Math.floor(budgetBytes / 4 / 14))),
  };
}

/** A warning about a loaded workload: the file, the field and what happened. */
export interface LoadWarning {
  file: string;
  field: string;
  problem: string;
}

/** What readWorkload read, by path; one per sweep (main thread, each worker). */
export class WorkloadFileCache {
  readonly texts = new Map<string, string>();
  readonly buddyinfo = new Map<string, number[]>();
  /** Trace rows by path and guest shape (the parse checks pfns against the guest). */
  readonly traces = new Map<string, TraceRows>();
}

/** Reads and loads `file` (path as the user gave it; it names the file in messages). */
export function readWorkload(file: string, options: ReadWorkloadOptions = {}): Workload {
  const cache = options.cache;
  const text = readWorkloadText(file, cache);
  const parsed = parseWorkload(text, file, {
    sets: options.sets ?? [],
    hints: options.hints ?? null,
    seed: options.seed ?? null,
    baseDir: dirname(file),
  });
  for (const warning of parsed.warnings) options.onWarning?.({ file, ...warning });
  const buddyinfoPath = parsed.guest.initial.buddyinfoPath;
  if (options.allowOutsidePaths !== true) {
    if (buddyinfoPath !== null) checkContained(file, 'guest.initial.buddyinfo', buddyinfoPath);
    parsed.phases.forEach((phase, index) => {
      if (phase.tracePath !== null) checkContained(file, `phases[${index}].trace`, phase.tracePath);
    });
  }
  return completeWorkload(parsed, file, {
    buddyinfoCounts: buddyinfoPath === null ? undefined : readBuddyinfo(buddyinfoPath, file, cache),
    traces: parsed.phases.map((phase, index) =>
      phase.tracePath === null ? null : readTrace(parsed, phase.tracePath, file, index, cache, traceLimits(options.traceBudgetBytes ?? DEFAULT_TRACE_BUDGET_BYTES)),
    ),
  });
}

/**
 * Refuses `path` (a file the workload names at `field`) unless it lies inside the workload
 * file's directory, symbolic links resolved: an absolute path elsewhere or `../` out of it
 * needs --allow-outside-paths. A path that does not resolve is left to the read (ENOENT).
 */
function checkContained(file: string, field: string, path: string): void {
  let base: string;
  let target: string;
  try {
    base = realpathSync(dirname(file));
    target = realpathSync(path);
  } catch {
    return;
  }
  const rel = relative(base, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new WorkloadError(file, field, `${path} is outside the workload's directory (${base}): pass --allow-outside-paths to read it`);
  }
}

/** The workload file's text (kept in `cache` when given). */
export function readWorkloadText(file: string, cache?: WorkloadFileCache): string {
  let text = cache?.texts.get(file);
  if (text === undefined) {
    try {
      text = readInputText(file, INPUT_LIMITS.workloadBytes);
    } catch (error) {
      throw new MigsimError('workload.unreadable', `${file}: cannot read (${errnoCode(error)})`);
    }
    cache?.texts.set(file, text);
  }
  return text;
}

/**
 * Reads a trace (gzip-compressed when it ends in .gz) into typed arrays, within `limits`:
 * the file and its inflated text at most `textBytes` (a 10 MB gzip inflating to 2.2 GB
 * killed Node), at most `rows` rows; parsed line by line from the bytes.
 */
function readTrace(
  parsed: ParsedWorkload,
  path: string,
  file: string,
  phaseIndex: number,
  cache: WorkloadFileCache | undefined,
  limits: { textBytes: number; rows: number },
): TraceRows {
  const guest = parsed.guest;
  const totalPages = guest.memoryBytes / guest.pageSizeBytes;
  const key = `${path}\0${totalPages}\0${guest.maxOrder}`;
  const cached = cache?.traces.get(key);
  if (cached !== undefined) return cached;
  let text: Uint8Array;
  try {
    const bytes = readInputBytes(path, limits.textBytes);
    text = path.endsWith('.gz') ? inflateBounded(bytes, limits.textBytes) : bytes;
  } catch (error) {
    throw new WorkloadError(file, `phases[${phaseIndex}].trace`, `${path}: cannot read (${errnoCode(error)})`);
  }
  let rows: TraceRows;
  try {
    rows = parseTraceBytes(text, totalPages, guest.maxOrder, limits.rows);
  } catch (error) {
    throw new WorkloadError(file, `phases[${phaseIndex}].trace`, `${path}: ${(error as Error).message}`);
  }
  cache?.traces.set(key, rows);
  return rows;
}

/** gunzip, refusing output beyond `maxBytes` (zlib stops there: no bomb is inflated whole). */
function inflateBounded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  try {
    // zlib refuses a maxOutputLength above buffer.constants.MAX_LENGTH (ERR_OUT_OF_RANGE),
    // which a quarter of a large machine's memory exceeds.
    return gunzipSync(bytes, { maxOutputLength: Math.min(maxBytes, constants.MAX_LENGTH) });
  } catch (error) {
    if (errnoCode(error) === 'ERR_BUFFER_TOO_LARGE') throw new InputError(`inflates to more than ${formatBytes(maxBytes)}, the limit for a trace's text`);
    throw new InputError(`not gzip data: ${errnoCode(error)}`);
  }
}

/** Reads `guest.initial.buddyinfo`: free blocks per order, zones summed. */
function readBuddyinfo(path: string, file: string, cache: WorkloadFileCache | undefined): number[] {
  const cached = cache?.buddyinfo.get(path);
  if (cached !== undefined) return cached;
  let counts: number[];
  try {
    counts = parseBuddyinfo(readInputText(path, INPUT_LIMITS.procFileBytes));
  } catch (error) {
    const why = error instanceof Error && !('code' in error) ? error.message : `cannot read (${errnoCode(error)})`;
    throw new WorkloadError(file, 'guest.initial.buddyinfo', `${path}: ${why}`);
  }
  cache?.buddyinfo.set(path, counts);
  return counts;
}
