/**
 * Reads what QEMU's `query-dirty-rate` returned (qapi/migration.json DirtyRateInfo), as
 * QMP prints it (`{"return": {...}}`, maybe with an "id"), as `virsh
 * qemu-monitor-command DOMAIN --pretty '{"execute":"query-dirty-rate"}'` prints it (the
 * same, indented), or the bare object. A file of several replies (JSON lines) gives its
 * last one. Anything else is a MigsimError naming the file and the field (exit 2).
 */

import type { DirtyRateMode, MeasuredDirtyRate } from '../core/dirty-rate.js';
import { MigsimError } from '../core/errors.js';
import { INPUT_LIMITS, readInputText } from './read-input.js';
import { errnoCode } from './write-atomic.js';

function fail(file: string, field: string, problem: string): never {
  // A problem with the whole file (no field) reads `file: is empty …`, not `file:  is empty …`.
  throw new MigsimError('calibration.invalid', `${file}: ${field === '' ? '' : `${field} `}${problem}`);
}

function parseJsonDocuments(file: string, text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    // JSON lines: one reply per line.
  }
  const docs: unknown[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      docs.push(JSON.parse(line));
    } catch (error) {
      fail(file, `line ${index + 1}`, `is not JSON (${(error as Error).message})`);
    }
  });
  if (docs.length === 0) fail(file, '', 'is empty: expected the reply of query-dirty-rate');
  return docs;
}

/** The reply object: `return` of a QMP reply, or the object itself. */
export function unwrapQmpReply(file: string, doc: unknown, command: string): Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(file, '', `is not a JSON object: expected the reply of ${command}`);
  const object = doc as Record<string, unknown>;
  if ('error' in object) {
    const error = object.error as { desc?: unknown } | null;
    fail(file, 'error', `is a QMP error reply (${JSON.stringify(error?.desc ?? error)}), not the reply of ${command}`);
  }
  if ('return' in object) {
    const reply = object.return;
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) fail(file, 'return', `must be an object (the reply of ${command})`);
    return reply as Record<string, unknown>;
  }
  return object;
}

function number(file: string, reply: Record<string, unknown>, field: string, check: (n: number) => string | null): number {
  const value = reply[field];
  if (value === undefined) fail(file, `return.${field}`, 'is missing');
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(file, `return.${field}`, `must be a number (got ${JSON.stringify(value)})`);
  const problem = check(value);
  if (problem !== null) fail(file, `return.${field}`, `${problem} (got ${value})`);
  return value;
}

export function parseDirtyRate(file: string, text: string): MeasuredDirtyRate {
  const docs = parseJsonDocuments(file, text);
  const reply = unwrapQmpReply(file, docs[docs.length - 1], 'query-dirty-rate');
  if (!('dirty-rate' in reply) && !('calc-time' in reply)) {
    const looksLike = 'ram' in reply || 'total-time' in reply ? ' (it looks like query-migrate)' : '';
    fail(file, 'return.dirty-rate', `is missing: not the reply of query-dirty-rate${looksLike}`);
  }
  const status = reply.status;
  if (status !== undefined && status !== 'measured') {
    fail(file, 'return.status', `must be "measured" (got ${JSON.stringify(status)}): query again once calc-dirty-rate has finished`);
  }
  const modeValue = reply.mode ?? 'page-sampling';
  if (modeValue !== 'page-sampling' && modeValue !== 'dirty-bitmap' && modeValue !== 'dirty-ring') {
    fail(file, 'return.mode', `must be page-sampling, dirty-bitmap or dirty-ring (got ${JSON.stringify(modeValue)})`);
  }
  const mode = modeValue as DirtyRateMode;
  const unit = reply['calc-time-unit'] ?? 'second';
  if (unit !== 'second' && unit !== 'millisecond') fail(file, 'return.calc-time-unit', `must be second or millisecond (got ${JSON.stringify(unit)})`);
  const calcTime = number(file, reply, 'calc-time', (n) => (n > 0 ? null : 'must be > 0'));
  const rate = number(file, reply, 'dirty-rate', (n) =>
    n > 0 ? null : n === 0 ? 'must be > 0: a guest that dirtied nothing needs no writer' : 'must be > 0',
  );
  const samplePages = mode === 'page-sampling' ? number(file, reply, 'sample-pages', (n) => (Number.isInteger(n) && n > 0 ? null : 'must be an integer > 0')) : 0;
  let vcpuMiBPerSec: number[] | null = null;
  const vcpus = reply['vcpu-dirty-rate'];
  if (vcpus !== undefined) {
    if (!Array.isArray(vcpus) || vcpus.length === 0) fail(file, 'return.vcpu-dirty-rate', 'must be a non-empty list of {id, dirty-rate}');
    vcpuMiBPerSec = new Array<number>(vcpus.length).fill(NaN);
    vcpus.forEach((entry: unknown, index) => {
      const at = `return.vcpu-dirty-rate[${index}]`;
      if (typeof entry !== 'object' || entry === null) fail(file, at, 'must be an object {id, dirty-rate}');
      const { id, 'dirty-rate': vcpuRate } = entry as Record<string, unknown>;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vcpus.length) fail(file, `${at}.id`, `must be a vCPU index below ${vcpus.length} (got ${JSON.stringify(id)})`);
      if (typeof vcpuRate !== 'number' || !(vcpuRate >= 0)) fail(file, `${at}.dirty-rate`, `must be a number >= 0 (got ${JSON.stringify(vcpuRate)})`);
      vcpuMiBPerSec![id] = vcpuRate;
    });
    if (vcpuMiBPerSec.some(Number.isNaN)) fail(file, 'return.vcpu-dirty-rate', 'must name each vCPU id once');
  } else if (mode === 'dirty-ring') {
    fail(file, 'return.vcpu-dirty-rate', 'is missing (dirty-ring mode reports a rate per vCPU)');
  }
  return {
    file,
    mode,
    calcTimeSec: unit === 'millisecond' ? calcTime / 1000 : calcTime,
    samplePagesPerGiB: samplePages,
    rateMiBPerSec: rate,
    vcpuMiBPerSec,
  };
}

export function readDirtyRateFile(file: string): MeasuredDirtyRate {
  let text: string;
  try {
    text = readInputText(file, INPUT_LIMITS.calibrationBytes);
  } catch (error) {
    throw new MigsimError('calibration.invalid', `${file}: cannot read (${errnoCode(error)})`);
  }
  return parseDirtyRate(file, text);
}
