// readInputBytes on files whose fstat size is not their length: procfs says 0 for
// /proc/buddyinfo (`migsim buddyinfo` read one byte of it and called it over the limit).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { InputError, readInputBytes, readInputText } from '../../src/io/read-input.js';

const linuxProc = existsSync('/proc/self/status');

test('a /proc file (fstat size 0) is read whole, up to the limit', { skip: !linuxProc && 'no /proc' }, () => {
  const text = readInputText('/proc/self/status', 2 ** 20);
  assert.match(text, /^Name:\t/);
  assert.match(text, /\nPid:\t\d+\n/);
  assert.throws(() => readInputBytes('/proc/self/status', 16), (error: unknown) =>
    error instanceof InputError && error.code === 'over the limit of 16 B');
});

test('a regular file larger than the 64 KiB first buffer is read whole; one byte over the limit is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-read-input-'));
  const file = join(dir, 'big.txt');
  const content = 'x'.repeat(200_000);
  writeFileSync(file, content);
  assert.equal(readInputText(file, 200_000), content);
  assert.equal(readInputText(file, 300_000), content);
  assert.throws(() => readInputBytes(file, 199_999), (error: unknown) =>
    error instanceof InputError && /over the limit of/.test(error.code));
});

test('an empty regular file reads as empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-read-input-'));
  const file = join(dir, 'empty.txt');
  writeFileSync(file, '');
  assert.equal(readInputBytes(file, 100).length, 0);
});
