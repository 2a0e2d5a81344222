/**
 * Writing an output file without ever replacing what it should not:
 *   - `-` is stdout;
 *   - a regular file (or a path that does not exist yet) is replaced atomically: write
 *     `<file>.<pid>.tmp` in the same directory (so the rename stays on one file system),
 *     then rename it over `<file>`. A reader sees the old file or the new one, never half
 *     of either; on failure the temp file is removed and the old file is untouched; the
 *     new file keeps the old one's permission bits;
 *   - a symbolic link is followed: its target is written (atomically, in the target's
 *     directory), the link stays a link;
 *   - a character device (`/dev/null`, `/dev/stdout`, a terminal) or a FIFO is streamed
 *     into: renaming over it would replace the device node (as root, `--csv /dev/null`
 *     would leave a regular file in /dev);
 *   - anything else (a directory, a block device, a socket) is refused.
 * This adapter translates fs errors into MigsimError 'output.write-failed' (exit 2) and
 * rethrows: it does not handle them.
 */
import { chmodSync, lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

import { MigsimError } from '../core/errors.js';

/** Symbolic links followed before giving up with ELOOP, as the kernel's MAXSYMLINKS (40). */
const MAX_SYMLINK_HOPS = 40;

/** Where a write to a path lands, after following symbolic links. */
export interface OutputTarget {
  /** The path finally written (the link's target for a link). */
  path: string;
  /** `replace`: a regular file or a new one, replaced atomically; `stream`: a device or FIFO. */
  how: 'replace' | 'stream';
  /** Permission bits of the file replaced, or null for a new file. */
  mode: number | null;
}

function writeFailed(file: string, why: string): MigsimError {
  return new MigsimError('output.write-failed', `${file}: cannot write (${why})`, 2);
}

/**
 * Follows `file` through symbolic links (a dangling link names the file to create) and
 * says how it is written. @throws MigsimError 'output.write-failed' for a directory, a
 * block device, a socket, a link loop or an lstat error (EACCES, ENOTDIR, …).
 */
export function outputTarget(file: string): OutputTarget {
  let path = file;
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
    let stats;
    try {
      stats = lstatSync(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { path, how: 'replace', mode: null };
      throw writeFailed(file, errnoCode(error));
    }
    if (stats.isSymbolicLink()) {
      const link = readlinkSync(path);
      path = isAbsolute(link) ? link : join(dirname(path), link);
      continue;
    }
    if (stats.isFile()) return { path, how: 'replace', mode: stats.mode & 0o7777 };
    if (stats.isCharacterDevice() || stats.isFIFO()) return { path, how: 'stream', mode: null };
    if (stats.isDirectory()) throw writeFailed(file, 'EISDIR');
    const kind = stats.isBlockDevice() ? 'a block device' : stats.isSocket() ? 'a socket' : 'not a regular file';
    throw writeFailed(file, `${kind}: outputs go to regular files, character devices, FIFOs or -`);
  }
  throw writeFailed(file, 'ELOOP');
}

/**
 * Writes `text` (UTF-8, or bytes as given) to `file` as the header says: stdout for `-`,
 * streamed into a device or FIFO, else replaced atomically (through symbolic links).
 * Synchronous, except stdout, which is process.stdout's.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  if (file === '-') {
    process.stdout.write(text);
    return;
  }
  const target = outputTarget(file);
  const options = typeof text === 'string' ? { encoding: 'utf8' as const } : {};
  if (target.how === 'stream') {
    try {
      writeFileSync(target.path, text, { ...options, flag: 'w' });
    } catch (error) {
      throw writeFailed(file, errnoCode(error));
    }
    return;
  }
  const tempFile = `${target.path}.${process.pid}.tmp`;
  try {
    // A stale temp file of a killed process with our pid: remove it; `wx` then refuses to
    // follow anything planted there in between.
    removeQuietly(tempFile);
    writeFileSync(tempFile, text, { ...options, flag: 'wx' });
    if (target.mode !== null) chmodSync(tempFile, target.mode);
    renameSync(tempFile, target.path);
  } catch (error) {
    removeQuietly(tempFile);
    throw writeFailed(file, errnoCode(error));
  }
}

/**
 * `mkdir -p` one level at a time, so the error is the real one of the first directory that
 * cannot be made (EROFS, EACCES; Node's recursive mkdirSync said ENOENT on a read-only file
 * system, and never returned under /proc, where mkdir fails with ENOENT). @throws
 * MigsimError 'output.write-failed' `<dir>: cannot create directory (EROFS on /mnt/ro)`.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    try {
      if (statSync(current).isDirectory()) break;
      throw new MigsimError('output.write-failed', `${dir}: cannot create directory (${current} is not a directory)`);
    } catch (error) {
      if (error instanceof MigsimError) throw error;
      if (errnoCode(error) !== 'ENOENT') throw new MigsimError('output.write-failed', `${dir}: cannot create directory (${errnoCode(error)} on ${current})`);
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') continue;
      throw new MigsimError('output.write-failed', `${dir}: cannot create directory (${errnoCode(error)} on ${path})`);
    }
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
