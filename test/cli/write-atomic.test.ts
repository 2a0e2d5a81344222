import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

  it('keeps the permission bits of the file it replaces', () => {
    const file = join(dir, 'private.csv');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    writeFileAtomic(file, 'new');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'new');
  });

  it('writes through a symbolic link: the target is replaced, the link stays a link', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'real.csv'), 'old');
    const link = join(dir, 'link.csv');
    symlinkSync('sub/real.csv', link);
    writeFileAtomic(link, 'new');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), 'sub/real.csv');
    assert.equal(readFileSync(join(sub, 'real.csv'), 'utf8'), 'new');
    // The temp file went next to the target, and is gone.
    assert.deepEqual(readdirSync(sub), ['real.csv']);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('link.csv')), ['link.csv']);
  });

  it('a dangling symbolic link creates its target', () => {
    const link = join(dir, 'dangling.csv');
    symlinkSync('made-by-link.csv', link);
    writeFileAtomic(link, 'x');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'made-by-link.csv'), 'utf8'), 'x');
  });

  it('a symbolic link loop fails with ELOOP', () => {
    const a = join(dir, 'loop-a');
    symlinkSync('loop-b', a);
    symlinkSync('loop-a', join(dir, 'loop-b'));
    assert.throws(() => writeFileAtomic(a, 'x'), (error: unknown) => error instanceof MigsimError && error.message === `${a}: cannot write (ELOOP)`);
  });

  it('streams into a character device instead of replacing it (/dev/null, directly and through a link)', () => {
    writeFileAtomic('/dev/null', 'discarded');
    assert.ok(statSync('/dev/null').isCharacterDevice());
    const link = join(dir, 'null-link');
    symlinkSync('/dev/null', link);
    writeFileAtomic(link, 'discarded');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.ok(lstatSync('/dev/null').isCharacterDevice());
  });

  it('streams into a FIFO (a reader gets the bytes; the FIFO stays a FIFO)', async () => {
    const fifo = join(dir, 'out.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return;
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let read = '';
    reader.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const exited = new Promise((resolve) => reader.on('exit', resolve));
    writeFileAtomic(fifo, 'through the fifo\n');
    await exited;
    assert.equal(read, 'through the fifo\n');
    assert.ok(lstatSync(fifo).isFIFO());
  });
});
