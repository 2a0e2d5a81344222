/**
 * What a real QEMU migration measured (validation/README.md), in base units:
 * bytes, pages, seconds. Filled by src/io/read-calibration.ts; read by the pure
 * comparison (compare.ts) and parameter derivation (derive.ts). Plain data, no methods.
 */

/** QEMU's `xbzrle-cache` counters (cumulative). */
export interface MeasuredXbzrle {
  bytes: number;
  pages: number;
  cacheMiss: number;
  overflow: number;
}

/** One row of iterations.csv: the samples of one dirty-sync-count, as deltas. */
export interface MeasuredIteration {
  /** QEMU's dirty-sync-count of the samples (iteration k starts at sync k). */
  iteration: number;
  /** `postcopy`: the samples after migrate-start-postcopy took effect (status postcopy-active). */
  phase: 'precopy' | 'stop-copy' | 'postcopy';
  transferredBytes: number;
  normalPages: number;
  zeroPages: number;
}

/** One query-migrate sample (samples.csv), times in seconds since `migrate`. */
export interface MeasuredSample {
  timeSec: number;
  transferredBytes: number;
  remainingBytes: number;
  normalPages: number;
  zeroPages: number;
  dirtySyncCount: number;
  /** cpu-throttle-percentage (auto-converge); 0 when the column is absent or empty. */
  throttlePct: number;
}

/** One migration_bitmap_sync from QEMU's trace. */
export interface MeasuredSync {
  startSec: number;
  endSec: number;
  /** rs->num_dirty_pages_period at the end of the sync (cumulative within a ≥1 s period). */
  dirtyPagesPeriod: number;
}

/** The guest just before `migrate` (guest-premig.txt). */
export interface MeasuredGuest {
  memTotalKiB: number;
  memFreeKiB: number;
  memAvailableKiB: number;
  sReclaimableKiB: number;
  /** vmstat nr_free_pages. */
  freePages: number;
  /** /proc/buddyinfo: per zone, free block counts of order 0, 1, …. */
  buddyinfo: { zone: string; counts: number[] }[];
  /** `WL fill: wrote N MiB random …, freed`: bytes written then freed, or 0. */
  fillBytes: number;
}

export interface MeasuredRun {
  /** Directory name, e.g. `garbage_hints-on_rep1`. */
  name: string;
  scenario: string;
  hints: boolean;
  rep: number;
  iterations: MeasuredIteration[];
  samples: MeasuredSample[];
  syncs: MeasuredSync[];
  guest: MeasuredGuest;
  /** The final query-migrate. */
  totalTimeSec: number;
  downtimeSec: number;
  transferredBytes: number;
  precopyBytes: number;
  /** multifd-bytes: what multifd channels sent (0 without multifd). */
  multifdBytes: number;
  downtimeBytes: number;
  /**
   * The final query-migrate's `xbzrle-cache` (present when the xbzrle capability was on), or
   * null: QEMU 10 counts as `pages` every page found in the cache (encoded, unchanged and
   * skipped, or overflowed; save_xbzrle_page counts before it encodes).
   */
  xbzrle: MeasuredXbzrle | null;
  /** postcopy-bytes: what the source sent after the postcopy switch (0 without postcopy). */
  postcopyBytes: number;
  /** postcopy-requests: pages the destination asked for. */
  postcopyRequests: number;
  /** The destination's postcopy-blocktime (capability postcopy-blocktime), or null when absent. */
  blocktimeSec: number | null;
  normalPages: number;
  zeroPages: number;
  dirtySyncCount: number;
  /** Every RAMBlock QEMU migrates (pc.ram plus ROMs), in bytes. */
  ramTotalBytes: number;
  pageSizeBytes: number;
  maxBandwidthBytesPerSec: number;
  downtimeLimitSec: number;
}
