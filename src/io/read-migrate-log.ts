/**
 * Reads a migration as a management tool records it: a `query-migrate` log (JSON lines,
 * one reply per poll: QMP's `{"return": {...}}`, maybe with an "id", or the bare object;
 * QMP event lines are skipped), and/or `virsh domjobinfo` text (one block per poll, or the
 * one `--completed` prints). Returns the samples in order, in base units; nothing here
 * interprets them (src/calibrate/log-metrics.ts does). A malformed line is a MigsimError
 * naming the file, the line and the field (exit 2).
 *
 * domjobinfo prints sizes rounded to three decimals of their unit (`105.772 MiB`), so its
 * byte counts are good to about 0.001 of the unit; its page counts are exact.
 */
import { readFileSync } from 'node:fs';

import type { MigrateSample } from '../calibrate/log-metrics.js';
import { MigsimError } from '../core/errors.js';
import { unwrapQmpReply } from './read-dirty-rate.js';
import { errnoCode } from './write-atomic.js';

/** qapi/migration.json MigrationStatus. */
const MIGRATION_STATUSES = new Set([
  'none', 'setup', 'cancelling', 'cancelled', 'active', 'postcopy-active', 'postcopy-paused', 'postcopy-recover-setup',
  'postcopy-recover', 'completed', 'failed', 'colo', 'pre-switchover', 'device', 'wait-unplug',
]);

function fail(file: string, where: string, problem: string): never {
  throw new MigsimError('calibration.invalid', `${file}: ${where}${where === '' ? '' : ' '}${problem}`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new MigsimError('calibration.invalid', `${file}: cannot read (${errnoCode(error)})`);
  }
}

/** Every sample of a query-migrate log that has RAM statistics (setup samples have none). */
export function parseMigrateLog(file: string, text: string): MigrateSample[] {
  const samples: MigrateSample[] = [];
  let replies = 0;
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const at = `line ${index + 1}:`;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (error) {
      fail(file, at, `is not JSON (${(error as Error).message}); the log takes one reply per line (no --pretty)`);
    }
    // QMP's greeting, events, and the empty reply of qmp_capabilities are not samples.
    if (typeof doc === 'object' && doc !== null && ('event' in doc || 'QMP' in doc)) return;
    const bare = doc as { return?: unknown };
    if (typeof bare.return === 'object' && bare.return !== null && Object.keys(bare.return).length === 0) return;
    // The testbed's samples.jsonl keeps the reply under "raw".
    const reply = unwrapQmpReply(`${file}: line ${index + 1}`, typeof doc === 'object' && doc !== null && 'raw' in doc ? (doc as { raw: unknown }).raw : doc, 'query-migrate');
    replies++;
    const status = reply.status;
    if (typeof status !== 'string' || !MIGRATION_STATUSES.has(status)) {
      const looksLike = 'dirty-rate' in reply ? ' (it looks like query-dirty-rate)' : '';
      const got = typeof status === 'string' ? `is ${JSON.stringify(status)}` : 'is missing';
      fail(file, `${at} return.status`, `${got}: not a reply of query-migrate${looksLike}`);
    }
    if (status === 'failed' || status === 'cancelled') fail(file, `${at} return.status`, `is ${status}: the migration did not complete`);
    const ram = reply.ram as Record<string, unknown> | undefined;
    if (ram === undefined) return;
    const num = (object: Record<string, unknown>, prefix: string, key: string, required = true): number => {
      const value = object[key];
      if (value === undefined && !required) return NaN;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(file, `${at} ${prefix}${key}`, `must be a number >= 0 (got ${JSON.stringify(value)})`);
      return value;
    };
    samples.push({
      status,
      totalTimeSec: num(reply, 'return.', 'total-time') / 1e3,
      downtimeSec: status === 'completed' ? num(reply, 'return.', 'downtime') / 1e3 : NaN,
      transferredBytes: num(ram, 'return.ram.', 'transferred'),
      remainingBytes: num(ram, 'return.ram.', 'remaining'),
      totalBytes: num(ram, 'return.ram.', 'total'),
      normalPages: num(ram, 'return.ram.', 'normal'),
      zeroPages: num(ram, 'return.ram.', 'duplicate'),
      dirtySyncCount: num(ram, 'return.ram.', 'dirty-sync-count'),
      pageSizeBytes: num(ram, 'return.ram.', 'page-size', false),
    });
  });
  if (replies === 0) fail(file, '', 'has no query-migrate reply');
  if (samples.length === 0) fail(file, '', 'has no sample with return.ram: the log ends before the migration sent anything');
  return samples;
}

const DOMJOBINFO_UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** `virsh domjobinfo` blocks (each starts at `Job type:`), as samples. */
export function parseDomjobinfo(file: string, text: string): MigrateSample[] {
  const samples: MigrateSample[] = [];
  const blocks = text.split(/^(?=Job type:)/m).filter((block) => /^Job type:/.test(block));
  if (blocks.length === 0) fail(file, '', 'has no `Job type:` line: not the output of virsh domjobinfo');
  for (const [index, block] of blocks.entries()) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const match = /^([^:]+):\s*(.*?)\s*$/.exec(line);
      if (match !== null) fields.set(match[1].trim(), match[2]);
    }
    const where = blocks.length > 1 ? `block ${index + 1}: ` : '';
    const jobType = fields.get('Job type');
    if (jobType === 'None') continue;
    const field = (name: string): string => {
      const value = fields.get(name);
      if (value === undefined) fail(file, `${where}${name}`, 'is missing');
      return value;
    };
    const count = (name: string): number => {
      const value = field(name);
      const match = /^(\d+)(?:\s+\S+)?$/.exec(value);
      if (match === null) fail(file, `${where}${name}`, `must be a count (got ${JSON.stringify(value)})`);
      return Number(match[1]);
    };
    const bytes = (name: string): number => {
      const value = field(name);
      const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)$/.exec(value);
      if (match === null) fail(file, `${where}${name}`, `must be a size such as 105.772 MiB (got ${JSON.stringify(value)})`);
      return Math.round(Number(match[1]) * DOMJOBINFO_UNITS[match[2]]);
    };
    const ms = (name: string): number => {
      const value = field(name);
      const match = /^(\d+)\s*ms$/.exec(value);
      if (match === null) fail(file, `${where}${name}`, `must be milliseconds such as 884 ms (got ${JSON.stringify(value)})`);
      return Number(match[1]) / 1e3;
    };
    const completed = jobType === 'Completed';
    samples.push({
      status: completed ? 'completed' : 'active',
      totalTimeSec: ms('Time elapsed'),
      downtimeSec: completed && fields.has('Total downtime') ? ms('Total downtime') : NaN,
      transferredBytes: bytes('Memory processed'),
      remainingBytes: bytes('Memory remaining'),
      totalBytes: bytes('Memory total'),
      normalPages: count('Normal pages'),
      zeroPages: count('Constant pages'),
      dirtySyncCount: count('Iteration'),
      pageSizeBytes: fields.has('Page size') ? count('Page size') : NaN,
    });
  }
  if (samples.length === 0) fail(file, '', 'has only `Job type: None` blocks: no migration was running');
  return samples;
}

export function readMigrateLog(file: string): MigrateSample[] {
  return parseMigrateLog(file, readText(file));
}

export function readDomjobinfo(file: string): MigrateSample[] {
  return parseDomjobinfo(file, readText(file));
}
