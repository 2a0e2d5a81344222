/**
 * The postcopy phase (capability postcopy-ram), after QEMU's migration/ram.c,
 * postcopy-ram.c and migration.c: once `postcopy_start` has stopped the source, sent the
 * discard list and the device state, the destination runs and owns the guest; pages it
 * does not hold yet are still set in the migration bitmap (`notReceived`).
 *
 * - The source pushes them in the background in pfn order from pfn 0
 *   (ram_postcopy_send_discard_bitmap resets last_seen_block and last_page), one page after
 *   another at max-postcopy-bandwidth (QEMU's default 0: unlimited, so the link). A
 *   request served on the main channel moves the walk: ram_find_and_save_block stores the
 *   served page as last_page, so the push goes on after it, and wraps to pfn 0 at the end
 *   (find_dirty_block). With preempt the request goes through the postcopy channel's own
 *   search state (ram_save_host_page_urgent) and the walk stays where it was.
 * - A destination vCPU that touches a page not received faults (userfaultfd MISSING), the
 *   destination requests it (migrate_send_rp_req_pages) and the vCPU waits. The source
 *   serves queued requests before the bitmap walk (get_queued_page). Without preempt the
 *   request waits behind the page in flight, and its page then in the main channel's
 *   socket (below); with postcopy-preempt it goes on a channel of its
 *   own at once. Either way one round trip (`requestLatencySec`) plus the page's send. A
 *   request for a page already sent or in flight is counted (QEMU counts every request in
 *   postcopy-requests) and skipped (get_queued_page's not-dirty test).
 * - The main channel's socket holds `sendQueueBytes` (queueWaitSec at the postcopy
 *   bandwidth): a page it sends reaches the destination (ram_load_postcopy places it,
 *   postcopy_place_page: UFFDIO_COPY) that much after its send ends, in send order. The
 *   source's bitmap bit is already clear, so a fault on a page in that window is requested,
 *   counted and skipped at the source, and the vCPU waits for the page to come out of the
 *   socket (on average half the window: the 2.6 ms per request of the testbed's
 *   postcopy_dirty_preempt, whose dirtier runs into the push). A request on the main
 *   channel (no preempt) waits the same way, behind the socket, after its send.
 *
 * Events are the ends of page sends and the socket's arrivals, processed in time order by
 * `runUntil`; a page counts as received when it leaves the socket (at its send's end on the
 * preempt channel, or with no socket). Nothing here allocates per page: two channels of
 * one page each, and FIFOs of requests and of the socket's pages grown by doubling.
 */
import { Bitmap as BitmapCtor, type Bitmap } from '../bitmap.js';
import type { GuestMemory } from '../guest-memory.js';

/** Receives the pages the destination's vCPUs wait for (the simulation's blocked writers). */
export interface PageArrivals {
  /** Page `pfn` reached the destination at `atSec`; true when a vCPU waiting for it resumes. */
  arrived(pfn: number, atSec: number): boolean;
}

/** Per-page send times and sizes (the sender's wire model, at the postcopy bandwidth). */
export interface PostcopyWire {
  normalPageBytes: number;
  zeroPageBytes: number;
  normalPageSec: number;
  zeroPageSec: number;
  zeroPageDetection: boolean;
  preempt: boolean;
  requestLatencySec: number;
  /** sendQueueBytes at the postcopy bandwidth: how long a page the main channel sent stays in its socket. */
  queueWaitSec: number;
}

const NONE = -1;

export class PostcopyEngine {
  /** Bytes sent after the switch (QEMU's postcopy-bytes). */
  bytes = 0;
  /** Requests the destination sent (QEMU's postcopy-requests). */
  requests = 0;
  /** Pages pushed by the bitmap walk, and sent because a request asked for them. */
  pushedPages = 0;
  requestedPages = 0;
  normalPages = 0;
  zeroPages = 0;
  /** When the destination holds every page; NaN until then. */
  endSec = NaN;

  private readonly memory: GuestMemory;
  private readonly notReceived: Bitmap;
  private readonly wire: PostcopyWire;
  private readonly arrivals: PageArrivals;
  private remainingPages: number;
  private position = 0;
  // The main channel: the page in flight (NONE: idle) and when its send ends.
  private mainPfn = NONE;
  private mainEndSec = Infinity;
  // The preempt channel (postcopy-preempt only).
  private preemptPfn = NONE;
  private preemptEndSec = Infinity;
  /** When the preempt channel takes the oldest request (it becomes ready then); Infinity: none waits. */
  private preemptWakeSec = Infinity;
  // Pages the main channel sent that are still in its socket, in send order: pfn and when
  // the destination places it (send end + queueWaitSec); `inTransit` marks them.
  private transitPfns = new Int32Array(16);
  private transitArriveSec = new Float64Array(16);
  private transitHead = 0;
  private transitTail = 0;
  private readonly inTransit: Bitmap;
  // Requests not yet served, oldest first: pfn and when the source can send it.
  private queuePfns = new Int32Array(16);
  private queueReadySec = new Float64Array(16);
  private queueHead = 0;
  private queueTail = 0;

  /**
   * @param notReceived the migration bitmap after the final sync: pages the destination
   *   lacks. The engine clears bits as it sends pages.
   * @param pages its set bits
   * @param resumeSec when the destination runs and the source starts pushing
   */
  constructor(memory: GuestMemory, notReceived: Bitmap, pages: number, wire: PostcopyWire, arrivals: PageArrivals, resumeSec: number) {
    this.memory = memory;
    this.notReceived = notReceived;
    this.remainingPages = pages;
    this.wire = wire;
    this.arrivals = arrivals;
    this.inTransit = new BitmapCtor(memory.totalPages);
    this.startMain(resumeSec);
    if (this.mainPfn === NONE) this.endSec = resumeSec;
  }

  get done(): boolean {
    return this.mainPfn === NONE && this.preemptPfn === NONE && this.remainingPages === 0 && this.transitHead === this.transitTail;
  }

  /** The end of the next page send; Infinity when done. */
  get nextEventSec(): number {
    return Math.min(this.mainEndSec, this.preemptEndSec, this.preemptWakeSec, this.transitNextSec);
  }

  /** When the oldest page in the main channel's socket is placed; Infinity: none. */
  private get transitNextSec(): number {
    return this.transitHead < this.transitTail ? this.transitArriveSec[this.transitHead] : Infinity;
  }

  /** Whether the destination holds `pfn` (not set, and not in flight). */
  isReceived(pfn: number): boolean {
    return !this.notReceived.test(pfn) && !this.inTransit.test(pfn) && pfn !== this.mainPfn && pfn !== this.preemptPfn;
  }

  /**
   * Ends every page send that ends at or before `limitSec` (sends go first at equal
   * times). Returns false as soon as a page woke a waiting vCPU (its streams have an
   * event the caller has not seen: it picks the next event again), true at the limit.
   */
  runUntil(limitSec: number): boolean {
    for (;;) {
      let woke: boolean;
      const mainEnd = this.mainEndSec;
      const preemptEnd = this.preemptEndSec;
      const wake = this.preemptWakeSec;
      const placed = this.transitNextSec;
      if (mainEnd === Infinity && preemptEnd === Infinity && wake === Infinity && placed === Infinity) return true;
      if (placed < mainEnd && placed < preemptEnd && placed <= wake) {
        // The oldest page in the main channel's socket reaches the destination.
        if (placed > limitSec) return true;
        const pfn = this.transitPfns[this.transitHead++];
        if (this.transitHead === this.transitTail) this.transitHead = this.transitTail = 0;
        this.inTransit.clear(pfn);
        woke = this.land(pfn, placed);
        if (this.done) this.endSec = placed;
        if (woke) return false;
        continue;
      }
      if (wake < mainEnd && wake < preemptEnd) {
        // A request became ready for the idle preempt channel (sends end first at equal times).
        if (wake > limitSec) return true;
        this.preemptWakeSec = Infinity;
        this.startPreempt(wake);
        continue;
      }
      if (mainEnd <= preemptEnd) {
        if (mainEnd > limitSec) return true;
        const pfn = this.mainPfn;
        this.mainPfn = NONE;
        this.mainEndSec = Infinity;
        const queueWaitSec = this.wire.queueWaitSec;
        if (queueWaitSec > 0) {
          this.enterSocket(pfn, mainEnd + queueWaitSec);
          woke = false;
        } else woke = this.land(pfn, mainEnd);
        this.startMain(mainEnd);
        if (this.done) this.endSec = mainEnd;
      } else {
        if (preemptEnd > limitSec) return true;
        const pfn = this.preemptPfn;
        this.preemptPfn = NONE;
        this.preemptEndSec = Infinity;
        woke = this.land(pfn, preemptEnd);
        this.startPreempt(preemptEnd);
        if (this.done) this.endSec = preemptEnd;
      }
      if (woke) return false;
    }
  }

  /**
   * A destination vCPU faulted on `pfn` at `timeSec` (the caller checked isReceived): the
   * request reaches the source after the round trip (without preempt the page it asks then
   * waits behind the main channel's socket after its send, as a pushed page does).
   */
  request(pfn: number, timeSec: number): void {
    this.requests++;
    const wire = this.wire;
    const readySec = timeSec + wire.requestLatencySec;
    this.enqueue(pfn, readySec);
    // An idle preempt channel takes the request when it is ready (the oldest first).
    if (wire.preempt && this.preemptPfn === NONE && this.preemptWakeSec === Infinity) this.preemptWakeSec = readySec;
    // Without preempt the main channel picks the request when its page in flight ends.
  }

  /** `pfn`'s send on the main channel ended: it is in the socket until `arriveSec` (send order). */
  private enterSocket(pfn: number, arriveSec: number): void {
    if (this.transitTail === this.transitPfns.length) {
      const live = this.transitTail - this.transitHead;
      const pfns = new Int32Array(Math.max(16, live * 2));
      const arrive = new Float64Array(pfns.length);
      pfns.set(this.transitPfns.subarray(this.transitHead, this.transitTail));
      arrive.set(this.transitArriveSec.subarray(this.transitHead, this.transitTail));
      this.transitPfns = pfns;
      this.transitArriveSec = arrive;
      this.transitHead = 0;
      this.transitTail = live;
    }
    this.transitPfns[this.transitTail] = pfn;
    this.transitArriveSec[this.transitTail] = arriveSec;
    this.transitTail++;
    this.inTransit.set(pfn);
  }

  private enqueue(pfn: number, readySec: number): void {
    if (this.queueTail === this.queuePfns.length) {
      const live = this.queueTail - this.queueHead;
      const pfns = new Int32Array(Math.max(16, live * 2));
      const ready = new Float64Array(pfns.length);
      pfns.set(this.queuePfns.subarray(this.queueHead, this.queueTail));
      ready.set(this.queueReadySec.subarray(this.queueHead, this.queueTail));
      this.queuePfns = pfns;
      this.queueReadySec = ready;
      this.queueHead = 0;
      this.queueTail = live;
    }
    this.queuePfns[this.queueTail] = pfn;
    this.queueReadySec[this.queueTail] = readySec;
    this.queueTail++;
  }

  /**
   * The oldest request ready by `atSec` whose page is still to send, taken off the queue
   * (requests for pages sent meanwhile are dropped: get_queued_page's not-dirty case); NONE
   * when the oldest is not ready yet or the queue is empty.
   */
  private takeReadyRequest(atSec: number): number {
    while (this.queueHead < this.queueTail) {
      const pfn = this.queuePfns[this.queueHead];
      if (!this.notReceived.test(pfn)) {
        this.queueHead++;
        continue;
      }
      if (this.queueReadySec[this.queueHead] > atSec) return NONE;
      this.queueHead++;
      return pfn;
    }
    this.queueHead = 0;
    this.queueTail = 0;
    return NONE;
  }

  /** The main channel is free at `atSec`: a ready request (without preempt), else the next page in pfn order. */
  private startMain(atSec: number): void {
    let pfn = this.wire.preempt ? NONE : this.takeReadyRequest(atSec);
    const requested = pfn !== NONE;
    if (!requested) {
      if (this.remainingPages === 0) return;
      pfn = this.position < this.memory.totalPages ? this.notReceived.nextSet(this.position) : -1;
      if (pfn < 0) pfn = this.notReceived.nextSet(0);
      if (pfn < 0) return;
    }
    this.position = pfn + 1;
    this.mainPfn = pfn;
    this.mainEndSec = atSec + this.send(pfn, requested);
  }

  /**
   * The preempt channel is free at `atSec`: the oldest request still to send goes now if it
   * is ready, else the channel wakes when it is (requests are ready in the order made).
   */
  private startPreempt(atSec: number): void {
    const pfn = this.takeReadyRequest(atSec);
    if (pfn === NONE) {
      if (this.queueHead < this.queueTail) this.preemptWakeSec = this.queueReadySec[this.queueHead];
      return;
    }
    const startSec = atSec;
    const sendSec = this.send(pfn, true);
    this.preemptPfn = pfn;
    this.preemptEndSec = startSec + sendSec;
    // Both channels share the link: the page in flight on the main channel ends later.
    if (this.mainPfn !== NONE && this.mainEndSec > startSec) this.mainEndSec += sendSec;
  }

  /** Takes `pfn` off the bitmap and counts its bytes; returns its send time. */
  private send(pfn: number, requested: boolean): number {
    this.notReceived.clear(pfn);
    this.remainingPages--;
    if (requested) this.requestedPages++;
    else this.pushedPages++;
    const wire = this.wire;
    const isZero = wire.zeroPageDetection && this.memory.zero.test(pfn);
    if (isZero) {
      this.zeroPages++;
      this.bytes += wire.zeroPageBytes;
      return wire.zeroPageSec;
    }
    this.normalPages++;
    this.bytes += wire.normalPageBytes;
    return wire.normalPageSec;
  }

  /** The page's send ended: the destination holds the source's content; waiting vCPUs resume. */
  private land(pfn: number, atSec: number): boolean {
    const memory = this.memory;
    memory.stale.clear(pfn);
    if (memory.zero.test(pfn)) memory.dstNonZero.clear(pfn);
    else memory.dstNonZero.set(pfn);
    return this.arrivals.arrived(pfn, atSec);
  }
}
