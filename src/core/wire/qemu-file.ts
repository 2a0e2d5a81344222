/**
 * QEMUFile's write queue (migration/qemu-file.c) as the rate limit sees it. A migration
 * stream's writes are queued as iovecs: small writes (page headers, a zero page's fill
 * byte) are copied into a 32 KiB buffer (IO_BUF_SIZE), coalescing with a buffered iovec
 * just before them (add_buf_to_iovec); page data is queued by reference, one iovec of its
 * own (qemu_put_buffer_async). qemu_fflush writes them out when MAX_IOV_SIZE (64,
 * `wire.flushIovecs`) iovecs are queued or the buffer fills, and at the end of every
 * iteration. The rate limit reads mig_stats.qemu_file_transferred, which only a flush
 * updates, so a slot's budget is crossed in steps of 32 normal pages (a header iovec and
 * a page iovec each). With `flushIovecs` 0 bytes count as soon as they are queued.
 *
 * One routine, `queuePages`, accounts every page, whether the sender goes page by page (a
 * word with one bit set) or a word of pages at once; `mark`/`rewind` let the word path
 * try a word and take it back, `markGroup`/`rewindGroup` a group of words.
 */
import { popcount32 } from '../bitmap.js';

export const QEMU_FILE_BUFFER_BYTES = 32768;

export class QemuFile {
  /** MAX_IOV_SIZE, or 0: no queue, bytes count at once. */
  readonly flushIovecs: number;
  /** A page sent whole into the buffer (a zero page: header and fill byte). */
  private readonly smallPageBytes: number;
  /** A normal page: its header into the buffer, its data by reference. */
  private readonly headerBytes: number;
  private readonly dataBytes: number;
  // Queued but not yet flushed.
  private unflushedBytes = 0;
  private iovecs = 0;
  private bufferBytes = 0;
  private lastIovecBuffered = false;
  // The state at `mark`.
  private markUnflushedBytes = 0;
  private markIovecs = 0;
  private markBufferBytes = 0;
  private markLastIovecBuffered = false;

  constructor(flushIovecs: number, smallPageBytes: number, headerBytes: number, dataBytes: number) {
    this.flushIovecs = flushIovecs;
    this.smallPageBytes = smallPageBytes;
    this.headerBytes = headerBytes;
    this.dataBytes = dataBytes;
  }

  /**
   * Queues the pages of one bitmap word whose bits are set in `bits`, lowest first: those
   * also in `smallBits` as a small buffered write, the others as a header and a page.
   * Returns the bytes that reached mig_stats: what the flushes it caused wrote (everything
   * at once with no queue). The state lives in locals over the loop: a field read and
   * written per page costs more than the page's bits.
   */
  queuePages(bits: number, smallBits: number): number {
    const small = this.smallPageBytes;
    const header = this.headerBytes;
    const normal = header + this.dataBytes;
    const flushIovecs = this.flushIovecs;
    if (flushIovecs === 0) {
      const smallPages = popcount32(bits & smallBits);
      return smallPages * small + (popcount32(bits) - smallPages) * normal;
    }
    let flushed = 0;
    let unflushed = this.unflushedBytes;
    let iovecs = this.iovecs;
    let buffered = this.bufferBytes;
    let lastBuffered = this.lastIovecBuffered;
    for (let rest = bits; rest !== 0; ) {
      const m = rest & -rest;
      rest ^= m;
      // The header (or the whole small page) is copied into the buffer, coalescing with a
      // buffered iovec just before it; a normal page's data is one more iovec.
      if (!lastBuffered) iovecs++;
      if ((smallBits & m) !== 0) {
        buffered += small;
        unflushed += small;
        lastBuffered = true;
      } else {
        buffered += header;
        unflushed += normal;
        iovecs++;
        lastBuffered = false;
      }
      if (iovecs >= flushIovecs || buffered >= QEMU_FILE_BUFFER_BYTES) {
        // qemu_fflush
        flushed += unflushed;
        unflushed = 0;
        iovecs = 0;
        buffered = 0;
        lastBuffered = false;
      }
    }
    this.unflushedBytes = unflushed;
    this.iovecs = iovecs;
    this.bufferBytes = buffered;
    this.lastIovecBuffered = lastBuffered;
    return flushed;
  }

  /**
   * Queues one write of `bytes` copied into the buffer (qemu_put_buffer, not async: an
   * XBZRLE page, or a normal page while XBZRLE runs). Returns what reached mig_stats.
   */
  queueCopied(bytes: number): number {
    if (this.flushIovecs === 0) return bytes;
    if (!this.lastIovecBuffered) this.iovecs++;
    this.bufferBytes += bytes;
    this.unflushedBytes += bytes;
    this.lastIovecBuffered = true;
    if (this.iovecs >= this.flushIovecs || this.bufferBytes >= QEMU_FILE_BUFFER_BYTES) return this.flushWith(0);
    return 0;
  }

  /** Queues `bytes` more (the EOS marker) and flushes: returns what reached mig_stats. */
  flushWith(bytes: number): number {
    const flushed = this.unflushedBytes + bytes;
    this.unflushedBytes = 0;
    this.iovecs = 0;
    this.bufferBytes = 0;
    this.lastIovecBuffered = false;
    return flushed;
  }

  /**
   * Whether `slotBytes` of the rate slot's counter exceed its budget. With a queue,
   * migration_rate_exceeded's `>` on flushed bytes; without, the contract's `>=` on sent
   * bytes (docs/model.md §3.1). The counter only grows, so a word of pages crossed the budget
   * somewhere iff its last page leaves it over.
   */
  overBudget(slotBytes: number, budgetBytes: number): boolean {
    return this.flushIovecs > 0 ? slotBytes > budgetBytes : slotBytes >= budgetBytes;
  }

  mark(): void {
    this.markUnflushedBytes = this.unflushedBytes;
    this.markIovecs = this.iovecs;
    this.markBufferBytes = this.bufferBytes;
    this.markLastIovecBuffered = this.lastIovecBuffered;
  }

  rewind(): void {
    this.unflushedBytes = this.markUnflushedBytes;
    this.iovecs = this.markIovecs;
    this.bufferBytes = this.markBufferBytes;
    this.lastIovecBuffered = this.markLastIovecBuffered;
  }

  // The state at `markGroup`: a group of words tried at once (each word marks on its own).
  private groupUnflushedBytes = 0;
  private groupIovecs = 0;
  private groupBufferBytes = 0;
  private groupLastIovecBuffered = false;

  markGroup(): void {
    this.groupUnflushedBytes = this.unflushedBytes;
    this.groupIovecs = this.iovecs;
    this.groupBufferBytes = this.bufferBytes;
    this.groupLastIovecBuffered = this.lastIovecBuffered;
  }

  rewindGroup(): void {
    this.unflushedBytes = this.groupUnflushedBytes;
    this.iovecs = this.groupIovecs;
    this.bufferBytes = this.groupBufferBytes;
    this.lastIovecBuffered = this.groupLastIovecBuffered;
  }
}
