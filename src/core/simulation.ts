/**
 * The one entry point of the core: runs a workload's migrations, `none` first, then each
 * hint configuration, each from the same initial state and the same random streams
 * (common random numbers), and returns per-round and per-run results (docs/model.md §6).
 * Guest events come from a handful of sources; each step fires the earliest by
 * (time, priority, declaration order) after letting the sender run up to it, so the
 * order at equal times is: sender, hint arrivals, guest events, decisions (§1.1).
 * Pure and synchronous: no I/O; `hooks` is the only way out (progress bars).
 */
import { seedDoubleFields } from './double-fields.js';
import { BuddyAllocator } from './buddy-allocator.js';
import { ConfigError, InvariantError } from './errors.js';
import { GuestMemory } from './guest-memory.js';
import { createStrategy } from './hints/create-strategy.js';
import type { HintStrategy, SimClock } from './hints/hint-strategy.js';
import { TraceReplay } from './trace-replay.js';
import { PcpCache } from './pcp-cache.js';
import { Bitmap, popcount32 } from './bitmap.js';
import { PRIORITY_GUEST, PRIORITY_HINT, Precopy, engineShortcuts } from './precopy.js';
import type { PostcopyEngine } from './endings/postcopy.js';
import { PostcopyVcpus, type Blockable } from './endings/postcopy-vcpus.js';
import { throttleScale } from './endings/guest-throttle.js';
import { DirtyLimitThrottle } from './endings/dirty-limit.js';
import { HOST_CPU_COSTS, HostCpu } from './host-cpu.js';
import { HINT_DRIVER_VCPU, HintDriverHold, holdsVcpu } from './hint-driver-hold.js';
import type { InterleavedEvents } from './precopy.js';
import { newCostCounters } from './result-columns.js';
import type { HintConfig, RoundStats, RunResult, StrategyName, Workload, WriteStream } from './types.js';
import { ChurnSource, FreeQueue, Writer } from './workload-sources.js';
import { buildGuestAtStart } from './working-set-placement.js';

export interface SimulationHooks {
  onRunStart?(label: string, runIndex: number, runCount: number): void;
  onRound?(label: string, round: RoundStats): void;
}

/** Runs `none` then each hint config of the workload, in order; fills savedBytes. */
export function simulateWorkload(workload: Workload, hooks: SimulationHooks = {}): RunResult[] {
  const configs: (HintConfig | null)[] = [null, ...workload.hints];
  const results: RunResult[] = [];
  configs.forEach((hint, index) => {
    const label = hint ? hint.label : 'none';
    hooks.onRunStart?.(label, index, configs.length);
    const onRound = hooks.onRound ? (round: RoundStats) => hooks.onRound!(label, round) : undefined;
    results.push(simulateRun(workload, hint, onRound));
  });
  return fillSavedBytes(results);
}

/**
 * The runs of one workload, `none` first, in workload order: fills each run's savedBytes
 * against `none` (for runs simulated apart, e.g. in parallel worker threads). Returns them.
 */
export function fillSavedBytes(results: RunResult[]): RunResult[] {
  const baselineBytes = results[0].summary.totalBytes;
  for (const result of results) result.summary.savedBytes = baselineBytes - result.summary.totalBytes;
  return results;
}

/** One migration of the workload with one hint configuration (null = `none`). */
export function simulateRun(workload: Workload, hint: HintConfig | null, onRound?: (round: RoundStats) => void): RunResult {
  return new Simulation(workload, hint, onRound).run();
}

/** Linux's watermarks (mm/page_alloc.c): min = 4·√(KiB) KiB in [128 KiB, 256 MiB]. */
export function watermarkPages(memoryBytes: number, pageSizeBytes: number, minFreeBytes: number | null): { min: number; low: number } {
  const memoryKiB = memoryBytes / 1024;
  const minKiB = minFreeBytes !== null ? minFreeBytes / 1024 : Math.min(256 * 1024, Math.max(128, Math.floor(4 * Math.sqrt(memoryKiB))));
  const min = Math.ceil((minKiB * 1024) / pageSizeBytes);
  const low = min + Math.max(Math.floor(min / 4), Math.floor(memoryBytes / 1000 / pageSizeBytes));
  return { min, low };
}

/** log2 of the pages per bit of Simulation.writerGranules (2 MiB of 4 KiB pages). */
const WRITER_GRANULE_SHIFT = 9;

/** Most writes a batch counts ahead at a time (WriterLane.fireBeforeHorizon). */
const WRITE_RUN = 4096;

const SOURCE_NONE = 0;
const SOURCE_ARRIVAL = 1;
const SOURCE_WRITER = 2;
const SOURCE_CHURN = 3;
const SOURCE_FREE = 4;
const SOURCE_STRATEGY = 5;
const SOURCE_TRACE = 6;
/** dirty-limit's period timer (endings/dirty-limit.ts). */
const SOURCE_DIRTY_LIMIT = 7;
/** A read stream (Phase.reads): it has events only after a postcopy switch. */
const SOURCE_READ = 8;

function seededClock(): SimClock {
  const clock = { nowSec: 0 };
  seedDoubleFields(clock, ['nowSec']);
  return clock;
}

class Simulation {
  private readonly workload: Workload;
  private readonly label: string;
  private readonly memory: GuestMemory;
  private readonly buddy: BuddyAllocator;
  private readonly precopy: Precopy;
  private readonly writers: Writer[] = [];
  private readonly churns: ChurnSource[] = [];
  /** Read streams: blocked (no event) until the postcopy switch, then reads that may fault. */
  private readonly readers: Writer[] = [];
  private readonly readerVcpus: Int32Array;
  private readonly frees = new FreeQueue();
  private readonly strategy: HintStrategy | null = null;
  private readonly costs = newCostCounters();
  /** The time of the event being fired, for strategies driven from the allocator. */
  // nowSec becomes a fraction: a double field from the start (double-fields.ts).
  private readonly clock: SimClock = seededClock();
  private readonly lowPages: number;
  private readonly costsSlowGuest: boolean;
  private readonly faultCostSec: number;
  private readonly writerVcpus: Int32Array;
  /** Each writer's cpuShare (what a CPU throttle leaves it, endings/guest-throttle.ts). */
  private readonly writerCpuShares: Float64Array;
  /** Each writer's full rate in bytes per second (dirty-limit's per-vCPU sums). */
  private readonly writerBytesPerSec: Float64Array;
  /** The destination's vCPUs once postcopy runs, else null. */
  private postcopyVcpus: PostcopyVcpus | null = null;
  /** dirty-limit's per-vCPU sleep once in service, else null. */
  private dirtyLimit: DirtyLimitThrottle | null = null;
  /** When dirty-limit next adjusts (its period's end), or Infinity. */
  private dirtyLimitSec = Infinity;
  private readonly traces: TraceReplay[] = [];
  /** Order-0 per-CPU lists (`guest.pcp`), or null. */
  private readonly pcp: PcpCache | null;
  private readonly churnVcpus: Int32Array;
  private readonly lane: WriterLane;
  /** The free-page-hint driver holding its vCPU from the streams on it, or null where it does not (hint-driver-hold.ts). */
  private readonly driverHold: HintDriverHold | null = null;
  /** The shared host's CPU budget (`host:`), or null: hint work never waits for a core. */
  private readonly host: HostCpu | null = null;
  /** What auto-converge's throttle leaves the hint work (1 − p/100); times the host's share. */
  private throttleScale = 1;
  private hostShare = 1;
  /** The guest's hint CPU (costs.guestCpuSec) when the last rate slot ended. */
  private hostGuestCpuSec = 0;
  // The event scan's result (fields, not a returned object: it runs once per event).
  private nextSec = Infinity;
  private nextPriority = 9;
  private nextSource = SOURCE_NONE;
  private nextIndex = -1;
  private secondSec = Infinity;
  private secondPriority = 9;
  // The bound of the sender's interleaving (scanOthers).
  private otherSec = Infinity;
  private otherPriority = 9;
  /** otherSec without the strategy's arrivals (MergedLane.passLimit). */
  private othersButArrivalSec = Infinity;

  constructor(workload: Workload, hint: HintConfig | null, onRound?: (round: RoundStats) => void) {
    this.workload = workload;
    this.label = hint ? hint.label : 'none';
    const guest = workload.guest;
    const migration = workload.migration;
    const totalPages = guest.memoryBytes / guest.pageSizeBytes;
    rejectUnsupported(workload, hint);
    const granulePages = Math.max(1, Math.floor(migration.tracking.granularityBytes / guest.pageSizeBytes));
    const tracking = migration.tracking;
    // PML logs into a 512-entry buffer per vCPU, the dirty ring into its ring; both exit when full.
    const bufferEntries = tracking.mode === 'pml' ? tracking.pmlEntries : tracking.mode === 'dirty-ring' ? tracking.ringSize : 0;
    this.memory = new GuestMemory(totalPages, granulePages, guest.vcpus, bufferEntries);
    this.pcp = guest.pcp === null ? null : new PcpCache(guest.vcpus, guest.pcp.highPages, guest.pcp.batchPages);
    this.buddy = new BuddyAllocator(totalPages, guest.maxOrder);
    const atStart = buildGuestAtStart(guest, workload.phases, workload.seed, this.memory, this.buddy);
    const watermarks = watermarkPages(guest.memoryBytes, guest.pageSizeBytes, guest.minFreeBytes);
    this.lowPages = watermarks.low;
    this.costsSlowGuest = migration.tracking.costsSlowGuest;
    this.faultCostSec = migration.tracking.faultCostSec;
    this.lane = new WriterLane(this.memory, this.costsSlowGuest, this.faultCostSec);

    const writerSpecs: WriteStream[] = [];
    const churnSpecs: { vcpu: number | null }[] = [];
    const readerSpecs: { vcpu: number | null }[] = [];
    let phaseStart = 0;
    workload.phases.forEach((phase, p) => {
      // The last phase runs until the end of stop-and-copy, whatever its duration (docs/model.md §1.4).
      const isLast = p === workload.phases.length - 1;
      const phaseEnd = isLast || phase.durationSec === null ? Infinity : phaseStart + phase.durationSec;
      phase.writes.forEach((spec, i) => {
        writerSpecs.push(spec);
        this.writers.push(
          new Writer(spec, `phases[${p}].writes[${i}]`, `writer:${p}:${i}`, workload.seed, phaseStart, phaseEnd, guest.pageSizeBytes, atStart.usedAtStart, totalPages, atStart.allocatedExtents[writerSpecs.length - 1]),
        );
      });
      (phase.reads ?? []).forEach((spec, i) => {
        readerSpecs.push(spec);
        const reader = new Writer(spec, `phases[${p}].reads[${i}]`, `reader:${p}:${i}`, workload.seed, phaseStart, phaseEnd, guest.pageSizeBytes, this.memory.allocated, totalPages);
        // Reads change nothing the pre-copy sender sees: they start at the postcopy switch.
        reader.clock.block();
        this.readers.push(reader);
      });
      phase.churn.forEach((spec, i) => {
        this.churns.push(new ChurnSource(spec, `churn:${p}:${i}`, workload.seed, phaseStart, phaseEnd));
        churnSpecs.push(spec);
      });
      if (phase.trace !== null) this.traces.push(new TraceReplay(phase.trace, phaseStart, phaseEnd));
      phaseStart = phaseEnd;
    });
    // Writers, then churn streams, then read streams, run on vCPUs round-robin in declaration order, unless
    // they name one (docs/model.md §2). Frees and hint work run on vCPU 0.
    let nextVcpu = 0;
    const assign = (spec: { vcpu: number | null }) => spec.vcpu ?? nextVcpu++ % guest.vcpus;
    this.writerVcpus = Int32Array.from(writerSpecs, assign);
    this.writerCpuShares = Float64Array.from(writerSpecs, (spec) => (spec as WriteStream).cpuShare);
    this.writerBytesPerSec = Float64Array.from(writerSpecs, (spec) => (spec as WriteStream).ratePagesPerSec * guest.pageSizeBytes);
    this.churnVcpus = Int32Array.from(churnSpecs, assign);
    this.readerVcpus = Int32Array.from(readerSpecs, assign);

    // QEMU does not hint free pages when postcopy-ram is on: virtio-balloon's precopy
    // notifier returns early (the calibration's postcopy runs send the same bulk with hints).
    const strategies = hint === null ? [] : migration.postcopy === null ? hint.strategies : hint.strategies.filter((name) => name !== 'free-page-hint');
    const fph = strategies.includes('free-page-hint') ? hint!.freePageHint : null;
    const gatherFirst = fph !== null && fph.timing === 'before-logging';
    // XBZRLE's delta sizes: each page's writers' bytesPerWrite (0: none, a full-page change).
    let writeBytes: Uint16Array | null = null;
    if (migration.xbzrle !== null) {
      writeBytes = new Uint16Array(totalPages);
      this.writers.forEach((writer, i) => writer.markWorkingSet(writeBytes!, Math.min(writerSpecs[i].bytesPerWrite, 0xffff)));
    }
    this.precopy = new Precopy(migration, this.memory, guest.pageSizeBytes, {
      onSetup: (t) => this.strategy?.start((this.clock.nowSec = t)),
      onStopHints: (t) => {
        // Every sync harvests the PML buffers and dirty rings.
        this.memory.flushTrackingBuffers();
        this.strategy?.stop((this.clock.nowSec = t));
      },
      onStartHints: (t) => this.strategy?.start((this.clock.nowSec = t)),
      onSwitchover: (t) => this.strategy?.done((this.clock.nowSec = t)),
      onThrottle: (percent) => this.applyThrottle(percent),
      onDirtyLimit: (bytesPerSec, timeSec) => this.startDirtyLimit(bytesPerSec, timeSec),
      onPause: () => this.pauseGuest(),
      onPostcopy: (resumeSec) => this.startDestination(resumeSec),
      onPostcopyRunning: (engine) => {
        this.lane.postcopy = engine;
      },
      onRound: (round) => onRound?.(round),
      dirtyLimitThrottleUs: () => (this.dirtyLimit === null ? 0 : this.dirtyLimit.maxThrottleUs()),
      onRateSlot: (elapsedSec, timeSec) => this.hostSlot(elapsedSec, timeSec),
    }, gatherFirst, writeBytes, migration.multifd?.compression ? { allocatedAtStart: this.memory.allocated, writers: this.writers } : null);
    // The driver's loop keeps its vCPU from the streams on it (hint-driver-hold.ts says where that applies).
    const streamsOnDriverVcpu = this.writerVcpus.includes(HINT_DRIVER_VCPU) || this.churnVcpus.includes(HINT_DRIVER_VCPU) || this.traces.length > 0;
    if (fph !== null && !fph.inPlace && fph.rateBlocksPerSec === null && guest.vcpus === 1 && holdsVcpu(guest.preempt ?? 'voluntary') && streamsOnDriverVcpu) {
      this.driverHold = new HintDriverHold(this.writers, this.writerVcpus, this.churns, this.churnVcpus, this.memory, this.traces);
    }
    if (hint !== null && strategies.length > 0) {
      this.strategy = createStrategy(strategies === hint.strategies ? hint : { ...hint, strategies }, {
        memory: this.memory,
        buddy: this.buddy,
        precopy: this.precopy,
        costs: this.costs,
        guest,
        minWatermarkPages: watermarks.min,
        lowWatermarkPages: watermarks.low,
        clock: this.clock,
        driverHold: this.driverHold,
      });
    }
    if (workload.host !== null) {
      // The host's CPU: the hint work runs at the vCPU's share, the migration's threads at theirs.
      const channels = migration.multifd === null ? 0 : migration.multifd.channels;
      // The balloon's iothread polls the free-page queue while hints come, unless the one
      // stream's page loop holds the bitmap mutex it needs (host-cpu.ts).
      // The destination's CPU per normal page is the workload's `loadCost` when it sets one:
      // it is mostly the host's first touch of the page's memory, 2 us or 16 us on the same
      // testbed depending on whether its hypervisor still backs that memory
      // (validation/issue12x-host-first-touch); HOST_CPU_COSTS' 12.6 us is the testbed's usual.
      const costs = migration.loadCostSec > 0 ? { ...HOST_CPU_COSTS, destinationNormalPageSec: migration.loadCostSec } : HOST_CPU_COSTS;
      this.host = new HostCpu(workload.host, channels, costs, channels > 0 && fph !== null);
      // `cores: unlimited`: every thread has a core, nothing waits (not even at the costs' floors).
      if (Number.isFinite(workload.host.cores)) this.precopy.paceByHost(channels, costs);
      this.setStrategyScale(this.throttleScale, this.host.guestShare);
    }
  }

  run(): RunResult {
    const precopy = this.precopy;
    const strategy = this.strategy;
    const lane = this.lane;
    const guestSteps = strategy === null ? null : new GuestStepLane(strategy, this.memory, this.clock);
    const merged = guestSteps === null ? null : new MergedLane(lane, guestSteps, this.memory.granulePages, this.writerGranules());
    let lastEventSec = 0;
    for (;;) {
      if (strategy !== null && precopy.isGathering && strategy.gatheringDone) precopy.endGathering(lastEventSec);
      this.scanSources();
      const nextSec = this.nextSec;
      const source = this.nextSource;
      const index = this.nextIndex;
      if ((source === SOURCE_WRITER || (source === SOURCE_STRATEGY && guestSteps !== null)) && precopy.isSending) {
        // The earliest writer and the strategy's guest steps (zeroing) come before every
        // other source: they and the sending migration alternate in the sender's loop until
        // another source is due or the sender stops sending.
        const writerIndex = this.earliestWriter();
        if (writerIndex >= 0) lane.select(this.writers[writerIndex], this.writerVcpus[writerIndex]);
        else lane.selectNone();
        let events: InterleavedEvents = lane;
        if (guestSteps !== null) {
          guestSteps.select();
          merged!.select();
          events = merged!;
        }
        this.scanOthers(writerIndex);
        if (events.nextSec < this.otherSec) {
          if (merged !== null) {
            merged.arrivalsInside = engineShortcuts.arrivalsInside && precopy.hintsWaitWhileSending;
            merged.othersButArrivalSec = this.othersButArrivalSec;
            merged.deferSteps();
          }
          precopy.runUntil(this.otherSec, this.otherPriority, events);
          if (merged !== null && merged.isDeferring) throw new InvariantError('the sender stopped interleaving without applying the deferred zeroing steps');
          if (precopy.done) break;
          continue;
        }
      }
      const reached = precopy.runUntil(nextSec, this.nextPriority);
      if (precopy.done) break;
      if (!reached) continue;
      if (source === SOURCE_NONE) {
        // Nothing left to happen but gathering, which then ends for lack of hints.
        if (precopy.isGathering) precopy.endGathering(lastEventSec);
        continue;
      }
      lastEventSec = nextSec;
      this.clock.nowSec = nextSec;
      if (source === SOURCE_WRITER) {
        this.fireWriteBatch(index);
      } else if (source === SOURCE_CHURN) {
        this.memory.currentVcpu = this.churnVcpus[index];
        this.fireChurn(this.churns[index], nextSec, this.churnVcpus[index]);
      } else if (source === SOURCE_FREE) {
        this.memory.currentVcpu = 0;
        this.fireFree();
      } else if (source === SOURCE_READ) {
        this.fireRead(index, nextSec);
      } else if (source === SOURCE_DIRTY_LIMIT) {
        this.adjustDirtyLimit();
      } else if (source === SOURCE_TRACE) {
        this.fireTrace(this.traces[index], nextSec);
      } else {
        this.memory.currentVcpu = 0;
        if (source === SOURCE_ARRIVAL) strategy!.fireArrival();
        else lastEventSec = this.fireGuestBatch();
      }
    }
    return this.result();
  }

  /**
   * One bit per WRITER_GRANULE_PAGES pages, set where some writer's working set has a page:
   * a range with no bit set is never written by a writer (MergedLane's deferred zeroing).
   */
  private writerGranules(): Bitmap {
    const granules = new Bitmap(Math.ceil(this.memory.totalPages / 2 ** WRITER_GRANULE_SHIFT));
    for (const writer of this.writers) writer.markWorkingSetGranules(granules, WRITER_GRANULE_SHIFT);
    return granules;
  }

  /**
   * Finds the earliest non-sender event by (time, priority, declaration order) into
   * next*, and the earliest of the others into second* (the lane's bound).
   */
  private scanSources(): void {
    this.nextSec = Infinity;
    this.nextPriority = 9;
    this.nextSource = SOURCE_NONE;
    this.nextIndex = -1;
    this.secondSec = Infinity;
    this.secondPriority = 9;
    const strategy = this.strategy;
    if (strategy !== null) this.consider(strategy.nextArrivalSec, PRIORITY_HINT, SOURCE_ARRIVAL, -1);
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) this.consider(writers[i].clock.nextTime, PRIORITY_GUEST, SOURCE_WRITER, i);
    const churns = this.churns;
    for (let i = 0; i < churns.length; i++) this.consider(churns[i].clock.nextTime, PRIORITY_GUEST, SOURCE_CHURN, i);
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) this.consider(readers[i].clock.nextTime, PRIORITY_GUEST, SOURCE_READ, i);
    this.consider(this.frees.nextTime, PRIORITY_GUEST, SOURCE_FREE, -1);
    const traces = this.traces;
    for (let i = 0; i < traces.length; i++) this.consider(traces[i].nextTime, PRIORITY_GUEST, SOURCE_TRACE, i);
    if (strategy !== null) this.consider(strategy.nextGuestSec, PRIORITY_GUEST, SOURCE_STRATEGY, -1);
    this.consider(this.dirtyLimitSec, PRIORITY_GUEST, SOURCE_DIRTY_LIMIT, -1);
  }

  /** The writer whose event is earliest (the first declared at equal times), or −1. */
  private earliestWriter(): number {
    const writers = this.writers;
    let best = -1;
    for (let i = 0; i < writers.length; i++) {
      if (writers[i].clock.nextTime < Infinity && (best < 0 || writers[i].clock.nextTime < writers[best].clock.nextTime)) best = i;
    }
    return best;
  }

  /**
   * The earliest event of every source but writer `writerIndex` and the strategy's guest
   * steps (those the sender interleaves), into other*: the bound of the interleaving.
   */
  private scanOthers(writerIndex: number): void {
    let otherSec = Infinity;
    let otherPriority = 9;
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) {
      if (i !== writerIndex && writers[i].clock.nextTime < otherSec) {
        otherSec = writers[i].clock.nextTime;
        otherPriority = PRIORITY_GUEST;
      }
    }
    const churns = this.churns;
    for (let i = 0; i < churns.length; i++) {
      if (churns[i].clock.nextTime < otherSec) {
        otherSec = churns[i].clock.nextTime;
        otherPriority = PRIORITY_GUEST;
      }
    }
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) {
      if (readers[i].clock.nextTime < otherSec) {
        otherSec = readers[i].clock.nextTime;
        otherPriority = PRIORITY_GUEST;
      }
    }
    if (this.frees.nextTime < otherSec) {
      otherSec = this.frees.nextTime;
      otherPriority = PRIORITY_GUEST;
    }
    const traces = this.traces;
    for (let i = 0; i < traces.length; i++) {
      if (traces[i].nextTime < otherSec) {
        otherSec = traces[i].nextTime;
        otherPriority = PRIORITY_GUEST;
      }
    }
    if (this.dirtyLimitSec < otherSec) {
      otherSec = this.dirtyLimitSec;
      otherPriority = PRIORITY_GUEST;
    }
    this.othersButArrivalSec = otherSec;
    // The strategy's arrival comes first at equal times (hint priority).
    const strategy = this.strategy;
    if (strategy !== null && strategy.nextArrivalSec <= otherSec && strategy.nextArrivalSec < Infinity) {
      otherSec = strategy.nextArrivalSec;
      otherPriority = PRIORITY_HINT;
    }
    this.otherSec = otherSec;
    this.otherPriority = otherPriority;
  }

  /** Sources are considered in priority, then declaration, order: only a strictly earlier time wins. */
  private consider(timeSec: number, priority: number, source: number, index: number): void {
    if (timeSec < this.nextSec) {
      this.secondSec = this.nextSec;
      this.secondPriority = this.nextPriority;
      this.nextSec = timeSec;
      this.nextPriority = priority;
      this.nextSource = source;
      this.nextIndex = index;
    } else if (timeSec < this.secondSec) {
      this.secondSec = timeSec;
      this.secondPriority = priority;
    }
  }

  /**
   * Fires the writer's event, then its following ones for as long as nothing else (another
   * source, or the sender) comes first: a tight loop for the commonest event.
   */
  private fireWriteBatch(index: number): void {
    const lane = this.lane;
    lane.select(this.writers[index], this.writerVcpus[index]);
    lane.fire();
    // The scan's second-earliest source bounds the batch, as does the sender's next action.
    const boundSec = Math.min(this.precopy.nextActionSec, this.secondSec);
    // Nothing a write touches reads the shared clock, so it is set once, to the last write's
    // time, rather than per write. (Not carried in a local double either: V8 boxed that
    // one on each turn of the loop.)
    lane.horizonSec = boundSec;
    lane.fireBeforeHorizon(-1);
    this.clock.nowSec = lane.lastFiredSec;
  }

  /**
   * Fires the strategy's guest-side event (init_on_alloc zeroing a hint block page by page,
   * a command start), then its following ones for as long as nothing else comes first, as
   * fireWriteBatch does for writers. A guest step can move the strategy's next arrival, so
   * the bound is taken again after each. Not while gathering: a step may end it, which the
   * main loop checks between events. Returns the time of the last event fired.
   */
  private fireGuestBatch(): number {
    const strategy = this.strategy!;
    const precopy = this.precopy;
    let lastSec = this.clock.nowSec;
    strategy.fireGuest();
    let otherSec = Infinity;
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) if (writers[i].clock.nextTime < otherSec) otherSec = writers[i].clock.nextTime;
    for (let i = 0; i < this.churns.length; i++) if (this.churns[i].clock.nextTime < otherSec) otherSec = this.churns[i].clock.nextTime;
    for (let i = 0; i < this.readers.length; i++) if (this.readers[i].clock.nextTime < otherSec) otherSec = this.readers[i].clock.nextTime;
    if (this.frees.nextTime < otherSec) otherSec = this.frees.nextTime;
    for (let i = 0; i < this.traces.length; i++) if (this.traces[i].nextTime < otherSec) otherSec = this.traces[i].nextTime;
    if (this.dirtyLimitSec < otherSec) otherSec = this.dirtyLimitSec;
    for (;;) {
      if (precopy.isGathering) return lastSec;
      const nextSec = strategy.nextGuestSec;
      if (!(nextSec < otherSec && nextSec < strategy.nextArrivalSec && nextSec < precopy.nextActionSec)) return lastSec;
      lastSec = nextSec;
      this.clock.nowSec = nextSec;
      strategy.fireGuest();
    }
  }

  /**
   * A read on the destination after the postcopy switch: a page not received yet is
   * requested and the vCPU waits (the read happens when it resumes, finding the page);
   * once the destination holds every page a read needs nothing, and the stream stops.
   */
  private fireRead(index: number, timeSec: number): void {
    const reader = this.readers[index];
    const engine = this.lane.postcopy;
    if (engine === null || engine.done) {
      reader.clock.block();
      return;
    }
    const pfn = reader.peekPfn();
    if (!engine.isReceived(pfn)) {
      engine.request(pfn, timeSec);
      this.postcopyVcpus!.fault(this.readerVcpus[index], pfn, timeSec);
      return;
    }
    reader.nextPfn();
    reader.clock.advance();
  }

  /**
   * After a postcopy switch, a churn allocation's zeroing and fill touch pages the
   * destination may lack: each missing page of the block is requested (userfaultfd faults
   * page by page; here they are asked at once, so the wait is the last one's, a lower
   * bound) and the vCPU waits for the last. The write is then taken as landing with the
   * source's page (GuestMemory.notReceived), as a writer's resumed write does. Returns
   * whether the vCPU waits (some page was missing).
   */
  private requestMissing(pfn: number, pages: number, timeSec: number, vcpu: number): boolean {
    const engine = this.lane.postcopy;
    if (engine === null || engine.done) return false;
    let last = -1;
    for (let p = pfn; p < pfn + pages; p++) {
      if (engine.isReceived(p)) continue;
      engine.request(p, timeSec);
      last = p;
    }
    if (last < 0) return false;
    this.postcopyVcpus!.fault(vcpu, last, timeSec);
    return true;
  }

  /**
   * A trace row runs on vCPU 0. After a postcopy switch the pages it writes may be missing
   * on the destination: they are requested and the row waits, unfired, until they are
   * there (the replay blocks; its later rows come as much later), as a writer's write does.
   */
  private fireTrace(trace: TraceReplay, timeSec: number): void {
    this.memory.currentVcpu = 0;
    const guest = this.workload.guest;
    if (this.lane.postcopy !== null) {
      const pages = trace.pagesToWrite(this.memory, this.buddy, guest.initOnAlloc, guest.initOnFree);
      if (pages > 0 && this.requestMissing(trace.pfn, pages, timeSec, 0)) return;
    }
    trace.fire(this.memory, this.buddy, guest.initOnAlloc, guest.initOnFree, this.costs);
  }

  /** A churn arrival draws its order and lifetime whether or not the allocation succeeds. */
  private fireChurn(churn: ChurnSource, timeSec: number, vcpu: number): void {
    churn.draw();
    churn.clock.advance();
    const order = churn.drawnOrder;
    const pfn = this.allocate(order);
    if (pfn < 0) return;
    const pages = 2 ** order;
    this.requestMissing(pfn, pages, timeSec, vcpu);
    this.memory.allocated.setRange(pfn, pfn + pages);
    // init_on_alloc zeroes the block, then the fill writes it: one write per page.
    const faults = this.memory.writeRange(pfn, pages, churn.fillZero);
    if (faults > 0 && this.costsSlowGuest) churn.clock.delay(faults * this.faultCostSec);
    this.frees.push(timeSec + churn.drawnLifetimeSec, pfn, order);
  }

  private fireFree(): void {
    const pfn = this.frees.topPfn;
    const order = this.frees.topOrder;
    this.frees.pop();
    const pages = 2 ** order;
    this.memory.allocated.clearRange(pfn, pfn + pages);
    if (this.workload.guest.initOnFree) this.memory.writeRange(pfn, pages, true);
    if (order === 0 && this.pcp !== null) this.pcp.free(this.memory.currentVcpu, pfn, this.buddy);
    else this.buddy.free(pfn, order);
  }

  /**
   * A guest allocation (docs/model.md §1.3): when no block fits, or free memory would fall below
   * the low watermark, the strategy relieves the pressure first: it accepts unaccepted
   * chunks (§4.5), then gives held hint blocks back (most recent first).
   */
  private allocate(order: number): number {
    const buddy = this.buddy;
    const pages = 2 ** order;
    const strategy = this.strategy;
    if (strategy !== null) {
      while ((!buddy.hasFreeBlock(order) || buddy.freePages - pages < this.lowPages) && strategy.giveBack()) {
        /* keep giving back */
      }
    }
    const pcp = this.pcp;
    const pfn = order === 0 && pcp !== null ? pcp.alloc(this.memory.currentVcpu, buddy) : buddy.alloc(order);
    if (pfn < 0) {
      this.costs.allocFailures++;
      if (buddy.freePages >= pages) this.costs.allocFailuresFragmented++;
    }
    return pfn;
  }

  private applyThrottle(percent: number): void {
    const scale = 1 - percent / 100;
    this.writers.forEach((writer, i) => writer.clock.setScale(throttleScale(percent, this.writerCpuShares[i])));
    for (const churn of this.churns) churn.clock.setScale(scale);
    this.setStrategyScale(scale, this.hostShare);
  }

  /** A rate slot closed: the hint work runs at the CPU share the host leaves its vCPU (host-cpu.ts). */
  private hostSlot(elapsedSec: number, timeSec: number): void {
    const host = this.host;
    if (host === null) return;
    // The vCPU competes for a core only in a slot where it hinted or has hint work waiting.
    const guestCpuSec = this.costs.guestCpuSec;
    const strategy = this.strategy;
    const guestBusy = guestCpuSec > this.hostGuestCpuSec || (strategy !== null && strategy.nextGuestSec !== Infinity);
    this.hostGuestCpuSec = guestCpuSec;
    const share = host.slotEnded(elapsedSec, this.precopy.sentNormalPages, this.precopy.sentZeroPages, this.costs.pagesHinted, guestBusy);
    if (share !== this.hostShare) this.setStrategyScale(this.throttleScale, share);
    this.precopy.setHostShares(host.sourceShare, host.channelShare, host.destinationShare, timeSec);
  }

  private setStrategyScale(throttleScale: number, hostShare: number): void {
    this.throttleScale = throttleScale;
    this.hostShare = hostShare;
    this.strategy?.setScale(throttleScale * hostShare);
  }

  /**
   * dirty-limit comes into service (migration_dirty_limit_guest): every vCPU gets the
   * quota, and dirtylimit.c's stat thread adjusts each vCPU's sleep at the end of every
   * period (endings/dirty-limit.ts). Its writers (summed per vCPU at their full rates) slow
   * together; churn and hint work are not capped (they dirty little).
   */
  private startDirtyLimit(bytesPerSec: number, timeSec: number): void {
    const vcpus = this.workload.guest.vcpus;
    const natural = new Float64Array(vcpus);
    this.writers.forEach((_, i) => (natural[this.writerVcpus[i]] += this.writerBytesPerSec[i]));
    const migration = this.workload.migration;
    const limit = new DirtyLimitThrottle(bytesPerSec, migration.dirtyLimit!.periodSec, migration.tracking.ringSize, this.workload.guest.pageSizeBytes, natural);
    limit.start(timeSec);
    this.dirtyLimit = limit;
    this.dirtyLimitSec = limit.nextSec;
  }

  /** A dirty-limit period ended: the sleeps move toward the quota, the writers follow. */
  private adjustDirtyLimit(): void {
    const limit = this.dirtyLimit!;
    if (limit.tick()) this.writers.forEach((writer, i) => writer.clock.setScale(limit.scale(this.writerVcpus[i])));
    this.dirtyLimitSec = limit.nextSec;
  }

  /** pauseAfterRound: the guest stops (its writers and churn; the run ends with stop-and-copy). */
  private pauseGuest(): void {
    this.driverHold?.guestStopped();
    for (const writer of this.writers) writer.clock.block();
    for (const churn of this.churns) churn.clock.block();
    for (const trace of this.traces) trace.block();
  }

  /**
   * The postcopy switch: the guest is stopped until `resumeSec` and then runs on the
   * destination, where a write to a page not yet received blocks its vCPU (the lane asks
   * the engine, PostcopyVcpus waits). Dirty tracking ends.
   */
  private startDestination(resumeSec: number): PostcopyVcpus {
    const memory = this.memory;
    // The destination's vCPUs run without the source's dirty limit.
    if (this.dirtyLimit !== null) {
      this.dirtyLimitSec = Infinity;
      for (const writer of this.writers) writer.clock.setScale(1);
    }
    memory.settleAll();
    memory.trackingOn = false;
    // With tracking off no write is quiet (GuestMemory.quiet): destination writes go the full path.
    memory.resetQuiet();
    memory.notReceived = this.precopy.dirty;
    for (const writer of this.writers) {
      writer.clock.block();
      writer.clock.unblock(resumeSec);
    }
    for (const churn of this.churns) {
      churn.clock.block();
      churn.clock.unblock(resumeSec);
    }
    for (const trace of this.traces) {
      trace.block();
      trace.unblock(resumeSec);
    }
    for (const reader of this.readers) reader.clock.unblock(resumeSec);
    const streams: Blockable[] = [...this.writers, ...this.readers, ...this.churns].map((stream) => stream.clock);
    const streamVcpus = [...this.writerVcpus, ...this.readerVcpus, ...this.churnVcpus];
    // Trace rows run on vCPU 0 (fireTrace).
    for (const trace of this.traces) {
      streams.push(trace);
      streamVcpus.push(0);
    }
    const vcpus = new PostcopyVcpus(this.workload.guest.vcpus, streams, Int32Array.from(streamVcpus));
    this.postcopyVcpus = vcpus;
    this.lane.vcpus = vcpus;
    return vcpus;
  }

  /**
   * The loss check (docs/model.md §5): an allocated page whose destination copy is stale and
   * differs, because the source holds data or the destination holds data the source no
   * longer has.
   */
  private countLostPages(): { lost: number; lostZero: number } {
    const memory = this.memory;
    memory.settleAll();
    const allocated = memory.allocated.words;
    const stale = memory.stale.words;
    const zero = memory.zero.words;
    const dst = memory.dstNonZero.words;
    const undefinedWords = memory.undefinedContent === null ? null : memory.undefinedContent.words;
    let lost = 0;
    let lostZero = 0;
    for (let w = 0; w < allocated.length; w++) {
      const candidates = allocated[w] & stale[w] & (undefinedWords === null ? -1 : ~undefinedWords[w]);
      if (candidates === 0) continue;
      lost += popcount32(candidates & (~zero[w] | dst[w]));
      lostZero += popcount32(candidates & zero[w] & dst[w]);
    }
    return { lost, lostZero };
  }

  private result(): RunResult {
    const precopy = this.precopy;
    // A cancelled migration leaves the guest on the source: the destination's copy is dropped.
    const { lost, lostZero } = precopy.ending === 'cancelled' ? { lost: 0, lostZero: 0 } : this.countLostPages();
    this.memory.settleAll();
    this.costs.faults = this.memory.faults;
    this.costs.exits = this.memory.exits;
    const rounds = precopy.rounds;
    const engine = precopy.postcopyEngine;
    const vcpus = this.postcopyVcpus;
    return {
      rounds,
      summary: {
        workload: this.workload.name,
        run: this.label,
        seed: this.workload.seed,
        rounds: rounds.filter((round) => round.kind === 'bulk' || round.kind === 'iterate').length,
        totalBytes: precopy.totalBytes,
        totalTimeSec: precopy.endSec - precopy.startSec,
        downtimeSec: precopy.downtimeSec,
        converged: precopy.converged,
        lostPages: lost,
        lostZeroPages: lostZero,
        savedBytes: 0,
        expectedDowntimeSec: precopy.expectedDowntimeSec,
        throttlePct: precopy.throttlePct,
        ending: precopy.ending,
        downtimeOverLimit: precopy.downtimeSec > this.workload.migration.downtimeLimitSec,
        throttleSteps: precopy.throttleSteps,
        postcopyBytes: engine === null ? 0 : engine.bytes,
        postcopyRequests: engine === null ? 0 : engine.requests,
        blocktimeSec: vcpus === null ? 0 : vcpus.blocktimeSec,
        vcpuBlocktimeSecList: vcpus === null ? '' : Array.from(vcpus.vcpuBlocktimeSec, (sec) => sec.toFixed(6)).join(';'),
        noRollbackSec: precopy.noRollbackSec,
        costs: this.costs,
      },
    };
  }
}

/**
 * Fires a writer's events: the one the event loop picked (fireWriteBatch), or those the
 * sender interleaves with its sends (Precopy.runUntil). Chosen per call with `select`.
 * Its fields are read in `fire`, not passed: a double argument to a call V8 does not
 * inline is boxed, one allocation per write.
 */
class WriterLane implements InterleavedEvents {
  nextSec = Infinity;
  // Writes are never deferred.
  readonly observedFromPfn = 0;
  readonly observedToPfn = 0;
  settle(_beforeSec: number): void {}
  endDeferral(_beforeSec: number): void {}
  /** After a postcopy switch: the engine that says which pages the destination lacks. */
  postcopy: PostcopyEngine | null = null;
  vcpus: PostcopyVcpus | null = null;
  private writer: Writer | null = null;
  private vcpu = 0;
  private readonly memory: GuestMemory;
  private readonly costsSlowGuest: boolean;
  private readonly faultCostSec: number;

  constructor(memory: GuestMemory, costsSlowGuest: boolean, faultCostSec: number) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['avoidFromPfn', 'avoidSpanPages']);
    this.memory = memory;
    this.costsSlowGuest = costsSlowGuest;
    this.faultCostSec = faultCostSec;
  }

  /** The time of the write fired last. */
  get lastFiredSec(): number {
    return this.writer!.clock.lastSec;
  }

  select(writer: Writer, vcpu: number): void {
    this.writer = writer;
    this.vcpu = vcpu;
    this.nextSec = writer.clock.nextTime;
  }

  /** No writer has events left: the lane has none either. */
  selectNone(): void {
    this.nextSec = Infinity;
    this.writer = null;
  }

  /**
   * Whether the next write is to a page outside `word`. A write changes its own page's
   * flags, its granule's log bits and the writer's own clock and counters; a send reads
   * and changes its own page's flags and the migration bitmap. So a write to a page
   * outside the word commutes with the word's sends.
   */
  firesAheadOf(word: number): boolean {
    return this.writer!.peekPfn() >>> 5 !== word;
  }

  /** Whether the next write is to a page of [fromPfn, toPfn). */
  writesInto(fromPfn: number, toPfn: number): boolean {
    const pfn = this.writer!.peekPfn();
    return pfn >= fromPfn && pfn < toPfn;
  }

  horizonSec = Infinity;
  /**
   * Pages [avoidFromPfn, avoidFromPfn + avoidSpanPages) that fireBeforeHorizon also stops
   * before, on its run path (runsAhead); span 0 = none. Set by MergedLane around one call.
   */
  avoidFromPfn = 0;
  avoidSpanPages = 0;

  /** Whether fireBeforeHorizon writes in runs (and honours the avoided range). */
  runsAhead(): boolean {
    return !this.costsSlowGuest && this.writer!.clock.isEven && this.postcopy === null;
  }

  /**
   * Fires the writes strictly before `horizonSec`, stopping at the first to a page of word
   * `word` (−1: none). Evenly spaced writes that cost the guest nothing are counted ahead
   * and written in runs, in order (Writer.writeNext); otherwise one by one.
   */
  fireBeforeHorizon(word: number): boolean {
    if (!(this.nextSec < this.horizonSec)) return true;
    const writer = this.writer!;
    const clock = writer.clock;
    if (!this.runsAhead()) {
      while (this.nextSec < this.horizonSec) {
        if (word >= 0 && !this.firesAheadOf(word)) return false;
        this.fire();
      }
      return true;
    }
    this.memory.currentVcpu = this.vcpu;
    let all = true;
    for (;;) {
      const count = clock.countBefore(this.horizonSec, WRITE_RUN);
      if (count === 0) break;
      const written = writer.writeNext(count, this.memory, word, this.avoidFromPfn, this.avoidSpanPages);
      if (written > 0) clock.skip(written);
      if (written < count) {
        all = false;
        break;
      }
    }
    this.nextSec = clock.nextTime;
    return all;
  }

  /** A writer's lane owns no limit. */
  passLimit(_limitSec: number): number {
    return -1;
  }

  /** Writes in runs are page writes that schedule nothing: the sender may group words. */
  groupsWords(): boolean {
    return this.runsAhead();
  }

  /** fireBeforeHorizon on the run path, stopping before the first write into words [fromWord, toWord). */
  fireBeforeHorizonOutside(fromWord: number, toWord: number): boolean {
    this.avoidFromPfn = fromWord * 32;
    this.avoidSpanPages = (toWord - fromWord) * 32;
    const all = this.fireBeforeHorizon(-1);
    this.avoidFromPfn = 0;
    this.avoidSpanPages = 0;
    return all;
  }

  /**
   * One page written with non-zero data; under `costsSlowGuest` a fault delays the writer.
   * A write schedules nothing for any other source: always false.
   */
  fire(): boolean {
    const writer = this.writer!;
    const memory = this.memory;
    memory.currentVcpu = this.vcpu;
    const postcopy = this.postcopy;
    if (postcopy !== null && !postcopy.isReceived(writer.peekPfn())) {
      // The destination lacks the page: it is requested and the vCPU waits (unfired).
      const pfn = writer.peekPfn();
      const atSec = writer.clock.nextTime;
      postcopy.request(pfn, atSec);
      this.vcpus!.fault(this.vcpu, pfn, atSec);
      this.nextSec = writer.clock.nextTime;
      return false;
    }
    const faulted = memory.writePage(writer.nextPfn(), false);
    const clock = writer.clock;
    clock.advance();
    if (faulted && this.costsSlowGuest) clock.delay(this.faultCostSec);
    this.nextSec = clock.nextTime;
    return false;
  }
}

/**
 * The hint strategy's guest-side steps (init_on_alloc zeroing a hint block page by page, a
 * command start) interleaved with the sender's sends, as WriterLane does for writes. A
 * step runs on vCPU 0 with the shared clock at its time. It may schedule the strategy's
 * next report arrival (a new block, a new command), which is when it asks to stop; its
 * guest steps never touch other sources or the sender (reports land at arrivals).
 */
class GuestStepLane implements InterleavedEvents {
  nextSec = Infinity;
  // Used through MergedLane, which defers the steps; on its own it defers none.
  readonly observedFromPfn = 0;
  readonly observedToPfn = 0;
  settle(_beforeSec: number): void {}
  endDeferral(_beforeSec: number): void {}
  private arrivalSec = Infinity;
  private readonly strategy: HintStrategy;
  private readonly memory: GuestMemory;
  private readonly clock: SimClock;

  /** The strategy says when its next steps are plain page writes (HintStrategy.plainStepsEndPfn). */
  private readonly hasPlainSteps: boolean;

  constructor(strategy: HintStrategy, memory: GuestMemory, clock: SimClock) {
    this.strategy = strategy;
    this.hasPlainSteps = strategy.plainStepsEndPfn !== undefined && strategy.firePlainStepsBefore !== undefined;
    this.memory = memory;
    this.clock = clock;
  }

  select(): void {
    this.arrivalSec = this.strategy.nextArrivalSec;
    this.nextSec = this.strategy.nextGuestSec;
  }

  /**
   * Whether the next step is a plain page write (zeroing) outside `word`; other steps (a
   * command start, a reporting pass) may schedule a report arrival and never fire ahead.
   */
  firesAheadOf(word: number): boolean {
    const pfn = this.strategy.nextStepPagePfn();
    return pfn >= 0 && pfn >>> 5 !== word;
  }

  horizonSec = Infinity;

  /** Arrivals are fired by MergedLane (passLimit) or the event loop. */
  passLimit(_limitSec: number): number {
    return -1;
  }

  /** The strategy's next report arrival at the host. */
  get nextArrivalSec(): number {
    return this.strategy.nextArrivalSec;
  }

  /** Whether the strategy's next arrival may fire inside the sender's run (HintStrategy.arrivalOnlyHints). */
  arrivalOnlyHints(): boolean {
    const strategy = this.strategy;
    return strategy.arrivalOnlyHints !== undefined && strategy.arrivalOnlyHints();
  }

  /** The strategy's report arrival, as the event loop fires it (vCPU 0, the clock at its time). */
  fireArrival(timeSec: number): void {
    this.memory.currentVcpu = 0;
    this.clock.nowSec = timeSec;
    this.strategy.fireArrival();
    this.select();
  }

  /** A step may start a command or a report: never grouped. */
  groupsWords(): boolean {
    return false;
  }

  fireBeforeHorizonOutside(_fromWord: number, _toWord: number): boolean {
    throw new InvariantError('GuestStepLane does not group words');
  }

  fireBeforeHorizon(word: number): boolean {
    // The rest of a block's zeroing in one call to the strategy, when it is known to be that.
    if (this.nextSec < this.horizonSec && this.plainStepsEndPfn() >= 0 && !this.firePlainBefore(this.horizonSec, word)) return false;
    while (this.nextSec < this.horizonSec) {
      if (!this.firesAheadOf(word)) return false;
      this.fire(); // a plain page write schedules nothing, so it never asks to stop
    }
    return true;
  }

  /**
   * When the steps from the next one on are plain page writes of consecutive pages, one
   * each, with nothing else from the strategy in between (HintStrategy.plainStepsEndPfn):
   * the end of those pages, else −1.
   */
  /**
   * With plainStepsEndPfn() ≥ 0: the steps before `boundSec` in one call to the strategy,
   * as fire() would one by one (vCPU 0, the shared clock at the last one's time). False
   * when it stopped before a step to `word`.
   */
  firePlainBefore(boundSec: number, word: number): boolean {
    const strategy = this.strategy;
    this.memory.currentVcpu = 0;
    const lastSec = strategy.firePlainStepsBefore!(boundSec, word);
    if (lastSec >= 0) this.clock.nowSec = lastSec;
    this.nextSec = strategy.nextGuestSec;
    return !(this.nextSec < boundSec);
  }

  /** The page the next step writes when it is a plain page write, else −1. */
  nextPagePfn(): number {
    return this.strategy.nextStepPagePfn();
  }

  plainStepsEndPfn(): number {
    if (!this.hasPlainSteps) return -1;
    const strategy = this.strategy;
    return strategy.nextStepPagePfn() < 0 ? -1 : strategy.plainStepsEndPfn!();
  }

  fire(): boolean {
    const strategy = this.strategy;
    this.memory.currentVcpu = 0;
    this.clock.nowSec = this.nextSec;
    strategy.fireGuest();
    this.nextSec = strategy.nextGuestSec;
    return strategy.nextArrivalSec !== this.arrivalSec;
  }
}

/**
 * A writer's events and the strategy's guest steps as one stream, in (time, declaration)
 * order: the writer first at equal times, as the event scan orders workload sources
 * before the strategy's guest steps.
 */
class MergedLane implements InterleavedEvents {
  nextSec = Infinity;
  private readonly writes: WriterLane;
  private readonly steps: GuestStepLane;

  private readonly granulePages: number;
  /** Where writers' working sets have pages (Simulation.writerGranules). */
  private readonly writerGranules: Bitmap;

  constructor(writes: WriterLane, steps: GuestStepLane, granulePages: number, writerGranules: Bitmap) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['blockFromPfn', 'blockToPfn']);
    this.writes = writes;
    this.steps = steps;
    this.granulePages = granulePages;
    this.writerGranules = writerGranules;
  }

  select(): void {
    this.nextSec = Math.min(this.writes.nextSec, this.steps.nextSec);
  }

  /**
   * Deferred zeroing (engineShortcuts.deferZeroing). While the sender interleaves this lane
   * (one Precopy.runUntil), a hint block's init_on_alloc zeroing steps are not fired as they
   * come due: a step changes only its own page's flags and the fault or buffer counters
   * (which only add), so it can be applied any time before something reads them. What can
   * read them during the interleaving: a send of a page in the block's words
   * (observedFromPfn..observedToPfn), a lazy-clear chunk's clear by the sender (it changes
   * snap bits), and a write into the block (never, as the block is held, but checked
   * unless no writer's working set reaches the block: `blockWritable`). Before each, the steps strictly before its time are applied (`settle`:
   * sends and writes go first at equal times); when the sender stops interleaving, those
   * strictly before the last time it ran events to (`endDeferral`), so every other source
   * sees exactly what firing them in order would have left. Only with 4 KiB granules (a
   * coarse granule's log bits are shared with pages outside the block) and writes in runs,
   * while the strategy's next steps are the rest of one block (a new block or command comes
   * only at a report or a sync, which end the interleaving).
   */
  private deferring = false;
  private blockFromPfn = 0;
  private blockToPfn = 0;
  /**
   * Whether some writer's working set has a page in the block's 2 MiB granules. When not,
   * the writes fire as the writer's own lane fires them (no stop at the block) and the
   * sender may group words (groupsWords).
   */
  private blockWritable = true;
  observedFromPfn = 0;
  observedToPfn = 0;

  /** Starts deferring the steps, when they are the rest of a block's zeroing (see above). */
  deferSteps(): void {
    const writes = this.writes, steps = this.steps;
    if (!engineShortcuts.deferZeroing || this.granulePages !== 1) return;
    if (writes.nextSec < Infinity && !writes.runsAhead()) return;
    const endPfn = steps.plainStepsEndPfn();
    if (endPfn < 0) return;
    const fromPfn = steps.nextPagePfn();
    this.deferring = true;
    this.blockFromPfn = fromPfn;
    this.blockToPfn = endPfn;
    this.observedFromPfn = fromPfn - (fromPfn % 32);
    this.observedToPfn = Math.ceil(endPfn / 32) * 32;
    this.blockWritable = this.writerGranules.countRange(fromPfn >>> WRITER_GRANULE_SHIFT, ((endPfn - 1) >>> WRITER_GRANULE_SHIFT) + 1) > 0;
    this.nextSec = writes.nextSec;
  }

  get isDeferring(): boolean {
    return this.deferring;
  }

  settle(beforeSec: number): void {
    if (this.deferring) this.steps.firePlainBefore(beforeSec, -1);
  }

  endDeferral(beforeSec: number): void {
    if (!this.deferring) return;
    this.steps.firePlainBefore(beforeSec, -1);
    this.deferring = false;
    this.observedFromPfn = 0;
    this.observedToPfn = 0;
    this.nextSec = Math.min(this.writes.nextSec, this.steps.nextSec);
  }

  /**
   * While the steps are deferred and no write can reach the block, the events are the
   * writer's writes in runs (deferSteps checked runsAhead): the sender may group words
   * outside the block's (observedFromPfn..observedToPfn, which it never groups). Otherwise
   * steps may start a command: never grouped.
   */
  groupsWords(): boolean {
    return this.deferring && !this.blockWritable;
  }

  /**
   * Arrivals inside the sender's run. Set by the simulation for each interleaving: whether
   * hints wait while the sender sends (Precopy.hintsWaitWhileSending), and the earliest
   * event of every source but the lane's and the strategy's arrivals.
   */
  arrivalsInside = false;
  othersButArrivalSec = Infinity;

  /**
   * When the limit is the strategy's next report arrival and nothing else is due then: the
   * steps before it are applied, it fires (after the sends that start by then, before the
   * lane's events at that time: hint priority), the next block's steps are deferred again,
   * and the next limit is the next arrival or another source. The arrival changes nothing
   * the sender reads (its hint waits for the iteration's end) and no other source's time.
   */
  passLimit(limitSec: number): number {
    const steps = this.steps;
    if (!this.arrivalsInside || steps.nextArrivalSec !== limitSec || !(this.othersButArrivalSec > limitSec) || !steps.arrivalOnlyHints()) return -1;
    this.endDeferral(limitSec);
    steps.fireArrival(limitSec);
    this.select();
    this.deferSteps();
    const nextSec = steps.nextArrivalSec;
    return nextSec < this.othersButArrivalSec ? nextSec : this.othersButArrivalSec;
  }

  /** The writer's fireBeforeHorizonOutside, while groupsWords(). */
  fireBeforeHorizonOutside(fromWord: number, toWord: number): boolean {
    if (!this.groupsWords()) throw new InvariantError('MergedLane groups words only while it defers the steps of a block no writer reaches');
    const writes = this.writes;
    writes.horizonSec = this.horizonSec;
    const all = writes.fireBeforeHorizonOutside(fromWord, toWord);
    this.nextSec = writes.nextSec;
    return all;
  }

  /** The next event, write or step, fires ahead as its own lane allows. */
  firesAheadOf(word: number): boolean {
    if (this.deferring) return this.writes.firesAheadOf(word);
    return this.writes.nextSec <= this.steps.nextSec ? this.writes.firesAheadOf(word) : this.steps.firesAheadOf(word);
  }

  fire(): boolean {
    if (this.deferring) {
      // Only writes are due while the steps are deferred; one into the block sees them.
      const writes = this.writes;
      if (this.blockWritable && writes.writesInto(this.blockFromPfn, this.blockToPfn)) this.settle(writes.nextSec);
      const stop = writes.fire();
      this.nextSec = writes.nextSec;
      return stop;
    }
    const stop = this.writes.nextSec <= this.steps.nextSec ? this.writes.fire() : this.steps.fire();
    this.nextSec = Math.min(this.writes.nextSec, this.steps.nextSec);
    return stop;
  }

  /** fireBeforeHorizon while the steps are deferred: the writes in runs, around the block. */
  private fireWritesBeforeHorizon(word: number): boolean {
    const writes = this.writes;
    // No stop at the block when no write can reach it.
    const span = this.blockWritable ? this.blockToPfn - this.blockFromPfn : 0;
    writes.horizonSec = this.horizonSec;
    writes.avoidFromPfn = this.blockFromPfn;
    let all = true;
    for (;;) {
      writes.avoidSpanPages = span;
      const done = writes.fireBeforeHorizon(word);
      writes.avoidSpanPages = 0;
      if (done) break;
      // Stopped before a write to `word` (the sender's) or into the block.
      if (!writes.firesAheadOf(word)) {
        all = false;
        break;
      }
      this.settle(writes.nextSec);
      writes.fire();
    }
    this.nextSec = writes.nextSec;
    return all;
  }

  horizonSec = Infinity;

  /**
   * The first part of fireBeforeHorizon when the strategy's steps are plain writes of a known page range
   * (init_on_alloc zeroing the rest of a hint block, about one step per 0.5 µs against a
   * write per µs: alternating, a run of writes is one write long). The writes before the
   * horizon that touch neither `word` nor the range's tracking granules fire first, in one
   * run, stopping before the first that does; then the steps before that write (writes go
   * first at equal times), stopping before one in `word`. A write and a step on different
   * pages and granules commute: each changes only its own page's flags and granule's log
   * bits, the fault and buffer counters only add (a vCPU's PML buffer fills by the same
   * count in either order), and neither reads the other's state: a step's time reads its
   * own block's `populated`. Writes fired past a step that stops at `word` touch neither
   * that word nor the block, so they commute with its sends, as writes fired ahead do.
   * Returns false when it stopped at `word`; the general loop then goes on.
   */
  private fireApartBeforeHorizon(word: number): boolean {
    const writes = this.writes, steps = this.steps;
    const endPfn = steps.plainStepsEndPfn();
    if (endPfn < 0 || !writes.runsAhead()) return true;
    // The granules of the pages the steps will write (a coarse tracker logs whole granules).
    const granule = this.granulePages;
    const nextPfn = steps.nextPagePfn();
    const fromPfn = granule === 1 ? nextPfn : nextPfn - (nextPfn % granule);
    const toPfn = granule === 1 ? endPfn : Math.ceil(endPfn / granule) * granule;
    writes.horizonSec = this.horizonSec;
    writes.avoidFromPfn = fromPfn;
    writes.avoidSpanPages = toPfn - fromPfn;
    const writesAll = writes.fireBeforeHorizon(word);
    writes.avoidSpanPages = 0;
    // Steps strictly before the write that stopped the run (it goes first at equal times).
    return steps.firePlainBefore(writesAll ? this.horizonSec : writes.nextSec, word);
  }

  /** Runs of writes up to the next step, then the step, in time order (writes first at equal times). */
  fireBeforeHorizon(word: number): boolean {
    if (this.deferring) return this.fireWritesBeforeHorizon(word);
    const writes = this.writes;
    const steps = this.steps;
    if (writes.nextSec < this.horizonSec && steps.nextSec < this.horizonSec && !this.fireApartBeforeHorizon(word)) {
      this.nextSec = Math.min(writes.nextSec, steps.nextSec);
      return false;
    }
    let all = true;
    for (;;) {
      const stepSec = steps.nextSec;
      if (writes.nextSec < this.horizonSec && writes.nextSec <= stepSec) {
        if (writes.nextSec === stepSec) {
          if (!writes.firesAheadOf(word)) {
            all = false;
            break;
          }
          writes.fire();
        } else {
          writes.horizonSec = Math.min(this.horizonSec, stepSec);
          if (!writes.fireBeforeHorizon(word)) {
            all = false;
            break;
          }
        }
      } else if (stepSec < this.horizonSec) {
        if (!steps.firesAheadOf(word)) {
          all = false;
          break;
        }
        steps.fire();
      } else {
        break;
      }
    }
    this.nextSec = Math.min(writes.nextSec, steps.nextSec);
    return all;
  }
}

/** Parts of docs/model.md this version does not simulate yet: refuse them rather than guess. */
function rejectUnsupported(workload: Workload, hint: HintConfig | null): void {
  if (hint !== null) {
    // Every strategy is simulated (hints/create-strategy.ts); each needs its options.
    const options: Record<StrategyName, unknown> = {
      'free-page-hint': hint.freePageHint,
      'merge-notifier': hint.mergeNotifier,
      'page-reporting': hint.pageReporting,
      'per-page': hint.perPage,
      unaccepted: hint.unaccepted,
    };
    for (const strategy of hint.strategies) {
      if (options[strategy] === null || options[strategy] === undefined) {
        throw new ConfigError(`hints[${hint.label}].strategy`, `names ${strategy} but its options are missing`);
      }
    }
  }
}
