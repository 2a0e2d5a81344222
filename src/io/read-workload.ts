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
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname } from 'node:path';

import { MigsimError, WorkloadError } from '../core/errors.js';
import type { TraceRows, Workload } from '../core/types.js';
import { parseBuddyinfo } from '../workload/buddyinfo.js';
import { completeWorkload } from '../workload/complete-workload.js';
import { parseWorkload, type ParsedWorkload } from '../workload/parse-workload.js';
import { parseTrace } from '../workload/trace.js';
import { INPUT_LIMITS, readInputText } from './read-input.js';
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
  const buddyinfoPath = parsed.guest.initial.buddyinfoPath;
  return completeWorkload(parsed, file, {
    buddyinfoCounts: buddyinfoPath === null ? undefined : readBuddyinfo(buddyinfoPath, file, cache),
    traces: parsed.phases.map((phase, index) => (phase.tracePath === null ? null : readTrace(parsed, phase.tracePath, file, index, cache))),
  });
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

/** Reads a trace (gzip-compressed when it ends in .gz) into typed arrays. */
function readTrace(parsed: ParsedWorkload, path: string, file: string, phaseIndex: number, cache: WorkloadFileCache | undefined): TraceRows {
  const guest = parsed.guest;
  const totalPages = guest.memoryBytes / guest.pageSizeBytes;
  const key = `${path}\0${totalPages}\0${guest.maxOrder}`;
  const cached = cache?.traces.get(key);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    const bytes = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new WorkloadError(file, `phases[${phaseIndex}].trace`, `${path}: cannot read (${errnoCode(error)})`);
  }
  let rows: TraceRows;
  try {
    rows = parseTrace(text, totalPages, guest.maxOrder);
  } catch (error) {
    throw new WorkloadError(file, `phases[${phaseIndex}].trace`, `${path}: ${(error as Error).message}`);
  }
  cache?.traces.set(key, rows);
  return rows;
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
