/**
 * The resolved workload: what the simulation core consumes. Every field is filled in
 * (defaults applied by src/workload/parse-workload.ts) and carries base units:
 * sizes in bytes, times in seconds, rates in events (pages or blocks) per second,
 * bandwidths in bytes per second. Nothing here is optional unless "absent" has a meaning
 * of its own (for example `switchoverBandwidthBytesPerSec: null` = use the estimate).
 * Files the workload names (buddyinfo, traces) are already read into it: a Workload is
 * complete and, as src/io/read-workload.ts returns it, frozen.
 * See docs/model.md §8.1 for the file format these come from.
 */
import type { CostCounters } from './result-columns.js';
import type { TransportCounters } from './wire/transport.js';

export type WritePattern = 'uniform' | 'zipf' | 'sequential';
export type Arrivals = 'even' | 'poisson';
export type Layout = 'ordered' | 'shuffled';
/** Order of the old-data blocks at the free lists' heads at t = 0 (docs/model.md §1.3). */
export type FreeListOrder = 'seeded' | 'last-freed';

/**
 * A range of guest-physical memory whose content at t = 0 is fixed (docs/model.md §1.3):
 * `used` (allocated, non-zero), `old` (free, old data) or `zero` (free, never touched).
 * The ordered layout fills the memory around the regions.
 */
export interface InitialRegion {
  startPage: number;
  pages: number;
  holds: 'used' | 'old' | 'zero';
}
export type Preset = 'qemu' | 'pass' | 'xen' | 'xen-legacy';
export type TrackingMode = 'write-protect' | 'pml' | 'dirty-ring';
export type ClearMode = 'sync' | 'lazy';
export type Fill = 'data' | 'zero';
export type StrategyName = 'free-page-hint' | 'merge-notifier' | 'page-reporting' | 'per-page' | 'unaccepted';

export interface InitialState {
  usedBytes: number;
  freeDirtyBytes: number;
  /** Share of free bytes in mixed blocks, 0..1. */
  fragmentation: number;
  layout: Layout;
  /**
   * `seeded` (default): old-data blocks at the lists' heads in a seeded order; `last-freed`:
   * in descending pfn, as one ascending munmap leaves them (__free_one_page adds to the head).
   */
  freeListOrder: FreeListOrder;
  /**
   * Ranges of fixed content, ascending and disjoint, below the memmap (`guest.initial.regions`,
   * ordered layout only); empty: the ordered layout as before.
   */
  regions: readonly InitialRegion[];
  /**
   * Free blocks per order (index = order, all zones summed, up to maxOrder) of the
   * workload's `guest.initial.buddyinfo` file; null without one. The layout reproduces
   * exactly these counts.
   */
  buddyinfoFreeBlocks: number[] | null;
}

export interface GuestConfig {
  memoryBytes: number;
  pageSizeBytes: number;
  maxOrder: number;
  pageblockOrder: number;
  initOnAlloc: boolean;
  initOnFree: boolean;
  vcpus: number;
  /** null = Linux's formula (docs/model.md §1.3). */
  minFreeBytes: number | null;
  zeroRateBytesPerSec: number;
  firstTouchRateBytesPerSec: number;
  pcp: { highPages: number; batchPages: number } | null;
  initial: InitialState;
  /**
   * The guest kernel's preemption model (Linux CONFIG_PREEMPT_NONE / _VOLUNTARY / PREEMPT /
   * PREEMPT_LAZY, or `preempt=` with PREEMPT_DYNAMIC). Under `none` and `voluntary` a kernel
   * loop without cond_resched keeps its vCPU until it ends (the free-page-hint driver's
   * send_free_pages, hint-driver-hold.ts). Absent: `voluntary`, the testbed guest's
   * ("Dynamic Preempt: voluntary" on its console) and the usual distribution default.
   */
  preempt?: Preemption;
}

export type Preemption = 'none' | 'voluntary' | 'full' | 'lazy';

export interface WriteStream {
  ratePagesPerSec: number;
  workingSetBytes: number;
  extentBytes: number;
  pattern: WritePattern;
  skew: number;
  arrivals: Arrivals;
  /** null = round-robin assignment in declaration order. */
  vcpu: number | null;
  /**
   * The share of a vCPU the writer needs at its full rate (0..1]: a CPU throttle of p%
   * leaves it (1 − p/100) of the vCPU, so it keeps its rate while that is ≥ cpuShare and
   * slows in proportion below (endings/guest-throttle.ts). 1 = CPU-bound.
   */
  cpuShare: number;
  /**
   * Bytes one write changes in a page, in one run (XBZRLE's delta, wire/xbzrle.ts): 8, a
   * counter's store; the page size for a full-page write.
   */
  bytesPerWrite: number;
  /**
   * With multifd compression: how well the pages this writer writes compress (page size
   * over compressed size, docs/model.md §3.3). Absent or null: the compression's compressRatio.
   */
  compressRatio?: number | null;
  /**
   * Where the working set lies (working-set-placement.ts, docs/model.md §1.4): `used`, drawn
   * from the pages of `initial.used`; `allocator`, taken from the buddy allocator's free
   * lists at t = 0 (a process that allocated it after the initial state was made);
   * `last-freed`, the same right after the old data was freed in ascending pfn order (the
   * highest old-data blocks first). Absent: `used`. Read streams have none.
   */
  placement?: WorkingSetPlacement;
  /**
   * After its vCPU was held (the free-page-hint driver's loop, docs/model.md §4.1): how much
   * of the writes that fell due it makes at once (a program paced by the clock, as the
   * testbed's guest/wl.c, 1 s); the older ones are skipped. Absent or 0: it goes on where it
   * stopped, every later write as much later. Read streams have none.
   */
  catchUpSec?: number;
}

export type WorkingSetPlacement = 'used' | 'allocator' | 'last-freed';

export interface ChurnStream {
  rateBlocksPerSec: number;
  /** Orders and their weights; weights sum to > 0 (not necessarily 1). */
  orders: { order: number; weight: number }[];
  lifetimeSec: number;
  fill: Fill;
  arrivals: Arrivals;
  vcpu: number | null;
}

/** Trace rows in typed arrays: row i is `timesSec[i] op pfn order`, times from the phase start. */
export interface TraceRows {
  count: number;
  timesSec: Float64Array;
  /** TRACE_ALLOC, TRACE_FREE or TRACE_WRITE. */
  ops: Uint8Array;
  pfns: Int32Array;
  orders: Uint8Array;
}

export const TRACE_ALLOC = 0;
export const TRACE_FREE = 1;
export const TRACE_WRITE = 2;

export interface Phase {
  /** null only for the last phase: runs until the end of stop-and-copy. */
  durationSec: number | null;
  writes: WriteStream[];
  /**
   * Pages the guest reads (the kernel's and processes' own memory, not dirtied). They cost
   * nothing before a postcopy switch; after it a read of a page the destination lacks
   * faults like a write (userfaultfd MISSING). Absent: none. Their own rng streams, so
   * adding reads leaves every write where it was.
   */
  reads?: WriteStream[];
  churn: ChurnStream[];
  /** The rows of the phase's trace file, or null without one. */
  trace: TraceRows | null;
}

export interface AutoConverge {
  enabled: boolean;
  initialPct: number;
  incrementPct: number;
  maxPct: number;
  triggerThresholdPct: number;
  /** QEMU's cpu-throttle-tailslow: later steps only as large as the dirty-rate excess needs. */
  tailslow: boolean;
}

/** What a run that hits a cap without meeting the downtime limit does (endings/switchover-policy.ts). */
export type NoConvergence = 'cancel' | 'force';

/** When migrate-start-postcopy is issued; the switch follows at the next iteration boundary. */
export type PostcopyStart =
  | { kind: 'afterRound'; round: number }
  | { kind: 'afterSeconds'; sec: number }
  | { kind: 'whenPendingBelow'; bytes: number };

/** Capability postcopy-ram and its parameters (endings/postcopy.ts). */
export interface PostcopyConfig {
  start: PostcopyStart;
  /** Capability postcopy-preempt: requested pages travel on a channel of their own. */
  preempt: boolean;
  /** A page request's round trip (destination fault to the source and the page back). */
  requestLatencySec: number;
  /** max-postcopy-bandwidth; Infinity for QEMU's 0 (unlimited: the link). */
  bandwidthBytesPerSec: number;
  /** Bytes the main channel's socket holds: a page it sends reaches the destination that much later. */
  sendQueueBytes: number;
  /**
   * The destination's time to place a zero page (postcopy_place_page_zero: one
   * UFFDIO_ZEROPAGE ioctl a page, in the listen thread), which bounds a zero page's pace.
   */
  zeroPlaceCostSec: number;
}

/** Capability dirty-limit (QEMU ≥ 8.1): vcpu-dirty-limit, x-vcpu-dirty-limit-period. */
export interface DirtyLimitConfig {
  vcpuDirtyLimitBytesPerSec: number;
  periodSec: number;
}

export interface TrackingConfig {
  mode: TrackingMode;
  clear: ClearMode;
  clearChunkBytes: number;
  granularityBytes: number;
  faultCostSec: number;
  pmlEntries: number;
  ringSize: number;
  costsSlowGuest: boolean;
}

export interface WireConfig {
  pageHeaderBytes: number;
  zeroPageBytes: number;
  eosBytes: number;
  deviceStateBytes: number;
  zeroPageDetection: boolean;
  /**
   * QEMUFile's iovec array (MAX_IOV_SIZE): the rate limit sees the bytes only when the
   * stream is flushed, after this many iovecs (a normal page takes two, a run of zero
   * pages one) or 32 KiB of buffered headers, and at the end of each iteration. 0 = bytes
   * count as soon as they are sent.
   */
  flushIovecs: number;
  /**
   * The migration socket's buffers, the source's send buffer and the destination's
   * receive buffer: how many bytes the source may write ahead of the destination's loads
   * (docs/model.md §3.1, wire/socket-pipeline.ts). 0 = lockstep: each page takes its
   * slowest stage, destination included, and the pages' times add.
   */
  socketBufferBytes: number;
}

export type MultifdZeroPageDetection = 'multifd' | 'legacy' | 'none';

/**
 * QEMU's multifd capability (migration/multifd.c, multifd-nocomp.c): the migration thread
 * queues pages into packets that `channels` sender threads write in parallel.
 */
export interface MultifdConfig {
  /** multifd-channels. */
  channels: number;
  /** Pages per packet: MULTIFD_PACKET_SIZE (512 KiB) / page size. */
  packetPages: number;
  /** zero-page-detection: by the channels (multifd), by the migration thread (legacy), none. */
  zeroPageDetection: MultifdZeroPageDetection;
  /** What one channel thread sends per second at most (its CPU); Infinity: the link bounds it. */
  channelRateBytesPerSec: number;
  /** A packet's header: MultiFDPacket_t with its offset array (320 + 8·packetPages bytes). */
  packetHeaderBytes: number;
  /** MultiFDInit_t, sent once per channel at setup (64 bytes). */
  initPacketBytes: number;
  /** multifd-compression; absent or null: none (wire/multifd-compression.ts). */
  compression?: MultifdCompressionConfig | null;
}

export type MultifdCompressionMethod = 'zlib' | 'zstd';

/**
 * QEMU's multifd-compression zlib | zstd (migration/multifd-zlib.c, multifd-zstd.c): each
 * channel compresses its packet's normal pages into one buffer (docs/model.md §3.3).
 */
export interface MultifdCompressionConfig {
  method: MultifdCompressionMethod;
  /** multifd-zlib-level (0–9) or multifd-zstd-level (0–20); QEMU's default 1. */
  level: number;
  /** Guest bytes one channel thread compresses per second (its CPU). */
  threadRateBytesPerSec: number;
  /** Page size over compressed size for memory in use when the migration starts. */
  compressRatio: number;
  /** The same for free memory's stale content. */
  freeCompressRatio: number;
  /** Compressed bytes of a zero page, when zero pages are compressed (zeroPageDetection none). */
  zeroPageBytes: number;
}

/** QEMU's xbzrle capability (migration/ram.c save_xbzrle_page; wire/xbzrle.ts). */
export interface XbzrleConfig {
  /** xbzrle-cache-size (QEMU's default 64 MiB). */
  cacheSizeBytes: number;
  /**
   * The migration thread's CPU per page while XBZRLE runs (copy the page, xbzrle_encode_buffer
   * against the cached copy, copy it into the cache): bounds the sender's time per page.
   */
  encodeCostSec: number;
}

export interface MigrationConfig {
  preset: Preset;
  startSec: number;
  /** max-bandwidth; Infinity for `unlimited`. Never above linkBandwidth (clamped). */
  bandwidthBytesPerSec: number;
  linkBandwidthBytesPerSec: number;
  switchoverBandwidthBytesPerSec: number | null;
  estimate: 'measured' | 'configured';
  /** The source reads and zero-checks a page at this rate (buffer_is_zero over a zero page). */
  scanRateBytesPerSec: number;
  /**
   * Per-page costs of the stages an uncapped migration is a pipeline of (source thread,
   * destination thread, the wire between); a page takes the slowest stage's time
   * (precopy.ts). Source: queueing and sending a normal page (its zero check stops at the
   * first non-zero byte). Destination: loading a normal page (receive, copy into guest RAM,
   * the first-touch fault), and a zero page (its check of the destination page).
   */
  sendCostSec: number;
  loadCostSec: number;
  zeroLoadCostSec: number;
  rateSlotSec: number;
  maxWaitSec: number;
  syncTimeSecPerGiB: number;
  downtimeLimitSec: number;
  switchoverTimeSec: number;
  /** null = no limit. */
  maxRounds: number | null;
  maxDurationSec: number;
  /** null = no limit. */
  maxTotalBytes: number | null;
  /** null = not a rule of this preset. */
  minDirtyPages: number | null;
  tracking: TrackingConfig;
  wire: WireConfig;
  autoConverge: AutoConverge;
  /** null: one migration stream (QEMU's default). */
  multifd: MultifdConfig | null;
  /** null: XBZRLE off (QEMU's default). */
  xbzrle: XbzrleConfig | null;
  onNoConvergence: NoConvergence;
  /** null = postcopy-ram off. */
  postcopy: PostcopyConfig | null;
  /** null = dirty-limit off. */
  dirtyLimit: DirtyLimitConfig | null;
  /** guestperf's pause-iters: the guest is stopped after this round; null = never. */
  pauseAfterRound: number | null;
}

export interface FreePageHintOptions {
  order: number;
  /** Blocks per second cap, or null. */
  rateBlocksPerSec: number | null;
  callCostSec: number;
  inPlace: boolean;
  latencySec: number;
  timing: 'after-logging' | 'before-logging';
  clearsDirtyLog: boolean;
}

export interface MergeNotifierOptions {
  order: number;
  placement: 'at-order' | 'after-merge';
  callCostSec: number;
}

export interface PageReportingOptions {
  minOrder: number;
  capacity: number;
  delaySec: number;
  callCostSec: number;
}

export interface PerPageOptions {
  capacity: number;
  batch: number;
  callCostSec: number;
}

export interface UnacceptedOptions {
  acceptedAtBootBytes: number;
  chunkBytes: number;
  acceptGranularityBytes: number;
  callCostSec: number;
}

/** One entry of `hints[]`: a run compared against `none`. */
export interface HintConfig {
  label: string;
  strategies: StrategyName[];
  freePageHint: FreePageHintOptions | null;
  mergeNotifier: MergeNotifierOptions | null;
  pageReporting: PageReportingOptions | null;
  perPage: PerPageOptions | null;
  unaccepted: UnacceptedOptions | null;
}

export interface Workload {
  name: string;
  seed: number;
  description: string | null;
  guest: GuestConfig;
  phases: Phase[];
  migration: MigrationConfig;
  hints: HintConfig[];
  /** The host both QEMUs share (`host:`), or null: the guest's hint work never waits for a core. */
  host: HostConfig | null;
}

/**
 * The host the source and destination QEMU share (docs/model.md §10.2c, src/core/host-cpu.ts):
 * its cores and the other jobs' load; the guest's hint work runs at the CPU share its vCPU
 * gets beside the migration threads.
 */
export interface HostConfig {
  /** Host cores (CPUs); Infinity: never contended. */
  cores: number;
  /** Other jobs' runnable threads (the load average at `migrate`). */
  otherLoad: number;
  /**
   * The sessions those threads run in (CFS autogroup: a session competes as one entity,
   * wanting min(1, otherLoad / otherSessions) of a core in the split); absent: each thread
   * on its own.
   */
  otherSessions?: number;
  /**
   * Cores the other jobs keep busy, measured (what top or /proc/stat shows for them): taken
   * off `cores` before the split, so the migration's threads and the `otherLoad` threads
   * share `cores − otherCpu`; absent: 0 (docs/model.md §10.2c).
   */
  otherCpu?: number;
}

/** Per-round statistics: one CSV row (docs/model.md §6), with the transport's counters (multifd, XBZRLE) as wire/transport.ts defines them. */
export interface RoundStats extends TransportCounters {
  round: number;
  kind: 'bulk' | 'iterate' | 'stop-copy' | 'postcopy';
  startSec: number;
  durationSec: number;
  normalPages: number;
  zeroPages: number;
  skippedPages: number;
  unacceptedPages: number;
  bytes: number;
  cumulativeBytes: number;
  dirtyPages: number;
  /** cpu-throttle-percentage during the round (auto-converge; set at the sync that began it). */
  throttlePct: number;
  /** dirty-limit's sleep per full dirty ring at the round's end, µs, the largest over vCPUs (QEMU's dirty-limit-throttle-time-per-round). */
  dirtyLimitThrottleUs: number;
}

/** Guest-side and tracking costs of one run: derived from the table in result-columns.ts. */
export type { CostCounters } from './result-columns.js';

/** One run's summary: one CSV row; the columns are listed in result-columns.ts. */
export interface RunSummary {
  workload: string;
  run: string;
  seed: number;
  rounds: number;
  totalBytes: number;
  totalTimeSec: number;
  downtimeSec: number;
  converged: boolean;
  lostPages: number;
  /** Lost pages whose source content is zero (the destination holds stale data). */
  lostZeroPages: number;
  savedBytes: number;
  expectedDowntimeSec: number;
  throttlePct: number;
  /** How the migration ended (endings/switchover-policy.ts). */
  ending: Ending;
  /** Downtime above migration.downtimeLimit (a forced, paused or slow switchover). */
  downtimeOverLimit: boolean;
  /** Times the auto-converge throttle rose. */
  throttleSteps: number;
  /** Bytes sent after the postcopy switch (QEMU's postcopy-bytes); 0 without postcopy. */
  postcopyBytes: number;
  /** Destination page faults sent to the source (QEMU's postcopy-requests). */
  postcopyRequests: number;
  /** Time every vCPU was blocked at once on a missing page (QEMU's postcopy-blocktime). */
  blocktimeSec: number;
  /** Blocked seconds per vCPU, `;`-separated, 6 decimals (QEMU's postcopy-vcpu-blocktime); empty without postcopy. */
  vcpuBlocktimeSecList: string;
  /** From the switch until the destination holds every page: a link failure then loses the guest. */
  noRollbackSec: number;
  costs: CostCounters;
}

/**
 * converged: pre-copy met the downtime limit; postcopy: switched to postcopy; paused: the
 * guest was stopped after pauseAfterRound; forced: a cap hit and a switchover was forced;
 * cancelled: a cap hit and the migration was cancelled (the guest stays on the source).
 */
export type Ending = 'converged' | 'postcopy' | 'paused' | 'forced' | 'cancelled';

export interface RunResult {
  summary: RunSummary;
  rounds: RoundStats[];
}
