/**
 * Reads a workload file and hands its text to the (pure) parser. Relative paths inside
 * the workload (trace, buddyinfo) resolve against the file's directory. An unreadable
 * file becomes MigsimError 'workload.unreadable' (exit 2) `file: cannot read (ENOENT)`;
 * parse errors are the parser's WorkloadError, passed through untouched.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { MigsimError } from '../core/errors.js';
import type { Workload } from '../core/types.js';
import { parseWorkload } from '../workload/parse-workload.js';
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
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MigsimError('workload.unreadable', `${file}: cannot read (${errnoCode(error)})`);
  }
  return parseWorkload(text, file, {
    sets: options.sets ?? [],
    hints: options.hints ?? null,
    seed: options.seed ?? null,
    baseDir: dirname(file),
  });
}
