/**
 * `migsim dirty-rate <workload>`: what QEMU's calc-dirty-rate would report for the
 * workload, in each mode (src/core/dirty-rate.ts), beside the writes behind it.
 * `migsim workload from-dirty-rate <query-dirty-rate.json> --memory …`: a workload whose
 * writers reproduce a measured rate (src/workload/from-dirty-rate.ts), written to --out
 * (atomically) or stdout.
 */
import { basename } from 'node:path';

import { DEFAULT_SAMPLE_PAGES_PER_GIB, simulateDirtyRate, type DirtyRateReport } from '../../core/dirty-rate.js';
import { UsageError } from '../../core/errors.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { readDirtyRateFile } from '../../io/read-dirty-rate.js';
import { readWorkload } from '../../io/read-workload.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { planWriters, workloadFromDirtyRate } from '../../workload/from-dirty-rate.js';
import { parseDuration, parseSize, positive } from '../../workload/units.js';
import { writeStdout } from '../simulate.js';

export interface DirtyRateCommandOptions {
  calcTime: string;
  at?: string;
  samplePages: string;
  ringSize?: string;
  json: boolean;
}

function option<T>(name: string, text: string, parse: (value: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    throw new UsageError(`--${name} ${(error as Error).message} (got ${JSON.stringify(text)})`);
  }
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !(n > 0)) throw new Error('must be an integer > 0');
  return n;
}


export function dirtyRateCommand(file: string, options: DirtyRateCommandOptions): number {
  const workload = readWorkload(file);
  const calcTimeSec = option('calc-time', options.calcTime, positive(parseDuration));
  const report = simulateDirtyRate(workload, {
    calcTimeSec,
    startSec: options.at === undefined ? workload.migration.startSec : option('at', options.at, parseDuration),
    samplePagesPerGiB: option('sample-pages', options.samplePages, positiveInteger),
    ringEntries: options.ringSize === undefined ? workload.migration.tracking.ringSize : option('ring-size', options.ringSize, positiveInteger),
  });
  writeStdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDirtyRate(workload.name, report));
  return 0;
}

export function formatDirtyRate(name: string, r: DirtyRateReport): string {
  const pageKiB = r.pageSizeBytes / 1024;
  const lines = [
    `${name}: calc-dirty-rate over ${r.calcTimeSec} s from t = ${r.startSec} s (MB = 2^20 bytes)`,
    `writes        ${r.writes} page writes, ${r.distinctPages} distinct ${pageKiB} KiB pages (${(r.writes / r.calcTimeSec).toFixed(0)} writes/s)`,
  ];
  if (r.pageSampling !== null) {
    const s = r.pageSampling;
    lines.push(
      `page-sampling ${String(s.rateMiBPerSec).padStart(6)} MB/s  ${s.dirtySamples} of ${s.sampledPages} sampled pages changed (${s.samplePagesPerGiB}/GiB); ` +
        `expected ${s.expectedMiBPerSec.toFixed(1)} +/- ${s.stddevMiBPerSec.toFixed(1)} MB/s`,
    );
  } else {
    lines.push('page-sampling      -        the RAMBlock is under 128 MiB: QEMU samples nothing');
  }
  lines.push(`dirty-bitmap  ${String(r.dirtyBitmap.rateMiBPerSec).padStart(6)} MB/s  ${r.dirtyBitmap.pages} pages dirtied in the period (one sync at its end)`);
  const ring = r.dirtyRing;
  lines.push(
    `dirty-ring    ${String(ring.rateMiBPerSec).padStart(6)} MB/s  per vCPU ${ring.vcpuMiBPerSec.join(', ')} MB/s; ${ring.resets} ring resets (${ring.ringEntries} entries, reaper every 1 s)`,
  );
  lines.push('Every mode counts distinct pages; a page written again within the period counts once (in dirty-ring, once per reset).');
  return `${lines.join('\n')}\n`;
}

export interface FromDirtyRateCommandOptions {
  memory: string;
  used?: string;
  workingSet?: string;
  pageSize: string;
  ringSize: string;
  out?: string;
  name?: string;
}

export function fromDirtyRateCommand(file: string, options: FromDirtyRateCommandOptions): number {
  const size = (name: string, text: string): number =>
    option(name, text, positive(parseSize));
  const memoryBytes = size('memory', options.memory);
  const pageSizeBytes = size('page-size', options.pageSize);
  const usedBytes = options.used === undefined ? null : size('used', options.used);
  if (usedBytes !== null && usedBytes > memoryBytes) throw new UsageError(`--used ${options.used} is more than --memory ${options.memory}`);
  const workingSetBytes = options.workingSet === undefined ? null : size('working-set', options.workingSet);
  if (workingSetBytes !== null && workingSetBytes > (usedBytes ?? memoryBytes / 2)) {
    throw new UsageError(`--working-set ${options.workingSet} is more than the used memory (${options.used ?? 'half of --memory'}): writers write used pages`);
  }
  for (const [name, bytes] of [['memory', memoryBytes], ['used', usedBytes], ['working-set', workingSetBytes]] as const) {
    if (bytes !== null && bytes % pageSizeBytes !== 0) throw new UsageError(`--${name} must be a whole number of ${pageSizeBytes}-byte pages`);
  }
  // --out is proven (a probe file created and removed) before the measurement is read: a bad
  // path is one line naming --out, with nothing read or planned.
  checkOutputPaths([{ option: '--out', path: options.out }]);
  const measured = readDirtyRateFile(file);
  const fromOptions = {
    memoryBytes,
    usedBytes,
    workingSetBytes,
    pageSizeBytes,
    ringEntries: option('ring-size', options.ringSize, positiveInteger),
    // The workload is named after the file it is saved as (vm1.yaml: vm1), as a hand-written
    // one is; on stdout, after the measurement it came from.
    name: options.name ?? basename(options.out === undefined || options.out === '-' ? file : options.out).replace(/\.[^.]*$/, ''),
  };
  const plans = planWriters(measured, fromOptions);
  if (typeof plans === 'string') throw new UsageError(`${file}: ${plans}`);
  const text = workloadFromDirtyRate(measured, fromOptions, plans);
  if (options.out === undefined || options.out === '-') writeStdout(text);
  else writeFileAtomic(options.out, text);
  return 0;
}

export { DEFAULT_SAMPLE_PAGES_PER_GIB };
