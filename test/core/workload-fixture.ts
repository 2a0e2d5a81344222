/**
 * Builds resolved Workload objects for engine tests without going through the YAML
 * parser: docs/model.md §8.1 defaults, with deep overrides per test.
 */
import type { MigrationHooks } from '../../src/core/precopy.js';
import type { FreePageHintOptions, HintConfig, MultifdConfig, Phase, Workload } from '../../src/core/types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const UNITS = { KiB, MiB, GiB };

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> | Extract<T[K], null> : T[K] };

export function freePageHint(options: Partial<FreePageHintOptions> = {}, label = 'free-page-hint'): HintConfig {
  return {
    label,
    strategies: ['free-page-hint'],
    freePageHint: {
      order: 10,
      rateBlocksPerSec: null,
      callCostSec: 1e-6,
      inPlace: false,
      latencySec: 0,
      timing: 'after-logging',
      clearsDirtyLog: true,
      ...options,
    },
    mergeNotifier: null,
    pageReporting: null,
    perPage: null,
    unaccepted: null,
  };
}

/**
 * migration.multifd with QEMU's defaults (2 channels here, 128-page packets whose header is
 * 320 + 8 bytes a page, zero pages found in the channels, no compression) and no CPU bound.
 */
export function multifdConfig(overrides: Partial<MultifdConfig> = {}): MultifdConfig {
  const packetPages = overrides.packetPages ?? 128;
  return {
    channels: 2,
    packetPages,
    zeroPageDetection: 'multifd',
    channelRateBytesPerSec: Infinity,
    packetHeaderBytes: 320 + 8 * packetPages,
    initPacketBytes: 64,
    ...overrides,
  };
}

/** Hooks for driving Precopy directly with no guest behind it: every turning point ignored. */
export const NO_HOOKS: MigrationHooks = {
  onSetup() {},
  onStopHints() {},
  onStartHints() {},
  onSwitchover() {},
  onThrottle() {},
  onDirtyLimit() {},
  onPause() {},
  onPostcopy: () => ({ arrived: () => false }),
  onPostcopyRunning() {},
  onRound() {},
  dirtyLimitThrottleUs: () => 0,
};

export function idlePhase(): Phase {
  return { durationSec: null, writes: [], churn: [], trace: null };
}

export function makeWorkload(overrides: DeepPartial<Workload> = {}): Workload {
  const base: Workload = {
    name: 'fixture',
    seed: 1,
    description: null,
    guest: {
      memoryBytes: 64 * MiB,
      pageSizeBytes: 4 * KiB,
      maxOrder: 10,
      pageblockOrder: 9,
      initOnAlloc: true,
      initOnFree: false,
      vcpus: 1,
      minFreeBytes: null,
      zeroRateBytesPerSec: 8 * GiB,
      firstTouchRateBytesPerSec: 1 * GiB,
      pcp: null,
      initial: { usedBytes: 16 * MiB, freeDirtyBytes: 0, fragmentation: 0, layout: 'ordered', freeListOrder: 'seeded', regions: [], buddyinfoFreeBlocks: null },
    },
    phases: [idlePhase()],
    migration: {
      preset: 'qemu',
      startSec: 0,
      bandwidthBytesPerSec: 128 * MiB,
      linkBandwidthBytesPerSec: 10e9 / 8,
      switchoverBandwidthBytesPerSec: null,
      estimate: 'measured',
      scanRateBytesPerSec: 10 * GiB,
      sendCostSec: 1.33e-6,
      loadCostSec: 0,
      zeroLoadCostSec: 0.22e-6,
      rateSlotSec: 0.1,
      maxWaitSec: 0.05,
      syncTimeSecPerGiB: 0.0005,
      downtimeLimitSec: 0.3,
      switchoverTimeSec: 0,
      maxRounds: null,
      maxDurationSec: 3600,
      maxTotalBytes: null,
      minDirtyPages: null,
      tracking: {
        mode: 'write-protect',
        clear: 'lazy',
        clearChunkBytes: 1 * GiB,
        granularityBytes: 4 * KiB,
        faultCostSec: 2e-6,
        pmlEntries: 512,
        ringSize: 4096,
        costsSlowGuest: false,
      },
      // flushIovecs 0 (bytes count as sent) keeps hand-computed budgets exact to the page,
      // e.g. one normal page per slot; QEMUFile's 64 (the parser's qemu default) is tested
      // in test/core/rate-limit.test.ts. socketBufferBytes 0 (lockstep pages) likewise; the
      // socket buffers are tested in test/core/socket-pipeline.test.ts.
      wire: { pageHeaderBytes: 8, zeroPageBytes: 9, eosBytes: 8, deviceStateBytes: 0, zeroPageDetection: true, flushIovecs: 0, socketBufferBytes: 0 },
      autoConverge: { enabled: false, initialPct: 20, incrementPct: 10, maxPct: 99, triggerThresholdPct: 50, tailslow: false },
      // The core tests were written for a forced switchover at a cap; the parser's default is cancel.
      onNoConvergence: 'force',
      postcopy: null,
      dirtyLimit: null,
      pauseAfterRound: null,
      multifd: null,
      xbzrle: null,
    },
    hints: [],
    host: null,
  };
  return merge(base, overrides) as Workload;
}

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) out[key] = merge(out[key], value);
  return out;
}
