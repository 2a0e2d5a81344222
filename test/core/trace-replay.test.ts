import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { buildInitialLayout } from '../../src/core/layout.js';
import { Rng } from '../../src/core/rng.js';
import { newCostCounters } from '../../src/core/result-columns.js';
import { simulateWorkload } from '../../src/core/simulation.js';
import { TraceReplay } from '../../src/core/trace-replay.js';
import { readWorkload } from '../../src/io/read-workload.js';
import { parseTrace } from '../../src/workload/trace.js';
import { makeWorkload, UNITS } from './workload-fixture.js';

const root = join(new URL('.', import.meta.url).pathname, '..', '..', '..');

function guest() {
  const workload = makeWorkload({ guest: { memoryBytes: 16 * UNITS.MiB, initial: { usedBytes: 4 * UNITS.MiB } } });
  const pages = workload.guest.memoryBytes / 4096;
  const memory = new GuestMemory(pages, 1);
  const buddy = new BuddyAllocator(pages, 10);
  buildInitialLayout(workload.guest, 1, memory, buddy);
  return { workload, memory, buddy, pages };
}

test('replaying a trace reproduces the traced allocator state exactly', () => {
  // Record a trace from a reference allocator driven by seeded random allocs and frees.
  const reference = guest();
  const rng = new Rng(7, 'trace-test');
  const live: [number, number][] = [];
  const lines: string[] = [];
  for (let step = 0; step < 3000; step++) {
    const time = (step / 1000).toFixed(3);
    if (live.length > 0 && rng.nextDouble() < 0.45) {
      const [pfn, order] = live.splice(rng.nextInt(live.length), 1)[0];
      reference.buddy.free(pfn, order);
      lines.push(`${time} free ${pfn} ${order}`);
    } else {
      const order = rng.nextDouble() < 0.9 ? 0 : rng.nextInt(10);
      const pfn = reference.buddy.alloc(order);
      if (pfn < 0) continue;
      live.push([pfn, order]);
      lines.push(`${time} alloc ${pfn} ${order}`);
      if (rng.nextDouble() < 0.3) lines.push(`${time} write ${pfn} ${order}`);
    }
  }
  const replayed = guest();
  const rows = parseTrace(lines.join('\n'), replayed.pages, 10);
  const replay = new TraceReplay(rows, 0, Infinity);
  const costs = newCostCounters();
  while (replay.nextTime !== Infinity) replay.fire(replayed.memory, replayed.buddy, true, false, costs);
  assert.equal(costs.traceRowsSkipped, 0);
  replayed.buddy.checkInvariants();
  assert.deepEqual(Array.from(replayed.buddy.nrFree), Array.from(reference.buddy.nrFree));
  assert.deepEqual(Array.from(replayed.buddy.freeOrder), Array.from(reference.buddy.freeOrder));
  // Every free list holds the same blocks in the same order.
  const lists = (buddy: BuddyAllocator): number[][] => {
    const out: number[][] = [];
    for (let order = 0; order <= buddy.maxOrder; order++) {
      const list: number[] = [];
      for (let pfn = buddy.headOf(order); pfn !== -1; pfn = buddy.nextOf(pfn)) list.push(pfn);
      out.push(list);
    }
    return out;
  };
  assert.deepEqual(lists(replayed.buddy), lists(reference.buddy));
  // Every page is free or allocated, never both.
  assert.equal(replayed.buddy.freePages + replayed.memory.allocated.countSet(), replayed.pages);
});

test('rows that do not fit the simulated allocator are skipped and counted', () => {
  const { memory, buddy, pages } = guest();
  // pfn 0 is used by the initial layout: allocating it does not fit; freeing a free block neither.
  const rows = parseTrace('0 alloc 0 0\n0.1 free 3072 0\n0.2 write 3072 0\n0.3 alloc 3072 0\n', pages, 10);
  const replay = new TraceReplay(rows, 0, Infinity);
  const costs = newCostCounters();
  while (replay.nextTime !== Infinity) replay.fire(memory, buddy, true, false, costs);
  assert.equal(costs.traceRowsSkipped, 3);
  assert.ok(memory.allocated.test(3072));
  buddy.checkInvariants();
});

test('bad traces are one-line errors naming the file, the phase and the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-trace-'));
  const workloadFile = join(dir, 'w.yaml');
  writeFileSync(workloadFile, 'guest:\n  memory: 16MiB\n  initial: {used: 4MiB}\nphases:\n  - trace: t.txt\n');
  const cases: [string, RegExp][] = [
    ['0.2 alloc 10 0\n0.1 free 10 0\n', /w\.yaml: phases\[0\]\.trace .*t\.txt: line 2: times must be sorted/],
    ['0 alloc 4096 0\n', /line 1: pfn 4096 order 0 lies beyond guest.memory \(4096 pages\)/],
    ['0 grab 10 0\n', /line 1: op must be alloc, free or write \(got grab\)/],
    ['0 alloc 3 2\n', /line 1: pfn must be an integer aligned to its order/],
  ];
  for (const [text, message] of cases) {
    writeFileSync(join(dir, 't.txt'), text);
    assert.throws(() => readWorkload(workloadFile), message);
  }
  writeFileSync(join(dir, 't.txt'), 'x');
  writeFileSync(workloadFile, 'guest:\n  memory: 16MiB\n  initial: {used: 4MiB}\nphases:\n  - trace: missing.gz\n');
  assert.throws(() => readWorkload(workloadFile), /phases\[0\]\.trace .*missing\.gz: cannot read \(ENOENT\)/);
});

test('a gzip trace replays in a migration and loses no pages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-trace-'));
  const rows: string[] = [];
  for (let i = 0; i < 2000; i++) rows.push(`${(i / 1000).toFixed(3)} alloc ${2048 + i} 0`, `${(i / 1000).toFixed(3)} write ${2048 + i} 0`);
  writeFileSync(join(dir, 't.gz'), gzipSync(rows.join('\n')));
  writeFileSync(join(dir, 'w.yaml'), 'guest:\n  memory: 64MiB\n  initial: {used: 8MiB}\nphases:\n  - trace: t.gz\nmigration: {start: 0.5s}\n');
  const workload = readWorkload(join(dir, 'w.yaml'));
  assert.equal(workload.phases[0].trace!.count, 4000);
  const [none, hinted] = simulateWorkload(workload);
  assert.equal(none.summary.lostPages, 0);
  assert.equal(hinted.summary.lostPages, 0);
  assert.equal(none.summary.costs.traceRowsSkipped, 0);
});

test('migsim record without tracefs says what is missing, exit 2', () => {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'migsim.js'), 'record', '--out', join(tmpdir(), 'x.gz'), '--tracefs', '/nonexistent/tracing', '--duration', '1s'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^migsim: record: needs tracefs with the kmem tracepoints at \/nonexistent\/tracing \(as root: mount -t tracefs nodev \/nonexistent\/tracing\)\n$/);
});
