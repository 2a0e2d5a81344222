/**
 * The write path's summary bit (`GuestMemory.quiet`): after every operation a quiet page
 * is one whose non-zero write would change nothing (tracking on; populated, non-zero,
 * stale, logged or snapped, defined), and writes with the bit give exactly the state and
 * counters of writes without it. Random operation sequences on a small guest, checked
 * page by page against the definition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GuestMemory, quietWritesEnabled } from '../../src/core/guest-memory.js';

const PAGES = 200;

type Op =
  | { kind: 'write'; pfn: number; zero: boolean }
  | { kind: 'writePages'; pfns: number[] }
  | { kind: 'discard'; from: number; pages: number }
  | { kind: 'undefined'; from: number; pages: number }
  | { kind: 'clearSnap'; from: number; pages: number }
  | { kind: 'send'; pfn: number }
  | { kind: 'sync' };

const pfn = fc.integer({ min: 0, max: PAGES - 1 });
const range = fc.record({ from: pfn, pages: fc.integer({ min: 0, max: 70 }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), pfn, zero: fc.boolean() }),
  fc.record({ kind: fc.constant('writePages' as const), pfns: fc.array(pfn, { maxLength: 300 }) }),
  range.map((r) => ({ kind: 'discard' as const, ...r })),
  range.map((r) => ({ kind: 'undefined' as const, ...r })),
  range.map((r) => ({ kind: 'clearSnap' as const, ...r })),
  fc.record({ kind: fc.constant('send' as const), pfn }),
  fc.constant({ kind: 'sync' as const }),
);

/** Runs `ops` after tracking starts, as the sender and the sources would; checks the invariant after each. */
function run(ops: Op[], granulePages: number, bufferEntries: number, lazy: boolean, quiet: boolean): GuestMemory {
  quietWritesEnabled.on = quiet;
  try {
    const memory = new GuestMemory(PAGES, granulePages, 1, bufferEntries);
    // Some pages used with data, some zero, some never touched.
    for (let p = 0; p < PAGES; p++) if (p % 3 !== 0) memory.writePage(p, p % 7 === 0);
    memory.logged.clearAll();
    if (lazy) memory.snap.setAll();
    memory.trackingOn = true;
    memory.resetQuiet();
    checkQuiet(memory);
    const pfns = new Int32Array(400);
    for (const o of ops) {
      const to = (r: { from: number; pages: number }) => Math.min(PAGES, r.from + r.pages);
      if (o.kind === 'write') memory.writePage(o.pfn, o.zero);
      else if (o.kind === 'writePages') {
        pfns.set(o.pfns);
        memory.writePages(pfns, 0, o.pfns.length);
      } else if (o.kind === 'discard') memory.discardRange(o.from, to(o));
      else if (o.kind === 'undefined') memory.markUndefined(o.from, to(o));
      else if (o.kind === 'clearSnap') memory.clearSnapRange(o.from, to(o));
      else if (o.kind === 'send') {
        // What the sender does to a page it sends (precopy.ts sendPages): its word's
        // deferred writes applied first.
        memory.settleWord(o.pfn >>> 5);
        memory.stale.clear(o.pfn);
        memory.quiet.clear(o.pfn);
      } else {
        // A sync (precopy.ts syncDirtyLog): lazy snaps what was logged; sync protects again.
        memory.settleAll();
        for (let w = 0; w < memory.logged.words.length; w++) {
          const fetched = lazy ? memory.logged.words[w] | memory.snap.words[w] : memory.logged.words[w];
          memory.logged.words[w] = 0;
          if (lazy) memory.snap.words[w] = fetched;
          else memory.quiet.words[w] &= ~fetched;
        }
      }
      checkQuiet(memory);
    }
    return memory;
  } finally {
    quietWritesEnabled.on = true;
  }
}

function checkQuiet(memory: GuestMemory): void {
  for (let p = 0; p < PAGES; p++) {
    if (!memory.quiet.test(p)) continue;
    const defined = memory.undefinedContent === null || !memory.undefinedContent.test(p);
    const unchanged = memory.populated.test(p) && !memory.zero.test(p) && memory.stale.test(p) && (memory.logged.test(p) || memory.snap.test(p)) && defined;
    assert.ok(unchanged, `page ${p} is quiet but a write would change it`);
  }
}

/** The flags and counters as anything outside GuestMemory sees them: deferred writes applied. */
function state(memory: GuestMemory): unknown {
  memory.settleAll();
  const bits = (b: { words: Uint32Array } | null) => (b === null ? null : Array.from(b.words));
  return {
    populated: bits(memory.populated),
    zero: bits(memory.zero),
    stale: bits(memory.stale),
    logged: bits(memory.logged),
    snap: bits(memory.snap),
    undefinedContent: bits(memory.undefinedContent),
    faults: memory.faults,
    exits: memory.exits,
    bufferFill: Array.from((memory as unknown as { bufferFill: Int32Array }).bufferFill),
  };
}

/** Every flag and every counter. */
function fullState(memory: GuestMemory): unknown {
  const bits = (b: { words: Uint32Array } | null) => (b === null ? null : Array.from(b.words));
  return {
    ...(state(memory) as object),
    quiet: bits(memory.quiet),
    allocated: bits(memory.allocated),
    dstNonZero: bits(memory.dstNonZero),
    held: bits(memory.held),
  };
}

test('a quiet page is one a non-zero write leaves unchanged, and skipping such writes changes nothing', () => {
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 40 }),
      fc.constantFrom(1, 4),
      fc.constantFrom(0, 8),
      fc.boolean(),
      (ops, granulePages, bufferEntries, lazy) => {
        const withQuiet = run(ops, granulePages, bufferEntries, lazy, true);
        const without = run(ops, granulePages, bufferEntries, lazy, false);
        assert.deepEqual(state(withQuiet), state(without));
        assert.equal(without.quiet.countSet(), 0);
      },
    ),
    { numRuns: 300, seed: 15 },
  );
});

test('a non-zero write makes its page quiet; each state change that matters clears it', () => {
  const memory = new GuestMemory(64, 1);
  memory.trackingOn = true;
  memory.resetQuiet();
  memory.writePage(5, false);
  assert.ok(memory.quiet.test(5));
  assert.equal(memory.faults, 1);
  memory.writePage(5, false);
  assert.equal(memory.faults, 1);
  memory.writePage(5, true); // zero data: zero changes
  assert.ok(!memory.quiet.test(5));
  memory.writePage(5, false);
  memory.discardRange(4, 6); // not populated any more
  assert.ok(!memory.quiet.test(5));
  memory.writePage(5, false);
  memory.markUndefined(5, 6);
  assert.ok(!memory.quiet.test(5));
  memory.writePage(5, false);
  // Logged: a chunk clear (snap cleared) keeps it quiet; snapped only, it does not.
  memory.clearSnapRange(0, 64);
  assert.ok(memory.quiet.test(5));
  memory.logged.clear(5);
  memory.snap.set(5);
  memory.clearSnapRange(0, 64);
  assert.ok(!memory.quiet.test(5));
});

test('a write that changes nothing changes no state: a quiet page written alone or in a batch, with any tracker', () => {
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 30 }),
      fc.constantFrom(1, 4),
      fc.constantFrom(0, 8),
      fc.boolean(),
      fc.array(pfn, { minLength: 1, maxLength: 40 }),
      (ops, granulePages, bufferEntries, lazy, picks) => {
        const memory = run(ops, granulePages, bufferEntries, lazy, true);
        const quietPfns = picks.filter((p) => memory.quiet.test(p));
        if (quietPfns.length === 0) return;
        const before = fullState(memory);
        for (const p of quietPfns) assert.equal(memory.writePage(p, false), false);
        assert.deepEqual(fullState(memory), before);
        memory.writePages(Int32Array.from(quietPfns), 0, quietPfns.length);
        assert.deepEqual(fullState(memory), before);
      },
    ),
    { numRuns: 200, seed: 151 },
  );
});

test('the inline second pass logs a page written three times in one batch once, and fills PML buffers as single writes do', () => {
  // 8-entry buffers: 9 first writes on vCPU 0 are one exit and 1 entry left.
  const batch = new GuestMemory(64, 1, 1, 8);
  const single = new GuestMemory(64, 1, 1, 8);
  for (const m of [batch, single]) {
    for (let p = 0; p < 64; p++) m.writePage(p, false);
    m.trackingOn = true;
    m.logged.clearAll();
    m.resetQuiet();
  }
  const pfns = [3, 9, 3, 20, 21, 22, 40, 41, 42, 63, 3];
  batch.writePages(Int32Array.from(pfns), 0, pfns.length);
  for (const p of pfns) single.writePage(p, false);
  assert.deepEqual(fullState(batch), fullState(single));
  assert.equal(batch.exits, 1);
  assert.equal((batch as unknown as { bufferFill: Int32Array }).bufferFill[0], 1);
  assert.equal(batch.logged.countSet(), 9);
});

test('writes deferred under write-protect touch no flag until their word is settled, then leave the state page-by-page writes leave', () => {
  const deferred = new GuestMemory(96, 1);
  const single = new GuestMemory(96, 1);
  for (const m of [deferred, single]) {
    for (let p = 0; p < 96; p++) if (p !== 40) m.writePage(p, p === 7);
    m.trackingOn = true;
    m.logged.set(33);
    m.resetQuiet();
  }
  const pfns = [3, 7, 33, 40, 3, 64, 95];
  deferred.writePages(Int32Array.from(pfns), 0, pfns.length);
  for (const p of pfns) single.writePage(p, false);
  // Nothing applied yet: page 40 still unpopulated, 7 still zero, no fault counted.
  assert.ok(!deferred.populated.test(40));
  assert.ok(deferred.zero.test(7));
  assert.equal(deferred.faults, 0);
  // A zero write to a page with a pending write comes after it: its word (0) is settled
  // first, and only that word.
  deferred.writePage(7, true);
  single.writePage(7, true);
  assert.ok(deferred.zero.test(7) && !deferred.quiet.test(7) && deferred.logged.test(3));
  assert.ok(!deferred.populated.test(40));
  deferred.settleWord(1);
  assert.ok(deferred.populated.test(40) && deferred.logged.test(40));
  assert.ok(!deferred.logged.test(64));
  // 3, 7, 40, 64 and 95 fault (33 was logged; the zero write finds 7 logged).
  assert.deepEqual(fullState(deferred), fullState(single));
  assert.equal(deferred.faults, 5);
});

test('writes deferred with tracking off apply as tracking-off writes: populated, non-zero, stale, no log, not quiet', () => {
  const deferred = new GuestMemory(64, 1);
  const single = new GuestMemory(64, 1);
  for (const m of [deferred, single]) for (let p = 0; p < 64; p += 3) m.writePage(p, true);
  const pfns = [0, 1, 2, 3, 40, 1];
  deferred.writePages(Int32Array.from(pfns), 0, pfns.length);
  for (const p of pfns) single.writePage(p, false);
  assert.ok(deferred.zero.test(3) && !deferred.populated.test(1), 'nothing applied before a settle');
  assert.deepEqual(fullState(deferred), fullState(single));
  assert.ok(!deferred.zero.test(3) && deferred.stale.test(40) && deferred.logged.countSet() === 0 && deferred.quiet.countSet() === 0);
  assert.equal(deferred.faults, 0);
});
