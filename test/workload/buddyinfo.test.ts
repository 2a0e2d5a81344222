import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { buildInitialLayout } from '../../src/core/layout.js';
import { simulateWorkload } from '../../src/core/simulation.js';
import { readWorkload } from '../../src/io/read-workload.js';
import { buddyinfoFreePages, parseBuddyinfo } from '../../src/workload/buddyinfo.js';
import { makeWorkload, UNITS } from '../core/workload-fixture.js';

const root = join(new URL('.', import.meta.url).pathname, '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'buddyinfo');

test('parses /proc/buddyinfo and sums the zones per order', () => {
  const text = 'Node 0, zone      DMA      0      0      0      0      0      1      1      1      0      1      3 \n' +
    'Node 0, zone    DMA32      1      1      3      0      2      0      1      1      1      3    218 \n';
  assert.deepEqual(parseBuddyinfo(text), [1, 1, 3, 0, 2, 1, 2, 2, 1, 4, 221]);
  assert.equal(buddyinfoFreePages(parseBuddyinfo(text)), 1 + 2 + 12 + 32 + 32 + 128 + 256 + 256 + 2048 + 221 * 1024);
  assert.deepEqual(parseBuddyinfo('BUDDYINFO: Node 0, zone   Normal   4 2\n'), [4, 2]);
  assert.throws(() => parseBuddyinfo('Node 0, zone DMA x y\n'), /line 1: not a \/proc\/buddyinfo line/);
  assert.throws(() => parseBuddyinfo('\n'), /no zone lines/);
});

function layoutCounts(freeBlocks: number[], layout: 'ordered' | 'shuffled', freeDirtyBytes = 0): number[] {
  const workload = makeWorkload({ guest: { memoryBytes: UNITS.GiB, initial: { freeDirtyBytes, layout } } });
  workload.guest.initial.buddyinfoFreeBlocks = freeBlocks;
  const pages = UNITS.GiB / 4096;
  const memory = new GuestMemory(pages, 1);
  const buddy = new BuddyAllocator(pages, 10);
  buildInitialLayout(workload.guest, 1, memory, buddy);
  buddy.checkInvariants();
  // Every page is either on the free lists or allocated, never both.
  assert.equal(buddy.freePages + memory.allocated.countSet(), pages);
  return Array.from(buddy.nrFree);
}

test('the layout reproduces a buddyinfo snapshot block for block (round trip)', () => {
  const counts = [1, 1, 3, 0, 2, 1, 2, 2, 1, 4, 221];
  assert.deepEqual(layoutCounts(counts, 'ordered'), counts);
  assert.deepEqual(layoutCounts(counts, 'shuffled', 700 * UNITS.MiB), counts);
  const fragmented = [4808, 867, 2069, 1514, 662, 497, 182, 149, 108, 123, 20];
  assert.deepEqual(layoutCounts(fragmented, 'ordered'), fragmented);
  assert.deepEqual(layoutCounts(fragmented, 'shuffled'), fragmented);
});

test('a buddyinfo with more small blocks than used memory can hold is refused', () => {
  // 200 000 order-0 blocks each need a used buddy: 400 000 pages > 262 144.
  assert.throws(() => layoutCounts([200_000], 'ordered'), /guest.initial.buddyinfo needs more used memory/);
});

test('a workload with guest.initial.buddyinfo reads the file, sets used and migrates losing nothing', () => {
  const workload = readWorkload(join(fixtures, 'tcg-garbage.yaml'));
  assert.deepEqual(workload.guest.initial.buddyinfoFreeBlocks, [1, 1, 3, 0, 2, 1, 2, 2, 1, 4, 221]);
  assert.equal(workload.guest.initial.usedBytes, UNITS.GiB - 229071 * 4096);
  const [none, hinted] = simulateWorkload(workload);
  assert.equal(none.summary.lostPages, 0);
  assert.equal(hinted.summary.lostPages, 0);
  // 700 MiB of old data: the hints keep most of it from being sent.
  assert.ok(hinted.summary.savedBytes > 500 * UNITS.MiB, `saved ${hinted.summary.savedBytes}`);
});

test('a missing or malformed buddyinfo file is a one-line error naming the field, exit 2', () => {
  const bin = join(root, 'bin', 'migsim.js');
  const missing = spawnSync(process.execPath, [bin, 'run', '--hints', 'none', join(fixtures, 'tcg-garbage.yaml'), '--set', 'guest.initial.buddyinfo=nope.buddyinfo'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^migsim: .*tcg-garbage\.yaml: guest\.initial\.buddyinfo .*nope\.buddyinfo: cannot read \(ENOENT\)\n$/);
  const malformed = spawnSync(process.execPath, [bin, 'run', '--hints', 'none', join(fixtures, 'tcg-garbage.yaml'), '--set', 'guest.initial.buddyinfo=tcg-garbage.yaml'], { encoding: 'utf8' });
  assert.equal(malformed.status, 2);
  assert.match(malformed.stderr, /guest\.initial\.buddyinfo .*: line 1: not a \/proc\/buddyinfo line/);
});

test('migsim buddyinfo saves a snapshot and prints a guest stanza that reproduces it', async () => {
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'migsim-buddyinfo-'));
  const bin = join(root, 'bin', 'migsim.js');
  const out = join(dir, 'snap.buddyinfo');
  const result = spawnSync(process.execPath, [bin, 'buddyinfo', join(fixtures, 'tcg-garbage.buddyinfo'), '--out', out, '--memory', '1GiB'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(join(fixtures, 'tcg-garbage.buddyinfo'), 'utf8'));
  assert.match(result.stdout, /^guest:\n  memory: 1024MiB\n  initial:\n    buddyinfo: snap\.buddyinfo\n/m);
  const workload = join(dir, 'w.yaml');
  writeFileSync(workload, result.stdout);
  const parsed = readWorkload(workload);
  assert.deepEqual(parsed.guest.initial.buddyinfoFreeBlocks, [1, 1, 3, 0, 2, 1, 2, 2, 1, 4, 221]);
  const bad = spawnSync(process.execPath, [bin, 'buddyinfo', join(fixtures, 'tcg-garbage.yaml'), '--memory', '1GiB', '--out', join(dir, 'x')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^migsim: .*tcg-garbage\.yaml: line 1: not a \/proc\/buddyinfo line/);
});
