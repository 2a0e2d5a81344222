/**
 * The migration socket between the source's migration thread and the destination's load
 * (docs/model.md §3.1). QEMU's source writes each page into its TCP socket
 * (qemu_fflush → qio_channel_writev) and goes on to the next as soon as the kernel took
 * the bytes; the destination's process_incoming_migration_co reads and loads them
 * (ram_load_precopy) at its own pace. The two work at once, and the source runs ahead by at
 * most what the socket buffers hold (the source's send buffer and the destination's
 * receive buffer): when they are full its write blocks until the destination has read
 * enough. So an uncapped migration takes about the slower side's total, not the sum of
 * each page's slowest stage.
 *
 * The model: the source's clock (the sender's, precopy.ts) includes its own work and the
 * link (the wire paces the source's writes: the send buffer's head start on the link is
 * not modelled); a page is written when the source's work on it ends, and leaves the
 * buffers when the destination has loaded it. Page i written at S_i is loaded at
 * D_i = max(D_{i−1}, S_i) + load_i, and S_i may not come before the bytes written and not
 * yet loaded, with page i's, fit in `bufferBytes` (a page larger than the buffer waits
 * until it is empty). `bufferBytes` 0 is lockstep: the transport folds the load into the
 * page's time (each page takes its slowest stage and the pages' times add; the contract's
 * §3.1) and this class only counts.
 *
 * Pages the destination has not loaded yet are kept as runs of one kind loaded back to
 * back (D = first + k·load), in a ring sized for the buffer: a run ends only when the kind
 * or its load time changes (`setLoadTimes`: the host's CPU share, host-cpu.ts), and the
 * ring empties whenever the destination catches up, so it holds at most two runs per
 * largest page that fits in the buffer, plus one per load-time change while it is behind
 * (`setLoadTimes` makes room if it must). No allocation after construction.
 */
import { seedDoubleFields } from '../double-fields.js';
import { InvariantError } from '../errors.js';

/** What the destination's side shows the rest of the simulation. */
export interface DestinationLoad {
  /** When the destination will have loaded every page written so far (s). */
  readonly loadedSec: number;
  /** Seconds the destination spent loading pages so far (its CPU, ram_load_precopy). */
  readonly busySec: number;
}

export class SocketPipeline implements DestinationLoad {
  readonly bufferBytes: number;
  /**
   * Whether the source can ever wait for the destination: some load takes longer than the
   * source's fastest page. When not, every page is loaded before the next is written
   * (D_i = S_i + load_i), nothing queues and the sender may count pages in bulk (`writeRun`).
   */
  queues: boolean;
  loadedSec = 0;
  private readonly normalBytes: number;
  private readonly zeroBytes: number;
  private normalLoadSec: number;
  private zeroLoadSec: number;
  private normalPages = 0;
  private zeroPages = 0;
  /** Load seconds of the pages counted before the last `setLoadTimes`. */
  private busyBeforeSec = 0;
  /** Bytes written, and bytes of pages known loaded (a lower bound, brought up lazily). */
  private writtenBytes = 0;
  private loadedBytes = 0;
  // The ring of runs not yet known loaded: the first page's load end, the kind (1 zero),
  // the pages; `headLoaded` pages of the head run are already counted in loadedBytes.
  private readonly runFirstSec: Float64Array;
  private readonly runZero: Uint8Array;
  private readonly runLoadSec: Float64Array;
  private readonly runPages: Uint32Array;
  private head = 0;
  private runs = 0;
  private headLoaded = 0;

  /**
   * `sourceMinPageSec`: the source's fastest page (its work and the link); the loads
   * (`normalLoadSec`, `zeroLoadSec`) queue only when one of them is longer.
   */
  constructor(bufferBytes: number, normalBytes: number, zeroBytes: number, normalLoadSec: number, zeroLoadSec: number, sourceMinPageSec: number) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['loadedSec']);
    this.bufferBytes = bufferBytes;
    this.normalBytes = normalBytes;
    this.zeroBytes = zeroBytes;
    this.normalLoadSec = normalLoadSec;
    this.zeroLoadSec = zeroLoadSec;
    this.queues = bufferBytes > 0 && Math.max(normalLoadSec, zeroLoadSec) > sourceMinPageSec;
    // Two runs per page the buffers hold, and room for load-time changes while they are full.
    const capacity = bufferBytes > 0 ? 2 * Math.ceil(bufferBytes / Math.max(normalBytes, zeroBytes, 1)) + 68 : 1;
    this.runFirstSec = new Float64Array(capacity);
    this.runZero = new Uint8Array(capacity);
    this.runLoadSec = new Float64Array(capacity);
    this.runPages = new Uint32Array(capacity);
  }

  get busySec(): number {
    return this.busyBeforeSec + this.normalPages * this.normalLoadSec + this.zeroPages * this.zeroLoadSec;
  }

  /**
   * The destination's loads take `normalLoadSec` and `zeroLoadSec` from the next page
   * written on (its thread's CPU share changed: host-cpu.ts). Pages already written keep
   * the times they were queued with. From now on the source writes page by page
   * (`queues`): a load may have become longer than the source's fastest page.
   */
  setLoadTimes(normalLoadSec: number, zeroLoadSec: number, nowSec: number): void {
    if (this.bufferBytes > 0) this.queues = true;
    if (normalLoadSec === this.normalLoadSec && zeroLoadSec === this.zeroLoadSec) return;
    // Runs loaded by now leave the ring, so it holds only what is still in the buffers.
    this.loadUntil(nowSec);
    this.busyBeforeSec = this.busySec;
    this.normalPages = 0;
    this.zeroPages = 0;
    this.normalLoadSec = normalLoadSec;
    this.zeroLoadSec = zeroLoadSec;
  }

  /**
   * Pages the source wrote without waiting (`queues` false, or lockstep), the last ending
   * at `endSec` (`lastZero`: it went as a zero page). Only counts: the destination loads
   * each page before the next arrives.
   */
  writeRun(normalPages: number, zeroPages: number, endSec: number, lastZero: boolean): void {
    this.normalPages += normalPages;
    this.zeroPages += zeroPages;
    // Lockstep: the load is part of the page's time, so the last page is loaded at its end.
    if (normalPages + zeroPages > 0) this.loadedSec = this.bufferBytes === 0 ? endSec : endSec + (lastZero ? this.zeroLoadSec : this.normalLoadSec);
  }

  /**
   * The source finished its work on one page at `readySec` (`zero`: sent as a zero page)
   * and writes it. Returns when the write completes: `readySec`, or later when the buffers
   * are full (the time the destination has loaded enough of what came before).
   */
  write(zero: boolean, readySec: number): number {
    const bytes = zero ? this.zeroBytes : this.normalBytes;
    let writeSec = readySec;
    // Bytes that must have left the buffers for this page to fit (all of them if it does
    // not fit in an empty buffer).
    const mustLoad = Math.min(this.writtenBytes, this.writtenBytes + bytes - this.bufferBytes);
    if (mustLoad > this.loadedBytes) {
      this.loadUntil(readySec);
      if (mustLoad > this.loadedBytes) writeSec = this.waitForLoaded(mustLoad);
    }
    this.writtenBytes += bytes;
    const loadSec = zero ? this.zeroLoadSec : this.normalLoadSec;
    if (zero) this.zeroPages++;
    else this.normalPages++;
    const kind = zero ? 1 : 0;
    if (writeSec >= this.loadedSec) {
      // The destination has loaded everything before: a new run starts at this write.
      this.loadedBytes = this.writtenBytes - bytes;
      this.head = 0;
      this.runs = 0;
      this.headLoaded = 0;
      this.pushRun(writeSec + loadSec, kind, loadSec);
      this.loadedSec = writeSec + loadSec;
      return writeSec;
    }
    // The destination is busy: this page is loaded right after the previous one.
    const ring = this.runFirstSec.length;
    const tail = (this.head + this.runs - 1) % ring;
    if (this.runZero[tail] === kind && this.runLoadSec[tail] === loadSec) {
      const pages = ++this.runPages[tail];
      this.loadedSec = this.runFirstSec[tail] + (pages - 1) * loadSec;
    } else {
      this.pushRun(this.loadedSec + loadSec, kind, loadSec);
      this.loadedSec += loadSec;
    }
    return writeSec;
  }

  private pushRun(firstSec: number, kind: number, loadSec: number): void {
    const ring = this.runFirstSec.length;
    if (this.runs === ring) throw new InvariantError(`socket pipeline: more than ${ring} runs in ${this.bufferBytes} B of buffers`);
    const slot = (this.head + this.runs) % ring;
    this.runFirstSec[slot] = firstSec;
    this.runZero[slot] = kind;
    this.runLoadSec[slot] = loadSec;
    this.runPages[slot] = 1;
    this.runs++;
  }

  /** Counts the pages loaded by `timeSec` as out of the buffers. */
  private loadUntil(timeSec: number): void {
    const ring = this.runFirstSec.length;
    while (this.runs > 0) {
      const h = this.head;
      const first = this.runFirstSec[h];
      if (first > timeSec) return;
      const zero = this.runZero[h] === 1;
      const loadSec = this.runLoadSec[h];
      const pages = this.runPages[h];
      // Pages k (0-based) with first + k·load ≤ timeSec, at most the run's.
      let done = pages;
      if (loadSec > 0) {
        done = Math.min(pages, Math.floor((timeSec - first) / loadSec) + 1);
        while (done < pages && first + done * loadSec <= timeSec) done++;
        while (done > 1 && first + (done - 1) * loadSec > timeSec) done--;
      }
      this.loadedBytes += (done - this.headLoaded) * (zero ? this.zeroBytes : this.normalBytes);
      if (done < pages) {
        this.headLoaded = done;
        return;
      }
      this.head = (h + 1) % ring;
      this.runs--;
      this.headLoaded = 0;
    }
  }

  /** Waits until `mustLoad` bytes have been loaded; returns when (the last needed page's load end). */
  private waitForLoaded(mustLoad: number): number {
    const ring = this.runFirstSec.length;
    for (;;) {
      if (this.runs === 0) throw new InvariantError('socket pipeline: waiting for bytes never written');
      const h = this.head;
      const zero = this.runZero[h] === 1;
      const loadSec = this.runLoadSec[h];
      const pageBytes = zero ? this.zeroBytes : this.normalBytes;
      const pages = this.runPages[h];
      const left = pages - this.headLoaded;
      const short = mustLoad - this.loadedBytes;
      if (left * pageBytes < short) {
        this.loadedBytes += left * pageBytes;
        this.head = (h + 1) % ring;
        this.runs--;
        this.headLoaded = 0;
        continue;
      }
      const more = Math.ceil(short / pageBytes);
      this.headLoaded += more;
      this.loadedBytes += more * pageBytes;
      const doneSec = this.runFirstSec[h] + (this.headLoaded - 1) * loadSec;
      if (this.headLoaded === pages) {
        this.head = (h + 1) % ring;
        this.runs--;
        this.headLoaded = 0;
      }
      return doneSec;
    }
  }
}
