/**
 * Drives one strategy by hand on a tiny guest, without the event loop: the test frees and
 * allocates through the allocator, moves the clock and fires the strategy's events, so
 * every counter can be computed on paper.
 */
import assert from 'node:assert/strict';
import { BuddyAllocator } from '../../../src/core/buddy-allocator.js';
import { GuestMemory } from '../../../src/core/guest-memory.js';
import { createStrategy } from '../../../src/core/hints/create-strategy.js';
import type { HintStrategy, SimClock } from '../../../src/core/hints/hint-strategy.js';
import type { HintDriverListener } from '../../../src/core/hint-driver-hold.js';
import { Precopy } from '../../../src/core/precopy.js';
import type {
  CostCounters,
  HintConfig,
  MergeNotifierOptions,
  PageReportingOptions,
  PerPageOptions,
  UnacceptedOptions,
  Workload,
} from '../../../src/core/types.js';
import { newCostCounters } from '../../../src/core/result-columns.js';
import { makeWorkload, NO_HOOKS } from '../workload-fixture.js';

export function zeroCosts(): CostCounters {
  return newCostCounters();
}

function hint(label: string, parts: Partial<HintConfig>): HintConfig {
  return {
    label,
    strategies: [],
    freePageHint: null,
    mergeNotifier: null,
    pageReporting: null,
    perPage: null,
    unaccepted: null,
    ...parts,
  };
}

export function mergeNotifier(options: Partial<MergeNotifierOptions> = {}): HintConfig {
  return hint('merge-notifier', {
    strategies: ['merge-notifier'],
    mergeNotifier: { order: 9, placement: 'at-order', callCostSec: 1e-6, ...options },
  });
}

export function pageReporting(options: Partial<PageReportingOptions> = {}): HintConfig {
  return hint('page-reporting', {
    strategies: ['page-reporting'],
    pageReporting: { minOrder: 9, capacity: 32, delaySec: 2, callCostSec: 1e-6, ...options },
  });
}

export function perPage(options: Partial<PerPageOptions> = {}): HintConfig {
  return hint('per-page', { strategies: ['per-page'], perPage: { capacity: 512, batch: 1, callCostSec: 1e-6, ...options } });
}

export function unaccepted(options: Partial<UnacceptedOptions> = {}): HintConfig {
  return hint('unaccepted', {
    strategies: ['unaccepted'],
    unaccepted: { acceptedAtBootBytes: 0, chunkBytes: 4 * 2 ** 20, acceptGranularityBytes: 2 * 2 ** 20, callCostSec: 1e-6, ...options },
  });
}

/** Several strategies as one entry, as `strategy: [a, b]` parses. */
export function combined(...hints: HintConfig[]): HintConfig {
  const parts: Partial<HintConfig> = { strategies: [] };
  for (const h of hints) {
    parts.strategies!.push(...h.strategies);
    parts.freePageHint ??= h.freePageHint;
    parts.mergeNotifier ??= h.mergeNotifier;
    parts.pageReporting ??= h.pageReporting;
    parts.perPage ??= h.perPage;
    parts.unaccepted ??= h.unaccepted;
  }
  return hint(parts.strategies!.join('+'), parts);
}

export interface Harness {
  memory: GuestMemory;
  buddy: BuddyAllocator;
  costs: CostCounters;
  clock: SimClock;
  strategy: HintStrategy;
  /** Fires the strategy's earliest event (arrivals first at equal times); false if none. */
  step(): boolean;
  /** Fires every event up to and including `untilSec`. */
  runUntil(untilSec: number): void;
}

/**
 * `calls` hypercalls of 1 µs each, due from `startSec`: the first (the next `h.step()`
 * starts them) at a quarter of full speed, then full speed. The share rising between
 * calls (the host gives the vCPU more CPU) must never move the next call before the one
 * just made: at full speed call 2 would be due at startSec + 2 µs, before call 1 lands.
 */
export function assertRisingScaleKeepsOrder(h: Harness, startSec: number, calls: number): void {
  h.strategy.setScale(0.25);
  h.step();
  assert.equal(h.strategy.nextArrivalSec, startSec + 4e-6);
  h.strategy.setScale(1);
  for (let call = 1; call < calls; call++) {
    h.step();
    assert.equal(h.strategy.nextArrivalSec, startSec + 4e-6, `call ${call + 1}`);
  }
  h.step();
  assert.equal(h.costs.hintCalls, calls);
}

/**
 * A guest of `pages` 4 KiB pages with orders 0…maxOrder. `free` lists the initial free
 * blocks as [pfn, order] (added to the tail in that order, never-touched zero pages);
 * everything else is allocated and holds data. Low watermark `lowPages` (default 0).
 */
export function tinyHarness(
  config: HintConfig,
  options: { pages: number; maxOrder: number; free: [number, number][]; lowPages?: number; populated?: boolean; driverHold?: HintDriverListener },
): Harness {
  const { pages, maxOrder } = options;
  const memory = new GuestMemory(pages, 1);
  const buddy = new BuddyAllocator(pages, maxOrder);
  memory.allocated.setAll();
  memory.populated.setAll();
  memory.stale.setAll();
  for (const [pfn, order] of options.free) {
    const end = pfn + 2 ** order;
    memory.allocated.clearRange(pfn, end);
    memory.zero.setRange(pfn, end);
    if (!options.populated) {
      memory.populated.clearRange(pfn, end);
      memory.stale.clearRange(pfn, end);
    }
    buddy.addFreeBlock(pfn, order, true);
  }
  const workload = makeWorkload({ guest: { memoryBytes: pages * 4096, maxOrder, pageblockOrder: Math.min(9, maxOrder) } });
  return harnessFor(workload, config, memory, buddy, options.lowPages ?? 0, options.driverHold);
}

/**
 * The harness of `config` on a guest already laid out (`memory`, `buddy`), with no writers
 * and a clock at 0; `driverHold` hears the free-page-hint driver's loop start and end.
 */
export function harnessFor(workload: Workload, config: HintConfig, memory: GuestMemory, buddy: BuddyAllocator, lowPages: number, driverHold?: HintDriverListener): Harness {
  const costs = zeroCosts();
  const clock: SimClock = { nowSec: 0 };
  const precopy = new Precopy(
    workload.migration,
    memory,
    workload.guest.pageSizeBytes,
    NO_HOOKS,
    false,
  );
  const strategy = createStrategy(config, {
    memory,
    buddy,
    precopy,
    costs,
    guest: workload.guest,
    minWatermarkPages: 0,
    lowWatermarkPages: lowPages,
    clock,
    driverHold: driverHold ?? null,
  });
  if (strategy === null) throw new Error('no strategy');
  const step = (): boolean => {
    const arrival = strategy.nextArrivalSec;
    const guest = strategy.nextGuestSec;
    if (arrival === Infinity && guest === Infinity) return false;
    if (arrival <= guest) {
      clock.nowSec = arrival;
      strategy.fireArrival();
    } else {
      clock.nowSec = guest;
      strategy.fireGuest();
    }
    return true;
  };
  const runUntil = (untilSec: number): void => {
    while (Math.min(strategy.nextArrivalSec, strategy.nextGuestSec) <= untilSec) step();
    clock.nowSec = Math.max(clock.nowSec, untilSec);
  };
  return { memory, buddy, costs, clock, strategy, step, runUntil };
}

/** Pages of the free lists, as [pfn, order] head first per order, orders ascending. */
export function freeBlocks(buddy: BuddyAllocator): [number, number][] {
  const blocks: [number, number][] = [];
  for (let order = 0; order <= buddy.maxOrder; order++) {
    for (let pfn = buddy.headOf(order); pfn !== -1; pfn = buddy.nextOf(pfn)) blocks.push([pfn, order]);
  }
  return blocks;
}
