/**
 * Two QEMU mechanisms of the sender found by calibrating against real QEMU 10 runs
 * (validation/qemu10-tcg-1gib): the rate limit sees bytes only when QEMUFile
 * flushes them, and free-page hints wait while an iteration holds the migration bitmap.
 * Precopy is driven directly, with a guest whose every page holds data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { GuestMemory } from '../../src/core/guest-memory.js';
import { PRIORITY_HINT, Precopy } from '../../src/core/precopy.js';
import type { MigrationConfig } from '../../src/core/types.js';
import { makeWorkload, NO_HOOKS, UNITS } from './workload-fixture.js';

const { MiB } = UNITS;
const NORMAL_PAGE_BYTES = 8 + 4096;
/** 64 MiB: 16384 pages, all non-zero (the zero bitmap stays clear). */
const PAGES = 16384;


function migration(overrides: { flushIovecs?: number; preset?: MigrationConfig['preset'] } = {}): MigrationConfig {
  const config = makeWorkload({ guest: { memoryBytes: 64 * MiB } }).migration;
  config.wire.flushIovecs = overrides.flushIovecs ?? 0;
  if (overrides.preset !== undefined) config.preset = overrides.preset;
  return config;
}

/** Runs the sender until every action before (timeSec, hint priority) is done. */
function runTo(precopy: Precopy, timeSec: number): void {
  while (!precopy.runUntil(timeSec, PRIORITY_HINT)) {
    /* decisions hand control back */
  }
}

test('with QEMUFile batching a 128 MiB/s slot holds 103 flushes of 32 normal pages, as QEMU 10 sent', () => {
  // Budget 134217728 B/s × 0.1 s = 13421772.8 B. A flush every 64 iovecs = 32 normal pages
  // = 131328 B; the rate limit first sees more than the budget after 103 flushes:
  // 103 × 131328 = 13526784 B = 3296 pages (the calibration's per-slot count), then EOS.
  const batched = new Precopy(migration({ flushIovecs: 64 }), new GuestMemory(PAGES, 1), 4096, NO_HOOKS, false);
  runTo(batched, 0.09);
  assert.equal(batched.totalBytes, 3296 * NORMAL_PAGE_BYTES + 8);
  assert.equal(batched.dirtyCount, PAGES - 3296);
  // Counting bytes as sent, the page that crosses the budget is the 3271st:
  // 3270 × 4104 = 13420080 < 13421772.8 ≤ 3271 × 4104.
  const immediate = new Precopy(migration({ flushIovecs: 0 }), new GuestMemory(PAGES, 1), 4096, NO_HOOKS, false);
  runTo(immediate, 0.09);
  assert.equal(immediate.totalBytes, 3271 * NORMAL_PAGE_BYTES + 8);
});

test('a free-page hint that arrives inside an iteration lands when the iteration ends', () => {
  const precopy = new Precopy(migration(), new GuestMemory(PAGES, 1), 4096, NO_HOOKS, false);
  // At 5 ms the sender is inside its first iteration (the budget lasts until about 11 ms
  // at 10 Gbit/s), at about pfn 1500: the block [8192, 9216) is ahead of it.
  runTo(precopy, 0.005);
  const before = precopy.dirtyCount;
  assert.equal(precopy.applyHint(8192, 1024, true), 0, 'the iteration holds the bitmap');
  assert.equal(precopy.dirtyCount, before);
  // The budget ends the iteration: the waiting hint clears the block's 1024 bits.
  runTo(precopy, 0.05);
  assert.equal(precopy.dirtyCount, PAGES - 3271 - 1024);
  // While the sender waits for its next slot, a hint lands at once.
  assert.equal(precopy.applyHint(10240, 1024, true), 1024);
  assert.equal(precopy.dirtyCount, PAGES - 3271 - 2048);
});

test('under the pass preset a hint lands at once, even mid-iteration', () => {
  const precopy = new Precopy(migration({ preset: 'pass' }), new GuestMemory(PAGES, 1), 4096, NO_HOOKS, false);
  runTo(precopy, 0.005);
  const before = precopy.dirtyCount;
  assert.equal(precopy.applyHint(8192, 1024, true), 1024);
  assert.equal(precopy.dirtyCount, before - 1024);
});
