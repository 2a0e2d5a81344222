/**
 * Workload parameters derived from the measured runs, so the numbers in workloads/qemu/
 * can be checked against the data they came from (`migsim calibrate` prints both).
 *
 * Read straight from the guest at migration start (mean over a scenario's runs):
 *   used = memory − nr_free_pages; fragmentation = free pages in blocks below maxOrder
 *   (buddyinfo, all zones) / free pages; minFree = the min_free_kbytes khugepaged sets
 *   with THP enabled (mm/khugepaged.c set_recommended_min_free_kbytes): 2 pageblocks per
 *   zone plus 3 × 3 per zone for the migratetypes, capped at 5% of memory.
 * Read from what QEMU sent with hints off (only a migration shows which pages are zero):
 *   old data in free memory = non-zero pages (normal pages minus the pages sent twice)
 *   − used. A scenario whose guest wrote N MiB and freed it (guest-premig.txt
 *   `WL fill`) starts from a scenario without a fill: its old data is that scenario's used
 *   pages plus the fill minus its own used pages (the fill reuses the recently freed
 *   blocks, which head the free lists, first).
 * Estimated once, each from the one run where it dominates (the others are predictions):
 *   zeroRate from the hints-on rep1 with the most old data: while the sender idles, the
 *   unsent bytes fall only by hinted blocks, and the driver takes old-data blocks first;
 *   firstTouchRate from the hints-on rep1 with the least old data: the pages newly dirty
 *   at the sync ending iteration 1 are the blocks zeroed in it;
 *   linkBandwidth from the hints-off rep1 with the most normal pages: polls that saw
 *   bytes move per 100 ms slot whose budget was used;
 *   deviceState: QEMU's transferred minus RAM's precopy, multifd, downtime and postcopy
 *   bytes, mean of all.
 * Pure: no I/O.
 */
import { newlyDirtiedPages } from './metrics.js';
import type { MeasuredRun } from './types.js';

export interface GuestShape {
  memoryBytes: number;
  /** A scenario's own memory when the scenarios differ in size (validation/qemu10-tcg-uncapped: 1, 2, 4 GiB). */
  memoryBytesByScenario?: ReadonlyMap<string, number>;
  pageSizeBytes: number;
  maxOrder: number;
  pageblockOrder: number;
}

export type DerivedUnit = 'bytes' | 'bytes/s' | 'ratio';

export interface DerivedValue {
  /** The scenario this value belongs to, or null for one value shared by all. */
  scenario: string | null;
  /** The workload field, e.g. `guest.initial.used`. */
  path: string;
  value: number;
  unit: DerivedUnit;
  /** Which runs it comes from and how, in one line. */
  how: string;
}

/**
 * The swiotlb bounce buffer Linux reserves at boot when RAM lies above 4 GiB
 * (pci_swiotlb_detect: max_possible_pfn > MAX_DMA32_PFN): IO_TLB_DEFAULT_SIZE, 64 MiB,
 * allocated from memblock and never written, so neither free nor holding data. A guest
 * has RAM above 4 GiB exactly when its buddyinfo lists a Normal zone (x86-64: DMA below
 * 16 MiB, DMA32 below 4 GiB). validation/qemu10-tcg-uncapped: the 4 GiB guest reserves
 * 102 148 KiB more than the 2 GiB one (memory − MemTotal), 32 768 of them the larger memmap.
 */
const SWIOTLB_BYTES = 64 * 2 ** 20;

function swiotlbPages(run: MeasuredRun, pageSizeBytes: number): number {
  return run.guest.buddyinfo.some((zone) => zone.zone === 'Normal') ? SWIOTLB_BYTES / pageSizeBytes : 0;
}

/** THP's recommended min_free_kbytes, in pageblocks per zone: 2 + MIGRATE_PCPTYPES². */
const THP_MIN_FREE_PAGEBLOCKS_PER_ZONE = 2 + 3 * 3;

/** The share of old-data whole blocks the driver has hinted before a sample stops counting for zeroRate. */
const OLD_DATA_PHASE_SHARE = 0.9;

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function freeSmallBlockPages(run: MeasuredRun, maxOrder: number): number {
  let pages = 0;
  for (const zone of run.guest.buddyinfo) {
    zone.counts.forEach((count, order) => {
      if (order < maxOrder) pages += count * 2 ** order;
    });
  }
  return pages;
}

/** Pages QEMU sent twice: every page once, plus re-sends. Normal pages assumed, as dirtied pages hold data. */
function resentPages(run: MeasuredRun): number {
  return run.normalPages + run.zeroPages - run.ramTotalBytes / run.pageSizeBytes;
}

interface ScenarioGuest {
  scenario: string;
  usedPages: number;
  fragmentation: number;
  minFreePages: number;
  fillPages: number;
  /** Non-zero pages measured with hints off, or NaN when no hints-off run exists. */
  nonZeroPages: number;
  freeDirtyPages: number;
}

/** Every derived value, scenarios in the order of `runs`. */
export function deriveParameters(runs: readonly MeasuredRun[], shape: GuestShape): DerivedValue[] {
  const memoryPagesOf = (scenario: string): number => (shape.memoryBytesByScenario?.get(scenario) ?? shape.memoryBytes) / shape.pageSizeBytes;
  const scenarios = [...new Set(runs.map((run) => run.scenario))];
  const guests: ScenarioGuest[] = scenarios.map((scenario) => {
    const memoryPages = memoryPagesOf(scenario);
    const own = runs.filter((run) => run.scenario === scenario);
    const off = own.filter((run) => !run.hints);
    const blockPages = 2 ** shape.pageblockOrder;
    return {
      scenario,
      // The swiotlb's zero pages are not used (the model's used pages hold data): the model
      // keeps them with the free zero pages.
      usedPages: mean(own.map((run) => memoryPages - run.guest.freePages - swiotlbPages(run, shape.pageSizeBytes))),
      fragmentation: mean(own.map((run) => freeSmallBlockPages(run, shape.maxOrder) / run.guest.freePages)),
      minFreePages: mean(own.map((run) => thpMinFreePages(run, blockPages, shape.pageSizeBytes))),
      fillPages: mean(own.map((run) => run.guest.fillBytes / shape.pageSizeBytes)),
      nonZeroPages: off.length > 0 ? mean(off.map((run) => run.normalPages - resentPages(run))) : NaN,
      freeDirtyPages: NaN,
    };
  });
  // A fill's base is the scenario without a fill of the same memory size (the same guest
  // before its fill); with one size, the first such scenario.
  const baseOf = (guest: ScenarioGuest): ScenarioGuest | undefined =>
    guests.find((other) => other.fillPages === 0 && !Number.isNaN(other.nonZeroPages) && memoryPagesOf(other.scenario) === memoryPagesOf(guest.scenario));
  for (const guest of guests) {
    const base = baseOf(guest);
    if (guest.fillPages === 0) guest.freeDirtyPages = guest.nonZeroPages - guest.usedPages;
    else if (base !== undefined) guest.freeDirtyPages = base.usedPages + guest.fillPages - guest.usedPages;
  }

  const values: DerivedValue[] = [];
  const page = (pages: number): number => Math.round(pages) * shape.pageSizeBytes;
  for (const guest of guests) {
    const s = guest.scenario;
    const base = baseOf(guest);
    const swiotlb = runs.some((run) => run.scenario === s && swiotlbPages(run, shape.pageSizeBytes) > 0);
    values.push({
      scenario: s,
      path: 'guest.initial.used',
      value: page(guest.usedPages),
      unit: 'bytes',
      how: swiotlb ? 'memory - nr_free_pages - the 64 MiB swiotlb (RAM above 4 GiB: a Normal zone), mean of the runs' : 'memory - nr_free_pages, mean of the runs',
    });
    if (guest.fillPages === 0) {
      values.push({
        scenario: s,
        path: 'guest.initial.freeDirty',
        value: page(guest.freeDirtyPages),
        unit: 'bytes',
        how: 'hints-off normal pages - pages sent twice - used',
      });
    } else if (base !== undefined) {
      values.push({
        scenario: s,
        path: 'guest.initial.freeDirty',
        value: page(guest.freeDirtyPages),
        unit: 'bytes',
        how: `${base.scenario}'s used + the ${Math.round((guest.fillPages * shape.pageSizeBytes) / 2 ** 20)} MiB fill - used`,
      });
    }
    values.push({
      scenario: s,
      path: 'guest.initial.fragmentation',
      value: guest.fragmentation,
      unit: 'ratio',
      how: `free pages in blocks below order ${shape.maxOrder} / free pages (buddyinfo)`,
    });
    values.push({ scenario: s, path: 'guest.minFree', value: page(guest.minFreePages), unit: 'bytes', how: 'THP min_free_kbytes: 11 pageblocks per zone (buddyinfo zones)' });
  }

  values.push({
    scenario: null,
    path: 'migration.wire.deviceState',
    // With multifd the pages travel as multifd-bytes and precopy-bytes is only the main
    // stream's markers; after a postcopy switch they travel as postcopy-bytes. The device
    // state is what is left either way.
    value: Math.round(mean(runs.map((run) => run.transferredBytes - run.precopyBytes - run.multifdBytes - run.downtimeBytes - run.postcopyBytes))),
    unit: 'bytes',
    how: 'transferred - precopy-bytes - multifd-bytes - downtime-bytes - postcopy-bytes, mean of all runs',
  });
  const link = estimateLinkBandwidth(runs);
  if (link !== null) values.push({ scenario: null, path: 'migration.linkBandwidth', value: link.value, unit: 'bytes/s', how: link.how });

  const withOldData = guests.filter((guest) => Number.isFinite(guest.freeDirtyPages));
  // zeroRate needs the polls: a run whose samples.csv was left out (too large) cannot give it.
  const polled = withOldData.filter((guest) => (rep1(runs, guest.scenario, true)?.samples.length ?? 0) >= 3);
  if (polled.length > 0) {
    const most = polled.reduce((a, b) => (b.freeDirtyPages > a.freeDirtyPages ? b : a));
    const least = withOldData.reduce((a, b) => (b.freeDirtyPages < a.freeDirtyPages ? b : a));
    const zero = estimateZeroRate(runs, most, shape);
    if (zero !== null) {
      values.push({ scenario: null, path: 'guest.zeroRate', value: zero.value, unit: 'bytes/s', how: zero.how });
      const firstTouch = estimateFirstTouchRate(runs, least, zero.value, shape);
      if (firstTouch !== null) values.push({ scenario: null, path: 'guest.firstTouchRate', value: firstTouch.value, unit: 'bytes/s', how: firstTouch.how });
    }
  }
  return values;
}

/**
 * min_free_kbytes with THP: the larger of Linux's 4·√(lowmem KiB) and khugepaged's
 * recommendation, 2 + 3 × 3 pageblocks per populated zone, capped at 5% of memory.
 */
function thpMinFreePages(run: MeasuredRun, pageblockPages: number, pageSizeBytes: number): number {
  const pagesPerKiB = 1024 / pageSizeBytes;
  const defaultPages = 4 * Math.sqrt(run.guest.memTotalKiB) * pagesPerKiB;
  const recommendedPages = Math.min(
    THP_MIN_FREE_PAGEBLOCKS_PER_ZONE * pageblockPages * run.guest.buddyinfo.length,
    (run.guest.memTotalKiB * pagesPerKiB) / 20,
  );
  return Math.max(defaultPages, recommendedPages);
}

function rep1(runs: readonly MeasuredRun[], scenario: string, hints: boolean): MeasuredRun | undefined {
  const candidates = runs.filter((run) => run.scenario === scenario && run.hints === hints);
  return candidates.reduce<MeasuredRun | undefined>((best, run) => (best === undefined || run.rep < best.rep ? run : best), undefined);
}

/**
 * The sender's speed when the rate limit lets it run: in each 100 ms slot whose budget
 * was used, the polls (5 ms apart) that saw `transferred` move bound how long it sent.
 */
function estimateLinkBandwidth(runs: readonly MeasuredRun[]): { value: number; how: string } | null {
  const off = runs.filter((run) => !run.hints);
  if (off.length === 0) return null;
  const top = off.reduce((a, b) => (b.normalPages > a.normalPages || (b.normalPages === a.normalPages && b.rep < a.rep) ? b : a));
  const run = rep1(runs, top.scenario, false) ?? top;
  const samples = run.samples;
  if (samples.length < 3) return null;
  const slotSec = 0.1;
  const budget = run.maxBandwidthBytesPerSec * slotSec;
  const startSec = run.syncs.length > 0 ? run.syncs[0].endSec : 0;
  const bytesBySlot = new Map<number, number>();
  const pollsBySlot = new Map<number, number>();
  const gaps: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    gaps.push(samples[i].timeSec - samples[i - 1].timeSec);
    const moved = samples[i].transferredBytes - samples[i - 1].transferredBytes;
    if (moved <= 0 || samples[i].dirtySyncCount !== 1) continue;
    const slot = Math.floor((samples[i].timeSec - startSec) / slotSec);
    bytesBySlot.set(slot, (bytesBySlot.get(slot) ?? 0) + moved);
    pollsBySlot.set(slot, (pollsBySlot.get(slot) ?? 0) + 1);
  }
  gaps.sort((a, b) => a - b);
  const pollSec = gaps[Math.floor(gaps.length / 2)];
  let bytes = 0;
  let polls = 0;
  let slots = 0;
  for (const [slot, slotBytes] of bytesBySlot) {
    if (slotBytes < budget || slotBytes > budget * 1.05) continue;
    bytes += slotBytes;
    polls += pollsBySlot.get(slot) ?? 0;
    slots++;
  }
  if (slots === 0) return null;
  return {
    value: bytes / (polls * pollSec),
    how: `${run.name}: ${slots} full slots moved bytes in ${(polls / slots).toFixed(2)} polls of ${(pollSec * 1e3).toFixed(1)} ms each`,
  };
}

/**
 * While the sender waits for its next rate slot, the unsent bytes fall only because hints
 * arrive; early on the driver takes the blocks that hold old data, so the slope is the
 * zeroing rate of populated pages (plus the small per-block call cost, folded in).
 */
function estimateZeroRate(runs: readonly MeasuredRun[], guest: ScenarioGuest, shape: GuestShape): { value: number; how: string } | null {
  const run = rep1(runs, guest.scenario, true);
  if (run === undefined) return null;
  const s = run.samples;
  const ramPages = run.ramTotalBytes / run.pageSizeBytes;
  const oldWholePages = guest.freeDirtyPages * (1 - guest.fragmentation);
  const idle = (i: number): boolean =>
    i >= 1 && s[i].normalPages === s[i - 1].normalPages && s[i].zeroPages === s[i - 1].zeroPages && s[i].dirtySyncCount === s[i - 1].dirtySyncCount;
  // A poll pair counts when neither it nor the pair before it saw a page sent and both saw
  // hints land: the first pair of a wait also holds the hints queued while the sender held
  // the bitmap (see precopy.ts), and a stalled send (socket full) moves nothing.
  const fell = (i: number): boolean => s[i].remainingBytes < s[i - 1].remainingBytes;
  let bytes = 0;
  let sec = 0;
  for (let i = 2; i < s.length; i++) {
    if (s[i].dirtySyncCount !== 1) break;
    const skipped = ramPages - s[i].remainingBytes / run.pageSizeBytes - s[i].normalPages - s[i].zeroPages;
    if (skipped >= OLD_DATA_PHASE_SHARE * oldWholePages) break;
    if (!idle(i) || !idle(i - 1) || !fell(i) || !fell(i - 1)) continue;
    bytes += s[i - 1].remainingBytes - s[i].remainingBytes;
    sec += s[i].timeSec - s[i - 1].timeSec;
  }
  if (sec === 0) return null;
  return { value: bytes / sec, how: `${run.name}: fall of unsent bytes while the sender idles, old-data phase (${(sec * 1e3).toFixed(0)} ms of polls)` };
}

/**
 * Pages newly dirty at the sync ending iteration 1 = pages the driver zeroed since setup
 * (plus the guest's own writes, taken from the hints-off rep1 at the same rate): the
 * old-data blocks at zeroRate, the rest never touched.
 */
function estimateFirstTouchRate(
  runs: readonly MeasuredRun[],
  guest: ScenarioGuest,
  zeroRate: number,
  shape: GuestShape,
): { value: number; how: string } | null {
  const run = rep1(runs, guest.scenario, true);
  if (run === undefined || run.syncs.length < 2) return null;
  const dirtied = newlyDirtiedPages(run.syncs)[1];
  const hintSec = run.syncs[1].startSec - run.syncs[0].endSec;
  let backgroundPages = 0;
  const off = rep1(runs, guest.scenario, false);
  if (off !== undefined && off.syncs.length >= 2) {
    const offSec = off.syncs[1].endSec - off.syncs[0].endSec;
    backgroundPages = (newlyDirtiedPages(off.syncs)[1] * hintSec) / offSec;
  }
  const oldWholePages = guest.freeDirtyPages * (1 - guest.fragmentation);
  const untouchedPages = dirtied - backgroundPages - oldWholePages;
  const untouchedSec = hintSec - (oldWholePages * shape.pageSizeBytes) / zeroRate;
  if (!(untouchedPages > 0 && untouchedSec > 0)) return null;
  return {
    value: (untouchedPages * shape.pageSizeBytes) / untouchedSec,
    how: `${run.name}: ${dirtied} pages dirtied in iteration 1 (${(hintSec * 1e3).toFixed(0)} ms), less old data at zeroRate and ${Math.round(backgroundPages)} background`,
  };
}
