import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bitmap, popcount32 } from '../../src/core/bitmap.js';
import { Rng } from '../../src/core/rng.js';

function assertSameAs(bitmap: Bitmap, model: Set<number>, context: string): void {
  assert.equal(bitmap.countSet(), model.size, `${context}: countSet`);
  for (let i = 0; i < bitmap.sizeBits; i++) {
    assert.equal(bitmap.test(i), model.has(i), `${context}: bit ${i}`);
  }
  // tail bits past sizeBits stay clear
  const tailBits = bitmap.sizeBits & 31;
  if (tailBits !== 0) {
    assert.equal(bitmap.words[bitmap.words.length - 1] >>> tailBits, 0, `${context}: tail word`);
  }
}

function modelNextSet(model: Set<number>, sizeBits: number, from: number): number {
  for (let i = from; i < sizeBits; i++) {
    if (model.has(i)) {
      return i;
    }
  }
  return -1;
}

test('popcount32 counts bits of any 32-bit word', () => {
  assert.equal(popcount32(0), 0);
  assert.equal(popcount32(0xffffffff), 32);
  assert.equal(popcount32(-1), 32);
  assert.equal(popcount32(0x80000000), 1);
  assert.equal(popcount32(1 << 31), 1);
  assert.equal(popcount32(0x55555555), 16);
  const rng = new Rng(1, 'popcount');
  for (let i = 0; i < 1000; i++) {
    const word = rng.nextUint32();
    let naive = 0;
    for (let bit = 0; bit < 32; bit++) {
      naive += (word >>> bit) & 1;
    }
    assert.equal(popcount32(word), naive);
  }
});

test('single-bit operations report whether they changed the bit', () => {
  const bitmap = new Bitmap(70);
  assert.equal(bitmap.words.length, 3);
  assert.equal(bitmap.testAndSet(31), true);
  assert.equal(bitmap.testAndSet(31), false);
  assert.equal(bitmap.test(31), true);
  assert.equal(bitmap.words[0], 0x80000000);
  bitmap.set(69);
  assert.equal(bitmap.nextSet(0), 31);
  assert.equal(bitmap.nextSet(32), 69);
  assert.equal(bitmap.nextSet(70), -1);
  assert.equal(bitmap.testAndClear(31), true);
  assert.equal(bitmap.testAndClear(31), false);
  bitmap.clear(69);
  assert.equal(bitmap.countSet(), 0);
  assert.equal(bitmap.nextSet(0), -1);
});

test('setAll masks the tail word and clearAll clears everything', () => {
  for (const sizeBits of [0, 1, 31, 32, 33, 64, 100]) {
    const bitmap = new Bitmap(sizeBits);
    bitmap.setAll();
    assert.equal(bitmap.countSet(), sizeBits);
    assert.equal(bitmap.countRange(0, sizeBits), sizeBits);
    assert.equal(bitmap.nextSet(0), sizeBits === 0 ? -1 : 0);
    bitmap.clearAll();
    assert.equal(bitmap.countSet(), 0);
  }
});

test('ranges within one word, across one boundary and across many words', () => {
  const bitmap = new Bitmap(200);
  bitmap.setRange(3, 7);
  assert.equal(bitmap.words[0], 0b1111000);
  bitmap.setRange(30, 34);
  assert.equal(bitmap.countRange(0, 200), 8);
  assert.equal(bitmap.countRange(31, 33), 2);
  bitmap.setRange(40, 170);
  assert.equal(bitmap.countSet(), 8 + 130);
  bitmap.clearRange(64, 128);
  assert.equal(bitmap.countSet(), 8 + 130 - 64);
  assert.equal(bitmap.nextSet(64), 128);
  bitmap.setRange(0, 0);
  bitmap.clearRange(200, 200);
  assert.equal(bitmap.countRange(5, 5), 0);
  bitmap.setRange(0, 200);
  assert.equal(bitmap.countSet(), 200);
  assert.equal(bitmap.words[6], 0xff);
});

test('range methods reject out-of-range bounds with the values in the message', () => {
  const bitmap = new Bitmap(64);
  assert.throws(() => bitmap.setRange(10, 65), /\[10, 65\)/);
  assert.throws(() => bitmap.clearRange(-1, 3), RangeError);
  assert.throws(() => bitmap.countRange(5, 4), RangeError);
  assert.throws(() => bitmap.nextSet(-1), /got -1/);
  assert.throws(() => new Bitmap(-3), /got -3/);
});

test('reference model: seeded random operations agree with a Set<number>', () => {
  for (const sizeBits of [1, 31, 32, 33, 95, 96, 257, 1000]) {
    const rng = new Rng(sizeBits, 'bitmap-model');
    const bitmap = new Bitmap(sizeBits);
    const model = new Set<number>();
    for (let step = 0; step < 600; step++) {
      const op = rng.nextInt(11);
      const i = rng.nextInt(sizeBits);
      // ranges: random ends, often crossing word boundaries, sometimes empty
      const a = rng.nextInt(sizeBits + 1), b = rng.nextInt(sizeBits + 1);
      const from = Math.min(a, b), to = Math.max(a, b);
      const context = `size ${sizeBits} step ${step} op ${op}`;
      switch (op) {
        case 0:
          bitmap.set(i);
          model.add(i);
          break;
        case 1:
          bitmap.clear(i);
          model.delete(i);
          break;
        case 2:
          assert.equal(bitmap.testAndSet(i), !model.has(i), context);
          model.add(i);
          break;
        case 3:
          assert.equal(bitmap.testAndClear(i), model.has(i), context);
          model.delete(i);
          break;
        case 4:
          bitmap.setRange(from, to);
          for (let j = from; j < to; j++) model.add(j);
          break;
        case 5:
          bitmap.clearRange(from, to);
          for (let j = from; j < to; j++) model.delete(j);
          break;
        case 6: {
          let expected = 0;
          for (let j = from; j < to; j++) expected += model.has(j) ? 1 : 0;
          assert.equal(bitmap.countRange(from, to), expected, context);
          break;
        }
        case 7:
          assert.equal(bitmap.nextSet(from), modelNextSet(model, sizeBits, from), context);
          break;
        case 8:
          assert.equal(bitmap.test(i), model.has(i), context);
          break;
        case 9:
          if (rng.nextInt(20) === 0) {
            bitmap.setAll();
            for (let j = 0; j < sizeBits; j++) model.add(j);
          }
          break;
        default:
          if (rng.nextInt(20) === 0) {
            bitmap.clearAll();
            model.clear();
          }
      }
      assert.equal(bitmap.countSet(), model.size, context);
    }
    assertSameAs(bitmap, model, `size ${sizeBits} final`);
  }
});

test('walking with nextSet visits exactly the set bits in ascending order', () => {
  const rng = new Rng(2, 'walk');
  const bitmap = new Bitmap(5000);
  const model = new Set<number>();
  for (let i = 0; i < 300; i++) {
    const pfn = rng.nextInt(5000);
    bitmap.set(pfn);
    model.add(pfn);
  }
  const visited: number[] = [];
  for (let pfn = bitmap.nextSet(0); pfn !== -1; pfn = bitmap.nextSet(pfn + 1)) {
    visited.push(pfn);
  }
  assert.deepEqual(visited, [...model].sort((a, b) => a - b));
});
