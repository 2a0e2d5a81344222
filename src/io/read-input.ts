/**
 * Reading an input file with a bound: every file migsim reads (workloads, buddyinfo,
 * meminfo, baselines, results and shard CSVs, calibration files, traces) goes through here.
 *   - Only regular files: a FIFO would block (even `validate`), `/dev/zero` would be read
 *     until the process dies (std::bad_alloc), a directory gives EISDIR. The file is opened
 *     O_NONBLOCK so that opening a FIFO returns at once and fstat can refuse it.
 *   - At most `maxBytes`: checked on the size fstat gives and again while reading (a file
 *     that grows meanwhile).
 *   - Text: a UTF-8 byte order mark is dropped (Excel writes one); UTF-16 (a BOM, or the
 *     NUL bytes of ASCII in UTF-16) is refused with "save it as UTF-8"; any other NUL byte
 *     means a binary file.
 * Errors are InputError, whose `code` is the reason (`ENOENT`, `a FIFO, not a regular
 * file`, …), so that callers' `cannot read (${errnoCode(error)})` messages read right.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

import { formatBytes } from '../workload/units.js';

/** Size limits of the inputs, in bytes (README, "Reliability"). */
export const INPUT_LIMITS = {
  /** A workload file: the largest bundled one is 3 KiB. */
  workloadBytes: 4 * 2 ** 20,
  /** /proc/buddyinfo and /proc/meminfo: a few KiB even on a large NUMA host. */
  procFileBytes: 1 * 2 ** 20,
  /** A results, baseline or shard CSV: V8's longest string is 512 MiB, this is half of it. */
  csvBytes: 256 * 2 ** 20,
  /** A calibration file (iterations.csv, summary.json, samples.csv). */
  calibrationBytes: 64 * 2 ** 20,
} as const;

/** An input that cannot be read; `code` says why, as an errno code does. */
export class InputError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.name = 'InputError';
    this.code = code;
  }
}

/** What a non-regular file is, for messages. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

function tooLarge(sizeBytes: number | null, maxBytes: number): InputError {
  const size = sizeBytes === null ? '' : `${formatBytes(sizeBytes)}, `;
  return new InputError(`${size}over the limit of ${formatBytes(maxBytes)}`);
}

/**
 * The bytes of `file`, a regular file of at most `maxBytes`. @throws InputError (ENOENT,
 * EACCES, EISDIR, `a FIFO, not a regular file`, `5 MiB, over the limit of 4 MiB`).
 */
export function readInputBytes(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError(codeOf(error));
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw new InputError('EISDIR');
    if (!stats.isFile()) throw new InputError(`${kindOf(stats)}, not a regular file`);
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes);
    // One byte more than allowed tells a file that grew past the limit from one that did not.
    // /proc and /sys files say size 0 however much they hold (/proc/buddyinfo), and a file
    // may grow while read: the buffer grows, doubling from 64 KiB, up to that byte.
    let buffer = Buffer.allocUnsafe(Math.min(Math.max(stats.size, 65536), maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length > maxBytes) throw tooLarge(null, maxBytes);
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      let read: number;
      try {
        read = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw new InputError(codeOf(error));
      }
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** readInputBytes decoded as UTF-8 text (see the header for BOMs, UTF-16 and NUL bytes). */
export function readInputText(file: string, maxBytes: number): string {
  return decodeText(readInputBytes(file, maxBytes));
}

/**
 * UTF-8 text of `bytes`, without a leading byte order mark. @throws InputError for UTF-16
 * and for a NUL byte (a binary file).
 */
export function decodeText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length >= 2 && ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff))) {
    throw new InputError('UTF-16 text is not supported: save it as UTF-8');
  }
  const nul = buffer.indexOf(0);
  if (nul >= 0) {
    // ASCII in UTF-16 without a BOM: every other byte is NUL.
    const utf16 = buffer.length >= 4 && (buffer[1] === 0 || buffer[0] === 0) && (buffer[3] === 0 || buffer[2] === 0);
    throw new InputError(utf16 ? 'UTF-16 text is not supported: save it as UTF-8' : `not a text file (a NUL byte at offset ${nul})`);
  }
  const start = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString('utf8', start);
}

function codeOf(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
