/**
 * `migsim record --out trace.gz [--duration 10s] [-- command …]`: records the running
 * kernel's page allocations and frees (tracepoints kmem:mm_page_alloc and
 * kmem:mm_page_free, with pfn and order) through tracefs, for a duration or while a
 * command runs, and writes them as a migsim trace (`time op pfn order`, times from the
 * first event), gzip-compressed when the name ends in .gz. It uses a tracefs instance of
 * its own (instances/migsim-<pid>), so it neither needs nor disturbs the global buffer.
 * Needs root and tracefs; without them it says which is missing (exit 2).
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { MigsimError } from '../../core/errors.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { errnoCode, writeFileAtomic } from '../../io/write-atomic.js';
import { parseDuration } from '../../workload/units.js';

export interface RecordOptions {
  out: string;
  duration: string | null;
  tracefs: string;
  command: string[];
}

const EVENTS = ['mm_page_alloc', 'mm_page_free'] as const;
/** `<task>-<pid> [cpu] flags  12345.678901: mm_page_alloc: page=… pfn=0x1a2b order=0 …` */
const LINE = /\s(\d+\.\d+):\s+mm_page_(alloc|free):.*?\bpfn=0x([0-9a-f]+)\s+order=(\d+)/;

function fail(message: string): never {
  throw new MigsimError('usage.bad-option', `record: ${message}`);
}

function writeControl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EACCES' || code === 'EPERM') fail(`needs root to write ${path} (${code})`);
    fail(`cannot write ${path} (${code})`);
  }
}

/** Starts recording; resolves with the number of trace rows once the capture has ended. */
export async function recordCommand(options: RecordOptions): Promise<number> {
  const tracefs = options.tracefs;
  if (!existsSync(join(tracefs, 'events', 'kmem', 'mm_page_alloc'))) {
    fail(`needs tracefs with the kmem tracepoints at ${tracefs} (as root: mount -t tracefs nodev ${tracefs})`);
  }
  if (options.command.length === 0 && options.duration === null) fail('give --duration or a command to record (migsim record --out t.gz -- make -j8)');
  let durationSec = Infinity;
  if (options.duration !== null) {
    try {
      durationSec = parseDuration(options.duration);
    } catch (error) {
      fail(`--duration ${(error as Error).message} (got ${options.duration})`);
    }
  }
  // A capture can last minutes: a bad --out must not be found out at its end, with the trace lost.
  checkOutputPaths([{ option: '--out', path: options.out }]);
  const instance = join(tracefs, 'instances', `migsim-${process.pid}`);
  try {
    mkdirSync(instance);
  } catch (error) {
    const code = errnoCode(error);
    fail(code === 'EACCES' || code === 'EPERM' ? `needs root to create a tracefs instance (${code})` : `cannot create ${instance} (${code})`);
  }
  const rows: string[] = [];
  const counts = { alloc: new Map<number, number>(), free: new Map<number, number>() };
  let firstSec = NaN;
  let lastSec = 0;
  let maxPfn = 0;
  let pending = '';
  const consume = (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = LINE.exec(line);
      if (match === null) continue;
      const sec = Number(match[1]);
      const pfn = parseInt(match[3], 16);
      const order = Number(match[4]);
      if (pfn === 0) continue; // a failed allocation traces no page
      if (Number.isNaN(firstSec)) firstSec = sec;
      lastSec = sec;
      const op = match[2] as 'alloc' | 'free';
      counts[op].set(order, (counts[op].get(order) ?? 0) + 1);
      maxPfn = Math.max(maxPfn, pfn + 2 ** order);
      rows.push(`${(sec - firstSec).toFixed(6)} ${op} ${pfn} ${order}`);
    }
  };
  try {
    writeControl(join(instance, 'buffer_size_kb'), '65536');
    for (const event of EVENTS) writeControl(join(instance, 'events', 'kmem', event, 'enable'), '1');
    const pipe = createReadStream(join(instance, 'trace_pipe'), { encoding: 'utf8' });
    pipe.on('data', (chunk) => consume(chunk as string));
    const startedMs = Date.now();
    let exitCode = 0;
    if (options.command.length > 0) {
      exitCode = await new Promise<number>((resolve) => {
        const child = spawn(options.command[0], options.command.slice(1), { stdio: 'inherit' });
        const timer = Number.isFinite(durationSec) ? setTimeout(() => child.kill('SIGTERM'), durationSec * 1000) : null;
        child.on('error', (error) => {
          process.stderr.write(`migsim: record: cannot run ${options.command[0]} (${errnoCode(error)})\n`);
          resolve(127);
        });
        child.on('exit', (code) => {
          if (timer !== null) clearTimeout(timer);
          resolve(code ?? 1);
        });
      });
    } else {
      await new Promise((resolve) => setTimeout(resolve, durationSec * 1000));
    }
    for (const event of EVENTS) writeControl(join(instance, 'events', 'kmem', event, 'enable'), '0');
    // Let the pipe drain what the buffer still holds; then a marker line wakes the
    // blocked read of trace_pipe so that the stream can close.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = new Promise<void>((resolve) => pipe.on('close', () => resolve()));
    pipe.destroy();
    writeControl(join(instance, 'trace_marker'), 'migsim record done\n');
    await closed;
    consume('\n');
    const header = [
      `# migsim trace: kmem:mm_page_alloc and kmem:mm_page_free, recorded ${new Date(startedMs).toISOString()}`,
      `# ${options.command.length > 0 ? `while running: ${options.command.join(' ')} (exit ${exitCode})` : `for ${durationSec} s`}`,
      '# time_s op pfn order',
    ];
    const text = [...header, ...rows, ''].join('\n');
    writeFileAtomic(options.out, options.out.endsWith('.gz') ? gzipSync(text) : text);
    const summarize = (map: Map<number, number>) =>
      [...map.entries()].sort((a, b) => a[0] - b[0]).map(([order, n]) => `o${order}:${n}`).join(' ') || 'none';
    process.stdout.write(
      `recorded ${rows.length} events over ${rows.length > 0 ? (lastSec - firstSec).toFixed(3) : '0'} s into ${options.out}\n` +
        `  allocs ${summarize(counts.alloc)}\n  frees  ${summarize(counts.free)}\n` +
        `  highest pfn ${maxPfn} (a replaying guest needs memory >= ${Math.ceil((maxPfn * 4096) / 2 ** 30)} GiB)\n`,
    );
  } finally {
    try {
      for (const event of EVENTS) writeFileSync(join(instance, 'events', 'kmem', event, 'enable'), '0');
    } catch {
      /* already off, or never on */
    }
    try {
      rmdirSync(instance);
    } catch {
      /* the instance is busy for a moment after the pipe closes; the kernel frees it on rmdir later */
    }
  }
  return 0;
}
