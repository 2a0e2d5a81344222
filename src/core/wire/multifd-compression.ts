/**
 * Multifd compression (QEMU's multifd-compression zlib | zstd; migration/multifd-zlib.c,
 * multifd-zstd.c; docs/model.md §3.3): what a packet's pages cost on the wire and on a
 * channel thread. The multifd transport (multifd.ts) asks its payload encoder for the bytes
 * each page adds to the packet, as QEMU's MultiFDMethods.send_prepare builds the packet's
 * payload; `RAW_PAYLOAD` is multifd-nocomp.c (the page itself), `CompressedPayload` the
 * compressing methods.
 *
 * - Zero pages are found before compression (multifd_send_prepare_common →
 *   multifd_send_zero_page_detect, QEMU ≥ 9.0): with zeroPageDetection `multifd` they travel
 *   as header offsets and are never compressed; with `none` they are compressed as any page
 *   (`zeroPageBytes` each: zlib level 1 writes 18 bytes per zero page, zstd level 1 under 1,
 *   measured with node:zlib and the zstd CLI on 512 KiB of zeros).
 * - A normal page compresses by its content class: memory in use when the migration starts
 *   (`compressRatio`), free memory's stale content (`freeCompressRatio`), or a writer's
 *   working set (the writer's `compressRatio`, default the compression's): its compressed
 *   size is ⌈page size / ratio⌉. Each channel keeps one stream across packets and flushes
 *   it at every packet's last page (Z_SYNC_FLUSH, ZSTD_e_flush); the ratios are measured on
 *   the wire, so they include that framing (validation/issue12-compression).
 * - A packet's payload is the sum of its pages' compressed sizes (next_packet_size); the
 *   rate limit and multifd-bytes count it with the header, as multifd_send_thread does.
 * - CPU: a channel thread compresses `threadRate` bytes of guest pages per second; that
 *   (not channelRate) bounds the channels (multifd.ts), the link bounds the compressed bytes
 *   through the rate slots (bandwidth is never above the link).
 */
import type { Bitmap } from '../bitmap.js';
import { ConfigError } from '../errors.js';
import type { MultifdCompressionConfig } from '../types.js';

/** What one page adds to its multifd packet's payload (MultiFDMethods.send_prepare). */
export interface MultifdPayload {
  /** Bytes a page with non-zero content adds to its packet's payload. */
  normalPageBytes(pfn: number): number;
  /** Bytes a zero page adds when it travels as data (zeroPageDetection none). */
  readonly zeroPageBytes: number;
  /** Whether payload bytes differ from the pages' bytes (compressed: counted apart). */
  readonly compressed: boolean;
}

/** multifd-nocomp.c: the page itself. */
export function rawPayload(pageSizeBytes: number): MultifdPayload {
  return { normalPageBytes: () => pageSizeBytes, zeroPageBytes: pageSizeBytes, compressed: false };
}

/** A writer's working set, marked into the content-class map (workload-sources.ts Writer). */
export interface WorkingSetOwner {
  markContentClass(classes: Uint8Array, value: number): void;
  /** The writer's compressRatio; null: the compression's. */
  readonly compressRatio: number | null;
}

/** What the guest's memory holds when the migration starts, as compression sees it. */
export interface CompressionContent {
  /** Pages allocated at the start (guest-memory's `allocated`): in-use memory; the rest is free. */
  readonly allocatedAtStart: Bitmap;
  /** The writers in declaration order; a page in several working sets takes the last one's class. */
  readonly writers: readonly WorkingSetOwner[];
}

const USED_CLASS = 0;
const FREE_CLASS = 1;

/**
 * Compressed sizes by content class. The class map is one byte per pfn (allocated only
 * with compression on); classes index `bytesByClass`, whose entries are distinct writer
 * ratios after the used and free classes.
 */
export class CompressedPayload implements MultifdPayload {
  readonly zeroPageBytes: number;
  readonly compressed = true;
  private readonly classes: Uint8Array;
  private readonly bytesByClass: Int32Array;

  constructor(config: MultifdCompressionConfig, pageSizeBytes: number, totalPages: number, content: CompressionContent) {
    this.zeroPageBytes = config.zeroPageBytes;
    const sizes = [compressedBytes(pageSizeBytes, config.compressRatio), compressedBytes(pageSizeBytes, config.freeCompressRatio)];
    const classes = new Uint8Array(totalPages);
    const allocated = content.allocatedAtStart.words;
    for (let w = 0; w < allocated.length; w++) {
      const bits = allocated[w];
      const base = w * 32;
      const end = Math.min(32, totalPages - base);
      for (let b = 0; b < end; b++) classes[base + b] = (bits >>> b) & 1 ? USED_CLASS : FREE_CLASS;
    }
    for (const writer of content.writers) {
      const bytes = writer.compressRatio === null ? sizes[USED_CLASS] : compressedBytes(pageSizeBytes, writer.compressRatio);
      let cls = sizes.indexOf(bytes, FREE_CLASS + 1);
      if (cls < 0) {
        if (sizes.length === 256) throw new ConfigError('phases.writes.compressRatio', 'more than 254 distinct compressed page sizes among the writers');
        cls = sizes.length;
        sizes.push(bytes);
      }
      writer.markContentClass(classes, cls);
    }
    this.classes = classes;
    this.bytesByClass = Int32Array.from(sizes);
  }

  normalPageBytes(pfn: number): number {
    return this.bytesByClass[this.classes[pfn]];
  }
}

/** ⌈page / ratio⌉: a ratio below 1 (random data) makes a page larger than itself. */
export function compressedBytes(pageSizeBytes: number, ratio: number): number {
  return Math.ceil(pageSizeBytes / ratio);
}
