import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simulateWorkload } from '../../../src/core/simulation.js';
import type { ChurnStream, HintConfig, Workload, WriteStream } from '../../../src/core/types.js';
import { freePageHint, makeWorkload, UNITS } from '../workload-fixture.js';
import { combined, mergeNotifier, pageReporting, perPage, tinyHarness, unaccepted } from './strategy-harness.js';

const { MiB } = UNITS;
const PAGE_BYTES = 4096;

type Command =
  | { kind: 'alloc'; order: number }
  | { kind: 'free'; pick: number }
  | { kind: 'advance'; dtSec: number }
  | { kind: 'step' };

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('alloc' as const), order: fc.nat(4) }),
  fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), dtSec: fc.double({ min: 0, max: 3, noNaN: true }) }),
  fc.record({ kind: fc.constant('step' as const) }),
);

/** Every strategy, tuned so a tiny guest exercises it: small orders, batches and chunks. */
function tinyConfigs(maxOrder: number): HintConfig[] {
  const chunkBytes = 2 ** Math.min(1, maxOrder) * PAGE_BYTES;
  const lazy = unaccepted({ acceptedAtBootBytes: 0, chunkBytes, acceptGranularityBytes: PAGE_BYTES });
  const reporting = pageReporting({ minOrder: Math.min(1, maxOrder), capacity: 2, delaySec: 0.5 });
  return [
    mergeNotifier({ order: 1, placement: 'at-order' }),
    mergeNotifier({ order: 1, placement: 'after-merge' }),
    reporting,
    pageReporting({ minOrder: 0, capacity: 1, delaySec: 1 }),
    perPage({ capacity: 4, batch: 1 }),
    perPage({ capacity: 3, batch: 2 }),
    lazy,
    combined(lazy, reporting),
    combined(mergeNotifier({ order: 1, placement: 'after-merge' }), reporting, perPage({ capacity: 4, batch: 1 })),
  ];
}

test('property: allocator invariants hold under every strategy; no page is lost, discarded while in use, or counted twice', () => {
  const configCount = tinyConfigs(3).length;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: configCount - 1 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      fc.boolean(),
      fc.array(commandArbitrary, { maxLength: 120 }),
      (configIndex, maxOrder, blockFree, oldData, commands) => {
        const blockPages = 2 ** maxOrder;
        const free: [number, number][] = [];
        blockFree.forEach((isFree, b) => {
          if (isFree) free.push([b * blockPages, maxOrder]);
        });
        const config = tinyConfigs(maxOrder)[configIndex];
        const h = tinyHarness(config, { pages: 4 * blockPages, maxOrder, free, lowPages: 2, populated: oldData });
        const { buddy, memory, strategy } = h;
        const totalPages = 4 * blockPages;
        const live: { pfn: number; order: number }[] = [];
        for (let b = 0; b < 4; b++) if (!blockFree[b]) live.push({ pfn: b * blockPages, order: maxOrder });

        const check = (where: string): void => {
          buddy.checkInvariants();
          const livePages = live.reduce((sum, block) => sum + 2 ** block.order, 0);
          const held = memory.held.countSet();
          const unacceptedPages = memory.unaccepted === null ? 0 : memory.unaccepted.countSet();
          assert.equal(livePages + buddy.freePages + held + unacceptedPages, totalPages, `${config.label} ${where}: pages`);
          for (const block of live) {
            const end = block.pfn + 2 ** block.order;
            assert.equal(memory.held.countRange(block.pfn, end), 0, `${where}: live block ${block.pfn} is held`);
            // Live blocks hold data: a discard would have made them zero.
            assert.equal(memory.zero.countRange(block.pfn, end), 0, `${config.label} ${where}: live block ${block.pfn} was discarded`);
            if (memory.unaccepted !== null) assert.equal(memory.unaccepted.countRange(block.pfn, end), 0);
          }
        };
        check('start');
        for (const command of commands) {
          if (command.kind === 'alloc') {
            const order = command.order % (maxOrder + 1);
            const pages = 2 ** order;
            const hasBlock = (): boolean => {
              for (let o = order; o <= maxOrder; o++) if (buddy.headOf(o) !== -1) return true;
              return false;
            };
            while ((!hasBlock() || buddy.freePages - pages < 2) && strategy.giveBack()) {
              /* the simulation's allocation path */
            }
            const pfn = buddy.alloc(order);
            if (pfn !== -1) {
              live.push({ pfn, order });
              memory.allocated.setRange(pfn, pfn + pages);
              memory.writeRange(pfn, pages, false);
            }
          } else if (command.kind === 'free') {
            if (live.length === 0) continue;
            const [block] = live.splice(command.pick % live.length, 1);
            memory.allocated.clearRange(block.pfn, block.pfn + 2 ** block.order);
            buddy.free(block.pfn, block.order);
          } else if (command.kind === 'advance') {
            h.runUntil(h.clock.nowSec + command.dtSec);
          } else {
            h.step();
          }
          check(command.kind);
        }
        strategy.done(h.clock.nowSec);
        check('done');
        assert.equal(memory.held.countSet(), 0, 'DONE returns every isolated block');
        assert.equal(h.costs.redundantPagesHinted <= h.costs.pagesHinted, true);
      },
    ),
    { numRuns: 400 },
  );
});

function writer(overrides: Partial<WriteStream>): WriteStream {
  return { ratePagesPerSec: 0, workingSetBytes: 0, extentBytes: 2 * MiB, pattern: 'uniform', skew: 0.99, arrivals: 'even', vcpu: null, cpuShare: 1, bytesPerWrite: 8, ...overrides };
}

function churn(overrides: Partial<ChurnStream>): ChurnStream {
  return { rateBlocksPerSec: 0, orders: [{ order: 0, weight: 1 }], lifetimeSec: 1, fill: 'data', arrivals: 'even', vcpu: null, ...overrides };
}

/**
 * 256 MiB, writes and mixed-order churn; `freeDirty` 0 leaves accepted free memory short.
 * Page reporting needs low + 32 × 2 MiB free: about 66 MiB, so the guest must be this big.
 */
function churnyGuest(hints: HintConfig[], freeDirtyBytes: number): Workload {
  return makeWorkload({
    guest: { memoryBytes: 256 * MiB, initial: { usedBytes: 96 * MiB, freeDirtyBytes } },
    phases: [
      {
        durationSec: null,
        writes: [writer({ ratePagesPerSec: 5000, workingSetBytes: 16 * MiB })],
        churn: [churn({ rateBlocksPerSec: 2000, orders: [{ order: 0, weight: 0.97 }, { order: 3, weight: 0.02 }, { order: 9, weight: 0.01 }], lifetimeSec: 0.5 })],
        trace: null,
      },
    ],
    migration: { startSec: 3, maxDurationSec: 60 },
    hints,
  });
}

function defaultHints(): HintConfig[] {
  const lazy = unaccepted({ acceptedAtBootBytes: 96 * MiB });
  const reporting = pageReporting({ minOrder: 9, delaySec: 0.5 });
  return [
    freePageHint({}),
    { ...mergeNotifier({ order: 9, placement: 'at-order' }), label: 'mn-at-order' },
    { ...mergeNotifier({ order: 9, placement: 'after-merge' }), label: 'mn-after-merge' },
    reporting,
    perPage({ capacity: 512 }),
    { ...perPage({ capacity: 64, batch: 16 }), label: 'per-page-batch' },
    lazy,
    combined(lazy, reporting),
    { ...combined(lazy, freePageHint({})), label: 'unaccepted+fph' },
  ];
}

test('no strategy loses pages on a churny guest, with lazy or sync clear', () => {
  for (const clear of ['lazy', 'sync'] as const) {
    const workload = churnyGuest(defaultHints(), 64 * MiB);
    workload.migration.tracking.clear = clear;
    workload.migration.tracking.clearChunkBytes = 16 * MiB;
    const results = simulateWorkload(workload);
    for (const { summary } of results) {
      assert.equal(summary.lostPages, 0, `${clear}/${summary.run} lost ${summary.lostPages}`);
      assert.equal(summary.converged, true, `${clear}/${summary.run}`);
    }
    const byRun = new Map(results.map((r) => [r.summary.run, r.summary]));
    assert.ok(byRun.get('mn-at-order')!.costs.hintCalls > 0);
    assert.ok(byRun.get('page-reporting')!.costs.hintCalls > 0);
    assert.ok(byRun.get('per-page')!.costs.hintCalls > 0);
    // after-merge re-hints what at-order hints once.
    assert.ok(byRun.get('mn-after-merge')!.costs.redundantPagesHinted > byRun.get('mn-at-order')!.costs.redundantPagesHinted);
  }
});

test('a confidential guest short of accepted memory accepts chunks under churn and loses nothing', () => {
  const results = simulateWorkload(churnyGuest(defaultHints().slice(6), 0));
  for (const { summary, rounds } of results) {
    assert.equal(summary.lostPages, 0, summary.run);
    if (summary.run === 'none') continue;
    assert.ok(summary.costs.acceptCalls > 0, `${summary.run}: accepted nothing`);
    assert.equal(summary.costs.acceptCalls % 3, 0, 'MapGPA + 2 accepts per 4 MiB chunk');
    assert.ok(rounds[0].unacceptedPages > 0);
  }
});

test('runs with continuous strategies are deterministic', () => {
  const workload = churnyGuest(defaultHints().slice(1, 5), 64 * MiB);
  workload.phases[0].writes = [];
  assert.equal(JSON.stringify(simulateWorkload(workload)), JSON.stringify(simulateWorkload(workload)));
});

test('blocks a combined strategy gives back at DONE are not hinted by another (the guest is paused)', () => {
  const h = tinyHarness(combined(pageReporting({ minOrder: 1, capacity: 2 }), mergeNotifier({ order: 0 })), {
    pages: 16,
    maxOrder: 2,
    free: [[0, 2], [4, 2]],
  });
  h.step(); // the pass isolates [0,4) and [4,8)
  assert.equal(h.memory.held.countSet(), 8);
  h.strategy.done(2);
  assert.equal(h.memory.held.countSet(), 0);
  assert.equal(h.costs.hintCalls, 0);
  h.buddy.checkInvariants();
});
