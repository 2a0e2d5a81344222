import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedDoubleFields } from '../../src/core/double-fields.js';

test('seedDoubleFields keeps every value and adds no field', () => {
  const obj = { aSec: 0, bBytes: 2 ** 31, cPages: 7, name: 'x' };
  seedDoubleFields(obj, ['aSec', 'bBytes', 'cPages']);
  assert.deepEqual(obj, { aSec: 0, bBytes: 2 ** 31, cPages: 7, name: 'x' });
  assert.deepEqual(Object.keys(obj), ['aSec', 'bBytes', 'cPages', 'name']);
});

test('seedDoubleFields refuses a name that is not a number field (a typo would add a field)', () => {
  const obj = { slotEndSec: 0, name: 'x' };
  assert.throws(() => seedDoubleFields(obj, ['slotEndsec']), /slotEndsec is not a number field/);
  assert.throws(() => seedDoubleFields(obj, ['name']), /name is not a number field/);
  assert.deepEqual(Object.keys(obj), ['slotEndSec', 'name']);
});
