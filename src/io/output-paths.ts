/**
 * Checks output paths before anything is simulated: a long run must not end with
 * "cannot write" after the work is done. Each path must be `-` (stdout), or a file whose
 * directory exists and takes a new file (a link is followed, a device or FIFO is fine), as
 * write-atomic.ts will write it. The directory is proven by creating (and removing) the
 * temp file write-atomic.ts writes there: access(W_OK) says yes to root everywhere, also on
 * /proc, where the create then fails with ENOENT after the whole run. The write itself can
 * still fail later (a full disk); this catches the typo, the missing directory and the
 * file system that takes no files. MigsimError 'output.write-failed' (exit 2) names the
 * option and the path.
 */
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { MigsimError } from '../core/errors.js';
import { errnoCode, outputTarget } from './write-atomic.js';

/** An output the command will write: the option that names it and the path (`-` = stdout). */
export interface OutputPath {
  option: string;
  path: string | null | undefined;
}

/** Throws for the first output that cannot be written; nulls (not requested) are skipped. */
export function checkOutputPaths(outputs: readonly OutputPath[]): void {
  for (const { option, path } of outputs) {
    if (path === null || path === undefined || path === '-') continue;
    checkOutputPath(option, path);
  }
}

function checkOutputPath(option: string, path: string): void {
  const fail = (why: string): MigsimError => new MigsimError('output.write-failed', `${option} ${path}: cannot write (${why})`);
  let target;
  try {
    target = outputTarget(path);
  } catch (error) {
    throw error instanceof MigsimError ? fail(error.message.replace(/^.*cannot write \((.*)\)$/, '$1')) : error;
  }
  if (target.how === 'stream') return;
  const dir = dirname(target.path);
  try {
    if (!statSync(dir).isDirectory()) throw fail(`${dir} is not a directory`);
  } catch (error) {
    if (error instanceof MigsimError) throw error;
    const code = errnoCode(error);
    throw fail(code === 'ENOENT' ? `no directory ${dir}` : code);
  }
  try {
    probeCreate(`${target.path}.${process.pid}.tmp`);
  } catch (error) {
    throw fail(errnoCode(error));
  }
}

/**
 * Creates `file` (exclusively: nothing planted there is followed) and removes it again: the
 * one test of a directory that holds for root and for every file system. A stale file of a
 * killed process with our pid is removed first, as writeFileAtomic does.
 */
function probeCreate(file: string): void {
  rmSync(file, { force: true });
  closeSync(openSync(file, 'wx'));
  rmSync(file, { force: true });
}

/** A directory the command will create if missing (plot --out-dir): its nearest existing ancestor must be a writable directory. */
export function checkOutputDir(option: string, dir: string): void {
  let current = dir;
  for (;;) {
    try {
      const stats = statSync(current);
      if (!stats.isDirectory()) throw new MigsimError('output.write-failed', `${option} ${dir}: cannot write (${current} is not a directory)`);
    } catch (error) {
      if (error instanceof MigsimError) throw error;
      const code = errnoCode(error);
      if (code !== 'ENOENT') throw new MigsimError('output.write-failed', `${option} ${dir}: cannot write (${code} on ${current})`);
      const parent = dirname(current);
      if (parent === current) throw new MigsimError('output.write-failed', `${option} ${dir}: cannot write (no directory)`);
      current = parent;
      continue;
    }
    // The directory, or the ancestor makeDirectory will create it in: it must take a new entry.
    try {
      probeCreate(join(current, `.migsim.${process.pid}.tmp`));
    } catch (error) {
      throw new MigsimError('output.write-failed', `${option} ${dir}: cannot write (${errnoCode(error)} on ${current})`);
    }
    return;
  }
}
