/**
 * `migsim buddyinfo [file] [--out snapshot] [--memory size]`: turns a machine's
 * /proc/buddyinfo (by default this machine's) into an initial guest state. It saves the
 * snapshot (atomically) and prints the `guest:` stanza of a workload that reproduces its
 * free block counts (`guest.initial.buddyinfo`). `memory` defaults to MemTotal from
 * /proc/meminfo rounded up to whole 4 MiB blocks: MemTotal leaves out memory the kernel
 * reserved at boot, which a guest of that size has too.
 */
import { basename } from 'node:path';

import { MigsimError } from '../../core/errors.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { INPUT_LIMITS, readInputText } from '../../io/read-input.js';
import { errnoCode, writeFileAtomic } from '../../io/write-atomic.js';
import { buddyinfoFreePages, parseBuddyinfo } from '../../workload/buddyinfo.js';
import { formatBytes, parseSize } from '../../workload/units.js';

export interface BuddyinfoOptions {
  out: string | null;
  memory: string | null;
  meminfo: string;
}

const MAX_ORDER_BLOCK_BYTES = 4 * 2 ** 20;

function readText(file: string, what: string): string {
  try {
    return readInputText(file, INPUT_LIMITS.procFileBytes);
  } catch (error) {
    throw new MigsimError('workload.unreadable', `${file}: cannot read ${what} (${errnoCode(error)})`);
  }
}

export function buddyinfoCommand(file: string, options: BuddyinfoOptions): number {
  const snapshot = options.out ?? 'buddyinfo.txt';
  // The snapshot path (also the default one, in the current directory) is proven before
  // anything is read: a bad path is one line naming --out.
  checkOutputPaths([{ option: '--out', path: snapshot }]);
  const text = readText(file, 'buddyinfo');
  let counts: number[];
  try {
    counts = parseBuddyinfo(text);
  } catch (error) {
    throw new MigsimError('workload.invalid', `${file}: ${(error as Error).message}`);
  }
  const freeBytes = buddyinfoFreePages(counts) * 4096;
  let memoryBytes: number;
  if (options.memory !== null) {
    try {
      memoryBytes = parseSize(options.memory);
    } catch (error) {
      throw new MigsimError('usage.bad-option', `--memory ${(error as Error).message} (got ${options.memory})`);
    }
  } else {
    const match = /^MemTotal:\s+(\d+)\s+kB/m.exec(readText(options.meminfo, 'MemTotal'));
    if (match === null) throw new MigsimError('workload.invalid', `${options.meminfo}: has no MemTotal line; give --memory`);
    memoryBytes = Math.ceil((Number(match[1]) * 1024) / MAX_ORDER_BLOCK_BYTES) * MAX_ORDER_BLOCK_BYTES;
  }
  writeFileAtomic(snapshot, text);
  const orders = counts.map((count, order) => `${order}:${count}`).join(' ');
  process.stdout.write(
    [
      `# ${file}: ${formatBytes(freeBytes)} free of ${formatBytes(memoryBytes)}; free blocks per order ${orders}`,
      `# saved to ${snapshot}; paste into a workload next to it:`,
      'guest:',
      `  memory: ${memoryBytes / 2 ** 20}MiB`,
      '  initial:',
      `    buddyinfo: ${basename(snapshot)}`,
      '    freeDirty: 0B             # how much of the free memory holds old data: say what you know',
      '',
    ].join('\n'),
  );
  return 0;
}
