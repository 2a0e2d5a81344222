import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, WorkloadError } from '../../src/core/errors.js';
import { parseWorkload, type ParsedWorkload, type ParseWorkloadOptions } from '../../src/workload/parse-workload.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const FILE = 'workloads/tiny.yaml';
/** The zstd default compressRatio (src/workload/parse-workload.ts COMPRESSION_DEFAULTS). */
const ZSTD_RATIO = 2.619;

/** The smallest valid workload: everything else is a default. */
const MINIMAL = `# A 1 GiB guest with a quarter of its memory in use, idle.
guest:
  memory: 1GiB
  initial:
    used: 256MiB
`;

/** MINIMAL plus `extra` YAML lines at the top level. */
function withTop(extra: string): string {
  return `${MINIMAL}${extra}`;
}

function parse(text: string, options?: ParseWorkloadOptions): ParsedWorkload {
  return parseWorkload(text, FILE, options);
}

/** Asserts that parsing throws a WorkloadError with exactly `message`. */
function rejects(text: string, message: string, options?: ParseWorkloadOptions): void {
  assert.throws(
    () => parse(text, options),
    (err: unknown) => {
      assert.ok(err instanceof WorkloadError, `expected a WorkloadError, got ${String(err)}`);
      assert.equal(err.message, message);
      assert.equal(err.exitCode, 2);
      return true;
    },
  );
}

function rejectsUsage(text: string, message: string, options: ParseWorkloadOptions): void {
  assert.throws(
    () => parse(text, options),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe('parseWorkload defaults', () => {
  it('fills every default of docs/model.md §8.1 for a minimal workload', () => {
    const expected: ParsedWorkload = {
      name: 'tiny',
      seed: 1,
      description: null,
      guest: {
        memoryBytes: GiB,
        pageSizeBytes: 4 * KiB,
        maxOrder: 10,
        pageblockOrder: 9,
        initOnAlloc: true,
        initOnFree: false,
        vcpus: 1,
        minFreeBytes: null,
        zeroRateBytesPerSec: 8 * GiB,
        firstTouchRateBytesPerSec: GiB,
        pcp: null,
        initial: {
          usedBytes: 256 * MiB,
          freeDirtyBytes: 0,
          fragmentation: 0,
          layout: 'ordered',
          freeListOrder: 'seeded',
          regions: [],
          buddyinfoPath: null,
        },
      },
      phases: [{ durationSec: null, writes: [], churn: [], tracePath: null }],
      migration: {
        preset: 'qemu',
        startSec: 0,
        bandwidthBytesPerSec: 128 * MiB,
        linkBandwidthBytesPerSec: 1.25e9,
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
          clearChunkBytes: GiB,
          granularityBytes: 4 * KiB,
          faultCostSec: 2e-6,
          pmlEntries: 512,
          ringSize: 4096,
          costsSlowGuest: false,
        },
        wire: { pageHeaderBytes: 8, zeroPageBytes: 9, eosBytes: 8, deviceStateBytes: 0, zeroPageDetection: true, flushIovecs: 64, socketBufferBytes: 4 * 2 ** 20 + 861510 },
        autoConverge: { enabled: false, initialPct: 20, incrementPct: 10, maxPct: 99, triggerThresholdPct: 50, tailslow: false },
        onNoConvergence: 'cancel',
        postcopy: null,
        dirtyLimit: null,
        pauseAfterRound: null,
        multifd: null,
        xbzrle: null,
      },
      hints: [
        {
          label: 'free-page-hint',
          strategies: ['free-page-hint'],
          freePageHint: {
            order: 10,
            rateBlocksPerSec: null,
            callCostSec: 1e-6,
            inPlace: false,
            latencySec: 0,
            timing: 'after-logging',
            clearsDirtyLog: true,
          },
          mergeNotifier: null,
          pageReporting: null,
          perPage: null,
          unaccepted: null,
        },
      ],
      host: null,
      warnings: [],
    };
    assert.deepEqual(parse(MINIMAL), expected);
  });

  it('defaults the name to the file name without its extension', () => {
    assert.equal(parseWorkload(MINIMAL, 'workloads/web-16g.yaml').name, 'web-16g');
    assert.equal(parseWorkload(MINIMAL, 'db.json').name, 'db');
    assert.equal(parse(withTop('name: mine\ndescription: a test guest\n')).name, 'mine');
    assert.equal(parse(withTop('description: a test guest\n')).description, 'a test guest');
  });

  it('fills write and churn stream defaults', () => {
    const w = parse(
      withTop(`phases:
  - duration: 10s
    writes: [{rate: 40000/s, workingSet: 64MiB}]
  - churn: [{rate: 500/s, order: 0, lifetime: 2s}]
`),
    );
    assert.deepEqual(w.phases, [
      {
        durationSec: 10,
        writes: [
          {
            ratePagesPerSec: 40000,
            workingSetBytes: 64 * MiB,
            extentBytes: 2 * MiB,
            pattern: 'uniform',
            skew: 0.99,
            arrivals: 'even',
            vcpu: null,
            cpuShare: 1,
            bytesPerWrite: 8,
          },
        ],
        reads: [],
        churn: [],
        tracePath: null,
      },
      {
        durationSec: null,
        writes: [],
        reads: [],
        churn: [
          { rateBlocksPerSec: 500, orders: [{ order: 0, weight: 1 }], lifetimeSec: 2, fill: 'data', arrivals: 'even', vcpu: null },
        ],
        tracePath: null,
      },
    ]);
  });

  it('divides a byte write rate by the page size', () => {
    const w = parse(withTop('phases: [{writes: [{rate: 160MiB/s, workingSet: 64MiB}]}]\n'));
    assert.equal(w.phases[0].writes[0].ratePagesPerSec, 40960);
  });

  it('reads numbers with an exponent in YAML strings (rate: 1e6/s, 1.6e2MiB/s, 6.4e1MiB)', () => {
    const w = parse(withTop('phases: [{writes: [{rate: 1e6/s, workingSet: 6.4e1MiB}, {rate: 1.6e2MiB/s, workingSet: 64MiB}]}]\n'));
    assert.equal(w.phases[0].writes[0].ratePagesPerSec, 1e6);
    assert.equal(w.phases[0].writes[1].ratePagesPerSec, 40960);
    rejects(withTop('phases: [{writes: [{rate: 1e6/s, workingSet: 1e-1B}]}]\n'), `${FILE}: phases[0].writes[0].workingSet must be a whole number of bytes (got 1e-1B)`);
  });

  it('reads churn orders as a weighted map', () => {
    const w = parse(withTop('phases: [{churn: [{rate: 500/s, order: {0: 0.95, 9: 0.05}, lifetime: 2s, fill: zero}]}]\n'));
    assert.deepEqual(w.phases[0].churn[0].orders, [
      { order: 0, weight: 0.95 },
      { order: 9, weight: 0.05 },
    ]);
    assert.equal(w.phases[0].churn[0].fill, 'zero');
  });

  it('caps pageblockOrder and merge-notifier order at a small maxOrder', () => {
    const w = parse(
      `guest: {memory: 1GiB, maxOrder: 5, initial: {used: 256MiB}}\nhints: [merge-notifier, page-reporting]\n`,
    );
    assert.equal(w.guest.pageblockOrder, 5);
    assert.equal(w.hints[0].mergeNotifier?.order, 5);
    assert.equal(w.hints[1].pageReporting?.minOrder, 5);
  });

  it('parses the example of docs/model.md §8', () => {
    const w = parse(`# Web server after a day of uptime: hot zipf working set, light churn.
name: webserver-16g
seed: 7
guest:
  memory: 16GiB
  pageSize: 4KiB
  maxOrder: 10
  initOnAlloc: true
  vcpus: 4
  initial:
    used: 6GiB
    freeDirty: 8GiB
    fragmentation: 0.1
    layout: ordered
phases:
  - duration: 30s
    writes:
      - rate: 40000/s
        workingSet: 2GiB
        pattern: zipf
        skew: 0.9
        arrivals: even
    churn:
      - rate: 500/s
        order: {0: 0.95, 9: 0.05}
        lifetime: 2s
        fill: data
migration:
  preset: qemu
  start: 20s
  bandwidth: 10Gbit/s
  linkBandwidth: 25Gbit/s
  scanRate: 10GiB/s
  downtimeLimit: 300ms
  tracking:
    mode: write-protect
    clear: lazy
    clearChunk: 1GiB
    granularity: 4KiB
    faultCost: 2us
  wire: {pageHeader: 8B, zeroPage: 9B, eos: 8B, deviceState: 0B}
  autoConverge: {enabled: false}
hints:
  - free-page-hint
  - strategy: free-page-hint
    label: fph-order9
    order: 9
`);
    assert.equal(w.name, 'webserver-16g');
    assert.equal(w.seed, 7);
    assert.equal(w.guest.vcpus, 4);
    assert.deepEqual(w.guest.initial, {
      usedBytes: 6 * GiB,
      freeDirtyBytes: 8 * GiB,
      fragmentation: 0.1,
      layout: 'ordered',
      freeListOrder: 'seeded',
      regions: [],
      buddyinfoPath: null,
    });
    assert.equal(w.phases[0].durationSec, 30);
    assert.equal(w.phases[0].writes[0].pattern, 'zipf');
    assert.equal(w.phases[0].writes[0].skew, 0.9);
    assert.equal(w.migration.startSec, 20);
    assert.equal(w.migration.bandwidthBytesPerSec, 1.25e9);
    assert.equal(w.migration.linkBandwidthBytesPerSec, 3.125e9);
    assert.deepEqual(
      w.hints.map((h) => [h.label, h.freePageHint?.order]),
      [
        ['free-page-hint', 10],
        ['fph-order9', 9],
      ],
    );
  });

  it('reads every option of every hint strategy', () => {
    const w = parse(
      withTop(`hints:
  - {strategy: free-page-hint, order: 9, rate: 100/s, callCost: 2us, inPlace: true, latency: 5ms, timing: before-logging, clearsDirtyLog: false}
  - {strategy: merge-notifier, order: 10, placement: after-merge, callCost: 3us}
  - {strategy: page-reporting, minOrder: 10, capacity: 16, delay: 1s, callCost: 4us}
  - {strategy: per-page, capacity: 256, batch: 32, callCost: 5us}
  - {strategy: unaccepted, acceptedAtBoot: 512MiB, chunk: 2MiB, acceptGranularity: 4KiB, callCost: 6us}
`),
    );
    assert.deepEqual(w.hints[0].freePageHint, {
      order: 9,
      rateBlocksPerSec: 100,
      callCostSec: 2e-6,
      inPlace: true,
      latencySec: 0.005,
      timing: 'before-logging',
      clearsDirtyLog: false,
    });
    assert.deepEqual(w.hints[1].mergeNotifier, { order: 10, placement: 'after-merge', callCostSec: 3e-6 });
    assert.deepEqual(w.hints[2].pageReporting, { minOrder: 10, capacity: 16, delaySec: 1, callCostSec: 4e-6 });
    assert.deepEqual(w.hints[3].perPage, { capacity: 256, batch: 32, callCostSec: 5e-6 });
    assert.deepEqual(w.hints[4].unaccepted, {
      acceptedAtBootBytes: 512 * MiB,
      chunkBytes: 2 * MiB,
      acceptGranularityBytes: 4 * KiB,
      callCostSec: 6e-6,
    });
  });

  it('fills the defaults of the other strategies', () => {
    const w = parse(
      `guest: {memory: 1GiB, initial: {used: 250MiB}}\nhints: [merge-notifier, page-reporting, per-page, unaccepted]\n`,
    );
    assert.deepEqual(w.hints[0].mergeNotifier, { order: 9, placement: 'at-order', callCostSec: 1e-6 });
    assert.deepEqual(w.hints[1].pageReporting, { minOrder: 9, capacity: 32, delaySec: 2, callCostSec: 1e-6 });
    assert.deepEqual(w.hints[2].perPage, { capacity: 512, batch: 1, callCostSec: 1e-6 });
    // acceptedAtBoot: the used 250 MiB rounded up to whole 4 MiB chunks.
    assert.deepEqual(w.hints[3].unaccepted, {
      acceptedAtBootBytes: 252 * MiB,
      chunkBytes: 4 * MiB,
      acceptGranularityBytes: 2 * MiB,
      callCostSec: 1e-6,
    });
  });

  it('combines strategies in one entry, labelled with + by default', () => {
    const w = parse(withTop('hints: [{strategy: [unaccepted, page-reporting], callCost: 2us}, unaccepted+per-page]\n'));
    assert.equal(w.hints[0].label, 'unaccepted+page-reporting');
    assert.deepEqual(w.hints[0].strategies, ['unaccepted', 'page-reporting']);
    assert.equal(w.hints[0].unaccepted?.callCostSec, 2e-6);
    assert.equal(w.hints[0].pageReporting?.callCostSec, 2e-6);
    assert.equal(w.hints[0].freePageHint, null);
    assert.equal(w.hints[1].label, 'unaccepted+per-page');
  });

  it('runs only the baseline with an empty hints list', () => {
    assert.deepEqual(parse(withTop('hints: []\n')).hints, []);
  });

  it('resolves buddyinfo and trace paths against baseDir', () => {
    const text = `guest: {memory: 1GiB, initial: {buddyinfo: buddyinfo.txt}}
phases: [{duration: 1s, trace: traces/boot.trace}, {trace: /abs/run.trace}]
hints: [free-page-hint]
`;
    const w = parse(text, { baseDir: 'workloads' });
    assert.equal(w.guest.initial.buddyinfoPath, 'workloads/buddyinfo.txt');
    assert.equal(w.guest.initial.usedBytes, null);
    assert.deepEqual(
      w.phases.map((p) => p.tracePath),
      ['workloads/traces/boot.trace', '/abs/run.trace'],
    );
    assert.equal(parse(text).guest.initial.buddyinfoPath, 'buddyinfo.txt');
  });

  it('accepts JSON', () => {
    const w = parse('{"guest": {"memory": "1GiB", "initial": {"used": "256MiB"}}, "hints": []}');
    assert.equal(w.guest.memoryBytes, GiB);
  });

  it('treats a YAML null as not given', () => {
    const w = parse(withTop('migration:\n  bandwidth:\n  maxRounds: ~\n'));
    assert.equal(w.migration.bandwidthBytesPerSec, 128 * MiB);
    assert.equal(w.migration.maxRounds, null);
  });

  it('reads pcp, minFree, wire detection and percentages', () => {
    const w = parse(`guest:
  memory: 1GiB
  minFree: 16MiB
  pcp: {high: 256, batch: 63}
  initial: {used: 256MiB}
migration:
  wire: {zeroPageDetection: none}
  autoConverge: {enabled: true, initial: 30, increment: 5%, max: 90, triggerThreshold: 40}
`);
    assert.equal(w.guest.minFreeBytes, 16 * MiB);
    assert.deepEqual(w.guest.pcp, { highPages: 256, batchPages: 63 });
    assert.equal(w.migration.wire.zeroPageDetection, false);
    assert.deepEqual(w.migration.autoConverge, {
      enabled: true,
      initialPct: 30,
      incrementPct: 5,
      maxPct: 90,
      triggerThresholdPct: 40,
      tailslow: false,
    });
  });
});

describe('parseWorkload host (docs/model.md §10.2c)', () => {
  it('reads cores and otherLoad; otherLoad defaults to 0, cores may be unlimited', () => {
    assert.deepEqual(parse(withTop('host: {cores: 2, otherLoad: 3.21}\n')).host, { cores: 2, otherLoad: 3.21 });
    assert.deepEqual(parse(withTop('host: {cores: 4}\n')).host, { cores: 4, otherLoad: 0 });
    assert.deepEqual(parse(withTop('host: {cores: unlimited, otherLoad: 1}\n')).host, { cores: Infinity, otherLoad: 1 });
    assert.equal(parse(MINIMAL).host, null);
  });

  it('reads otherSessions, an integer of at least 1, only when given', () => {
    assert.deepEqual(parse(withTop('host: {cores: 2, otherLoad: 3.37, otherSessions: 3}\n')).host, { cores: 2, otherLoad: 3.37, otherSessions: 3 });
    rejects(withTop('host: {cores: 2, otherSessions: 0}\n'), `${FILE}: host.otherSessions must be between 1 and 65536 (got 0)`);
    rejects(withTop('host: {cores: 2, otherSessions: 1.5}\n'), `${FILE}: host.otherSessions must be an integer (got 1.5)`);
  });

  it('reads otherCpu, a number of cores below host.cores, only when given', () => {
    assert.deepEqual(parse(withTop('host: {cores: 2, otherCpu: 0.82}\n')).host, { cores: 2, otherLoad: 0, otherCpu: 0.82 });
    assert.deepEqual(parse(withTop('host: {cores: unlimited, otherCpu: 3}\n')).host, { cores: Infinity, otherLoad: 0, otherCpu: 3 });
    rejects(withTop('host: {cores: 2, otherCpu: 2}\n'), `${FILE}: host.otherCpu must be below host.cores, 2 (got 2)`);
    rejects(withTop('host: {cores: 2, otherCpu: -0.5}\n'), `${FILE}: host.otherCpu must be between 0 and 65536 (got -0.5)`);
  });

  it('refuses a host without cores, with 0 cores, a fractional count or a negative load', () => {
    rejects(withTop('host: {otherLoad: 1}\n'), `${FILE}: host.cores is required`);
    rejects(withTop('host: {cores: 0}\n'), `${FILE}: host.cores must be between 1 and 65536 (got 0)`);
    rejects(withTop('host: {cores: 1.5}\n'), `${FILE}: host.cores must be an integer (got 1.5)`);
    rejects(withTop('host: {cores: 2, otherLoad: -1}\n'), `${FILE}: host.otherLoad must be between 0 and 65536 (got -1)`);
    rejects(withTop('host: {cores: 2, load: 1}\n'), `${FILE}: host.load is not a known field`);
  });
});

describe('parseWorkload migration presets', () => {
  const preset = (name: string, extra = '') => parse(withTop(`migration:\n  preset: ${name}\n${extra}`)).migration;

  it('qemu: no round cap, lazy clear', () => {
    const m = preset('qemu');
    assert.deepEqual([m.maxRounds, m.maxTotalBytes, m.minDirtyPages, m.tracking.clear], [null, null, null, 'lazy']);
  });

  it('pass: 30 rounds, sync clear', () => {
    const m = preset('pass');
    assert.deepEqual([m.maxRounds, m.maxTotalBytes, m.minDirtyPages, m.tracking.clear], [30, null, null, 'sync']);
  });

  it('xen: 5 rounds or fewer than 50 dirty pages', () => {
    const m = preset('xen');
    assert.deepEqual([m.maxRounds, m.maxTotalBytes, m.minDirtyPages, m.tracking.clear], [5, null, 50, 'sync']);
  });

  it('socket buffers: the measured 4 MiB + 861510 B under qemu, lockstep (0) under the others, at most 64 MiB', () => {
    assert.equal(preset('qemu').wire.socketBufferBytes, 4 * 2 ** 20 + 861510);
    for (const name of ['pass', 'xen', 'xen-legacy']) assert.equal(preset(name).wire.socketBufferBytes, 0, name);
    assert.equal(preset('pass', '  wire: {socketBuffers: 1MiB}\n').wire.socketBufferBytes, 2 ** 20);
    assert.equal(preset('qemu', '  wire: {socketBuffers: 0}\n').wire.socketBufferBytes, 0);
    rejects(withTop('migration:\n  wire: {socketBuffers: 65MiB}\n'), `${FILE}: migration.wire.socketBuffers must be at most 64 MiB (got 65MiB)`);
    // Multifd and XBZRLE go in lockstep whatever the size: a size given for them warns.
    const warning = { field: 'migration.wire.socketBuffers', problem: 'changes nothing with multifd or XBZRLE (their pages go in lockstep, docs/model.md §3.1)' };
    const guest = 'guest:\n  memory: 1GiB\n  initial: {used: 256MiB}\n';
    assert.deepEqual(parse(guest + 'migration:\n  multifd: {}\n  wire: {socketBuffers: 1MiB}\n').warnings, [warning]);
    assert.deepEqual(parse(guest + 'migration:\n  xbzrle: {}\n  wire: {socketBuffers: 0}\n').warnings, [warning]);
    assert.deepEqual(parse(guest + 'migration:\n  multifd: {}\n').warnings, []);
    assert.deepEqual(parse(guest + 'migration:\n  wire: {socketBuffers: 1MiB}\n').warnings, []);
  });

  it('xen-legacy: 30 rounds, 3x memory, fewer than 50 dirty pages', () => {
    const m = preset('xen-legacy');
    assert.deepEqual([m.maxRounds, m.maxTotalBytes, m.minDirtyPages, m.tracking.clear], [30, 3 * GiB, 50, 'sync']);
  });

  it('a field set in the file overrides the preset', () => {
    const m = preset('xen', '  maxRounds: 8\n  minDirtyPages: none\n  maxTotal: 2x\n  tracking: {clear: lazy}\n');
    assert.deepEqual([m.maxRounds, m.maxTotalBytes, m.minDirtyPages, m.tracking.clear], [8, 2 * GiB, null, 'lazy']);
    assert.equal(preset('pass', '  maxRounds: none\n').maxRounds, null);
    assert.equal(preset('qemu', '  maxDuration: none\n').maxDurationSec, Infinity);
  });

  it('dirty-ring defaults to sync clear, even under qemu', () => {
    assert.equal(preset('qemu', '  tracking: {mode: dirty-ring}\n').tracking.clear, 'sync');
  });

  it('clamps bandwidth to linkBandwidth', () => {
    assert.equal(parse(withTop('migration: {bandwidth: 25Gbit/s}\n')).migration.bandwidthBytesPerSec, 1.25e9);
    const m = parse(withTop('migration: {bandwidth: unlimited, linkBandwidth: 40Gbit/s}\n')).migration;
    assert.equal(m.bandwidthBytesPerSec, 5e9);
    const unlimited = parse(withTop('migration: {bandwidth: unlimited, linkBandwidth: unlimited}\n')).migration;
    assert.equal(unlimited.bandwidthBytesPerSec, Infinity);
  });

  it('reads syncTime per GiB and a switchover bandwidth', () => {
    const m = parse(withTop('migration: {syncTime: 1ms/GiB, switchoverBandwidth: 1GiB/s, estimate: configured}\n')).migration;
    assert.equal(m.syncTimeSecPerGiB, 0.001);
    assert.equal(m.switchoverBandwidthBytesPerSec, GiB);
    assert.equal(m.estimate, 'configured');
  });
});

describe('parseWorkload errors', () => {
  it('reads a writer\'s placement (absent: not set, so used), and refuses what the allocator cannot place', () => {
    const base = 'guest:\n  memory: 1GiB\n  initial: {used: 256MiB}\n';
    const writes = (w: string, ws = '4MiB') => `${base}phases: [{writes: [{rate: 1/s, workingSet: ${ws}${w}}]}]\n`;
    assert.equal(parse(writes('')).phases[0].writes[0].placement, undefined);
    assert.equal(parse(writes(', placement: used')).phases[0].writes[0].placement, 'used');
    assert.equal(parse(writes(', placement: last-freed')).phases[0].writes[0].placement, 'last-freed');
    assert.equal(parse(writes(', placement: allocator, extent: 4MiB')).phases[0].writes[0].placement, 'allocator');
    rejects(writes(', placement: heap'), `${FILE}: phases[0].writes[0].placement must be one of used, allocator, last-freed (got heap)`);
    rejects(writes(', placement: allocator, extent: 12KiB'), `${FILE}: phases[0].writes[0].extent must be a power-of-two number of pages up to 2^guest.maxOrder with placement: allocator (one buddy block per extent) (got 12KiB)`);
    rejects(writes(', placement: last-freed, extent: 8MiB'), `${FILE}: phases[0].writes[0].extent must be a power-of-two number of pages up to 2^guest.maxOrder with placement: last-freed (one buddy block per extent) (got 8MiB)`);
    rejects(writes(', placement: allocator, extent: 8KiB', '12KiB'), `${FILE}: phases[0].writes[0].workingSet must be a whole number of extents (8192 bytes) with placement: allocator (got 12KiB)`);
    rejects(
      'guest: {memory: 1GiB, initial: {buddyinfo: b.txt}}\nphases: [{writes: [{rate: 1/s, workingSet: 4MiB, placement: last-freed}]}]\n',
      `${FILE}: phases[0].writes[0].placement needs guest.initial.used, not guest.initial.buddyinfo (the file gives the free lists after the allocation) (got last-freed)`,
    );
    // Read streams have no placement.
    rejects(`${base}phases: [{reads: [{rate: 1/s, workingSet: 4MiB, placement: used}]}]\n`, `${FILE}: phases[0].reads[0].placement is not a known field`);
  });

  it('reads guest.preempt and a writer\'s catchUp (absent: not set), and refuses other values', () => {
    const base = 'guest:\n  memory: 1GiB\n  initial: {used: 256MiB}\n';
    const writes = (w: string) => `${base}phases: [{writes: [{rate: 1/s, workingSet: 4MiB${w}}]}]\n`;
    assert.equal(parse(writes('')).guest.preempt, undefined);
    assert.equal(parse(writes('')).phases[0].writes[0].catchUpSec, undefined);
    assert.equal(parse(writes(', catchUp: 1s')).phases[0].writes[0].catchUpSec, 1);
    assert.equal(parse(writes(', catchUp: 250ms')).phases[0].writes[0].catchUpSec, 0.25);
    assert.equal(parse('guest: {memory: 1GiB, preempt: full, initial: {used: 256MiB}}\n').guest.preempt, 'full');
    rejects('guest: {memory: 1GiB, preempt: rt, initial: {used: 256MiB}}\n', `${FILE}: guest.preempt must be one of none, voluntary, full, lazy (got rt)`);
    rejects(writes(', catchUp: soon'), `${FILE}: phases[0].writes[0].catchUp must be a duration such as 300ms or 2s (got soon)`);
    rejects(`${base}phases: [{reads: [{rate: 1/s, workingSet: 4MiB, catchUp: 1s}]}]\n`, `${FILE}: phases[0].reads[0].catchUp is not a known field`);
  });

  it('names the line of a YAML syntax error', () => {
    rejects('guest:\n  memory: 1GiB\n pageSize: 4KiB\n', `${FILE}: line 3: all mapping items must start at the same column`);
    rejects('guest: {memory: 1GiB\n', `${FILE}: line 2: flow map in block collection must be sufficiently indented and end with a }`);
  });

  it('rejects an empty file and a document that is not a mapping', () => {
    rejects('', `${FILE}: is empty (a workload needs at least guest.memory and guest.initial.used)`);
    rejects('# nothing here\n', `${FILE}: is empty (a workload needs at least guest.memory and guest.initial.used)`);
    rejects('- a\n- b\n', `${FILE}: must be a YAML mapping of workload fields (got ["a","b"])`);
  });

  it('names the full path of an unknown field', () => {
    rejects(
      'guest:\n  memory: 1GiB\n  initial: {used: 256MiB, usedd: 1GiB}\n',
      `${FILE}: guest.initial.usedd is not a known field (did you mean used?)`,
    );
    rejects(withTop('colour: blue\n'), `${FILE}: colour is not a known field`);
    rejects(
      withTop('phases: [{writes: [{rate: 1/s, workingSet: 4MiB, sked: 1}]}]\n'),
      `${FILE}: phases[0].writes[0].sked is not a known field (did you mean skew?)`,
    );
  });

  it('rejects wrong types, units and enums with the value', () => {
    rejects('guest: {memory: 4096, initial: {used: 0}}\n', `${FILE}: guest.memory needs a unit, e.g. 4KiB (got 4096)`);
    rejects(
      withTop('migration: {downtimeLimit: 300MiB}\n'),
      `${FILE}: migration.downtimeLimit has an unknown unit MiB (durations take ns, us, ms, s, min, h) (got 300MiB)`,
    );
    rejects(
      'guest: {memory: 1GiB, initOnAlloc: yes, initial: {used: 0}}\n',
      `${FILE}: guest.initOnAlloc must be true or false (got yes)`,
    );
    rejects(withTop('migration: {preset: kvm}\n'), `${FILE}: migration.preset must be one of qemu, pass, xen, xen-legacy (got kvm)`);
    rejects(withTop('guest2: 1\nmigration: []\n'), `${FILE}: guest2 is not a known field (did you mean guest?); migration must be a mapping (got [])`);
    rejects(withTop('seed: 1.5\n'), `${FILE}: seed must be an integer (got 1.5)`);
    rejects(withTop('migration: {wire: {zeroPageDetection: off}}\n'), `${FILE}: migration.wire.zeroPageDetection must be on or none (got off)`);
    rejects(withTop('migration: {autoConverge: {max: 120}}\n'), `${FILE}: migration.autoConverge.max must be a percentage from 0 to 100 (got 120)`);
    rejects(withTop('migration: {multifd: {channels: 0}}\n'), `${FILE}: migration.multifd.channels must be between 1 and 255 (got 0)`);
    rejects(withTop('migration: {multifd: {zeroPageDetection: fast}}\n'), `${FILE}: migration.multifd.zeroPageDetection must be one of multifd, legacy, none (got fast)`);
    rejects(withTop('migration: {xbzrle: {cacheSize: 1KiB}}\n'), `${FILE}: migration.xbzrle.cacheSize must be at least a page (4096 bytes) (got 1KiB)`);
    rejects(withTop('phases:\n  - writes:\n      - {rate: 10/s, workingSet: 4MiB, bytesPerWrite: 0}\n'), `${FILE}: phases[0].writes[0].bytesPerWrite must be between 1 and 4096 (got 0)`);
    rejects(
      withTop('migration: {xbzrle: {}, multifd: {}}\n'),
      `${FILE}: migration.xbzrle cannot be combined with multifd (QEMU sends multifd pages without the XBZRLE cache) (got {})`,
    );
  });

  it('reads xbzrle with QEMU defaults: a 64 MiB cache, 1.2 µs a page; writers change 8 bytes, page for full-page writes', () => {
    const base = 'guest:\n  memory: 1GiB\n  initial: {used: 256MiB}\n';
    const writes = 'phases:\n  - writes:\n      - {rate: 10/s, workingSet: 4MiB}\n      - {rate: 10/s, workingSet: 4MiB, bytesPerWrite: page}\n      - {rate: 10/s, workingSet: 4MiB, bytesPerWrite: 300}\n';
    assert.deepEqual(parse(base + 'migration:\n  xbzrle: {}\n').migration.xbzrle, { cacheSizeBytes: 64 * 2 ** 20, encodeCostSec: 1.2e-6 });
    assert.deepEqual(parse(base + 'migration:\n  xbzrle: {cacheSize: 8MiB, encodeCost: 2us}\n').migration.xbzrle, { cacheSizeBytes: 8 * 2 ** 20, encodeCostSec: 2e-6 });
    assert.deepEqual(parse(base + writes).phases[0].writes.map((w) => w.bytesPerWrite), [8, 4096, 300]);
  });

  it('reads multifd compression: QEMU names and level-1 defaults, the short form, writers\' ratios', () => {
    const base = 'guest:\n  memory: 1GiB\n  initial: {used: 256MiB}\n';
    const zstd = parse(base + 'migration:\n  multifd: {compression: zstd}\n');
    assert.deepEqual(zstd.migration.multifd?.compression, { method: 'zstd', level: 1, threadRateBytesPerSec: 530e6, compressRatio: ZSTD_RATIO, freeCompressRatio: ZSTD_RATIO, zeroPageBytes: 1 });
    const zlib = parse(
      base +
        'phases: [{writes: [{rate: 1/s, workingSet: 4MiB, compressRatio: 1.5}]}]\n' +
        'migration:\n  multifd: {compression: {method: zlib, level: 6, threadRate: 10000/s, compressRatio: 2.5, freeCompressRatio: 1}}\n',
    );
    assert.deepEqual(zlib.migration.multifd?.compression, { method: 'zlib', level: 6, threadRateBytesPerSec: 10000 * 4096, compressRatio: 2.5, freeCompressRatio: 1, zeroPageBytes: 18 });
    assert.equal(zlib.phases[0].writes[0].compressRatio, 1.5);
    assert.deepEqual(zlib.warnings, []);
    assert.equal(parse(base + 'migration:\n  multifd: {compression: {method: none}}\n').migration.multifd?.compression, undefined);
    // A level with the level-1 defaults changes nothing, and a writer's ratio without compression neither.
    assert.deepEqual(parse(base + 'migration:\n  multifd: {compression: {method: zlib, level: 9}}\n').warnings, [
      { field: 'migration.multifd.compression.level', problem: '9 changes nothing unless compressRatio and threadRate are given (their defaults are level 1\'s)' },
    ]);
    assert.deepEqual(parse(base + 'phases: [{writes: [{rate: 1/s, workingSet: 4MiB, compressRatio: 2}]}]\n').warnings, [
      { field: 'phases[0].writes[0].compressRatio', problem: 'changes nothing without migration.multifd.compression' },
    ]);
  });

  it('rejects compression without multifd, unknown methods and QEMU\'s out-of-range levels', () => {
    rejects(
      withTop('migration: {compression: zlib}\n'),
      `${FILE}: migration.compression needs multifd: write it as migration.multifd.compression (multifd-compression applies only to multifd channels) (got zlib)`,
    );
    rejects(withTop('migration: {multifd: {compression: lz4}}\n'), `${FILE}: migration.multifd.compression must be one of none, zlib, zstd (got lz4)`);
    rejects(withTop('migration: {multifd: {compression: {method: qpl}}}\n'), `${FILE}: migration.multifd.compression.method must be one of none, zlib, zstd (got qpl)`);
    rejects(withTop('migration: {multifd: {compression: {method: zlib, level: 10}}}\n'), `${FILE}: migration.multifd.compression.level must be between 0 and 9 (got 10)`);
    rejects(withTop('migration: {multifd: {compression: {method: zstd, level: 21}}}\n'), `${FILE}: migration.multifd.compression.level must be between 0 and 20 (got 21)`);
    rejects(withTop('migration: {multifd: {compression: {method: zstd, compressRatio: 0}}}\n'), `${FILE}: migration.multifd.compression.compressRatio must be between 0.5 and 4096 (got 0)`);
    rejects(withTop('migration: {multifd: {compression: {method: zstd, freeCompressRatio: 1e-300}}}\n'), `${FILE}: migration.multifd.compression.freeCompressRatio must be between 0.5 and 4096 (got 1e-300)`);
    rejects(withTop('migration: {multifd: {compression: {method: zstd, threadRate: 0}}}\n'), `${FILE}: migration.multifd.compression.threadRate must be > 0 (got 0)`);
    rejects(withTop('migration: {multifd: {compression: {method: zstd, ratio: 2}}}\n'), `${FILE}: migration.multifd.compression.ratio is not a known field`);
    rejects(withTop('phases: [{writes: [{rate: 1/s, workingSet: 4MiB, compressRatio: -1}]}]\n'), `${FILE}: phases[0].writes[0].compressRatio must be between 0.5 and 4096 (got -1)`);
  });

  it('reads multifd with QEMU 10 defaults', () => {
    const w = parse(`guest:
  memory: 1GiB
  initial: {used: 256MiB}
migration:
  multifd: {channels: 4}
`);
    assert.deepEqual(w.migration.multifd, {
      channels: 4,
      packetPages: 128,
      zeroPageDetection: 'multifd',
      channelRateBytesPerSec: 4.4e9,
      packetHeaderBytes: 1344,
      initPacketBytes: 64,
    });
  });

  it('rejects negative sizes', () => {
    rejects(
      'guest: {memory: 1GiB, initial: {used: 0, freeDirty: -1GiB}}\n',
      `${FILE}: guest.initial.freeDirty must be >= 0 (got -1GiB)`,
    );
  });

  it('says "must be > 0" for a negative value of a field that must be above 0', () => {
    rejects('guest: {memory: -4GiB, initial: {used: 0}}\n', `${FILE}: guest.memory must be > 0 (got -4GiB)`);
    rejects('guest: {memory: 1GiB, initial: {used: 0}}\nmigration: {bandwidth: -1Gbit/s}\n', `${FILE}: migration.bandwidth must be > 0 (got -1Gbit/s)`);
    rejects('guest: {memory: 1GiB, initial: {used: 0}}\nhints: [{strategy: page-reporting, delay: -1s}]\n', `${FILE}: hints[0].delay must be > 0 (got -1s)`);
  });

  it('checks the guest geometry', () => {
    rejects('guest: {memory: 10MiB, initial: {used: 0}}\n', `${FILE}: guest.memory must be a multiple of the maxOrder block (pageSize x 2^maxOrder = 4 MiB) (got 10MiB)`);
    rejects('guest: {memory: 1000KB, initial: {used: 0}}\n', `${FILE}: guest.memory must be a multiple of guest.pageSize (4 KiB) (got 1000KB)`);
    rejects('guest: {memory: 0, initial: {used: 0}}\n', `${FILE}: guest.memory must be > 0 (got 0)`);
    rejects('guest: {memory: 3GiB, pageSize: 3KiB, initial: {used: 0}}\n', `${FILE}: guest.pageSize must be a power of two (got 3KiB)`);
    rejects('guest: {memory: 1GiB, maxOrder: 21, initial: {used: 0}}\n', `${FILE}: guest.maxOrder must be between 0 and 20 (got 21)`);
    rejects(
      'guest: {memory: 1GiB, pageblockOrder: 11, initial: {used: 0}}\n',
      `${FILE}: guest.pageblockOrder must be between 0 and guest.maxOrder (10) (got 11)`,
    );
    rejects('guest: {memory: 1GiB, vcpus: 0, initial: {used: 0}}\n', `${FILE}: guest.vcpus must be between 1 and 4096 (got 0)`);
    rejects('guest: {memory: 1GiB, pcp: {high: 10}, initial: {used: 0}}\n', `${FILE}: guest.pcp.batch is required`);
    rejects(
      'initial: {used: 0}\n',
      `${FILE}: initial is not a known field; guest.memory is required; guest.initial.used is required (or guest.initial.buddyinfo)`,
    );
  });

  it('checks the initial state', () => {
    rejects('guest: {memory: 1GiB, initial: {used: 2GiB}}\n', `${FILE}: guest.initial.used must be at most guest.memory (1 GiB) (got 2GiB)`);
    rejects(
      'guest: {memory: 1GiB, initial: {used: 768MiB, freeDirty: 512MiB}}\n',
      `${FILE}: guest.initial.freeDirty must be at most guest.memory - guest.initial.used (256 MiB) (got 512MiB)`,
    );
    rejects(
      'guest: {memory: 1GiB, initial: {used: 1GiB, buddyinfo: b.txt}}\n',
      `${FILE}: guest.initial cannot have both used and buddyinfo (buddyinfo gives used as memory minus free)`,
    );
    rejects('guest: {memory: 1GiB}\n', `${FILE}: guest.initial.used is required (or guest.initial.buddyinfo)`);
    rejects(
      'guest: {memory: 1GiB, initial: {used: 0, fragmentation: 1.5}}\n',
      `${FILE}: guest.initial.fragmentation must be between 0 and 1 (got 1.5)`,
    );
    rejects(
      'guest: {memory: 1GiB, initial: {used: 0, layout: random}}\n',
      `${FILE}: guest.initial.layout must be one of ordered, shuffled (got random)`,
    );
    rejects('guest: {memory: 1GiB, initial: {used: 1000B}}\n', `${FILE}: guest.initial.used must be a multiple of guest.pageSize (4 KiB) (got 1000B)`);
  });

  it('checks write streams', () => {
    rejects(
      withTop('phases: [{writes: [{rate: 1000/s, workingSet: 512MiB}]}]\n'),
      `${FILE}: phases[0].writes[0].workingSet is larger than used memory (guest.initial.used is 256 MiB) (got 512MiB)`,
    );
    rejects(
      withTop('phases: [{writes: [{rate: 1000/s, workingSet: 8MiB, extent: 6KB}]}]\n'),
      `${FILE}: phases[0].writes[0].extent must be a multiple of guest.pageSize (4 KiB) (got 6KB)`,
    );
    rejects(withTop('phases: [{writes: [{rate: 1000, workingSet: 8MiB}]}]\n'), `${FILE}: phases[0].writes[0].rate needs a unit, e.g. 40000/s (got 1000)`);
    rejects(withTop('phases: [{writes: [{rate: -5/s, workingSet: 8MiB}]}]\n'), `${FILE}: phases[0].writes[0].rate must be >= 0 (got -5/s)`);
    rejects(withTop('phases: [{writes: [{workingSet: 8MiB}]}]\n'), `${FILE}: phases[0].writes[0].rate is required`);
    rejects(
      withTop('phases: [{writes: [{rate: 1/s, workingSet: 8MiB, pattern: hot}]}]\n'),
      `${FILE}: phases[0].writes[0].pattern must be one of uniform, zipf, sequential (got hot)`,
    );
    rejects(
      withTop('phases: [{writes: [{rate: 1/s, workingSet: 8MiB, vcpu: 1}]}]\n'),
      `${FILE}: phases[0].writes[0].vcpu must be less than guest.vcpus (1) (got 1)`,
    );
    rejects(withTop('phases: [{writes: {rate: 1/s}}]\n'), `${FILE}: phases[0].writes must be a list (got {"rate":"1/s"})`);
  });

  it('checks churn streams', () => {
    const churn = (fields: string) => withTop(`phases: [{churn: [{rate: 500/s, ${fields}}]}]\n`);
    rejects(
      churn('lifetime: 2s, order: {0: 1, 11: 1}'),
      `${FILE}: phases[0].churn[0].order has order 11, above guest.maxOrder (10) (got {"0":1,"11":1})`,
    );
    rejects(churn('lifetime: 2s, order: 11'), `${FILE}: phases[0].churn[0].order must be between 0 and guest.maxOrder (10) (got 11)`);
    rejects(
      churn('lifetime: 2s, order: {0: 1, 9: 0}'),
      `${FILE}: phases[0].churn[0].order has weight 0 for order 9 (weights must be > 0) (got {"0":1,"9":0})`,
    );
    rejects(churn('lifetime: 2s, order: {}'), `${FILE}: phases[0].churn[0].order must name at least one order (got {})`);
    rejects(
      withTop('phases: [{churn: [{rate: 2MiB/s, lifetime: 2s, order: 0}]}]\n'),
      `${FILE}: phases[0].churn[0].rate must be in blocks per second, e.g. 500/s (got 2MiB/s)`,
    );
    rejects(churn('order: 0, lifetime: 0s'), `${FILE}: phases[0].churn[0].lifetime must be > 0 (got 0s)`);
    rejects(churn('lifetime: 2s, order: 0, fill: ones'), `${FILE}: phases[0].churn[0].fill must be one of data, zero (got ones)`);
  });

  it('checks phase durations', () => {
    rejects(withTop('phases: [{duration: 0s}]\n'), `${FILE}: phases[0].duration must be > 0 (got 0s)`);
    rejects(withTop('phases: [{}, {duration: 1s}]\n'), `${FILE}: phases[0].duration is required (only the last phase may omit it)`);
    rejects(withTop('phases: [5, {writes: [rate]}]\n'), `${FILE}: phases[0] must be a mapping (got 5); phases[1].writes[0] must be a mapping (got rate)`);
    rejects(withTop('phases: []\n'), `${FILE}: phases must not be empty (leave it out for an idle guest) (got [])`);
  });

  it('checks hints', () => {
    rejects(
      withTop('hints: [free-page-hint, {strategy: free-page-hint}]\n'),
      `${FILE}: hints[1] has the same label as hints[0] (labels must be unique) (got free-page-hint)`,
    );
    rejects(
      withTop('hints: [{strategy: page-reporting, label: a}, {strategy: per-page, label: a}]\n'),
      `${FILE}: hints[1].label has the same label as hints[0] (labels must be unique) (got a)`,
    );
    rejects(
      withTop('hints: [{strategy: free-page-hint, placement: at-order}]\n'),
      `${FILE}: hints[0].placement is not an option of free-page-hint (options: order, rate, callCost, inPlace, latency, timing, clearsDirtyLog)`,
    );
    rejects(
      withTop('hints: [{strategy: free-page-hint, order: 11}]\n'),
      `${FILE}: hints[0].order must be between 0 and guest.maxOrder (10) (got 11)`,
    );
    rejects(
      withTop('hints: [{strategy: page-reporting, minOrder: 12}]\n'),
      `${FILE}: hints[0].minOrder must be between 0 and guest.maxOrder (10) (got 12)`,
    );
    rejects(withTop('hints: [balloon]\n'), `${FILE}: hints[0] must be one of free-page-hint, merge-notifier, page-reporting, per-page, unaccepted, or a mapping with strategy (got balloon)`);
    rejects(
      withTop('hints: [{strategy: [unaccepted, balloon]}]\n'),
      `${FILE}: hints[0].strategy[1] must be one of free-page-hint, merge-notifier, page-reporting, per-page, unaccepted (got balloon)`,
    );
    rejects(withTop('hints: [{label: x}]\n'), `${FILE}: hints[0].strategy is required`);
    rejects(withTop('hints: [none]\n'), `${FILE}: hints[0] cannot be none: the baseline run always happens (got none)`);
    rejects(withTop('hints: [{strategy: per-page, label: none}]\n'), `${FILE}: hints[0].label is reserved for the baseline run (got none)`);
    rejects(withTop('hints: [{strategy: per-page, batch: 600}]\n'), `${FILE}: hints[0].batch must be at most capacity (512) (got 600)`);
    rejects(
      withTop('hints: [{strategy: free-page-hint, rate: 4MiB/s}]\n'),
      `${FILE}: hints[0].rate must be in blocks per second, e.g. 100/s (got 4MiB/s)`,
    );
    rejects(
      'guest: {memory: 1GiB, initial: {buddyinfo: b.txt}}\nhints: [unaccepted]\n',
      `${FILE}: hints[0].acceptedAtBoot is required when guest.initial.buddyinfo gives the layout`,
    );
    rejects(
      withTop('hints: [{strategy: unaccepted, acceptedAtBoot: 2GiB}]\n'),
      `${FILE}: hints[0].acceptedAtBoot must be at most guest.memory (1 GiB) (got 2GiB)`,
    );
  });

  it('rejects lazy clear with the dirty ring', () => {
    rejects(
      withTop('migration: {tracking: {mode: dirty-ring, clear: lazy}}\n'),
      `${FILE}: migration.tracking.clear cannot be lazy with mode dirty-ring (the ring is reset at every sync) (got lazy)`,
    );
  });

  it('checks tracking granularity and chunk', () => {
    rejects(
      withTop('migration: {tracking: {granularity: 12KiB}}\n'),
      `${FILE}: migration.tracking.granularity must be a power-of-two multiple of guest.pageSize (4 KiB) (got 12KiB)`,
    );
    rejects(withTop('migration: {tracking: {clearChunk: 0}}\n'), `${FILE}: migration.tracking.clearChunk must be > 0 (got 0)`);
    rejects(withTop('migration: {maxRounds: 0}\n'), `${FILE}: migration.maxRounds must be >= 1 (got 0)`);
    rejects(withTop('migration: {bandwidth: 0}\n'), `${FILE}: migration.bandwidth must be > 0 (got 0)`);
  });

  it('lists several problems on one line, first one first', () => {
    rejects(
      'guest: {memory: 1GiB, vcpus: 0, initial: {used: 2GiB}}\nmigration: {preset: kvm, start: 5}\n',
      `${FILE}: guest.vcpus must be between 1 and 4096 (got 0); guest.initial.used must be at most guest.memory (1 GiB) (got 2GiB); ` +
        'migration.preset must be one of qemu, pass, xen, xen-legacy (got kvm); migration.start needs a unit, e.g. 300ms (got 5)',
    );
  });

  it('shows at most five problems', () => {
    rejects(
      withTop('a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n'),
      `${FILE}: a is not a known field; b is not a known field; c is not a known field; d is not a known field; ` +
        'e is not a known field; and 2 more',
    );
  });
});

describe('parseWorkload --set', () => {
  it('applies values before validation, in base units', () => {
    const w = parse(MINIMAL, {
      sets: [
        'migration.linkBandwidth=40Gbit/s',
        'migration.bandwidth=25Gbit/s',
        'guest.initial.used=512MiB',
        'migration.tracking.mode=pml',
        'seed=9',
      ],
    });
    assert.equal(w.migration.bandwidthBytesPerSec, 3.125e9);
    assert.equal(w.guest.initial.usedBytes, 512 * MiB);
    assert.equal(w.migration.tracking.mode, 'pml');
    assert.equal(w.seed, 9);
  });

  it('indexes lists and sets flow values', () => {
    const text = withTop('phases: [{writes: [{rate: 40000/s, workingSet: 64MiB}]}]\n');
    const w = parse(text, { sets: ['phases[0].writes[0].rate=1000/s', 'hints=[page-reporting, per-page]'] });
    assert.equal(w.phases[0].writes[0].ratePagesPerSec, 1000);
    assert.deepEqual(
      w.hints.map((h) => h.label),
      ['page-reporting', 'per-page'],
    );
    const orders = parse(withTop('phases: [{churn: [{rate: 1/s, order: 0, lifetime: 1s}]}]\n'), {
      sets: ['phases[0].churn[0].order={0: 3, 9: 1}'],
    }).phases[0].churn[0].orders;
    assert.deepEqual(orders, [
      { order: 0, weight: 3 },
      { order: 9, weight: 1 },
    ]);
  });

  it('sets an option of a hint written as a bare name', () => {
    const w = parse(withTop('hints: [free-page-hint]\n'), { sets: ['hints[0].order=9'] });
    assert.equal(w.hints[0].freePageHint?.order, 9);
    assert.equal(w.hints[0].label, 'free-page-hint');
  });

  it('appends one entry past the end of a list', () => {
    const w = parse(withTop('phases: [{duration: 1s}]\n'), { sets: ['phases[1].duration=2s'] });
    assert.deepEqual(
      w.phases.map((p) => p.durationSec),
      [1, 2],
    );
  });

  it('validates what it sets like the file, and says the value came from --set', () => {
    rejects(MINIMAL, `${FILE}: guest.memory needs a unit, e.g. 4KiB (got 4096) (from --set guest.memory)`, { sets: ['guest.memory=4096'] });
    rejects(MINIMAL, `${FILE}: guest.memoryy is not a known field (did you mean memory?) (from --set guest.memoryy)`, { sets: ['guest.memoryy=1GiB'] });
  });

  it('names --set and the key for a malformed assignment', () => {
    rejects(MINIMAL, `${FILE}: --set migration.bandwidth needs the form key=value, e.g. migration.bandwidth=25Gbit/s`, {
      sets: ['migration.bandwidth'],
    });
    rejects(MINIMAL, `${FILE}: --set a..b is not a field path such as migration.bandwidth or phases[0].duration`, {
      sets: ['a..b=1'],
    });
    rejects(MINIMAL, `${FILE}: --set guest[0] indexes guest, which is not a list`, { sets: ['guest[0]=1'] });
    rejects(MINIMAL, `${FILE}: --set phases[2].duration indexes past the end of phases (it has 1 entry)`, {
      sets: ['phases[0].duration=1s', 'phases[2].duration=1s'],
    });
    rejects(MINIMAL, `${FILE}: --set guest.memory.x sets a field of guest.memory, which is not a mapping`, {
      sets: ['guest.memory.x=1'],
    });
    rejects(MINIMAL, `${FILE}: --set __proto__.x is not a field path such as migration.bandwidth or phases[0].duration`, {
      sets: ['__proto__.x=1'],
    });
    rejects(MINIMAL, `${FILE}: --set hints has a value that is not valid YAML: flow sequence must end with a ]`, {
      sets: ['hints=[a'],
    });
  });
});

describe('parseWorkload --hints and --seed', () => {
  const text = withTop('hints: [{strategy: free-page-hint, order: 9, label: fph9}]\n');

  it('replaces the hints with names at default options', () => {
    const w = parse(text, { hints: ['free-page-hint', 'unaccepted+page-reporting'] });
    assert.deepEqual(
      w.hints.map((h) => [h.label, h.strategies]),
      [
        ['free-page-hint', ['free-page-hint']],
        ['unaccepted+page-reporting', ['unaccepted', 'page-reporting']],
      ],
    );
    assert.equal(w.hints[0].freePageHint?.order, 10);
  });

  it('runs only the baseline with none or an empty list', () => {
    assert.deepEqual(parse(text, { hints: ['none'] }).hints, []);
    assert.deepEqual(parse(text, { hints: [] }).hints, []);
    assert.equal(parse(text, { hints: null }).hints[0].label, 'fph9');
  });

  it('all runs every strategy once at default options (the strategy comparison)', () => {
    const w = parse(text, { hints: ['all'] });
    assert.deepEqual(w.hints.map((h) => h.label), ['free-page-hint', 'merge-notifier', 'page-reporting', 'per-page', 'unaccepted']);
    assert.equal(w.hints[2].pageReporting?.capacity, 32);
    assert.deepEqual(parse(text, { hints: ['all', 'unaccepted+page-reporting'] }).hints.length, 6);
  });

  it('rejects unknown and repeated names, naming --hints', () => {
    rejectsUsage(
      text,
      '--hints has an unknown strategy balloon (known: none, free-page-hint, merge-notifier, page-reporting, per-page, unaccepted)',
      { hints: ['balloon'] },
    );
    rejectsUsage(text, '--hints names per-page twice', { hints: ['per-page', 'per-page'] });
  });

  it('overrides the seed', () => {
    assert.equal(parse(withTop('seed: 7\n'), { seed: 42 }).seed, 42);
    assert.equal(parse(withTop('seed: 7\n'), { seed: null }).seed, 7);
    rejectsUsage(MINIMAL, '--seed must be an integer >= 0 (got -1)', { seed: -1 });
  });
});
