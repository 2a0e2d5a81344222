/**
 * Per-page free page hinting (docs/model.md §4.4; Nitesh Narayan Lal's v8 RFC, seed 002): every
 * free appends (pfn, order) to a per-CPU array of `capacity` entries; when it fills, a
 * kernel thread re-scans it, isolates each entry that still heads a free block of its
 * recorded order (one that merged or was reused is dropped), reports the isolated blocks
 * with one hypercall each (or one per `batch`), and once the host has discarded them
 * returns them to the buddy allocator (a normal free, not seen again by the array).
 * The thread runs at priority GUEST at the instant the array fills; call k reaches the
 * host (k + 1) × `callCost` later. Runs from t = 0.
 *
 * One array for the whole guest: the engine does not attribute frees to vCPUs yet. While
 * the thread still has calls in flight, a full array waits for it, and frees that find it
 * full are not recorded (the free path does not block).
 *
 * Zone lock (docs/model.md §4.6): the thread takes it per page it isolates and reports after
 * isolating (seed 002: "acquiring a zone lock corresponding to the page which is being
 * scanned", then hyperlist_ready() makes the hypercall), so a hint call holds it for 0.
 */
import type { MergeListener } from '../buddy-allocator.js';
import type { PerPageOptions } from '../types.js';
import type { HintStrategy, StrategyContext } from './hint-strategy.js';
import type { HostDiscard } from './host-discard.js';

export class PerPage implements HintStrategy, MergeListener {
  nextArrivalSec = Infinity;
  readonly gatheringDone = true;

  private readonly options: PerPageOptions;
  private readonly context: StrategyContext;
  private readonly discard: HostDiscard;
  private scale = 1;
  private stopped = false;
  /** Set while the thread returns its blocks: those frees are not recorded. */
  private returning = false;

  // The per-CPU array of freed blocks.
  private readonly entryPfns: Int32Array;
  private readonly entryOrders: Int8Array;
  private entryCount = 0;
  /** The thread is due at workerSec (Infinity while it waits for calls in flight). */
  private workerPending = false;
  private workerSec = Infinity;

  // Blocks isolated by the last scan, reported `batch` per call.
  private readonly isolatedPfns: Int32Array;
  private readonly isolatedOrders: Int8Array;
  private isolatedCount = 0;
  private callsDone = 0;
  private callsTotal = 0;
  private scanSec = 0;

  constructor(options: PerPageOptions, context: StrategyContext, discard: HostDiscard) {
    this.options = options;
    this.context = context;
    this.discard = discard;
    this.entryPfns = new Int32Array(options.capacity);
    this.entryOrders = new Int8Array(options.capacity);
    this.isolatedPfns = new Int32Array(options.capacity);
    this.isolatedOrders = new Int8Array(options.capacity);
  }

  get nextGuestSec(): number {
    return this.workerPending ? this.workerSec : Infinity;
  }

  /** arch_free_page: record the block; wake the thread when the array is full. */
  onFree(pfn: number, order: number): void {
    if (this.returning || this.stopped) return;
    const capacity = this.options.capacity;
    if (this.entryCount === capacity) return;
    this.entryPfns[this.entryCount] = pfn;
    this.entryOrders[this.entryCount] = order;
    this.entryCount++;
    if (this.entryCount === capacity) {
      this.workerPending = true;
      this.workerSec = this.callsDone < this.callsTotal ? Infinity : this.context.clock.nowSec;
    }
  }

  onMerge(_pfn: number, _order: number): void {}
  onFreed(_pfn: number, _order: number): void {}

  onAlloc(pfn: number, order: number): void {
    this.discard.forget(pfn, 2 ** order);
  }

  /** The thread scans the full array and isolates what is still free as recorded. */
  /** A pass (or report) may schedule an arrival: never fired ahead. */
  nextStepPagePfn(): number {
    return -1;
  }

  fireGuest(): void {
    const timeSec = this.workerSec;
    this.workerPending = false;
    this.workerSec = Infinity;
    const { buddy, memory, costs } = this.context;
    const freeOrder = buddy.freeOrder;
    let isolated = 0;
    for (let i = 0; i < this.entryCount; i++) {
      const pfn = this.entryPfns[i];
      const order = this.entryOrders[i];
      if (freeOrder[pfn] !== order) continue;
      buddy.removeFree(pfn, order);
      memory.held.setRange(pfn, pfn + 2 ** order);
      this.isolatedPfns[isolated] = pfn;
      this.isolatedOrders[isolated] = order;
      isolated++;
    }
    this.entryCount = 0;
    if (isolated === 0) return;
    if (isolated > costs.blocksHeldPeak) costs.blocksHeldPeak = isolated;
    this.isolatedCount = isolated;
    this.callsDone = 0;
    this.callsTotal = Math.ceil(isolated / this.options.batch);
    this.scanSec = timeSec;
    this.nextArrivalSec = this.callArrivalSec(0);
  }

  /** Hypercall `callsDone` reaches the host: discard its blocks and return them. */
  fireArrival(): void {
    const timeSec = this.nextArrivalSec;
    const { buddy, memory, costs } = this.context;
    const batch = this.options.batch;
    const first = this.callsDone * batch;
    const end = Math.min(first + batch, this.isolatedCount);
    costs.hintCalls++;
    costs.guestCpuSec += this.options.callCostSec;
    this.returning = true;
    for (let i = first; i < end; i++) {
      const pfn = this.isolatedPfns[i];
      const order = this.isolatedOrders[i];
      const pages = 2 ** order;
      costs.pagesHinted += pages;
      costs.redundantPagesHinted += this.discard.discard(pfn, pages);
      memory.held.clearRange(pfn, pfn + pages);
      buddy.free(pfn, order);
    }
    this.returning = false;
    this.callsDone++;
    if (this.callsDone < this.callsTotal) {
      // Not before this one: a share that rose since (host-cpu.ts) must not move it back.
      this.nextArrivalSec = Math.max(timeSec, this.callArrivalSec(this.callsDone));
      return;
    }
    this.nextArrivalSec = Infinity;
    this.isolatedCount = 0;
    if (this.workerPending) this.workerSec = timeSec;
  }

  start(_timeSec: number): void {}
  stop(_timeSec: number): void {}

  /** The guest pauses for good: blocks still isolated go back unreported. */
  done(_timeSec: number): void {
    this.stopped = true;
    this.workerPending = false;
    this.nextArrivalSec = Infinity;
    const { buddy, memory } = this.context;
    this.returning = true;
    for (let i = this.callsDone * this.options.batch; i < this.isolatedCount; i++) {
      const pfn = this.isolatedPfns[i];
      memory.held.clearRange(pfn, pfn + 2 ** this.isolatedOrders[i]);
      buddy.free(pfn, this.isolatedOrders[i]);
    }
    this.returning = false;
    this.isolatedCount = 0;
    this.callsDone = this.callsTotal = 0;
  }

  /** Isolated blocks are the host's until their hypercall returns (microseconds). */
  giveBack(): boolean {
    return false;
  }

  setScale(scale: number): void {
    this.scale = scale;
  }

  private callArrivalSec(call: number): number {
    return this.scanSec + ((call + 1) * this.options.callCostSec) / this.scale;
  }
}
