/**
 * XBZRLE over the single migration stream (migration/ram.c save_xbzrle_page, xbzrle.c,
 * page_cache.c). Until the bitmap walk first wraps (find_dirty_block's complete_round sets
 * xbzrle_started) pages go as SingleStream sends them. After that, a non-zero page is
 * looked up in the page cache:
 * - the cache has pow2floor(cacheSize / pageSize) slots indexed by page address
 *   (cache_get_by_addr: (addr / page_size) & (slots − 1)); a page whose slot holds another
 *   address is a cache miss: it goes as a normal page and is inserted (cache_insert) unless
 *   the slot's page is fresh (its age + CACHED_PAGE_LIFETIME 2 > the current age);
 * - a hit (cache_is_cached also refreshes the slot's age) is delta-encoded against the
 *   cached copy: an encoding of 0 bytes (nothing changed) sends nothing; one longer than
 *   the page is an overflow: counted, its page size added to xbzrle bytes, and the page
 *   goes as a normal page; else the page goes as its 8-byte header, ENCODING_FLAG_XBZRLE,
 *   a 16-bit length and the encoding (xbzrle-cache bytes count all but the header).
 * A zero page still goes as a zero page (save_zero_page comes first) and, once XBZRLE runs,
 * replaces its slot with a zero page (xbzrle_cache_zero_page: no miss counted).
 * While XBZRLE runs pages are copied into QEMUFile's buffer (ram_save_page: send_async off).
 *
 * What changed (page content beyond "zero or not" is not simulated): a hit page not written
 * since it was last sent (GuestMemory's `stale` bit clear: dirtied after the sync but before
 * its send, then sent with the write in it) is unchanged: xbzrle_encode_buffer returns 0 and
 * nothing is sent. A written one changed in one run of its writer's `bytesPerWrite` bytes
 * (a counter: every write hits the same bytes, so the run does not grow with the number of
 * writes; the page size for full-page writes and for pages no writer owns, such as
 * allocations). QEMU ≥ 5.1 counts every hit in `pages` (save_xbzrle_page counts before it
 * encodes, so encoding-rate sees unchanged pages): the calibration's hints-off runs show
 * 7895 and 10134 pages for 58666 and 73375 bytes, 7.4 and 7.2 bytes a page, below the 13
 * of any 8-byte delta: about half the hits were unchanged.
 *
 * The encoding's length follows xbzrle_encode_buffer exactly for one run of n changed bytes
 * at offset o: uleb128(o) for the zero run, uleb128(n), the n bytes; the trailing zero run
 * is left out. The run is taken to lie at offset 128 (a 2-byte zero-run length, as for 31
 * of a page's 32 aligned 128-byte positions), or at 0 when it does not fit after it.
 * Stop-and-copy encodes too (QEMU's last_stage: the same save_xbzrle_page).
 *
 * Time: the sender's time per non-zero page is the longest of `sendCost`, `encodeCost` and
 * `loadCost`, bulk stage included; the bytes are paced by max-bandwidth's slots (at most
 * the link's rate), so a 22-byte delta does not take a page's time on the link.
 *
 * Not modelled: the age is the number of completed bitmap walks (QEMU's dirty_sync_count:
 * one sync per round).
 */
import { seedDoubleFields } from '../double-fields.js';
import type { MigrationConfig, XbzrleConfig } from '../types.js';
import { QemuFile } from './qemu-file.js';
import { SingleStream } from './single-stream.js';
import type { Transport } from './transport.js';

/** CACHED_PAGE_LIFETIME (page_cache.c). */
const CACHED_PAGE_LIFETIME = 2;
/** After the 8-byte page header: ENCODING_FLAG_XBZRLE (1), be16 encoded length (2). */
const XBZRLE_EXTRA_BYTES = 1 + 2;
/** Where a changed run is taken to start in its page (see above). */
const RUN_OFFSET_BYTES = 128;

/** uleb128_encode_small's length. */
function ulebBytes(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : 3;
}

/**
 * xbzrle_encode_buffer's length for a page whose `changedBytes` changed in one run at
 * `offsetBytes` (default: 128, or 0 when the run does not fit after it): the zero run's
 * uleb128 length, the run's, the run; −1 when that exceeds a page (overflow), 0 when
 * nothing changed.
 */
export function xbzrleEncodedBytes(changedBytes: number, pageSizeBytes: number, offsetBytes = changedBytes + RUN_OFFSET_BYTES <= pageSizeBytes ? RUN_OFFSET_BYTES : 0): number {
  if (changedBytes === 0) return 0;
  const len = ulebBytes(offsetBytes) + ulebBytes(changedBytes) + changedBytes;
  return len > pageSizeBytes ? -1 : len;
}

/** What XBZRLE reads of the guest: which pages were written since sent, and by what. */
export interface XbzrleGuestView {
  /** GuestMemory.stale's words: set by a write, cleared when the page is sent. */
  staleWords: Uint32Array;
  /**
   * Per pfn, the largest `bytesPerWrite` of the writers whose working set holds it (at most
   * 65535), or 0 when none does: a full-page change. null: every page changes whole.
   */
  writeBytes: Uint16Array | null;
}

export class Xbzrle implements Transport {
  wireBytes = 0;
  readonly normalPageSec: number;
  readonly zeroPageSec: number;
  readonly eosSec: number;
  /** Lockstep, as its stream: the loads are in the page times above. */
  readonly normalLoadSec: number;
  readonly zeroLoadSec: number;
  readonly socketBufferBytes = 0;
  readonly finalTailSec: number;
  private readonly stream: SingleStream;
  private readonly file: QemuFile;
  private readonly pageSizeBytes: number;
  private readonly headerBytes: number;
  private readonly slotMask: number;
  /** Per cache slot: the pfn it holds (−1: empty) and its age (it_addr, it_age). */
  private readonly slotPfn: Int32Array;
  private readonly slotAge: Float64Array;
  private readonly staleWords: Uint32Array | null;
  private readonly writeBytes: Uint16Array | null;
  /** The bytes a hit page sends after a full-page change (−1: it overflows). */
  private readonly fullPageBytes: number;
  private started = false;
  private age = 0;
  /** Stop-and-copy: what its pages put on the wire (finalWord). */
  private finalPageBytes = 0;
  private finalPages = 0;

  /** `guest` null: every hit page changed whole (the unit tests' bare transport). */
  constructor(config: MigrationConfig, xbzrle: XbzrleConfig, pageSizeBytes: number, guest: XbzrleGuestView | null = null) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['wireBytes']);
    this.stream = new SingleStream(config, pageSizeBytes);
    // The sender's time per non-zero page is its CPU work (send, encode, the destination's
    // load), not a full page at link speed: a delta is 22 bytes, and max-bandwidth (never
    // above the link: parse-workload clamps it) paces the bytes slot by slot. Its clock
    // counts pages by kind, so a miss and a delta take the same time.
    this.normalPageSec = Math.max(config.sendCostSec, xbzrle.encodeCostSec, config.loadCostSec);
    this.zeroPageSec = this.stream.zeroPageSec;
    this.eosSec = this.stream.eosSec;
    this.normalLoadSec = config.loadCostSec;
    this.zeroLoadSec = config.zeroLoadCostSec;
    this.finalTailSec = this.stream.finalTailSec;
    this.pageSizeBytes = pageSizeBytes;
    const wire = config.wire;
    this.headerBytes = wire.pageHeaderBytes;
    this.file = new QemuFile(wire.flushIovecs, wire.zeroPageBytes, wire.pageHeaderBytes, pageSizeBytes);
    // pow2floor(cache size / page size) slots (cache_init).
    const slots = 2 ** Math.floor(Math.log2(Math.floor(xbzrle.cacheSizeBytes / pageSizeBytes)));
    this.slotMask = slots - 1;
    this.slotPfn = new Int32Array(slots).fill(-1);
    this.slotAge = new Float64Array(slots);
    this.staleWords = guest === null ? null : guest.staleWords;
    this.writeBytes = guest === null ? null : guest.writeBytes;
    this.fullPageBytes = this.hitBytes(pageSizeBytes);
  }

  /** A hit page's bytes on the wire when `changedBytes` changed: header, flag, length, encoding; −1 overflow, 0 unchanged. */
  private hitBytes(changedBytes: number): number {
    const encoded = xbzrleEncodedBytes(changedBytes, this.pageSizeBytes);
    return encoded > 0 ? this.headerBytes + XBZRLE_EXTRA_BYTES + encoded : encoded;
  }

  get counters() {
    return this.stream.counters;
  }

  sendsAsZero(zero: boolean): boolean {
    return this.stream.sendsAsZero(zero);
  }

  sendPage(pfn: number, zero: boolean): number {
    if (!this.started) {
      const zeroSent = zero && this.stream.sendsAsZero(true);
      // SingleStream's send: the page's data queued by reference.
      const m = 1 << (pfn & 31);
      this.wireBytes += zeroSent ? this.stream.zeroPageBytes : this.stream.normalPageBytes;
      return this.file.queuePages(m, zeroSent ? m : 0);
    }
    return this.copied(this.encode(pfn, zero));
  }

  /**
   * Once XBZRLE runs: the page through the cache (ram_save_page with xbzrle_started):
   * returns its bytes on the wire and counts QEMU's xbzrle-cache counters.
   */
  private encode(pfn: number, zero: boolean): number {
    const slot = pfn & this.slotMask;
    const c = this.stream.counters;
    if (zero && this.stream.sendsAsZero(true)) {
      // save_zero_page, then xbzrle_cache_zero_page (cache_insert with the zero page).
      this.insert(slot, pfn);
      return this.stream.zeroPageBytes;
    }
    if (this.slotPfn[slot] !== pfn) {
      c.xbzrleCacheMiss++;
      this.insert(slot, pfn);
      return this.stream.normalPageBytes;
    }
    this.slotAge[slot] = this.age;
    // Counted before encoding (QEMU ≥ 5.1): unchanged and overflowing pages too.
    c.xbzrlePages++;
    c.xbzrleUnencodedBytes += this.pageSizeBytes;
    const stale = this.staleWords;
    let bytes: number;
    if (stale !== null && (stale[pfn >>> 5] & (1 << (pfn & 31))) === 0) bytes = 0;
    else {
      const changed = this.writeBytes === null ? 0 : this.writeBytes[pfn];
      bytes = changed === 0 ? this.fullPageBytes : this.hitBytes(Math.min(changed, this.pageSizeBytes));
    }
    if (bytes === 0) return 0; // xbzrle_encode_buffer found no change: nothing sent
    if (bytes < 0) {
      c.xbzrleOverflow++;
      c.xbzrleBytes += this.pageSizeBytes;
      return this.stream.normalPageBytes;
    }
    // xbzrle-cache bytes leave out the 8-byte page header (save_xbzrle_page: "bytes_xbzrle - 8").
    c.xbzrleBytes += bytes - this.headerBytes;
    return bytes;
  }

  /** cache_insert: refused while another address's copy is fresh. */
  private insert(slot: number, pfn: number): void {
    const held = this.slotPfn[slot];
    if (held !== -1 && held !== pfn && this.slotAge[slot] + CACHED_PAGE_LIFETIME > this.age) return;
    this.slotPfn[slot] = pfn;
    this.slotAge[slot] = this.age;
  }

  private copied(bytes: number): number {
    if (bytes === 0) return 0;
    this.wireBytes += bytes;
    return this.file.queueCopied(bytes);
  }

  /** Stop-and-copy's pages go through the cache too (save_xbzrle_page in the last stage). */
  finalWord(wordIndex: number, bits: number, zeroBits: number): void {
    let rest = bits;
    while (rest !== 0) {
      const low = rest & -rest;
      const pfn = wordIndex * 32 + 31 - Math.clz32(low);
      rest ^= low;
      this.finalPageBytes += this.started ? this.encode(pfn, (zeroBits & low) !== 0) : (zeroBits & low) !== 0 && this.stream.sendsAsZero(true) ? this.stream.zeroPageBytes : this.stream.normalPageBytes;
      this.finalPages++;
    }
  }

  /** Every page goes one by one through the cache: a word is never taken at once. */
  sendWord(): number {
    return -1;
  }

  takeBackWord(): void {}

  markWords(): void {}

  takeBackWords(): void {}

  overBudget(slotBytes: number, budgetBytes: number): boolean {
    return this.file.overBudget(slotBytes, budgetBytes);
  }

  wrap(): number {
    // complete_round: XBZRLE starts; a round's sync ages the cache (dirty_sync_count).
    this.started = true;
    this.age++;
    return 0;
  }

  endIteration(): number {
    const eosBytes = this.stream.eosBytes;
    this.wireBytes += eosBytes;
    return this.file.flushWith(eosBytes);
  }

  /**
   * The pages finalWord saw, at the link's speed or the sender's per-page time, whichever
   * is longer, then the EOS and the device state (as the single stream).
   */
  sendFinal(normalPages: number, zeroPages: number): number {
    if (this.finalPages !== normalPages + zeroPages) {
      // No finalWord calls: the single stream's send of the counts.
      const before = this.stream.wireBytes;
      const sec = this.stream.sendFinal(normalPages, zeroPages);
      this.wireBytes += this.stream.wireBytes - before;
      return sec;
    }
    const pageBytes = this.finalPageBytes;
    const tailBytes = this.stream.eosBytes + this.stream.deviceStateBytes;
    this.finalPageBytes = 0;
    this.finalPages = 0;
    this.wireBytes += pageBytes + tailBytes;
    const link = this.stream.linkBytesPerSec;
    return Math.max(pageBytes / link, normalPages * this.normalPageSec + zeroPages * this.zeroPageSec) + tailBytes / link;
  }
}
