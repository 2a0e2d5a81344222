/**
 * The interleaved write-path flags (src/core/page-flags.ts): each flag of a PageFlags gives
 * the same bits, counts and word values as a Bitmap of its own under random operations, and
 * an operation on one flag never touches another's slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bitmap } from '../../src/core/bitmap.js';
import { FLAG_SHIFT, flagIndex, PageFlags } from '../../src/core/page-flags.js';

const SLOTS = 1 << FLAG_SHIFT;

type Op =
  | { kind: 'set' | 'clear' | 'testAndSet' | 'testAndClear'; slot: number; i: number }
  | { kind: 'setRange' | 'clearRange'; slot: number; from: number; pages: number }
  | { kind: 'setAll' | 'clearAll'; slot: number }
  | { kind: 'setWord'; slot: number; w: number; value: number };

function ops(size: number): fc.Arbitrary<Op[]> {
  const slot = fc.integer({ min: 0, max: SLOTS - 1 });
  const i = fc.integer({ min: 0, max: size - 1 });
  const words = Math.ceil(size / 32);
  return fc.array(
    fc.oneof(
      fc.record({ kind: fc.constantFrom('set' as const, 'clear' as const, 'testAndSet' as const, 'testAndClear' as const), slot, i }),
      fc.record({ kind: fc.constantFrom('setRange' as const, 'clearRange' as const), slot, from: i, pages: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ kind: fc.constantFrom('setAll' as const, 'clearAll' as const), slot }),
      // Word values as a word loop writes them: bits past the size stay clear.
      fc.record({ kind: fc.constant('setWord' as const), slot, w: fc.integer({ min: 0, max: words - 1 }), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    ),
    { maxLength: 40 },
  );
}

test('each interleaved flag behaves as a Bitmap of its own, and leaves the other slots alone', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }).chain((size) => fc.tuple(fc.constant(size), ops(size), fc.integer({ min: 0, max: size - 1 }))),
      ([size, sequence, probe]) => {
        const flags = new PageFlags(size);
        const views = Array.from({ length: SLOTS }, (_, slot) => flags.flag(slot));
        const references = Array.from({ length: SLOTS }, () => new Bitmap(size));
        const tailMask = size % 32 === 0 ? 0xffffffff : 2 ** (size % 32) - 1;
        for (const o of sequence) {
          const view = views[o.slot], reference = references[o.slot];
          if (o.kind === 'setRange' || o.kind === 'clearRange') {
            const to = Math.min(size, o.from + o.pages);
            view[o.kind](o.from, to);
            reference[o.kind](o.from, to);
          } else if (o.kind === 'setAll' || o.kind === 'clearAll') {
            view[o.kind]();
            reference[o.kind]();
          } else if (o.kind === 'setWord') {
            const value = o.w === view.wordCount - 1 ? (o.value & tailMask) >>> 0 : o.value;
            view.setWord(o.w, value);
            reference.setWord(o.w, value);
          } else if ('i' in o) {
            assert.equal(view[o.kind](o.i), reference[o.kind](o.i));
          }
          for (let slot = 0; slot < SLOTS; slot++) {
            const v = views[slot], r = references[slot];
            assert.equal(v.wordCount, r.wordCount);
            for (let w = 0; w < r.wordCount; w++) {
              assert.equal(v.word(w), r.words[w], `slot ${slot} word ${w} after ${o.kind}`);
              assert.equal(flags.words[flagIndex(w, slot)], r.words[w]);
            }
          }
        }
        for (let slot = 0; slot < SLOTS; slot++) {
          const v = views[slot], r = references[slot];
          assert.equal(v.countSet(), r.countSet());
          assert.equal(v.countRuns(), r.countRuns());
          assert.equal(v.countRange(probe, size), r.countRange(probe, size));
          assert.equal(v.countRange(0, probe), r.countRange(0, probe));
          assert.equal(v.nextSet(probe), r.nextSet(probe));
          assert.equal(v.test(probe), r.test(probe));
        }
      },
    ),
    { numRuns: 300, seed: 15 },
  );
});

test('flag f of word w sits at (w << FLAG_SHIFT) | f, 16 bytes a group', () => {
  const flags = new PageFlags(100);
  assert.equal(flags.wordCount, 4);
  assert.equal(flags.words.length, 4 * SLOTS);
  flags.flag(2).set(37); // word 1, bit 5
  assert.equal(flags.words[(1 << FLAG_SHIFT) | 2], 1 << 5);
  assert.equal(flags.words.reduce((a, b) => a + b, 0), 1 << 5);
  assert.equal(SLOTS * 4, 16);
  assert.throws(() => flags.flag(2).setRange(90, 101), RangeError);
});
