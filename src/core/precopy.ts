/**
 * Pre-copy live migration (docs/model.md §2, §3), after QEMU's migration thread and
 * migration/ram.c: the sender walks the migration bitmap page by page under QEMU's 100 ms
 * rate slots; iterations (ram_save_iterate calls) end on the slot budget, after maxWait,
 * or when no bit is set; between iterations the pending test decides whether to sync the
 * dirty log; after each sync the preset decides whether to switch over; stop-and-copy
 * sends the rest at link speed. Hints reach it through `applyHint`; under the qemu preset
 * a hint that arrives while the sender is inside an iteration waits until the iteration
 * ends (QEMU's bitmap_mutex, hint-deferral.ts). What a page costs on the wire (its bytes,
 * when the rate limit sees them, its time) is the transport's (wire/transport.ts): the
 * single stream with its QEMUFile queue (wire/single-stream.ts, wire/qemu-file.ts). It
 * runs outside any event heap: the simulation calls `runUntil(t, priority)` with the next
 * guest event and the sender advances in a tight loop until then. Ignores postcopy.
 *
 * Sender states and what moves them:
 *   idle ──setup──▶ sending ──budget used──▶ decide at slot end
 *                      │ └──maxWait / no bit set──▶ decide now
 *                      └──pass complete (pass presets)──▶ sync now
 *   decide: pending < threshold (qemu) ──▶ sync, else ──▶ sending
 *   sync: switchover? ──▶ stop-and-copy ──▶ done, else ──▶ sending after syncTime
 */
import { seedDoubleFields } from './double-fields.js';
import { Bitmap, popcount32 } from './bitmap.js';
import type { GuestMemory } from './guest-memory.js';
import { DeferredHints } from './hint-deferral.js';
import type { HintTarget } from './hint-deferral.js';
import type { Ending, MigrationConfig, RoundStats } from './types.js';
import { ThrottleTrigger, type GuestSlowdown } from './endings/guest-throttle.js';
import { PostcopyEngine, type PageArrivals } from './endings/postcopy.js';
import { AfterSync, SwitchoverPolicy } from './endings/switchover-policy.js';
import { createTransport } from './wire/create-transport.js';
import type { Transport, TransportCounters } from './wire/transport.js';
import type { CompressionContent } from './wire/multifd-compression.js';
import { SocketPipeline, type DestinationLoad } from './wire/socket-pipeline.js';
import { HostPacedTransport } from './wire/host-paced.js';
import { HOST_CPU_COSTS, type HostCpuCosts } from './host-cpu.js';
import { newTransportCounters } from './wire/transport.js';

/**
 * Engine shortcuts that must not change any result: tests turn them off and compare
 * (test/core/send-shortcuts.test.ts). `sendWordsAtOnce`: sendPages sends the rest of a
 * dirty word at once and fires commuting guest events ahead of it. `sendWordGroups`: with
 * it, up to SEND_GROUP_WORDS dirty words at once, the events ahead of all of them in one
 * run. `deferZeroing`: while the sender interleaves a writer and a hint block's
 * init_on_alloc zeroing, the zeroing steps are applied only when something could see them
 * (simulation.ts MergedLane). `arrivalsInside`: a free-page-hint report that reaches the
 * host while the sender sends (its hint waits for the iteration's end) fires inside the
 * sender's run instead of ending it (InterleavedEvents.passLimit).
 */
export const engineShortcuts = { sendWordsAtOnce: true, sendWordGroups: true, sendPrefixAtOnce: true, deferZeroing: true, arrivalsInside: true };

/**
 * Most dirty words a group sends at once (sendPages), and the most bitmap words it spans.
 * A write due during the group's sends that falls in its span sends the group back to one
 * word at a time: at 64 GiB with the whole guest hot, 32 words of the bulk round span
 * 1024 pages and take ~670 writes, of which ~4% land in the span.
 */
const SEND_GROUP_WORDS = 32;
const SEND_GROUP_SPAN_WORDS = 256;

/** Event priorities at equal times (docs/model.md §1.1). */
export const PRIORITY_SENDER = 0;
export const PRIORITY_HINT = 1;
export const PRIORITY_GUEST = 2;
export const PRIORITY_DECISION = 3;

/** Why sendPages stopped; the caller's next step (endSends). */
const enum SendEnd {
  /** At the limit, or an interleaved event stopped the sender: the caller picks the next event. */
  Stopped,
  /** Deadline (maxDuration) or maxTotal reached: switchover at sendEndSec. */
  Switchover,
  /** No dirty page left in the walk: the iteration ends (pass presets: the round too). */
  IterationEnd,
  /** The slot's rate budget is spent: idle until the slot ends. */
  Budget,
  /** maxWait reached. */
  MaxWait,
}

const enum SenderState {
  Idle,
  Gathering,
  Sending,
  Decide,
  Sync,
  Postcopy,
  Done,
}

/**
 * A stream of guest events (a writer's writes, a hint strategy's zeroing steps) the
 * sender interleaves with its page sends, so that the stream and a sending migration
 * alternate in one loop instead of through the simulation's event loop once per event
 * (see `runUntil`). Events and sends touch the same pages, so their order is kept
 * exactly: at equal times the send goes first (docs/model.md §1.1).
 */
export interface InterleavedEvents {
  /** When the next event happens; a field, read once per page sent. */
  readonly nextSec: number;
  /**
   * Fires the event at `nextSec` and moves `nextSec` to the following one. Returns true
   * when the event may have scheduled another source's event earlier than the caller's
   * limit: the sender then stops and the caller picks the next event again.
   */
  fire(): boolean;
  /**
   * Whether the next event may fire ahead of sends of bitmap word `word` that come before
   * it in time: it touches no page of the word and schedules nothing, so the order does
   * not matter.
   */
  firesAheadOf(word: number): boolean;
  /** The bound of `fireBeforeHorizon` (a field, so no double is passed in a call). */
  horizonSec: number;
  /**
   * Fires, in order, every event before `horizonSec` while each fires ahead of word
   * `word` (−1: any word); returns false at the first that does not (it stays unfired).
   */
  fireBeforeHorizon(word: number): boolean;
  /**
   * Whether `fireBeforeHorizonOutside` may be used now: every event is a page write that
   * schedules nothing and none is deferred (a writer's writes in runs).
   */
  groupsWords(): boolean;
  /**
   * Fires, in order, every event before `horizonSec` while each touches no page of words
   * [fromWord, toWord); returns false at the first that does (it stays unfired).
   */
  fireBeforeHorizonOutside(fromWord: number, toWord: number): boolean;
  /**
   * Pages [observedFromPfn, observedToPfn) whose sends must first `settle` the events the
   * lane defers (whole words; empty when it defers none). A lazy-clear chunk's clear
   * settles them too.
   */
  readonly observedFromPfn: number;
  readonly observedToPfn: number;
  /**
   * Applies the deferred events strictly before `beforeSec` (a send of an observed page
   * starts then; they touch nothing else the sends read, so applying them late is exact).
   */
  settle(beforeSec: number): void;
  /**
   * The sender stops interleaving, having run every event strictly before `beforeSec`:
   * applies the deferred ones before it and defers no more.
   */
  endDeferral(beforeSec: number): void;
  /**
   * The sender reached `limitSec` (its next send starts later) with every event before it
   * run. When the event that set the limit is the lane's to fire there and changes nothing
   * the sender reads (a hint report whose bitmap update waits for the iteration's end):
   * fires it and returns the next limit, so the sender goes on. Else −1: the sender stops.
   */
  passLimit(limitSec: number): number;
}

/** What the migration asks of the rest of the simulation at its turning points. */
export interface MigrationHooks extends GuestSlowdown {
  /** Setup is done and logging has started (or gathering begins with before-logging). */
  onSetup(timeSec: number): void;
  /** STOP: sent just before every sync while the guest runs. */
  onStopHints(timeSec: number): void;
  /** A new command id after a sync that did not switch over; hints may start again. */
  onStartHints(timeSec: number): void;
  /** The guest pauses for stop-and-copy; hint strategies get DONE. */
  onSwitchover(timeSec: number): void;
  /** pauseAfterRound: the guest stops now (the migration goes on). */
  onPause(timeSec: number): void;
  /** The postcopy switch: the guest stops until `resumeSec`, then runs on the destination. */
  onPostcopy(resumeSec: number): PageArrivals;
  /** The postcopy engine that now serves the destination's faults. */
  onPostcopyRunning(engine: PostcopyEngine): void;
  onRound(round: RoundStats): void;
  /** dirty-limit's sleep per full dirty ring now, µs, the largest over vCPUs (0 when off). */
  dirtyLimitThrottleUs(): number;
  /** A rate slot of `elapsedSec` closed at `timeSec` (the host-CPU budget's time slice, host-cpu.ts). */
  onRateSlot?(elapsedSec: number, timeSec: number): void;
}

/**
 * The discard list (savevm.c qemu_savevm_send_postcopy_ram_discard): per command the
 * header (QEMU_VM_COMMAND byte, be16 command, be16 length), version, name length, the
 * RAMBlock's name ("pc.ram") and its terminator; 16 bytes per range, at most
 * MAX_DISCARDS_PER_COMMAND (12) ranges per command.
 */
const DISCARD_COMMAND_BYTES = 5 + 3 + 'pc.ram'.length;
const DISCARD_RANGE_BYTES = 16;
const DISCARDS_PER_COMMAND = 12;

const PRECOPY_DOUBLE_FIELDS = [
  'dirtyCount', 'totalBytes', 'downtimeSec', 'expectedDowntimeSec', 'noRollbackSec', 'actionSec', 'anchorSec',
  'iterationStartSec', 'slotStartSec', 'slotEndSec', 'slotBaseSec', 'slotBytes', 'slotStartTotalBytes',
  'bandwidthEstimate', 'thresholdBytes', 'roundStartSec', 'roundBytes',
] as const;

export class Precopy {
  readonly dirty: Bitmap;
  /** Set bits in the migration bitmap (QEMU's migration_dirty_pages). */
  dirtyCount = 0;
  readonly rounds: RoundStats[] = [];
  totalBytes = 0;
  converged = true;
  downtimeSec = 0;
  expectedDowntimeSec = 0;
  /** How it ends: converged, postcopy, paused, forced, cancelled (endings/switchover-policy.ts). */
  readonly policy: SwitchoverPolicy;
  /** Auto-converge and dirty-limit (endings/guest-throttle.ts). */
  private readonly trigger: ThrottleTrigger;
  /** After the postcopy switch, the engine that sends the rest; else null. */
  postcopyEngine: PostcopyEngine | null = null;
  /** From the postcopy switch until the destination holds every page (no rollback then). */
  noRollbackSec = 0;
  private postcopySwitchSec = NaN;
  private postcopyResumeSec = NaN;
  /** End of stop-and-copy, or NaN while running. */
  endSec = NaN;
  /** Setup time: `total_time_s` counts from here. */
  readonly startSec: number;

  private readonly config: MigrationConfig;
  private readonly memory: GuestMemory;
  private readonly hooks: MigrationHooks;
  private readonly totalPages: number;
  private readonly pageSizeBytes: number;
  /** How pages go on the wire. */
  private transport: Transport;
  /** With a shared host (paceByHost): the transport whose parties run at their CPU shares. */
  private hostPaced: HostPacedTransport | null = null;
  /** The socket between the sender and the destination's loads (wire/socket-pipeline.ts). */
  private readonly pipeline: SocketPipeline;
  /** The transport's counters when the current round began. */
  private readonly roundStartCounters: TransportCounters = newTransportCounters();
  /** Whether the transport sends zero pages as such (else every page is normal). */
  private readonly detectZero: boolean;
  private readonly slotBudgetBytes: number;
  private readonly syncSec: number;
  private readonly lazyClear: boolean;
  private readonly chunkPages: number;
  /** 1 while a clear chunk still holds `snap` pages fetched by the last sync. */
  private readonly chunkNeedsClear: Uint8Array;
  /**
   * sendPages' firedBeforeSec, in a typed-array slot: as a loop-carried local whose only
   * uses are call arguments, V8 kept it tagged and boxed the double once per page sent
   * (16 bytes a page, about a third of the page-by-page path's CPU; docs/performance.md).
   */
  private readonly firedBeforeSec = new Float64Array(1);
  /** The switchover time when sendPages stops at SendEnd.Switchover (deadline or maxTotal). */
  private readonly sendEndSec = new Float64Array(1);
  private readonly passMode: boolean;
  private readonly deadlineSec: number;
  /** Hints wait while an iteration holds the bitmap (qemu preset only). */
  private readonly deferHints: boolean;
  private readonly deferred = new DeferredHints();
  private readonly hintTarget: HintTarget;

  private state = SenderState.Idle;
  private actionSec: number;
  private gathering: boolean;
  private position = 0;
  // The sender's clock: anchor plus page counts, never a running float sum (docs/model.md §3.1).
  private anchorSec = 0;
  private normalSinceAnchor = 0;
  private zeroSinceAnchor = 0;
  private eosSinceAnchor = 0;
  private iterationStartSec = 0;
  // QEMU's rate-limit slot, which is also the bandwidth-estimate window.
  private slotStartSec = 0;
  private slotEndSec = 0;
  /** Slots that follow each other back to back end at base + k·rateSlot (computed). */
  private slotBaseSec = 0;
  private slotIndex = 0;
  private slotBytes = 0;
  private slotStartTotalBytes = 0;
  private bandwidthEstimate = 0;
  private thresholdBytes = 0;
  // The current round.
  private roundStartSec = 0;
  /** cpu-throttle-percentage when the round began (set by the sync that began it). */
  private roundThrottlePct = 0;
  private roundNormal = 0;
  private roundZero = 0;
  /** Pages sent so far in pre-copy, normal and zero (the host-CPU budget's measure of work). */
  sentNormalPages = 0;
  sentZeroPages = 0;
  private roundSkipped = 0;
  private roundUnaccepted = 0;
  private roundBytes = 0;

  /**
   * `writeBytes`: per pfn, its writers' largest bytesPerWrite, 0 for none (XBZRLE's deltas;
   * wire/xbzrle.ts). `content`: what memory holds at the start, for multifd compression
   * (wire/multifd-compression.ts).
   */
  constructor(
    config: MigrationConfig,
    memory: GuestMemory,
    pageSizeBytes: number,
    hooks: MigrationHooks,
    gatherFirst: boolean,
    writeBytes: Uint16Array | null = null,
    content: CompressionContent | null = null,
  ) {
    this.config = config;
    this.memory = memory;
    this.hooks = hooks;
    this.totalPages = memory.totalPages;
    this.pageSizeBytes = pageSizeBytes;
    this.dirty = new Bitmap(memory.totalPages);
    this.transport = createTransport(config, pageSizeBytes, { staleWords: memory.stale.words, writeBytes }, content);
    this.detectZero = this.transport.sendsAsZero(true);
    const transport = this.transport;
    const normalPageBytes = config.wire.pageHeaderBytes + pageSizeBytes;
    this.pipeline = new SocketPipeline(
      transport.socketBufferBytes,
      normalPageBytes,
      this.detectZero ? config.wire.zeroPageBytes : normalPageBytes,
      transport.normalLoadSec,
      transport.zeroLoadSec,
      Math.min(transport.normalPageSec, this.detectZero ? transport.zeroPageSec : transport.normalPageSec),
    );
    this.slotBudgetBytes = config.bandwidthBytesPerSec * config.rateSlotSec;
    const memoryGiB = (memory.totalPages * pageSizeBytes) / 2 ** 30;
    this.syncSec = config.syncTimeSecPerGiB * memoryGiB;
    this.lazyClear = config.tracking.clear === 'lazy';
    this.chunkPages = Math.max(1, Math.floor(config.tracking.clearChunkBytes / pageSizeBytes));
    this.chunkNeedsClear = new Uint8Array(Math.ceil(memory.totalPages / this.chunkPages));
    this.passMode = config.preset !== 'qemu';
    this.deferHints = config.preset === 'qemu';
    this.hintTarget = { clearHinted: (pfn, pages, clearsDirtyLog) => this.clearHinted(pfn, pages, clearsDirtyLog) };
    this.startSec = config.startSec;
    this.deadlineSec = config.startSec + config.maxDurationSec;
    this.actionSec = config.startSec;
    this.gathering = gatherFirst;
    this.policy = new SwitchoverPolicy(config);
    this.trigger = new ThrottleTrigger(config.autoConverge, config.dirtyLimit, hooks, config.startSec);
    if (config.switchoverBandwidthBytesPerSec !== null) {
      this.thresholdBytes = config.switchoverBandwidthBytesPerSec * config.downtimeLimitSec;
    } else if (config.estimate === 'configured') {
      this.thresholdBytes = config.bandwidthBytesPerSec * config.downtimeLimitSec;
    }
    // Times and byte counts (past 2^31 at 1 TiB) that start at 0 but become doubles.
    seedDoubleFields(this, PRECOPY_DOUBLE_FIELDS);
  }

  get done(): boolean {
    return this.state === SenderState.Done;
  }

  get ending(): Ending {
    return this.policy.ending;
  }

  get throttlePct(): number {
    return this.trigger.throttlePct;
  }

  /** The destination's loads: when it has loaded what was sent, and its busy seconds. */
  get destination(): DestinationLoad {
    return this.pipeline;
  }

  get throttleSteps(): number {
    return this.trigger.steps;
  }

  /** Bytes the migration still has to send (QEMU's pending: zero pages count in full). */
  get pendingBytes(): number {
    return this.dirtyCount * this.pageSizeBytes;
  }

  /**
   * Runs sender actions ordered before (limitSec, limitPriority): page sends go first at
   * equal times, decisions last. Returns when the next action is later, after each
   * decision (it may have scheduled new events), or when done. Returns true only when
   * every sender action before the limit has run, so the caller may fire its event.
   *
   * With `events`, the limit is the next event of every other source: while sending, the
   * sender also fires each of those events that come strictly before its next send and
   * the limit, and returns false as soon as it stops sending, so the caller picks the next
   * event again (a decision may be due before the next event).
   */
  runUntil(limitSec: number, limitPriority: number, events: InterleavedEvents | null = null): boolean {
    for (;;) {
      const state = this.state;
      if (state === SenderState.Done) return false;
      if (state === SenderState.Postcopy) return this.runPostcopy(limitSec);
      if (state === SenderState.Sending) {
        const end = this.sendPages(limitSec, events);
        if (end === SendEnd.Stopped) return true;
        this.endSends(end);
        if (events !== null) return false;
        continue;
      }
      if (state === SenderState.Gathering) return true;
      const at = this.actionSec;
      if (at > limitSec || (at === limitSec && PRIORITY_DECISION > limitPriority)) return true;
      if (at >= this.deadlineSec) {
        this.switchoverNow(this.deadlineSec);
        continue;
      }
      if (state === SenderState.Idle) this.setup(at);
      else if (state === SenderState.Decide) this.decide(at);
      else this.sync(at);
      // Setup and syncs start hint commands, which schedule events the caller has not
      // seen yet: hand control back so it picks the next event again.
      return false;
    }
  }

  /**
   * A free-page hint reaches the host: clears the lazy log of the chunks it
   * touches (with `clearsDirtyLog`), then the block's bits in the migration bitmap.
   * Returns the bits it turned from 1 to 0 (counted as skipped in the round it is
   * applied in); 0 when it has to wait.
   *
   * Why it may wait (qemu preset): QEMU's bitmap_mutex (hint-deferral.ts).
   */
  /**
   * Whether a hint that reaches the host while pages are being sent waits for the end of
   * the iteration (qemu preset: the bitmap mutex, hint-deferral.ts): such a report's
   * arrival changes nothing the sender reads until then.
   */
  get hintsWaitWhileSending(): boolean {
    return this.deferHints;
  }

  applyHint(pfn: number, pages: number, clearsDirtyLog: boolean): number {
    if (this.deferHints && this.state === SenderState.Sending) {
      this.deferred.defer(pfn, pages, clearsDirtyLog);
      return 0;
    }
    return this.clearHinted(pfn, pages, clearsDirtyLog);
  }

  private clearHinted(pfn: number, pages: number, clearsDirtyLog: boolean): number {
    if (this.lazyClear && clearsDirtyLog) {
      const firstChunk = Math.floor(pfn / this.chunkPages);
      const lastChunk = Math.floor((pfn + pages - 1) / this.chunkPages);
      for (let c = firstChunk; c <= lastChunk; c++) if (this.chunkNeedsClear[c] === 1) this.clearChunk(c);
    }
    const skipped = this.dirty.countRange(pfn, pfn + pages);
    if (skipped > 0) {
      this.dirty.clearRange(pfn, pfn + pages);
      this.dirtyCount -= skipped;
      this.roundSkipped += skipped;
    }
    return skipped;
  }

  /** Ends hint gathering (before-logging timing): logging starts and round 1 begins. */
  endGathering(timeSec: number): void {
    if (this.state !== SenderState.Gathering) return;
    this.startLogging();
    this.roundStartSec = timeSec;
    this.roundThrottlePct = this.trigger.throttlePct;
    this.beginSending(timeSec);
    this.resetSlot(timeSec);
  }

  /** Whether setup happened and the guest is still running under migration. */
  get migrating(): boolean {
    return this.state !== SenderState.Idle && this.state !== SenderState.Done;
  }

  get isSending(): boolean {
    return this.state === SenderState.Sending;
  }

  get isGathering(): boolean {
    return this.state === SenderState.Gathering;
  }

  /**
   * When the sender acts next: its next page send, or its next decision; Infinity when done
   * or gathering. Guest events strictly before it cannot be affected by the sender.
   */
  get nextActionSec(): number {
    const state = this.state;
    if (state === SenderState.Sending) return this.now();
    if (state === SenderState.Done || state === SenderState.Gathering) return Infinity;
    if (state === SenderState.Postcopy) return this.postcopyEngine!.nextEventSec;
    return this.actionSec;
  }

  private setup(timeSec: number): void {
    this.dirty.setAll();
    this.dirtyCount = this.totalPages;
    if (this.memory.unaccepted !== null) this.skipUnaccepted(this.memory.unaccepted.words);
    this.roundStartSec = timeSec;
    this.trigger.start(timeSec);
    if (this.policy.atSetup(timeSec)) this.hooks.onPause(timeSec);
    if (this.gathering) {
      // Unsafe order: the bitmap is set but the guest runs unlogged while hints gather.
      this.state = SenderState.Gathering;
      this.hooks.onSetup(timeSec);
      return;
    }
    this.startLogging();
    this.resetSlot(timeSec);
    // QEMU's setup does a first bitmap sync (the INITIALLY_SET fetch) before sending.
    this.beginSending(timeSec + this.syncSec);
    this.hooks.onSetup(timeSec + this.syncSec);
  }

  private startLogging(): void {
    const memory = this.memory;
    // The writes deferred with tracking off are applied as such (GuestMemory.deferWrites).
    memory.settleAll();
    memory.logged.clearAll();
    if (this.lazyClear) {
      memory.snap.setAll();
      // Unaccepted memory has no dirty-log state to fetch: only accepted pages start in snap.
      if (memory.unaccepted !== null) for (let w = 0; w < memory.snap.words.length; w++) memory.snap.words[w] &= ~memory.unaccepted.words[w];
      this.chunkNeedsClear.fill(1);
    } else {
      memory.snap.clearAll();
    }
    memory.trackingOn = true;
    memory.resetQuiet();
  }

  private resetSlot(timeSec: number): void {
    if (this.slotIndex > 0 && timeSec === this.slotEndSec) {
      this.slotIndex++;
    } else {
      this.slotBaseSec = timeSec;
      this.slotIndex = 1;
    }
    this.slotStartSec = timeSec;
    this.slotEndSec = this.slotBaseSec + this.slotIndex * this.config.rateSlotSec;
    this.slotBytes = 0;
    this.slotStartTotalBytes = this.totalBytes;
  }

  private beginSending(timeSec: number): void {
    this.anchorSec = timeSec;
    this.normalSinceAnchor = 0;
    this.zeroSinceAnchor = 0;
    this.eosSinceAnchor = 0;
    this.iterationStartSec = timeSec;
    this.state = SenderState.Sending;
  }

  /**
   * The migration's threads share a host's CPU (docs/model.md §10.2c): from now on each
   * party's per-page work runs at the share `setHostShares` gives it (wire/host-paced.ts).
   * Called before the migration starts; `channels` as HostCpu counts them; `costs` each
   * party's CPU per page at a whole core.
   */
  paceByHost(channels: number, costs: Readonly<HostCpuCosts> = HOST_CPU_COSTS): void {
    const paced = new HostPacedTransport(this.transport, channels, costs);
    this.transport = paced;
    this.hostPaced = paced;
    this.pipeline.setLoadTimes(paced.normalLoadSec, paced.zeroLoadSec, 0);
  }

  /** The host's fair split changed (a rate slot ended, host-cpu.ts): each party's new share. */
  setHostShares(sourceShare: number, channelShare: number, destinationShare: number, timeSec: number): void {
    const paced = this.hostPaced;
    if (paced === null) return;
    // The clock is anchor plus counts times per-page times: re-anchor before they change.
    const nowSec = this.now();
    this.anchorSec = nowSec;
    this.normalSinceAnchor = 0;
    this.zeroSinceAnchor = 0;
    this.eosSinceAnchor = 0;
    paced.setShares(sourceShare, channelShare, destinationShare);
    this.pipeline.setLoadTimes(paced.normalLoadSec, paced.zeroLoadSec, Math.max(nowSec, timeSec));
  }

  /** With a host, after the bulk iteration's sync: pages sent again cost the destination no first touch. */
  private endFirstArrivals(timeSec: number): void {
    const paced = this.hostPaced;
    if (paced === null) return;
    paced.endFirstArrivals();
    this.pipeline.setLoadTimes(paced.normalLoadSec, paced.zeroLoadSec, timeSec);
  }

  private now(): number {
    return (
      this.anchorSec +
      this.normalSinceAnchor * this.transport.normalPageSec +
      this.zeroSinceAnchor * this.transport.zeroPageSec +
      this.eosSinceAnchor * this.transport.eosSec
    );
  }

  /**
   * Sends pages while the next send starts no later than `limitSec`. Returns false when
   * it stopped because of the limit, true when the state changed (iteration end etc.).
   * The per-page state lives in locals and is stored back (`storeSends`) before anything
   * that reads it: a field read and written per page costs more than the page's bits.
   */
  private sendPages(limitSec: number, events: InterleavedEvents | null): SendEnd {
    const memory = this.memory;
    const transport = this.transport;
    const dirtyWords = this.dirty.words;
    const zeroWords = memory.zero.words;
    const staleWords = memory.stale.words;
    const quietWords = memory.quiet.words;
    const dstWords = memory.dstNonZero.words;
    const detectZero = this.detectZero;
    const totalPages = this.totalPages;
    const maxTotal = this.config.maxTotalBytes;
    const budget = this.slotBudgetBytes;
    const maxWaitEnd = this.iterationStartSec + this.config.maxWaitSec;
    const deadlineSec = this.deadlineSec;
    const wordCount = dirtyWords.length;
    const lazyClear = this.lazyClear;
    const chunkPages = this.chunkPages;
    const passMode = this.passMode;
    // The sender's clock, as now() computes it: anchor plus counts times per-page times;
    // a write the socket buffers hold up moves the anchor (below).
    let anchorSec = this.anchorSec;
    const normalSec = transport.normalPageSec;
    const zeroSec = transport.zeroPageSec;
    let eosPart = this.eosSinceAnchor * transport.eosSec;
    let normalBase = this.normalSinceAnchor;
    let zeroBase = this.zeroSinceAnchor;
    // The destination loads behind the socket buffers; when it can fall behind, each page
    // goes through them one by one (wire/socket-pipeline.ts).
    const pipeline = this.pipeline;
    const queues = pipeline.queues;
    // Pages sent in this call, and the rate-limit state.
    let normal = 0;
    let zero = 0;
    let position = this.position;
    let slotBytes = this.slotBytes;
    // The lazy-clear chunk last seen cleared: [clearedFrom, clearedTo).
    let clearedFrom = 0;
    let clearedTo = 0;
    // Whole words of sends at once (below): not with a maxTotal cap, and only when a word
    // never straddles two lazy-clear chunks. A word of 32 sends takes at most wordSpanSec.
    const wordAtOnce = engineShortcuts.sendWordsAtOnce && maxTotal === null && !queues && (!lazyClear || chunkPages % 32 === 0);
    const wordSpanSec = 32 * Math.max(normalSec, zeroSec);
    // The word whose pages go one by one (it did not fit at once): not tried again.
    let sentOneByOne = -1;
    // Groups of words (below) when every interleaved event is a write in runs; words up to
    // this one go one at a time (an event touched a group that ended there).
    let groups = engineShortcuts.sendWordGroups && events !== null && events.groupsWords();
    let ungroupedThroughWord = -1;
    let t = anchorSec + (normalBase + normal) * normalSec + (zeroBase + zero) * zeroSec + eosPart;
    // Every interleaved event strictly before firedBefore[0] has run (what a lane that
    // defers some must apply when the sender stops: endDeferral).
    const firedBefore = this.firedBeforeSec;
    firedBefore[0] = -Infinity;
    // How the sends stop. Every stop leaves the loop to one tail (the deferral's end and
    // storeSends) and the caller does the rest (endSends): code that first runs after V8
    // optimized sendPages (a stop not seen yet) deoptimized it, and each recompile of this
    // large function costs 30-80 ms of CPU (a fresh 1 TiB hinted run recompiled it 16 times).
    let end = SendEnd.Stopped;
    sending: for (;;) {
      if (events !== null) {
        // The events before this send happen first; they do not move the sender's clock.
        while (events.nextSec < t && events.nextSec < limitSec) {
          if (events.fire()) {
            firedBefore[0] = events.nextSec;
            break sending;
          }
        }
        // Math.min, not `t < limitSec ? t : limitSec`: limitSec is untyped to V8 (a call's
        // result), so the conditional's value was tagged and boxed t (neither is NaN or -0).
        firedBefore[0] = Math.min(t, limitSec);
      }
      if (t > limitSec) {
        if (events !== null) {
          // Its time is limitSec: the sends that start by then went first (sender priority).
          const nextLimitSec = events.passLimit(limitSec);
          if (nextLimitSec > limitSec) {
            limitSec = nextLimitSec;
            groups = engineShortcuts.sendWordGroups && events.groupsWords();
            continue;
          }
        }
        break;
      }
      if (t >= deadlineSec) {
        this.sendEndSec[0] = deadlineSec;
        end = SendEnd.Switchover;
        break;
      }
      // The lowest set bit at or after position, whole zero words skipped (bits past
      // totalPages are never set).
      let pfn = -1;
      if (position < totalPages) {
        // Every operation of this scan runs on the first word too: one that had not yet run
        // when V8 optimized sendPages (a zero word skipped) has no type feedback and
        // deoptimized it the first time (twice: a 30-80 ms recompile each, in a fresh process).
        let wordIndex = (position >>> 5) - 1;
        let mask = 0xffffffff << (position & 31);
        let word = 0;
        do {
          word = dirtyWords[++wordIndex]! & mask;
          mask = -1;
        } while (wordIndex + 1 < wordCount && word === 0);
        if (word !== 0) pfn = wordIndex * 32 + (31 - Math.clz32(word & -word));
      }
      // QEMU's walk wraps around to pfn 0 (the transport's wrap: multifd syncs there); a
      // pass preset's walk ends at pfn N.
      if (pfn < 0 && !passMode && position > 0) {
        slotBytes += transport.wrap();
        pfn = this.nextDirtyPfn(0);
      }
      if (pfn < 0) {
        end = SendEnd.IterationEnd;
        break;
      }
      if (events !== null && pfn >= events.observedFromPfn && pfn < events.observedToPfn) {
        // A page whose state deferred events change: they are applied up to this send, and
        // its word goes page by page.
        events.settle(t);
        sentOneByOne = pfn >>> 5;
      }
      if (lazyClear && (pfn < clearedFrom || pfn >= clearedTo)) {
        const chunk = Math.floor(pfn / chunkPages);
        if (this.chunkNeedsClear[chunk] === 1) {
          // The clear changes its pages' snap bits, which deferred zeroing steps read.
          if (events !== null) events.settle(t);
          this.clearChunk(chunk);
        }
        clearedFrom = chunk * chunkPages;
        clearedTo = clearedFrom + chunkPages;
      }
      if (wordAtOnce && t + wordSpanSec <= limitSec && pfn >>> 5 !== sentOneByOne) {
        // The rest of pfn's word at once, when nothing can happen between its sends: every
        // send starts before the limit and the deadline, neither the slot budget nor maxWait
        // is reached before the last page, and no interleaved event in between touches the
        // word (the cheap test above rules out most words that would not fit). A send's
        // effects are per page, so word operations give the same state; the clock is the
        // same expression of the same counts, and the transport sees the pages one by one
        // in order, as below (and takes the word back when it does not fit).
        // Otherwise the pages go one by one below.
        const w = pfn >>> 5;
        const bits = dirtyWords[w] & (0xffffffff << (pfn & 31));
        // The word's deferred writes (GuestMemory.pendingWords) happened before this send.
        memory.settleWord(w);
        const zeroWord = zeroWords[w];
        const pages = popcount32(bits);
        const zeroPages = detectZero ? popcount32(bits & zeroWord) : 0;
        const normalPages = pages - zeroPages;
        const endSec = anchorSec + (normalBase + normal + normalPages) * normalSec + (zeroBase + zero + zeroPages) * zeroSec + eosPart;
        // (endSec ≤ limitSec again: the cheap test above may be off by rounding.)
        let fits = endSec <= limitSec && endSec < deadlineSec && endSec < maxWaitEnd && (events === null || events.nextSec >= endSec || events.firesAheadOf(w));
        let slot = slotBytes;
        if (fits) {
          // A group: the next dirty words join this one while they fit as it does (within
          // its lazy-clear chunk), and the events due before the last one's end that touch
          // none of the group's words fire first, in one run; they commute with all of its
          // sends as they do with one word's. Fewer, longer runs of writes: the sender's
          // per-word bookkeeping and the write path's misses overlap across more writes.
          const grouping = groups && events!.nextSec < endSec && w > ungroupedThroughWord;
          if (grouping) transport.markWords();
          slot = transport.sendWord(w, bits, zeroWord, slotBytes, budget);
          fits = slot >= 0;
          if (fits && grouping) {
            let lastWord = w;
            let groupNormal = normalPages;
            let groupZero = zeroPages;
            let groupSlot = slot;
            let groupEndSec = endSec;
            let words = 1;
            // Whether a later word went to the transport (its mark replaced this word's).
            let tried = false;
            for (let x = w + 1; words < SEND_GROUP_WORDS && x < wordCount && x - w < SEND_GROUP_SPAN_WORDS; x++) {
              // As int32: a full word read from the Uint32Array (2^32 − 1) is no small integer,
              // and V8 boxed it for the calls below, one allocation per word.
              const xBits = dirtyWords[x] | 0;
              if (xBits === 0) continue;
              if (lazyClear && x * 32 >= clearedTo) break;
              // A word whose pages deferred events change goes by itself, after a settle.
              if (x * 32 >= events!.observedFromPfn && x * 32 < events!.observedToPfn) break;
              memory.settleWord(x);
              const xZeroWord = zeroWords[x] | 0;
              const xZeroPages = detectZero ? popcount32(xBits & xZeroWord) : 0;
              const xNormalPages = popcount32(xBits) - xZeroPages;
              const xEndSec = anchorSec + (normalBase + normal + groupNormal + xNormalPages) * normalSec + (zeroBase + zero + groupZero + xZeroPages) * zeroSec + eosPart;
              if (!(xEndSec <= limitSec && xEndSec < deadlineSec && xEndSec < maxWaitEnd)) break;
              tried = true;
              const xSlot = transport.sendWord(x, xBits, xZeroWord, groupSlot, budget);
              if (xSlot < 0) break;
              groupNormal += xNormalPages;
              groupZero += xZeroPages;
              groupSlot = xSlot;
              groupEndSec = xEndSec;
              lastWord = x;
              words++;
            }
            if (words > 1) {
              events!.horizonSec = groupEndSec;
              if (events!.fireBeforeHorizonOutside(w, lastWord + 1)) {
                // The events touched none of these words: their bits are as read above.
                const lastBits = lastWord === w ? bits : dirtyWords[lastWord];
                const lastPfn = lastWord * 32 + 31 - Math.clz32(lastBits);
                const lastZero = detectZero && (zeroWords[lastWord] & (1 << (lastPfn & 31))) !== 0;
                for (let x = w; x <= lastWord; x++) {
                  const xBits = x === w ? bits : dirtyWords[x];
                  if (xBits === 0) continue;
                  const xZeroWord = zeroWords[x];
                  dirtyWords[x] &= ~xBits;
                  staleWords[x] &= ~xBits;
                  quietWords[x] &= ~xBits;
                  dstWords[x] = (dstWords[x] & ~xBits) | (xBits & ~xZeroWord);
                }
                normal += groupNormal;
                zero += groupZero;
                slotBytes = groupSlot;
                // The words' runs as one (the pipeline keeps counts and the last page's end).
                pipeline.writeRun(groupNormal, groupZero, groupEndSec, lastZero);
                position = lastPfn + 1;
                t = groupEndSec;
                continue;
              }
              // An event due during the group touches one of its words (it stays unfired;
              // those fired before it touched none): the group goes back, and its words go
              // one at a time, this one first.
              ungroupedThroughWord = lastWord;
            }
            if (tried) {
              transport.takeBackWords();
              slot = transport.sendWord(w, bits, zeroWord, slotBytes, budget);
              fits = slot >= 0;
            }
          }
          if (fits && events !== null && events.nextSec < endSec) {
            // Events due during the word's sends: writes to pages outside the word commute
            // with them, so they fire first. Last, as firing cannot be undone: when one
            // touches the word, the pages go one by one below, uninterrupted up to endSec.
            events.horizonSec = endSec;
            fits = events.fireBeforeHorizon(w);
            if (!fits) transport.takeBackWord();
          }
        }
        if (!fits) sentOneByOne = w;
        if (fits) {
          dirtyWords[w] &= ~bits;
          staleWords[w] &= ~bits;
          quietWords[w] &= ~bits;
          dstWords[w] = (dstWords[w] & ~bits) | (bits & ~zeroWord);
          normal += normalPages;
          zero += zeroPages;
          slotBytes = slot;
          const lastPfn = w * 32 + 31 - Math.clz32(bits);
          pipeline.writeRun(normalPages, zeroPages, endSec, detectZero && (zeroWord & (1 << (lastPfn & 31))) !== 0);
          position = lastPfn + 1;
          t = endSec;
          continue;
        }
      } else if (wordAtOnce && engineShortcuts.sendPrefixAtOnce && pfn >>> 5 !== sentOneByOne) {
        // The word crosses the limit (a hint report's arrival, passed below, about 87 k a
        // 1 TiB hinted run): its pages whose sends start by limitSec at once, as above, and
        // the events before limitSec (all that fire before the sender passes it) fired
        // ahead when none touches the word. Otherwise the pages go one by one below.
        const w = pfn >>> 5;
        const bits = dirtyWords[w] & (0xffffffff << (pfn & 31));
        memory.settleWord(w);
        const zeroWord = zeroWords[w];
        // The prefix: pages while the next one's start (the clock as below) is by limitSec.
        let rest = bits;
        let prefix = 0;
        let prefixNormal = 0;
        let prefixZero = 0;
        let lastM = 0;
        let endSec = t;
        while (rest !== 0 && endSec <= limitSec) {
          const m = rest & -rest;
          rest ^= m;
          prefix |= m;
          lastM = m;
          if (detectZero && (zeroWord & m) !== 0) prefixZero++;
          else prefixNormal++;
          endSec = anchorSec + (normalBase + normal + prefixNormal) * normalSec + (zeroBase + zero + prefixZero) * zeroSec + eosPart;
        }
        const horizonSec = endSec < limitSec ? endSec : limitSec;
        let fits = endSec < deadlineSec && endSec < maxWaitEnd && (events === null || events.nextSec >= horizonSec || events.firesAheadOf(w));
        let slot = slotBytes;
        if (fits) {
          slot = transport.sendWord(w, prefix, zeroWord, slotBytes, budget);
          fits = slot >= 0;
        }
        if (fits && events !== null && events.nextSec < horizonSec) {
          events.horizonSec = horizonSec;
          fits = events.fireBeforeHorizon(w);
          if (!fits) transport.takeBackWord();
        }
        if (fits) {
          dirtyWords[w] &= ~prefix;
          staleWords[w] &= ~prefix;
          quietWords[w] &= ~prefix;
          dstWords[w] = (dstWords[w] & ~prefix) | (prefix & ~zeroWord);
          normal += prefixNormal;
          zero += prefixZero;
          slotBytes = slot;
          pipeline.writeRun(prefixNormal, prefixZero, endSec, detectZero && (zeroWord & lastM) !== 0);
          position = w * 32 + 31 - Math.clz32(lastM) + 1;
          t = endSec;
          continue;
        }
        sentOneByOne = w;
      }
      // The sender reads the page when its send starts: kind, bytes and content.
      const w = pfn >>> 5;
      const m = 1 << (pfn & 31);
      memory.settleWord(w);
      const contentZero = (zeroWords[w] & m) !== 0;
      dirtyWords[w] &= ~m;
      quietWords[w] &= ~m;
      if (contentZero) dstWords[w] &= ~m;
      else dstWords[w] |= m;
      const sentZero = contentZero && detectZero;
      if (sentZero) zero++;
      else normal++;
      // The transport sees whether the page changed since its last send (`stale`, XBZRLE).
      slotBytes += transport.sendPage(pfn, contentZero);
      staleWords[w] &= ~m;
      position = pfn + 1;
      t = anchorSec + (normalBase + normal) * normalSec + (zeroBase + zero) * zeroSec + eosPart;
      if (queues) {
        // The write waits while the socket buffers are full: the clock restarts from there.
        const writtenSec = pipeline.write(sentZero, t);
        if (writtenSec > t) {
          // Counts since the new anchor are the pages after this one: the bases start
          // below zero, as storeSends adds this call's pages to them.
          this.anchorSec = anchorSec = writtenSec;
          this.normalSinceAnchor = normalBase = -normal;
          this.zeroSinceAnchor = zeroBase = -zero;
          this.eosSinceAnchor = 0;
          eosPart = 0;
          t = writtenSec;
        }
      } else {
        pipeline.writeRun(sentZero ? 0 : 1, sentZero ? 1 : 0, t, sentZero);
      }
      if (maxTotal !== null && transport.wireBytes >= maxTotal) {
        this.sendEndSec[0] = t;
        end = SendEnd.Switchover;
        break;
      }
      if (transport.overBudget(slotBytes, budget)) {
        // The page that crosses the budget is sent (with a QEMUFile queue: the flush that
        // crosses it, as migration_rate_exceeded sees); the sender idles until the slot ends.
        end = SendEnd.Budget;
        break;
      }
      if (t >= maxWaitEnd) {
        end = SendEnd.MaxWait;
        break;
      }
    }
    if (events !== null) events.endDeferral(firedBefore[0]);
    this.storeSends(normal, zero, position, slotBytes);
    return end;
  }

  /** What the sender does after sendPages stopped (its sends stored): see SendEnd. */
  private endSends(end: SendEnd): void {
    switch (end) {
      case SendEnd.Stopped:
        return;
      case SendEnd.Switchover:
        this.switchoverNow(this.sendEndSec[0]!);
        return;
      case SendEnd.IterationEnd:
        this.endIteration();
        if (this.passMode) {
          // The pass is complete and ends the round.
          this.position = 0;
          this.scheduleAction(SenderState.Sync, this.now());
        } else {
          this.scheduleAction(SenderState.Decide, this.now());
        }
        return;
      case SendEnd.Budget:
        this.endIteration();
        this.scheduleAction(SenderState.Decide, Math.max(this.now(), this.slotEndSec));
        return;
      case SendEnd.MaxWait:
        this.endIteration();
        this.scheduleAction(SenderState.Decide, this.now());
        return;
    }
  }

  /** Stores sendPages' locals back: the pages it sent, where it is, the rate-limit state. */
  private storeSends(normal: number, zero: number, position: number, slotBytes: number): void {
    this.dirtyCount -= normal + zero;
    this.normalSinceAnchor += normal;
    this.zeroSinceAnchor += zero;
    this.roundNormal += normal;
    this.roundZero += zero;
    this.sentNormalPages += normal;
    this.sentZeroPages += zero;
    this.countWireBytes();
    this.position = position;
    this.slotBytes = slotBytes;
  }

  /** The bytes the transport put on the wire since last asked join the round and the total. */
  private countWireBytes(): void {
    const bytes = this.transport.wireBytes - this.totalBytes;
    this.totalBytes += bytes;
    this.roundBytes += bytes;
  }

  private nextDirtyPfn(from: number): number {
    if (from >= this.totalPages) return -1;
    return this.dirty.nextSet(from);
  }

  /**
   * An iteration ends: the bitmap is released (waiting hints land), then the transport's
   * end of iteration (EOS and qemu_fflush).
   */
  private endIteration(): void {
    this.deferred.release(this.hintTarget);
    this.eosSinceAnchor++;
    this.slotBytes += this.transport.endIteration();
    this.countWireBytes();
  }

  private scheduleAction(state: SenderState, atSec: number): void {
    this.state = state;
    this.actionSec = atSec;
  }

  /** Between iterations: close the rate/estimate window, then QEMU's pending test. */
  private decide(timeSec: number): void {
    if (timeSec >= this.slotEndSec) {
      const elapsed = timeSec - this.slotStartSec;
      this.bandwidthEstimate = (this.totalBytes - this.slotStartTotalBytes) / elapsed;
      if (this.config.switchoverBandwidthBytesPerSec === null && this.config.estimate === 'measured') {
        this.thresholdBytes = this.bandwidthEstimate * this.config.downtimeLimitSec;
      }
      this.resetSlot(timeSec);
      this.hooks.onRateSlot?.(elapsed, timeSec);
    }
    if (this.policy.switchToPostcopy(timeSec, this.pendingBytes)) {
      this.startPostcopy(timeSec);
      return;
    }
    if (!this.passMode) {
      const pending = this.pendingBytes;
      // QEMU syncs when the estimate falls below the threshold, and also when nothing is
      // pending at all (migration_iteration_run's `!pending_size`).
      if (pending < this.thresholdBytes || this.dirtyCount === 0) {
        this.sync(timeSec);
        return;
      }
    }
    this.beginSending(timeSec);
  }

  /** A dirty-log sync ends the round; then the switchover decision. */
  private sync(timeSec: number): void {
    // The deferred writes all came before the sync (GuestMemory.pendingWords).
    this.memory.settleAll();
    this.hooks.onStopHints(timeSec);
    const newlyDirty = this.syncDirtyLog();
    this.emitRound(timeSec, newlyDirty);
    const roundCount = this.rounds.length;
    const config = this.config;
    const thresholdRule = config.preset === 'qemu' || config.preset === 'pass';
    const converge =
      (thresholdRule && this.pendingBytes <= this.thresholdBytes) ||
      (config.minDirtyPages !== null && newlyDirty < config.minDirtyPages);
    if (converge) {
      this.stopAndCopy(timeSec, true);
      return;
    }
    const next = this.policy.afterSync(roundCount, timeSec);
    if (next === AfterSync.Cap) {
      this.endAtCap(timeSec);
      return;
    }
    if (next === AfterSync.Pause) this.hooks.onPause(timeSec);
    this.trigger.atSync(timeSec, this.totalBytes, this.pageSizeBytes);
    this.roundStartSec = timeSec;
    this.roundThrottlePct = this.trigger.throttlePct;
    if (roundCount === 1) this.endFirstArrivals(timeSec);
    this.beginSending(timeSec + this.syncSec);
    this.hooks.onStartHints(timeSec + this.syncSec);
  }

  /**
   * Or-s the dirty log into the migration bitmap; returns the bits it turned from 0 to 1.
   * `sync`: the log is cleared and every page protected. `lazy`: fetched pages move to
   * `snap` unprotected, and `snap` pages of chunks not cleared since are fetched again.
   */
  private syncDirtyLog(): number {
    const memory = this.memory;
    memory.settleAll();
    const loggedWords = memory.logged.words;
    const snapWords = memory.snap.words;
    const quietWords = memory.quiet.words;
    const dirtyWords = this.dirty.words;
    const lazy = this.lazyClear;
    let newlyDirty = 0;
    for (let w = 0; w < dirtyWords.length; w++) {
      const fetched = lazy ? loggedWords[w] | snapWords[w] : loggedWords[w];
      if (fetched === 0) continue;
      const fresh = fetched & ~dirtyWords[w];
      if (fresh !== 0) newlyDirty += popcount32(fresh);
      dirtyWords[w] |= fetched;
      loggedWords[w] = 0;
      // Lazy: what was logged is now snapped, so quiet pages stay quiet; sync: protected again.
      if (lazy) snapWords[w] = fetched;
      else quietWords[w] &= ~fetched;
    }
    if (lazy) this.chunkNeedsClear.fill(1);
    this.dirtyCount += newlyDirty;
    this.trigger.addDirtyPages(newlyDirty);
    return newlyDirty;
  }

  /** KVM_CLEAR_DIRTY_LOG for one chunk: its `snap` pages are cleared and re-protected. */
  private clearChunk(chunk: number): void {
    this.chunkNeedsClear[chunk] = 0;
    const first = chunk * this.chunkPages;
    this.memory.clearSnapRange(first, Math.min(first + this.chunkPages, this.totalPages));
  }

  private emitRound(timeSec: number, newlyDirty: number): void {
    const round: RoundStats = {
      round: this.rounds.length + 1,
      kind: this.rounds.length === 0 ? 'bulk' : 'iterate',
      startSec: this.roundStartSec,
      durationSec: timeSec - this.roundStartSec,
      normalPages: this.roundNormal,
      zeroPages: this.roundZero,
      skippedPages: this.roundSkipped,
      unacceptedPages: this.roundUnaccepted,
      bytes: this.roundBytes,
      cumulativeBytes: this.totalBytes,
      dirtyPages: newlyDirty,
      ...this.roundCounters(),
      throttlePct: this.roundThrottlePct,
      dirtyLimitThrottleUs: this.hooks.dirtyLimitThrottleUs(),
    };
    this.rounds.push(round);
    this.hooks.onRound(round);
    this.roundNormal = 0;
    this.roundZero = 0;
    this.roundSkipped = 0;
    this.roundUnaccepted = 0;
    this.roundBytes = 0;
  }

  /**
   * A round that ends pre-copy (stop-and-copy, the postcopy switch) or the postcopy phase:
   * its bytes join the total; nothing in it is skipped or unaccepted (no hints then).
   */
  private pushFinalRound(kind: 'stop-copy' | 'postcopy', startSec: number, durationSec: number, normalPages: number, zeroPages: number, bytes: number, dirtyPages: number): void {
    this.totalBytes += bytes;
    const round: RoundStats = {
      round: this.rounds.length + 1,
      kind,
      startSec,
      durationSec,
      normalPages,
      zeroPages,
      skippedPages: 0,
      unacceptedPages: 0,
      bytes,
      cumulativeBytes: this.totalBytes,
      dirtyPages,
      ...this.roundCounters(),
      throttlePct: this.trigger.throttlePct,
      dirtyLimitThrottleUs: this.hooks.dirtyLimitThrottleUs(),
    };
    this.rounds.push(round);
    this.hooks.onRound(round);
  }

  /** What the transport counted since the last round ended (once per round: allocates). */
  private roundCounters(): Pick<RoundStats, 'multifdBytes' | 'multifdPackets' | 'multifdSyncs' | 'multifdCompressedBytes' | 'xbzrleBytes' | 'xbzrlePages' | 'xbzrleCacheMiss' | 'xbzrleOverflow' | 'xbzrleUnencodedBytes'> {
    const now = this.transport.counters;
    const start = this.roundStartCounters;
    const counts = {
      multifdBytes: now.multifdBytes - start.multifdBytes,
      multifdPackets: now.multifdPackets - start.multifdPackets,
      multifdSyncs: now.multifdSyncs - start.multifdSyncs,
      multifdCompressedBytes: now.multifdCompressedBytes - start.multifdCompressedBytes,
      xbzrleBytes: now.xbzrleBytes - start.xbzrleBytes,
      xbzrlePages: now.xbzrlePages - start.xbzrlePages,
      xbzrleCacheMiss: now.xbzrleCacheMiss - start.xbzrleCacheMiss,
      xbzrleOverflow: now.xbzrleOverflow - start.xbzrleOverflow,
      xbzrleUnencodedBytes: now.xbzrleUnencodedBytes - start.xbzrleUnencodedBytes,
    };
    Object.assign(start, now);
    return counts;
  }

  /** Unaccepted pages are never sent; reported in the bulk row (docs/model.md §4.5). */
  addUnacceptedPages(pages: number): void {
    this.roundUnaccepted += pages;
  }

  /** Setup leaves unaccepted pages out of the migration bitmap and counts them (§3.2). */
  private skipUnaccepted(unacceptedWords: Uint32Array): void {
    const dirtyWords = this.dirty.words;
    let pages = 0;
    for (let w = 0; w < dirtyWords.length; w++) {
      const bits = dirtyWords[w] & unacceptedWords[w];
      if (bits === 0) continue;
      pages += popcount32(bits);
      dirtyWords[w] &= ~bits;
    }
    this.dirtyCount -= pages;
    this.addUnacceptedPages(pages);
  }

  /** A cap (maxDuration, maxTotal) is crossed mid-round: the round ends there, then the cap's ending. */
  private switchoverNow(timeSec: number): void {
    this.emitRound(timeSec, 0);
    this.endAtCap(timeSec);
  }

  /** A cap without convergence: management forces the switchover or cancels (onNoConvergence). */
  private endAtCap(timeSec: number): void {
    if (this.policy.capEnding() === 'forced') {
      this.stopAndCopy(timeSec, false);
      return;
    }
    // migrate_cancel: the source guest runs on, the destination is dropped; hint
    // strategies get DONE (PRECOPY_NOTIFY_CLEANUP) and nothing is lost.
    this.converged = false;
    this.policy.ending = 'cancelled';
    this.memory.settleAll();
    this.deferred.release(this.hintTarget);
    this.hooks.onStopHints(timeSec);
    this.hooks.onSwitchover(timeSec);
    this.endSec = timeSec;
    this.state = SenderState.Done;
  }

  /**
   * QEMU's postcopy_start: the guest stops, the last bitmap sync runs, the discard list
   * (every run of set bits: pages the destination holds stale) and the device state are
   * sent, and the destination runs; the downtime is that. Then the engine pushes the rest
   * and serves faults (endings/postcopy.ts). Hints end with the switch.
   */
  private startPostcopy(timeSec: number): void {
    this.converged = false;
    this.policy.ending = 'postcopy';
    this.memory.settleAll();
    this.deferred.release(this.hintTarget);
    this.hooks.onStopHints(timeSec);
    this.hooks.onSwitchover(timeSec);
    const newlyDirty = this.syncDirtyLog();
    this.emitRound(timeSec, newlyDirty);
    const ranges = this.dirty.countRuns();
    const discardBytes = ranges * DISCARD_RANGE_BYTES + Math.ceil(ranges / DISCARDS_PER_COMMAND) * DISCARD_COMMAND_BYTES;
    const config = this.config;
    const wire = config.wire;
    const bytes = discardBytes + wire.eosBytes + wire.deviceStateBytes;
    let switchSec = this.syncSec + bytes / config.linkBandwidthBytesPerSec;
    // Behind socket buffers the destination runs only once it has loaded what came before
    // the device state (wire/socket-pipeline.ts).
    if (this.transport.socketBufferBytes > 0) switchSec = Math.max(switchSec, this.pipeline.loadedSec - timeSec);
    this.downtimeSec = switchSec + config.switchoverTimeSec;
    this.pushFinalRound('stop-copy', timeSec, this.downtimeSec, 0, 0, bytes, newlyDirty);
    const resumeSec = timeSec + this.downtimeSec;
    this.postcopySwitchSec = timeSec;
    this.postcopyResumeSec = resumeSec;
    // Postcopy pages go on the main stream as RAM_SAVE_FLAG_PAGE / _ZERO records, at
    // max-postcopy-bandwidth (0: the link).
    const pc = config.postcopy!;
    const rate = Math.min(config.linkBandwidthBytesPerSec, pc.bandwidthBytesPerSec);
    const scanSec = this.pageSizeBytes / config.scanRateBytesPerSec;
    const normalPageBytes = wire.pageHeaderBytes + this.pageSizeBytes;
    const arrivals = this.hooks.onPostcopy(resumeSec);
    this.memory.settleAll();
    this.memory.trackingOn = false;
    const engine = new PostcopyEngine(
      this.memory,
      this.dirty,
      this.dirtyCount,
      {
        normalPageBytes,
        zeroPageBytes: wire.zeroPageBytes,
        normalPageSec: Math.max(normalPageBytes / rate, scanSec),
        zeroPageSec: Math.max(wire.zeroPageBytes / rate, scanSec, pc.zeroPlaceCostSec),
        zeroPageDetection: this.detectZero,
        preempt: pc.preempt,
        requestLatencySec: pc.requestLatencySec,
        queueWaitSec: pc.sendQueueBytes / rate,
      },
      arrivals,
      resumeSec,
    );
    this.postcopyEngine = engine;
    this.hooks.onPostcopyRunning(engine);
    this.state = SenderState.Postcopy;
    if (engine.done) this.finishPostcopy();
  }

  /** Postcopy: the engine's sends up to the limit; false when it woke a vCPU or finished. */
  private runPostcopy(limitSec: number): boolean {
    const engine = this.postcopyEngine!;
    const reached = engine.runUntil(limitSec);
    if (!engine.done) return reached;
    this.finishPostcopy();
    return false;
  }

  /** The destination holds every page: the postcopy row, and the end of the migration. */
  private finishPostcopy(): void {
    const engine = this.postcopyEngine!;
    this.dirtyCount = 0;
    this.memory.notReceived = null;
    const resumeSec = this.postcopyResumeSec;
    this.pushFinalRound('postcopy', resumeSec, engine.endSec - resumeSec, engine.normalPages, engine.zeroPages, engine.bytes, 0);
    this.endSec = engine.endSec;
    this.noRollbackSec = engine.endSec - this.postcopySwitchSec;
    this.state = SenderState.Done;
  }

  /**
   * Stop-and-copy: the guest pauses, the final sync runs, every set page is sent at link
   * speed with no rate limit, then the device state. The row's duration is the downtime.
   */
  private stopAndCopy(timeSec: number, converged: boolean): void {
    this.converged = converged;
    this.policy.ending = !converged ? 'forced' : this.policy.paused ? 'paused' : 'converged';
    this.memory.settleAll();
    this.deferred.release(this.hintTarget);
    this.hooks.onStopHints(timeSec);
    this.hooks.onSwitchover(timeSec);
    const estimate =
      this.config.switchoverBandwidthBytesPerSec ??
      (this.config.estimate === 'configured' || this.bandwidthEstimate === 0
        ? this.config.bandwidthBytesPerSec
        : this.bandwidthEstimate);
    const newlyDirty = this.syncDirtyLog();
    this.expectedDowntimeSec = this.pendingBytes / estimate;
    const memory = this.memory;
    const zeroWords = memory.zero.words;
    const staleWords = memory.stale.words;
    const dstWords = memory.dstNonZero.words;
    const dirtyWords = this.dirty.words;
    const detectZero = this.detectZero;
    let normal = 0;
    let zero = 0;
    // Behind socket buffers the pages are written from the end of the sync on, and the
    // migration ends when the destination has loaded the last (wire/socket-pipeline.ts).
    const pipeline = this.pipeline;
    const transport = this.transport;
    const pipelined = transport.socketBufferBytes > 0;
    const startSec = timeSec + this.syncSec;
    let lastZero = false;
    // With a destination that can fall behind: the sender's clock, anchor plus counts.
    let anchorSec = startSec;
    let normalSince = 0;
    let zeroSince = 0;
    for (let w = 0; w < dirtyWords.length; w++) {
      const bits = dirtyWords[w];
      if (bits === 0) continue;
      dirtyWords[w] = 0;
      const zeroBits = zeroWords[w] & bits;
      lastZero = detectZero && (zeroBits & (1 << (31 - Math.clz32(bits)))) !== 0;
      if (pipelined && pipeline.queues) {
        for (let rest = bits; rest !== 0; ) {
          const m = rest & -rest;
          rest ^= m;
          const sentZero = detectZero && (zeroBits & m) !== 0;
          if (sentZero) zeroSince++;
          else normalSince++;
          const readySec = anchorSec + normalSince * transport.normalPageSec + zeroSince * transport.zeroPageSec;
          const writtenSec = pipeline.write(sentZero, readySec);
          if (writtenSec > readySec) {
            anchorSec = writtenSec;
            normalSince = zeroSince = 0;
          }
        }
      }
      this.transport.finalWord?.(w, bits, zeroBits);
      staleWords[w] &= ~bits;
      memory.quiet.words[w] &= ~bits;
      dstWords[w] = (dstWords[w] & ~bits) | (bits & ~zeroWords[w]);
      const zeroCount = popcount32(zeroBits);
      const all = popcount32(bits);
      if (detectZero) {
        zero += zeroCount;
        normal += all - zeroCount;
      } else {
        normal += all;
      }
    }
    this.dirtyCount = 0;
    const sentBefore = this.transport.wireBytes;
    const sendSec = this.transport.sendFinal(normal, zero);
    const bytes = this.transport.wireBytes - sentBefore;
    if (!pipelined) {
      pipeline.writeRun(normal, zero, startSec + sendSec, lastZero);
      this.downtimeSec = this.syncSec + sendSec + this.config.switchoverTimeSec;
    } else {
      if (!pipeline.queues) {
        anchorSec = startSec + normal * transport.normalPageSec + zero * transport.zeroPageSec;
        pipeline.writeRun(normal, zero, anchorSec, lastZero);
      } else {
        anchorSec += normalSince * transport.normalPageSec + zeroSince * transport.zeroPageSec;
      }
      // The source's last write (pages, EOS, device state), or the destination's last load.
      const endSec = Math.max(anchorSec + transport.finalTailSec, pipeline.loadedSec);
      this.downtimeSec = endSec - timeSec + this.config.switchoverTimeSec;
    }
    this.pushFinalRound('stop-copy', timeSec, this.downtimeSec, normal, zero, bytes, newlyDirty);
    this.endSec = timeSec + this.downtimeSec;
    // A paused guest was down from the pause on (guestperf's pause-iters).
    if (this.policy.paused) this.downtimeSec = this.endSec - this.policy.pausedAtSec;
    this.state = SenderState.Done;
  }
}
