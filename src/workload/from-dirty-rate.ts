/**
 * A workload whose writers reproduce a dirty rate QEMU measured (`migsim workload
 * from-dirty-rate`). Pure: the measurement and the options in, YAML text out.
 *
 * What a measurement pins down: calc-dirty-rate counts *distinct* pages dirtied over
 * calc-time T (src/core/dirty-rate.ts), D = rate × 2^20 × T / pageSize pages, never how
 * often each was rewritten. The writer is uniform over a working set of W pages (default:
 * all used memory), the fewest writes that give D: a uniform stream of r pages/s leaves
 * W·(1 − e^(−rT/W)) distinct pages after T, so r = −(W/T)·ln(1 − D/W).
 * dirty-ring mode has a rate per vCPU: one writer per vCPU (that vCPU), with a share of W
 * in proportion to its rate, and T the ring's reset period (every ring is reset when one
 * fills, and every second: min(1 s, ring entries / the busiest vCPU's pages per second)).
 * page-sampling's rate is an estimate from 512 sampled pages per GiB: its standard error
 * goes into the file's comments.
 */
import { DEFAULT_SAMPLE_PAGES_PER_GIB, DIRTY_RING_REAP_SEC, type MeasuredDirtyRate } from '../core/dirty-rate.js';
import { formatBytes } from './units.js';

export interface FromDirtyRateOptions {
  memoryBytes: number;
  /** null: half the memory (a guess the file says is one). */
  usedBytes: number | null;
  /** null: all used memory. */
  workingSetBytes: number | null;
  pageSizeBytes: number;
  /** Entries per vCPU dirty ring (dirty-ring mode). */
  ringEntries: number;
  name: string;
}

export interface WriterPlan {
  vcpu: number | null;
  /** What QEMU measured for this writer, in distinct pages per second of calc-time. */
  measuredPagesPerSec: number;
  workingSetPages: number;
  /** The period the measured pages are distinct over. */
  periodSec: number;
  ratePagesPerSec: number;
}

/** r = −(W/T)·ln(1 − D/W): the uniform write rate that leaves D distinct pages of W after T. */
export function uniformRateForDistinct(distinctPages: number, workingSetPages: number, periodSec: number): number {
  return (-workingSetPages / periodSec) * Math.log1p(-distinctPages / workingSetPages);
}

/** The writers, or a one-line problem naming the option that cannot hold them. */
export function planWriters(measured: MeasuredDirtyRate, options: FromDirtyRateOptions): WriterPlan[] | string {
  const pageSize = options.pageSizeBytes;
  const usedBytes = options.usedBytes ?? Math.floor(options.memoryBytes / 2 / pageSize) * pageSize;
  const workingSetPages = Math.floor((options.workingSetBytes ?? usedBytes) / pageSize);
  const toPages = (miBPerSec: number): number => (miBPerSec * 2 ** 20) / pageSize;
  if (measured.mode !== 'dirty-ring' || measured.vcpuMiBPerSec === null) {
    const pagesPerSec = toPages(measured.rateMiBPerSec);
    const distinct = pagesPerSec * measured.calcTimeSec;
    if (distinct >= workingSetPages) {
      return `--working-set ${formatBytes(workingSetPages * pageSize)} is smaller than what the guest dirtied in ${measured.calcTimeSec} s (${formatBytes(distinct * pageSize)})`;
    }
    return [{ vcpu: null, measuredPagesPerSec: pagesPerSec, workingSetPages, periodSec: measured.calcTimeSec, ratePagesPerSec: uniformRateForDistinct(distinct, workingSetPages, measured.calcTimeSec) }];
  }
  const rates = measured.vcpuMiBPerSec.map(toPages);
  const total = rates.reduce((sum, rate) => sum + rate, 0);
  if (!(total > 0)) return 'return.vcpu-dirty-rate: every vCPU dirtied 0 MB/s';
  const busiest = Math.max(...rates);
  const periodSec = Math.min(DIRTY_RING_REAP_SEC, options.ringEntries / busiest, measured.calcTimeSec);
  const plans: WriterPlan[] = [];
  for (const [vcpu, pagesPerSec] of rates.entries()) {
    if (pagesPerSec === 0) continue;
    const share = Math.max(1, Math.floor((workingSetPages * pagesPerSec) / total));
    const distinct = pagesPerSec * periodSec;
    if (distinct >= share) {
      return `--working-set ${formatBytes(workingSetPages * pageSize)} is too small for vCPU ${vcpu}'s ${measured.vcpuMiBPerSec[vcpu]} MB/s`;
    }
    plans.push({ vcpu, measuredPagesPerSec: pagesPerSec, workingSetPages: share, periodSec, ratePagesPerSec: uniformRateForDistinct(distinct, share, periodSec) });
  }
  return plans;
}

/** Rates in the file: 6 significant digits, enough for the round trip. */
function rate(value: number): string {
  return `${Number(value.toPrecision(6))}/s`;
}

/**
 * A size as a person writes it in a workload: `16GiB` when it is a whole number of a
 * binary unit, else exact bytes with the readable size in a comment (`1610612736B`
 * would make the reader divide by 2^30).
 */
function sizeValue(bytes: number): string {
  const readable = formatBytes(bytes);
  return /^\d+ [KMGT]?i?B$/.test(readable) ? readable.replace(' ', '') : `${bytes}B          # ${readable}`;
}

export function workloadFromDirtyRate(measured: MeasuredDirtyRate, options: FromDirtyRateOptions, plans: WriterPlan[]): string {
  const pageSize = options.pageSizeBytes;
  const usedGuessed = options.usedBytes === null;
  const usedBytes = options.usedBytes ?? Math.floor(options.memoryBytes / 2 / pageSize) * pageSize;
  const vcpus = measured.vcpuMiBPerSec?.length ?? 1;
  const lines: string[] = [];
  const c = (text: string): void => void lines.push(`# ${text}`.trimEnd());
  c(`From ${measured.file}: QEMU's query-dirty-rate, mode ${measured.mode}, calc-time ${measured.calcTimeSec} s,`);
  c(`dirty-rate ${measured.rateMiBPerSec} MB/s (MB = 2^20 bytes) = ${Math.round((measured.rateMiBPerSec * 2 ** 20) / pageSize)} distinct ${pageSize / 1024} KiB pages per second.`);
  if (measured.mode === 'page-sampling') {
    const samples = Math.floor((options.memoryBytes * measured.samplePagesPerGiB) / 2 ** 30);
    const share = Math.min(1, (measured.rateMiBPerSec * measured.calcTimeSec) / (options.memoryBytes / 2 ** 20));
    const stddev = (Math.sqrt(samples * share * (1 - share)) / samples) * (options.memoryBytes / 2 ** 20) / measured.calcTimeSec;
    c(`page-sampling hashed ${samples} pages (${measured.samplePagesPerGiB} per GiB${measured.samplePagesPerGiB === DEFAULT_SAMPLE_PAGES_PER_GIB ? ", QEMU's default" : ''}): the rate is an`);
    c(`estimate, +/- ${stddev.toFixed(1)} MB/s (one standard error), and misses pages rewritten with the bytes they held.`);
  }
  if (measured.mode === 'dirty-ring') {
    c(`Per vCPU (MB/s): ${measured.vcpuMiBPerSec!.join(', ')}; each vCPU's ring counts distinct pages between resets`);
    c(`(every ${plans[0]?.periodSec.toPrecision(3)} s here: a ring of ${options.ringEntries} entries fills, or the reaper wakes).`);
  }
  c('A rate over calc-time counts distinct pages, not writes: how often a page is rewritten is not');
  c(`in the measurement. Each writer spreads uniform writes over its working set (${options.workingSetBytes === null ? 'default: all used memory' : '--working-set'}),`);
  c('the fewest writes that dirty that many distinct pages: rate = -(W/T) ln(1 - D/W).');
  if (usedGuessed) c('guest.initial.used is a guess (half the memory): give --used from the guest\'s /proc/meminfo.');
  c('Check it: migsim dirty-rate <this file> prints what calc-dirty-rate would report for it.');
  lines.push(`name: ${options.name}`);
  lines.push('seed: 1');
  lines.push('guest:');
  lines.push(`  memory: ${sizeValue(options.memoryBytes)}`);
  if (pageSize !== 4096) lines.push(`  pageSize: ${pageSize}B`);
  if (vcpus > 1) lines.push(`  vcpus: ${vcpus}`);
  lines.push('  initial:');
  lines.push(`    used: ${sizeValue(usedBytes)}`);
  lines.push('phases:');
  lines.push('  - writes:');
  for (const plan of plans) {
    lines.push(`      - rate: ${rate(plan.ratePagesPerSec)}          # measured ${plan.measuredPagesPerSec.toFixed(0)} distinct pages/s over ${plan.periodSec.toPrecision(3)} s`);
    lines.push(`        workingSet: ${sizeValue(plan.workingSetPages * pageSize)}`);
    lines.push('        pattern: uniform');
    if (plan.vcpu !== null) lines.push(`        vcpu: ${plan.vcpu}`);
  }
  if (measured.mode === 'dirty-ring') {
    lines.push('migration:');
    lines.push('  tracking:');
    lines.push('    mode: dirty-ring');
    lines.push(`    ringSize: ${options.ringEntries}`);
  }
  lines.push('hints:');
  lines.push('  - free-page-hint');
  return `${lines.join('\n')}\n`;
}
