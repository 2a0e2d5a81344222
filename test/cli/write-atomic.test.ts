import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { MigsimError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/io/write-atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'migsim-write-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates a file and replaces it, leaving no temp file behind', () => {
    const file = join(dir, 'out.csv');
    writeFileAtomic(file, 'a\n');
    writeFileAtomic(file, 'b\n');
    assert.equal(readFileSync(file, 'utf8'), 'b\n');
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('out.csv')), ['out.csv']);
  });

  it('fails with output.write-failed (exit 2) naming the file and errno when the directory is missing', () => {
    const file = join(dir, 'no-such-dir', 'out.csv');
    assert.throws(
      () => writeFileAtomic(file, 'x'),
      (error: unknown) =>
        error instanceof MigsimError && error.code === 'output.write-failed' && error.exitCode === 2 && error.message === `${file}: cannot write (ENOENT)`,
    );
  });

  it('removes the temp file when the rename fails, and leaves the target as it was', () => {
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'old');
    assert.throws(() => writeFileAtomic(target, 'new'), /taken: cannot write \((EISDIR|ENOTEMPTY|EEXIST)\)$/);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('taken')), ['taken']);
    assert.equal(readFileSync(join(target, 'keep'), 'utf8'), 'old');
  });
});
