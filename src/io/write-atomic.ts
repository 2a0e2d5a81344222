/**
 * Atomic file replacement: write `<file>.<pid>.tmp` in the same directory (so the rename
 * stays on one file system), then rename it over `<file>`. A reader sees the old file or
 * the new one, never half of either; on failure the temp file is removed and the old
 * file is untouched. This adapter translates fs errors into MigsimError
 * 'output.write-failed' (exit 2) and rethrows: it does not handle them.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

import { MigsimError } from '../core/errors.js';

/** Replaces `file` with `text` (UTF-8, or bytes as given) atomically. Synchronous. */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const tempFile = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tempFile, text, typeof text === 'string' ? { encoding: 'utf8', flag: 'w' } : { flag: 'w' });
    renameSync(tempFile, file);
  } catch (error) {
    removeQuietly(tempFile);
    throw new MigsimError('output.write-failed', `${file}: cannot write (${errnoCode(error)})`, 2);
  }
}

/**
 * Removes a temp file that may not exist, or whose path cannot exist (a parent that is a
 * regular file gives ENOTDIR even with force): the write error is the one to report.
 */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Nothing was created there.
  }
}

/** `ENOENT`, `EACCES`, … or the message when the error carries no errno code. */
export function errnoCode(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.message : String(error);
}
