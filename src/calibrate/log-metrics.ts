/**
 * A migration's query-migrate samples (or domjobinfo blocks) as the calibration's yardstick
 * (metrics.ts's RunMetrics), segmented as the testbed's migrate.py does: iteration k is
 * the samples whose dirty-sync-count is k; its deltas run from the last sample of the
 * group before (zeros before the first) to its own last sample, so a boundary is as
 * uncertain as one poll. The group the completed sample ends is the stop-and-copy.
 * QEMU's dirty-sync-count is iterations + 2 (metrics.ts), and a group numbered past the
 * last iteration before the stop-copy is a spill-over, added to the last iteration.
 * Times are QEMU's own: `total-time` (since `migrate`) and `downtime` of the completed
 * sample. Pure: no I/O.
 */
import type { IterationMetrics, RunMetrics } from './metrics.js';

export interface MigrateSample {
  status: string;
  totalTimeSec: number;
  /** Completed samples only; NaN otherwise. */
  downtimeSec: number;
  transferredBytes: number;
  remainingBytes: number;
  /** ram.total: every RAMBlock migrated. */
  totalBytes: number;
  normalPages: number;
  zeroPages: number;
  dirtySyncCount: number;
  /** NaN when the source did not say. */
  pageSizeBytes: number;
}

export interface LogSegment {
  dirtySyncCount: number;
  phase: 'precopy' | 'stop-copy';
  samples: number;
  /** total-time of the group's last sample, and how long since the group before. */
  endSec: number;
  durationSec: number;
  delta: IterationMetrics;
}

export function segmentSamples(samples: readonly MigrateSample[]): LogSegment[] {
  const segments: LogSegment[] = [];
  let previous = { transferredBytes: 0, normalPages: 0, zeroPages: 0, totalTimeSec: 0 };
  let start = 0;
  while (start < samples.length) {
    let end = start;
    while (end + 1 < samples.length && samples[end + 1].dirtySyncCount === samples[start].dirtySyncCount) end++;
    const last = samples[end];
    segments.push({
      dirtySyncCount: last.dirtySyncCount,
      phase: last.status === 'completed' ? 'stop-copy' : 'precopy',
      samples: end - start + 1,
      endSec: last.totalTimeSec,
      durationSec: last.totalTimeSec - previous.totalTimeSec,
      delta: {
        bytes: last.transferredBytes - previous.transferredBytes,
        normalPages: last.normalPages - previous.normalPages,
        zeroPages: last.zeroPages - previous.zeroPages,
      },
    });
    previous = last;
    start = end + 1;
  }
  return segments;
}

/** The metrics of a completed migration's samples; null when it did not complete. */
export function logMetrics(samples: readonly MigrateSample[]): RunMetrics | null {
  const final = samples[samples.length - 1];
  if (final.status !== 'completed') return null;
  const iterationCount = Math.max(0, final.dirtySyncCount - 2);
  const iterations: IterationMetrics[] = [];
  for (let k = 0; k < iterationCount; k++) iterations.push({ bytes: 0, normalPages: 0, zeroPages: 0 });
  const stopCopy: IterationMetrics = { bytes: 0, normalPages: 0, zeroPages: 0 };
  let phantomIterations = 0;
  for (const segment of segmentSamples(samples)) {
    const target = segment.phase === 'stop-copy' || iterationCount === 0 ? stopCopy : iterations[Math.max(1, Math.min(segment.dirtySyncCount, iterationCount)) - 1];
    target.bytes += segment.delta.bytes;
    target.normalPages += segment.delta.normalPages;
    target.zeroPages += segment.delta.zeroPages;
  }
  // An iteration no sample saw (a skipped sync number) lasted less than one poll.
  for (const iteration of iterations) if (iteration.bytes === 0) phantomIterations++;
  return {
    iterations,
    stopCopy,
    phantomIterations,
    totalBytes: final.transferredBytes,
    normalPages: final.normalPages,
    zeroPages: final.zeroPages,
    totalTimeSec: final.totalTimeSec,
    downtimeSec: final.downtimeSec,
    dirtiedPages: [],
    // A log's samples (MigrateSample) carry no multifd or xbzrle counters.
    transport: 'single',
    xbzrle: null,
    // MigrateSample does not carry cpu-throttle-percentage: compared only from calibration folders.
    firstThrottleIteration: null,
    // A query-migrate log of a postcopy run is not segmented here: compared as pre-copy.
    postcopy: null,
  };
}
