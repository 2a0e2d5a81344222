/**
 * The benchmark guest, scaled by memory with the same rates: a quarter of memory used, a
 * quarter free with old data, a writer at 1 M pages/s over a 1/64 working set, migration
 * after 1 s over a 100 Gbit/s link with max-bandwidth at link speed. Dirty-log syncs cost
 * nothing here: at the default 0.5 ms/GiB a sync takes 0.5 s at 1 TiB, in which the writer
 * dirties ~0.5 M pages, more than the 300 ms downtime allows at 100 Gbit/s (0.91 M pages
 * minus what is already pending), so the 1 TiB point never converged and ran for minutes
 * of simulated time: its wall time measured the workload, not how the engine scales.
 * The per-page pipeline costs (issue 14: sendCost 1.56 µs a page) are off for the same
 * reason: 1.56 µs caps the sender at 641 k pages/s, under the writer's 1 M pages/s, so the
 * 1 TiB point again ran to its 3600 s cap (minutes of CPU instead of seconds).
 * Two vCPUs, the writer on vCPU 1: the free-page-hint driver holds vCPU 0 while it
 * allocates and zeroes blocks (hint-driver-hold.ts, 68a2b92), which with one vCPU held the
 * writer for the whole migration (1.0 M writes in the 1 TiB hinted run against 97.4 M
 * unhinted), so hinted/unhinted no longer compared the same write load. With the writer on
 * vCPU 1 the hinted runs are the migrations the rows measured before (1 TiB: 116.8 M
 * writes, 116.6 s simulated in 6 rounds).
 */
import type { Workload } from '../../src/core/types.js';
import { freePageHint, makeWorkload } from '../core/workload-fixture.js';

export const GiB = 2 ** 30;

export function benchWorkload(memoryGiB: number, hints: string): Workload {
  const memoryBytes = memoryGiB * GiB;
  return makeWorkload({
    name: `bench-${memoryGiB}g`,
    guest: { memoryBytes, vcpus: 2, initial: { usedBytes: memoryBytes / 4, freeDirtyBytes: memoryBytes / 4 } },
    phases: [
      {
        durationSec: null,
        writes: [
          { ratePagesPerSec: 1_000_000, workingSetBytes: memoryBytes / 64, extentBytes: 2 * 2 ** 20, pattern: 'uniform', skew: 0.99, arrivals: 'even', vcpu: 1, cpuShare: 1, bytesPerWrite: 8 },
        ],
        churn: [],
        trace: null,
      },
    ],
    migration: { startSec: 1, bandwidthBytesPerSec: 100e9 / 8, linkBandwidthBytesPerSec: 100e9 / 8, syncTimeSecPerGiB: 0, sendCostSec: 0, zeroLoadCostSec: 0 },
    hints: hints === 'none' ? [] : [freePageHint()],
  });
}

/**
 * The throughput rows' guest (issue 15's measurement): fully used, uniform writes at
 * 2 M pages/s over `workingSetGiB` of 2 MiB extents, migration after 1 s at 100 Gbit/s with
 * the `pass` preset, syncs free, no hints. At 4 GiB with a 64 MiB working set the hot set
 * sits in cache; at 1 TiB with 64 GiB it is 32768 extents scattered over the whole guest.
 */
export function throughputWorkload(memoryGiB: number, workingSetGiB: number): Workload {
  const memoryBytes = memoryGiB * GiB;
  return makeWorkload({
    name: `throughput-${memoryGiB}g-${workingSetGiB}g`,
    guest: { memoryBytes, initial: { usedBytes: memoryBytes, freeDirtyBytes: 0 } },
    phases: [
      {
        durationSec: null,
        writes: [
          { ratePagesPerSec: 2_000_000, workingSetBytes: workingSetGiB * GiB, extentBytes: 2 * 2 ** 20, pattern: 'uniform', skew: 0.99, arrivals: 'even', vcpu: null, cpuShare: 1, bytesPerWrite: 8 },
        ],
        churn: [],
        trace: null,
      },
    ],
    // Per-page pipeline costs off, as in benchWorkload: the rows measure the write path.
    migration: { preset: 'pass', startSec: 1, bandwidthBytesPerSec: 100e9 / 8, linkBandwidthBytesPerSec: 100e9 / 8, syncTimeSecPerGiB: 0, sendCostSec: 0, zeroLoadCostSec: 0 },
    hints: [],
    host: null,
  });
}
