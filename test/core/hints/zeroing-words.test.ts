/**
 * A free-page-hint block's init_on_alloc zeroing fired a bitmap word at a time
 * (FreePageHint.firePlainStepsBefore with zeroingShortcuts.wordsAtOnce, GuestMemory
 * .writeZeroWord) must leave exactly the state the page-by-page steps leave: random guests
 * (populated, logged, snapped, quiet, undefined pages at random; write-protect, PML or
 * dirty-ring buffers; fine or coarse granules; tracking on or off, with pages a postcopy
 * destination lacks) and random cuts (bounds
 * inside the block's zeroing, a word to stop before, single steps between), driven both
 * ways side by side and compared after every call: each flag's words, the fault and exit
 * counters, the buffer fill, the return value and the strategy's next step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bitmap } from '../../../src/core/bitmap.js';
import { BuddyAllocator } from '../../../src/core/buddy-allocator.js';
import { GuestMemory } from '../../../src/core/guest-memory.js';
import { zeroingShortcuts } from '../../../src/core/hints/free-page-hint.js';
import type { HintStrategy } from '../../../src/core/hints/hint-strategy.js';
import type { CostCounters } from '../../../src/core/types.js';
import { freePageHint, makeWorkload } from '../workload-fixture.js';
import { harnessFor } from './strategy-harness.js';

const PAGES = 4096;
const ORDER = 8; // 256-page blocks: 8 words, with an unaligned start after single steps

interface Guest {
  seed: number;
  populatedShare: number;
  granulePages: number;
  bufferEntries: number;
  trackingOn: boolean;
  withUndefined: boolean;
  /** After a postcopy switch (tracking off): pages the destination lacks, at random. */
  withNotReceived: boolean;
  zeroRateGiB: number;
  firstTouchRateGiB: number;
}

interface Side {
  memory: GuestMemory;
  strategy: HintStrategy;
  costs: CostCounters;
}

/** A small deterministic generator for the guest's initial flags (same on both sides). */
function bits(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function makeSide(g: Guest): Side {
  const memory = new GuestMemory(PAGES, g.granulePages, 2, g.bufferEntries);
  const buddy = new BuddyAllocator(PAGES, 10);
  const next = bits(g.seed);
  const threshold = g.populatedShare * 2 ** 32;
  // The first half is free (two order-10 blocks), the rest allocated with data.
  memory.allocated.setRange(PAGES / 2, PAGES);
  for (let pfn = 0; pfn < PAGES; pfn++) {
    const r = next();
    if (pfn >= PAGES / 2 || r < threshold) {
      memory.populated.set(pfn);
      memory.stale.set(pfn);
    } else {
      memory.zero.set(pfn);
    }
    if ((r & 3) === 0) memory.logged.set(pfn);
    if ((r & 12) === 4) memory.snap.set(pfn);
    if ((r & 48) === 16) memory.dstNonZero.set(pfn);
  }
  if (g.withUndefined) memory.markUndefined(PAGES / 8, PAGES / 4);
  if (g.withNotReceived && !g.trackingOn) {
    memory.notReceived = new Bitmap(PAGES);
    for (let pfn = 0; pfn < PAGES; pfn++) if ((next() & 1) === 0) memory.notReceived.set(pfn);
  }
  memory.trackingOn = g.trackingOn;
  memory.resetQuiet();
  memory.currentVcpu = 1;
  buddy.addFreeBlock(0, 10, true);
  buddy.addFreeBlock(1024, 10, true);
  const workload = makeWorkload({
    guest: { memoryBytes: PAGES * 4096, maxOrder: 10, zeroRateBytesPerSec: g.zeroRateGiB * 2 ** 30, firstTouchRateBytesPerSec: g.firstTouchRateGiB * 2 ** 30 },
  });
  const { strategy, costs } = harnessFor(workload, freePageHint({ order: ORDER, callCostSec: 0 }), memory, buddy, 0);
  strategy.start(0);
  strategy.fireGuest(); // the command starts and takes the first block
  return { memory, strategy, costs };
}

function state(side: Side): unknown {
  const m = side.memory;
  const words = (b: { words: Uint32Array }) => Array.from(b.words);
  return {
    populated: words(m.populated),
    zero: words(m.zero),
    stale: words(m.stale),
    logged: words(m.logged),
    snap: words(m.snap),
    quiet: words(m.quiet),
    dstNonZero: words(m.dstNonZero),
    undefinedContent: m.undefinedContent === null ? null : words(m.undefinedContent),
    faults: m.faults,
    exits: m.exits,
    bufferFill: Array.from((m as unknown as { bufferFill: Int32Array }).bufferFill),
    nextGuestSec: side.strategy.nextGuestSec,
    nextPfn: side.strategy.nextStepPagePfn(),
    endPfn: side.strategy.plainStepsEndPfn!(),
    nextArrivalSec: side.strategy.nextArrivalSec,
  };
}

test('property: hint zeroing a word at a time leaves the state page-by-page steps leave, for random guests and cuts', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        populatedShare: fc.constantFrom(0, 0.3, 0.7, 1),
        granulePages: fc.constantFrom(1, 1, 4, 64),
        bufferEntries: fc.constantFrom(0, 0, 7, 512),
        trackingOn: fc.boolean(),
        withUndefined: fc.boolean(),
        withNotReceived: fc.boolean(),
        zeroRateGiB: fc.constantFrom(8, 3),
        firstTouchRateGiB: fc.constantFrom(1, 8, 3),
      }),
      // Cuts: a bound as a fraction of the block's zeroing time still to go, a word to
      // stop before (an offset from the next page's word, −1: none), or a single step.
      // In thousandths; small ones half the time, so that many cuts fall inside a word
      // (fast-check's doubles cluster near 0, far below one step).
      fc.array(fc.record({ permille: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1200 })), avoidOffset: fc.integer({ min: -1, max: 3 }), single: fc.boolean() }), { minLength: 1, maxLength: 40 }),
      (g, cuts) => {
        const words = makeSide(g);
        const pages = makeSide(g);
        assert.deepEqual(state(words), state(pages));
        for (const cut of cuts) {
          const s = words.strategy;
          if (s.nextStepPagePfn() < 0) {
            // The block is zeroed: its report takes the next block (both sides).
            words.strategy.fireArrival();
            pages.strategy.fireArrival();
            assert.deepEqual(state(words), state(pages));
            if (s.nextStepPagePfn() < 0) break;
          }
          if (cut.single) {
            words.strategy.fireGuest();
            pages.strategy.fireGuest();
          } else {
            const fromSec = s.nextGuestSec;
            const boundSec = fromSec + (cut.permille / 1000) * (s.nextArrivalSec - fromSec);
            const avoidWord = cut.avoidOffset < 0 ? -1 : (s.nextStepPagePfn() >>> 5) + cut.avoidOffset;
            let fast: number, slow: number;
            try {
              zeroingShortcuts.wordsAtOnce = true;
              fast = words.strategy.firePlainStepsBefore!(boundSec, avoidWord);
              zeroingShortcuts.wordsAtOnce = false;
              slow = pages.strategy.firePlainStepsBefore!(boundSec, avoidWord);
            } finally {
              zeroingShortcuts.wordsAtOnce = true;
            }
            assert.equal(fast, slow);
          }
          assert.deepEqual(state(words), state(pages));
        }
        // A report finishes a block's zeroing and takes the next block.
        words.strategy.fireArrival();
        pages.strategy.fireArrival();
        assert.deepEqual(state(words), state(pages));
        assert.deepEqual(words.costs, pages.costs);
      },
    ),
    { numRuns: 300, seed: 20261203 },
  );
});
