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
 * The model of what changed: a page sent again changed `bytesPerWrite` bytes in one run
 * since its cached copy (a counter: every write to it hits the same word, so the run does
 * not grow with the number of writes), or the whole page (`bytesPerWrite` = page size). The
 * run lies past the page's first 128 bytes, as the testbed's dirtier stores (guest/wl.c:
 * word (pass mod 512)), so xbzrle_encode_buffer writes a 2-byte zero-run length, the run's
 * uleb128 length and the run's bytes (the trailing zero run is left out).
 *
 * Not modelled: the age is the number of completed bitmap walks (QEMU's dirty_sync_count:
 * one sync per round); the sender's clock counts an XBZRLE page as a normal page's time
 * (at a rate limit the bytes pace the rounds, not this); stop-and-copy sends its pages as
 * the single stream does (QEMU encodes them too: last_stage).
 */
import type { MigrationConfig, XbzrleConfig } from '../types.js';
import { QemuFile } from './qemu-file.js';
import { SingleStream } from './single-stream.js';
import type { Transport } from './transport.js';

/** CACHED_PAGE_LIFETIME (page_cache.c). */
const CACHED_PAGE_LIFETIME = 2;
/** 8-byte page header, ENCODING_FLAG_XBZRLE (1), be16 encoded length (2). */
const XBZRLE_EXTRA_BYTES = 1 + 2;

/** uleb128_encode_small's length. */
function ulebBytes(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : 3;
}

/**
 * xbzrle_encode_buffer's length for a page whose `changedBytes` changed in one run past its
 * first 128 bytes; −1 when it does not fit in a page (overflow), 0 when nothing changed.
 */
export function xbzrleEncodedBytes(changedBytes: number, pageSizeBytes: number): number {
  if (changedBytes === 0) return 0;
  const len = 2 + ulebBytes(changedBytes) + changedBytes;
  return len > pageSizeBytes ? -1 : len;
}

export class Xbzrle implements Transport {
  wireBytes = 0;
  readonly normalPageSec: number;
  readonly zeroPageSec: number;
  readonly eosSec: number;
  private readonly stream: SingleStream;
  private readonly file: QemuFile;
  private readonly pageSizeBytes: number;
  private readonly headerBytes: number;
  private readonly slotMask: number;
  /** Per cache slot: the pfn it holds (−1: empty) and its age (it_addr, it_age). */
  private readonly slotPfn: Int32Array;
  private readonly slotAge: Float64Array;
  /** The bytes a hit page sends: its header, flag, length and encoding; −1 overflow. */
  private readonly encodedBytes: number;
  private started = false;
  private age = 0;

  constructor(config: MigrationConfig, xbzrle: XbzrleConfig, pageSizeBytes: number) {
    this.stream = new SingleStream(config, pageSizeBytes);
    this.normalPageSec = this.stream.normalPageSec;
    this.zeroPageSec = this.stream.zeroPageSec;
    this.eosSec = this.stream.eosSec;
    this.pageSizeBytes = pageSizeBytes;
    const wire = config.wire;
    this.headerBytes = wire.pageHeaderBytes;
    this.file = new QemuFile(wire.flushIovecs, wire.zeroPageBytes, wire.pageHeaderBytes, pageSizeBytes);
    // pow2floor(cache size / page size) slots (cache_init).
    const slots = 2 ** Math.floor(Math.log2(Math.floor(xbzrle.cacheSizeBytes / pageSizeBytes)));
    this.slotMask = slots - 1;
    this.slotPfn = new Int32Array(slots).fill(-1);
    this.slotAge = new Float64Array(slots);
    const encoded = xbzrleEncodedBytes(Math.min(xbzrle.bytesPerWrite, pageSizeBytes), pageSizeBytes);
    this.encodedBytes = encoded > 0 ? wire.pageHeaderBytes + XBZRLE_EXTRA_BYTES + encoded : encoded;
  }

  get counters() {
    return this.stream.counters;
  }

  sendsAsZero(zero: boolean): boolean {
    return this.stream.sendsAsZero(zero);
  }

  sendPage(pfn: number, zero: boolean): number {
    const zeroSent = zero && this.stream.sendsAsZero(true);
    if (!this.started) {
      // SingleStream's send: the page's data queued by reference.
      const m = 1 << (pfn & 31);
      this.wireBytes += zeroSent ? this.stream.zeroPageBytes : this.stream.normalPageBytes;
      return this.file.queuePages(m, zeroSent ? m : 0);
    }
    const slot = pfn & this.slotMask;
    const c = this.stream.counters;
    if (zeroSent) {
      // save_zero_page, then xbzrle_cache_zero_page (cache_insert with the zero page).
      this.insert(slot, pfn);
      return this.copied(this.stream.zeroPageBytes);
    }
    if (this.slotPfn[slot] !== pfn) {
      c.xbzrleCacheMiss++;
      this.insert(slot, pfn);
      return this.copied(this.stream.normalPageBytes);
    }
    this.slotAge[slot] = this.age;
    const bytes = this.encodedBytes;
    if (bytes === 0) return 0;
    if (bytes < 0) {
      c.xbzrleOverflow++;
      c.xbzrleBytes += this.pageSizeBytes;
      return this.copied(this.stream.normalPageBytes);
    }
    c.xbzrlePages++;
    // xbzrle-cache bytes leave out the 8-byte page header (save_xbzrle_page: "bytes_xbzrle - 8").
    c.xbzrleBytes += bytes - this.headerBytes;
    return this.copied(bytes);
  }

  /** cache_insert: refused while another address's copy is fresh. */
  private insert(slot: number, pfn: number): void {
    const held = this.slotPfn[slot];
    if (held !== -1 && held !== pfn && this.slotAge[slot] + CACHED_PAGE_LIFETIME > this.age) return;
    this.slotPfn[slot] = pfn;
    this.slotAge[slot] = this.age;
  }

  private copied(bytes: number): number {
    this.wireBytes += bytes;
    return this.file.queueCopied(bytes);
  }

  /** Every page goes one by one through the cache: a word is never taken at once. */
  sendWord(): number {
    return -1;
  }

  takeBackWord(): void {}

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

  sendFinal(normalPages: number, zeroPages: number): number {
    const before = this.stream.wireBytes;
    const sec = this.stream.sendFinal(normalPages, zeroPages);
    this.wireBytes += this.stream.wireBytes - before;
    return sec;
  }
}
