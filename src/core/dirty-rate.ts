/**
 * What QEMU's `calc-dirty-rate` would report for a workload (migration/dirtyrate.c), in
 * each of its three modes, from one run of the workload's writers over the measurement
 * period (no migration runs). Every mode counts *distinct* pages, never writes:
 *
 * - page-sampling (calculate_dirtyrate_sample_vm): per RAMBlock of at least 128 MiB
 *   (MIN_RAMBLOCK_SIZE), `used_length × sample-pages >> 30` pages drawn with
 *   g_rand_int_range(0, pages − 1) (with replacement; the last page is never drawn),
 *   hashed (xxhash) before and after the period; a sample is dirty when its hash changed.
 *   rate = dirty × total_MB × 1000 / (samples × msec), integer MB/s (MB = 2^20 bytes).
 *   It misses a page rewritten with the bytes it held (the hash is unchanged) and sees a
 *   page written many times once; its sampling error is binomial.
 * - dirty-bitmap (calculate_dirtyrate_dirty_bitmap): one dirty-log sync after the period
 *   counts the pages dirtied in it: rate = ((pages × 4096) >> 20) × 1000 / msec.
 * - dirty-ring (calculate_dirtyrate_dirty_ring, vcpu_calculate_dirtyrate): per vCPU, the
 *   entries its ring received: a page enters the ring of the vCPU that first writes it
 *   after the last reset, and QEMU resets every ring when one is full (the vCPU exits,
 *   kvm_dirty_ring_reap) and when the reaper thread wakes (every second). Each vCPU's
 *   rate is rounded down as above; the VM's is their sum.
 *
 * What counts as a write here: the workload's `writes` streams (the ones `from-dirty-rate`
 * writes); churn allocations and trace rows are not run. migsim's writers always change a
 * page's bytes, so page-sampling sees every page they dirty.
 * Pure: no I/O.
 */
import { Bitmap } from './bitmap.js';
import { BuddyAllocator } from './buddy-allocator.js';
import { GuestMemory } from './guest-memory.js';
import { buildGuestAtStart } from './working-set-placement.js';
import { Rng } from './rng.js';
import type { Workload } from './types.js';
import { Writer } from './workload-sources.js';

/** What query-dirty-rate reported (src/io/read-dirty-rate.ts reads it). */
export type DirtyRateMode = 'page-sampling' | 'dirty-bitmap' | 'dirty-ring';

export interface MeasuredDirtyRate {
  file: string;
  mode: DirtyRateMode;
  /** calc-time, in seconds (QEMU 8.1+ may report it in milliseconds: calc-time-unit). */
  calcTimeSec: number;
  /** sample-pages per GiB (page-sampling), else 0. */
  samplePagesPerGiB: number;
  /** dirty-rate: MB/s, MB = 2^20 bytes. */
  rateMiBPerSec: number;
  /** vcpu-dirty-rate (dirty-ring mode): MB/s per vCPU, by id; null when absent. */
  vcpuMiBPerSec: number[] | null;
}

/** QEMU's DIRTYRATE_DEFAULT_SAMPLE_PAGES: sampled pages per GiB. */
export const DEFAULT_SAMPLE_PAGES_PER_GIB = 512;
/** MIN_RAMBLOCK_SIZE (128 MiB): smaller RAMBlocks are not sampled. */
const MIN_SAMPLED_RAMBLOCK_BYTES = 128 * 2 ** 20;
/** kvm_dirty_ring_reaper_thread sleeps a second between reaps. */
export const DIRTY_RING_REAP_SEC = 1;

export interface DirtyRateOptions {
  /** calc-time, in seconds. */
  calcTimeSec: number;
  /** When the measurement starts (default: the workload's migration.start). */
  startSec: number;
  samplePagesPerGiB: number;
  /** Entries per vCPU ring (accel kvm,dirty-ring-size). */
  ringEntries: number;
}

export interface DirtyRateReport {
  calcTimeSec: number;
  startSec: number;
  pageSizeBytes: number;
  /** Writes the writers made in the period (each a page write). */
  writes: number;
  /** Distinct pages written in the period (what dirty-bitmap counts). */
  distinctPages: number;
  pageSampling: {
    samplePagesPerGiB: number;
    sampledPages: number;
    dirtySamples: number;
    /** QEMU's integer MB/s from these samples. */
    rateMiBPerSec: number;
    /** The rate the samples estimate without sampling error (distinct pages / memory). */
    expectedMiBPerSec: number;
    /** One standard deviation of the sampled rate (binomial). */
    stddevMiBPerSec: number;
  } | null;
  dirtyBitmap: { pages: number; rateMiBPerSec: number };
  dirtyRing: { ringEntries: number; resets: number; vcpuPages: number[]; vcpuMiBPerSec: number[]; rateMiBPerSec: number };
}

/** do_calculate_dirtyrate: whole MiB of dirty pages, per second of the period, rounded down. */
export function qemuMiBPerSec(pages: number, pageSizeBytes: number, msec: number): number {
  return Math.floor((Math.floor((pages * pageSizeBytes) / 2 ** 20) * 1000) / msec);
}

/** Runs the workload's writers for the period and counts what each mode would. */
export function simulateDirtyRate(workload: Workload, options: DirtyRateOptions): DirtyRateReport {
  const guest = workload.guest;
  const totalPages = guest.memoryBytes / guest.pageSizeBytes;
  const memory = new GuestMemory(totalPages, 1, guest.vcpus, 0);
  const buddy = new BuddyAllocator(totalPages, guest.maxOrder);
  const atStart = buildGuestAtStart(guest, workload.phases, workload.seed, memory, buddy);

  // The writers, as the simulation builds them (same streams, same seeds, same vCPUs).
  const writers: Writer[] = [];
  const vcpus: number[] = [];
  let nextVcpu = 0;
  let phaseStart = 0;
  workload.phases.forEach((phase, p) => {
    const isLast = p === workload.phases.length - 1;
    const phaseEnd = isLast || phase.durationSec === null ? Infinity : phaseStart + phase.durationSec;
    phase.writes.forEach((spec, i) => {
      writers.push(new Writer(spec, `phases[${p}].writes[${i}]`, `writer:${p}:${i}`, workload.seed, phaseStart, phaseEnd, guest.pageSizeBytes, atStart.usedAtStart, totalPages, atStart.allocatedExtents[writers.length]));
      vcpus.push(spec.vcpu ?? nextVcpu++ % guest.vcpus);
    });
    phaseStart = phaseEnd;
  });

  const startSec = options.startSec;
  const endSec = startSec + options.calcTimeSec;
  const written = new Bitmap(totalPages);
  const sinceReset = new Bitmap(totalPages);
  const ringFill = new Int32Array(guest.vcpus);
  const ringPages = new Float64Array(guest.vcpus);
  let resets = 0;
  let nextReapSec = startSec + DIRTY_RING_REAP_SEC;
  let writes = 0;
  let distinct = 0;
  for (;;) {
    let w = -1;
    let at = Infinity;
    for (let i = 0; i < writers.length; i++) {
      if (writers[i].clock.nextTime < at) {
        at = writers[i].clock.nextTime;
        w = i;
      }
    }
    if (w < 0 || at >= endSec) break;
    const writer = writers[w];
    writer.clock.advance();
    const pfn = writer.nextPfn();
    if (at < startSec) continue;
    while (at >= nextReapSec) {
      sinceReset.clearAll();
      ringFill.fill(0);
      resets++;
      nextReapSec += DIRTY_RING_REAP_SEC;
    }
    writes++;
    if (!written.test(pfn)) {
      written.set(pfn);
      distinct++;
    }
    if (!sinceReset.test(pfn)) {
      sinceReset.set(pfn);
      const vcpu = vcpus[w];
      ringPages[vcpu]++;
      if (++ringFill[vcpu] >= options.ringEntries) {
        // The vCPU exits on a full ring; QEMU reaps and resets every ring.
        sinceReset.clearAll();
        ringFill.fill(0);
        resets++;
      }
    }
  }

  const msec = options.calcTimeSec * 1000;
  const pageSize = guest.pageSizeBytes;
  const memoryMiB = Math.floor(guest.memoryBytes / 2 ** 20);
  let pageSampling: DirtyRateReport['pageSampling'] = null;
  const sampledPages = Math.floor((guest.memoryBytes * options.samplePagesPerGiB) / 2 ** 30);
  if (guest.memoryBytes >= MIN_SAMPLED_RAMBLOCK_BYTES && sampledPages > 0) {
    const rng = new Rng(workload.seed, 'dirty-rate:page-sampling');
    let dirtySamples = 0;
    for (let i = 0; i < sampledPages; i++) if (written.test(rng.nextInt(totalPages - 1))) dirtySamples++;
    const share = distinct / totalPages;
    const toRate = (samples: number): number => (samples * memoryMiB * 1000) / (sampledPages * msec);
    pageSampling = {
      samplePagesPerGiB: options.samplePagesPerGiB,
      sampledPages,
      dirtySamples,
      rateMiBPerSec: Math.floor(toRate(dirtySamples)),
      expectedMiBPerSec: toRate(share * sampledPages),
      stddevMiBPerSec: toRate(Math.sqrt(sampledPages * share * (1 - share))),
    };
  }
  const vcpuPages = Array.from(ringPages);
  const vcpuMiBPerSec = vcpuPages.map((pages) => qemuMiBPerSec(pages, pageSize, msec));
  return {
    calcTimeSec: options.calcTimeSec,
    startSec,
    pageSizeBytes: pageSize,
    writes,
    distinctPages: distinct,
    pageSampling,
    dirtyBitmap: { pages: distinct, rateMiBPerSec: qemuMiBPerSec(distinct, pageSize, msec) },
    dirtyRing: {
      ringEntries: options.ringEntries,
      resets,
      vcpuPages,
      vcpuMiBPerSec,
      rateMiBPerSec: vcpuMiBPerSec.reduce((sum, rate) => sum + rate, 0),
    },
  };
}
