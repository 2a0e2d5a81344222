/**
 * Multifd (QEMU's `multifd` capability; migration/multifd.c, multifd-nocomp.c,
 * multifd-zero-page.c): the migration thread queues pages into a packet of `packetPages`
 * (MULTIFD_PACKET_SIZE 512 KiB / page size = 128); a full packet goes to a free channel
 * thread, which writes its header (MultiFDPacket_t and the offset array: 320 + 8·128 =
 * 1344 bytes) and its normal pages, and only then adds both to mig_stats.multifd_bytes.
 *
 * - Zero pages (zero-page-detection): `multifd` (QEMU ≥ 9.0's default) lets the channel
 *   find them (multifd_send_zero_page_detect): they travel as offsets in the header, no
 *   data; `legacy` has the migration thread find them and send each as a 9-byte record on
 *   the main stream, as without multifd; `none` sends every page's data.
 * - The rate limit (migration_rate_exceeded) sees a packet only when its channel has sent
 *   it. The migration thread hands packet n to a channel only when one is free, i.e. once
 *   packet n − channels is sent, so when the channels are the bottleneck the limit lags
 *   `channels` packets behind: a slot sends the packets that cross the budget plus
 *   `channels` more. validation/qemu10-tcg-features multifd_*: 30 packets of 128 normal
 *   pages per 100 ms slot at 128 MiB/s (samples.csv: multifd-bytes grows by 15768960 =
 *   30·(524288 + 1344) per slot), = 26 to exceed 13421772 bytes + 4 channels; the bulk
 *   stage runs at ≈148 MiB/s against 128 without multifd.
 * - Syncs: when the bitmap walk passes the end of memory (find_dirty_block's
 *   complete_round, multifd_ram_sync_per_round in QEMU ≥ 9.0), the migration thread sends
 *   its partial packet, every channel a header-only SYNC packet, and the main stream
 *   RAM_SAVE_FLAG_MULTIFD_FLUSH; it waits for the channels, so every packet in flight is
 *   sent. Setup sends each channel's MultiFDInit_t (64 bytes) and a first sync;
 *   completion a last one (src-trace.log: multifd_send_sync_main at setup, at each wrap
 *   and at completion; multifd-bytes = 1344·packets + 4·64 + 4096·normal pages exactly).
 * - Time: the channels together send at min(link, channels × channelRate); the packet
 *   header is shared out over its pages; a normal page's send (`sendCost`) and load
 *   (`loadCost`) are spread over the channels; scanning for zero pages is spread over the
 *   channels (multifd) or stays on the migration thread (legacy).
 * - Payload: what each page adds to its packet is the payload encoder's
 *   (multifd-compression.ts: the page itself, or compressed by zlib/zstd); with
 *   compression a channel's time per page is its compression CPU, and the link bounds the
 *   compressed bytes through the rate slots.
 */
import { seedDoubleFields } from '../double-fields.js';
import type { MigrationConfig, MultifdConfig } from '../types.js';
import { rawPayload } from './multifd-compression.js';
import type { MultifdPayload } from './multifd-compression.js';
import { QemuFile } from './qemu-file.js';
import { newTransportCounters } from './transport.js';
import type { Transport } from './transport.js';

export class Multifd implements Transport {
  wireBytes = 0;
  readonly counters = newTransportCounters();
  readonly normalPageSec: number;
  readonly zeroPageSec: number;
  readonly eosSec: number;
  /** Lockstep (each channel's socket is not modelled): the loads are in the page times above. */
  readonly normalLoadSec: number;
  readonly zeroLoadSec: number;
  readonly socketBufferBytes = 0;
  readonly finalTailSec: number;
  private readonly channels: number;
  private readonly packetPages: number;
  private readonly packetHeaderBytes: number;
  private readonly pageSizeBytes: number;
  private readonly zeroInChannels: boolean;
  private readonly zeroOnMain: boolean;
  private readonly zeroPageBytes: number;
  private readonly eosBytes: number;
  private readonly deviceStateBytes: number;
  private readonly linkBytesPerSec: number;
  /** The main migration stream: EOS, MULTIFD_FLUSH and (legacy) zero pages. */
  private readonly main: QemuFile;
  private readonly payload: MultifdPayload;
  // The packet the migration thread is filling: its pages, and its payload's bytes.
  private packetFill = 0;
  private packetDataBytes = 0;
  /** Stop-and-copy's payload bytes (finalWord), with a compressing payload. */
  private finalDataBytes = 0;
  /** Bytes of the packets handed to channels and not yet seen by the rate limit, oldest first. */
  private readonly inFlight: Float64Array;
  private inFlightHead = 0;
  private inFlightCount = 0;
  // The state before the last sendWord (a word never hands a packet over).
  private markFill = 0;
  private markDataBytes = 0;
  private markWireBytes = 0;

  constructor(config: MigrationConfig, multifd: MultifdConfig, pageSizeBytes: number, payload: MultifdPayload = rawPayload(pageSizeBytes)) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['wireBytes', 'markWireBytes', 'groupWireBytes']);
    const wire = config.wire;
    this.channels = multifd.channels;
    this.packetPages = multifd.packetPages;
    this.packetHeaderBytes = multifd.packetHeaderBytes;
    this.pageSizeBytes = pageSizeBytes;
    this.zeroInChannels = multifd.zeroPageDetection === 'multifd';
    this.zeroOnMain = multifd.zeroPageDetection === 'legacy';
    this.zeroPageBytes = wire.zeroPageBytes;
    this.eosBytes = wire.eosBytes;
    this.deviceStateBytes = wire.deviceStateBytes;
    this.linkBytesPerSec = config.linkBandwidthBytesPerSec;
    this.main = new QemuFile(wire.flushIovecs, wire.zeroPageBytes, wire.pageHeaderBytes, pageSizeBytes);
    this.payload = payload;
    this.inFlight = new Float64Array(multifd.channels);
    const channelsBytesPerSec = Math.min(config.linkBandwidthBytesPerSec, multifd.channels * multifd.channelRateBytesPerSec);
    const headerShare = multifd.packetHeaderBytes / multifd.packetPages;
    const scanSec = pageSizeBytes / config.scanRateBytesPerSec;
    // A normal page: its data and header share at the link's rate or the channels' (a
    // channel thread's send work is `channelRate`: in multifd the migration thread only
    // queues the page, 0.2 us of its CPU a page in validation/issue12-testbed's uncapped
    // runs, so `sendCost`, the single stream's per-page work, does not apply), and the
    // destination's load spread over its receive channels (the per-page pipeline of
    // single-stream.ts, `channels` wide). A non-zero page's zero check stops at its first
    // non-zero word: not counted.
    const dataSec = (pageSizeBytes + headerShare) / channelsBytesPerSec;
    // With compression a channel's time per page is its compression CPU (threadRate); the
    // compressed bytes reach the link through the rate slots (docs/model.md §3.3).
    const compression = payload.compressed ? (multifd.compression ?? null) : null;
    const sendSec = compression === null ? dataSec : pageSizeBytes / (multifd.channels * compression.threadRateBytesPerSec);
    const normalSec = Math.max(sendSec, config.loadCostSec / multifd.channels);
    this.normalPageSec = normalSec;
    if (this.zeroInChannels) {
      // Found by the channels' whole-page check; the destination's channels check theirs.
      this.zeroPageSec = Math.max(headerShare / channelsBytesPerSec, scanSec / multifd.channels, config.zeroLoadCostSec / multifd.channels);
    } else if (this.zeroOnMain) {
      // The migration thread checks and sends them on the main stream, as one stream does.
      this.zeroPageSec = Math.max(wire.zeroPageBytes / config.linkBandwidthBytesPerSec, scanSec, config.zeroLoadCostSec);
    } else {
      this.zeroPageSec = normalSec;
    }
    this.eosSec = wire.eosBytes / config.linkBandwidthBytesPerSec;
    this.normalLoadSec = config.loadCostSec;
    this.zeroLoadSec = config.zeroLoadCostSec;
    this.finalTailSec = this.eosSec + wire.deviceStateBytes / config.linkBandwidthBytesPerSec;
    // Setup: every channel's MultiFDInit_t, then the first sync's packets.
    this.addMultifdBytes(multifd.channels * (multifd.initPacketBytes + multifd.packetHeaderBytes));
    this.counters.multifdSyncs++;
  }

  sendsAsZero(zero: boolean): boolean {
    return zero && (this.zeroInChannels || this.zeroOnMain);
  }

  sendPage(pfn: number, zero: boolean): number {
    if (zero && this.zeroOnMain) {
      this.wireBytes += this.zeroPageBytes;
      return this.main.queuePages(1, 1);
    }
    this.packetFill++;
    if (!zero) this.packetDataBytes += this.payload.normalPageBytes(pfn);
    else if (!this.zeroInChannels) this.packetDataBytes += this.payload.zeroPageBytes;
    return this.packetFill === this.packetPages ? this.handOver() : 0;
  }

  /**
   * A word at once only when it fills no packet (no channel is involved): then only
   * legacy zero pages reach the main stream. Otherwise −1: page by page.
   */
  sendWord(wordIndex: number, bits: number, zeroBits: number, slotBytes: number, budgetBytes: number): number {
    let pages = 0;
    let dataBytes = 0;
    let mainZero = 0;
    const payload = this.payload;
    for (let rest = bits; rest !== 0; ) {
      const m = rest & -rest;
      rest ^= m;
      const zero = (zeroBits & m) !== 0;
      if (zero && this.zeroOnMain) mainZero |= m;
      else {
        pages++;
        if (!zero) dataBytes += payload.normalPageBytes(wordIndex * 32 + 31 - Math.clz32(m));
        else if (!this.zeroInChannels) dataBytes += payload.zeroPageBytes;
      }
    }
    if (this.packetFill + pages >= this.packetPages) return -1;
    this.main.mark();
    this.markFill = this.packetFill;
    this.markDataBytes = this.packetDataBytes;
    this.markWireBytes = this.wireBytes;
    let slot = slotBytes;
    if (mainZero !== 0) {
      let count = 0;
      for (let rest = mainZero; rest !== 0; rest &= rest - 1) count++;
      this.wireBytes += count * this.zeroPageBytes;
      slot += this.main.queuePages(mainZero, mainZero);
      if (this.overBudget(slot, budgetBytes)) {
        this.takeBackWord();
        return -1;
      }
    }
    this.packetFill += pages;
    this.packetDataBytes += dataBytes;
    return slot;
  }

  takeBackWord(): void {
    this.main.rewind();
    this.packetFill = this.markFill;
    this.packetDataBytes = this.markDataBytes;
    this.wireBytes = this.markWireBytes;
  }

  // The state at markWords (words never hand a packet over, so these are all it changes).
  private groupFill = 0;
  private groupDataBytes = 0;
  private groupWireBytes = 0;

  markWords(): void {
    this.main.markGroup();
    this.groupFill = this.packetFill;
    this.groupDataBytes = this.packetDataBytes;
    this.groupWireBytes = this.wireBytes;
  }

  takeBackWords(): void {
    this.main.rewindGroup();
    this.packetFill = this.groupFill;
    this.packetDataBytes = this.groupDataBytes;
    this.wireBytes = this.groupWireBytes;
  }

  /** migration_rate_exceeded's `>` on what channels and the main stream have sent. */
  overBudget(slotBytes: number, budgetBytes: number): boolean {
    return slotBytes > budgetBytes;
  }

  /** The walk wrapped: partial packet, a SYNC packet per channel, MULTIFD_FLUSH; all sent. */
  wrap(): number {
    let seen = this.sync();
    this.wireBytes += 8;
    seen += this.main.flushWith(8);
    return seen;
  }

  /** ram_save_iterate returns: EOS and a flush; packets in flight are sent meanwhile. */
  endIteration(): number {
    this.wireBytes += this.eosBytes;
    return this.main.flushWith(this.eosBytes) + this.drain();
  }

  /**
   * Stop-and-copy's pages of one bitmap word, before sendFinal: a compressing payload's
   * bytes depend on which pages they are.
   */
  finalWord(wordIndex: number, bits: number, zeroBits: number): void {
    const payload = this.payload;
    if (!payload.compressed) return;
    let bytes = 0;
    for (let rest = bits; rest !== 0; ) {
      const m = rest & -rest;
      rest ^= m;
      if ((zeroBits & m) === 0) bytes += payload.normalPageBytes(wordIndex * 32 + 31 - Math.clz32(m));
      else if (!this.zeroInChannels && !this.zeroOnMain) bytes += payload.zeroPageBytes;
    }
    this.finalDataBytes += bytes;
  }

  sendFinal(normalPages: number, zeroPages: number): number {
    const inPackets = normalPages + (this.zeroOnMain ? 0 : zeroPages);
    const dataPages = this.zeroInChannels || this.zeroOnMain ? normalPages : normalPages + zeroPages;
    if (this.zeroOnMain) this.wireBytes += zeroPages * this.zeroPageBytes;
    // The packets' data (whole packets and the partial one; normal pages only).
    const pages = this.packetFill + inPackets;
    const packets = Math.ceil(pages / this.packetPages);
    const finalData = this.payload.compressed ? this.finalDataBytes : dataPages * this.pageSizeBytes;
    const dataBytes = finalData + this.packetDataBytes;
    this.addMultifdBytes(dataBytes + packets * this.packetHeaderBytes);
    if (this.payload.compressed) this.counters.multifdCompressedBytes += dataBytes;
    this.counters.multifdPackets += packets;
    this.packetFill = 0;
    this.packetDataBytes = 0;
    this.finalDataBytes = 0;
    this.drain();
    // The last sync, then EOS and the device state on the main stream.
    this.sync();
    this.wireBytes += this.eosBytes + this.deviceStateBytes;
    let pagesSec = normalPages * this.normalPageSec + zeroPages * this.zeroPageSec;
    // Compressed pages' times are the channels' CPU: the link may be slower still.
    if (this.payload.compressed) pagesSec = Math.max(pagesSec, (dataBytes + packets * this.packetHeaderBytes) / this.linkBytesPerSec);
    return pagesSec + this.eosSec + this.deviceStateBytes / this.linkBytesPerSec;
  }

  /** The partial packet goes, then a SYNC packet per channel; returns what the limit now sees. */
  private sync(): number {
    let seen = 0;
    if (this.packetFill > 0) seen += this.handOver();
    seen += this.drain();
    const syncBytes = this.channels * this.packetHeaderBytes;
    this.addMultifdBytes(syncBytes);
    this.counters.multifdSyncs++;
    return seen + syncBytes;
  }

  /** The packet being filled goes to a channel; returns the bytes of the one that leaves the lag. */
  private handOver(): number {
    const bytes = this.packetHeaderBytes + this.packetDataBytes;
    this.addMultifdBytes(bytes);
    if (this.payload.compressed) this.counters.multifdCompressedBytes += this.packetDataBytes;
    this.counters.multifdPackets++;
    this.packetFill = 0;
    this.packetDataBytes = 0;
    let seen = 0;
    const slots = this.inFlight.length;
    if (this.inFlightCount === slots) {
      seen = this.inFlight[this.inFlightHead];
      this.inFlightHead = (this.inFlightHead + 1) % slots;
      this.inFlightCount--;
    }
    this.inFlight[(this.inFlightHead + this.inFlightCount) % slots] = bytes;
    this.inFlightCount++;
    return seen;
  }

  /** Every packet in flight is sent: returns their bytes. */
  private drain(): number {
    let seen = 0;
    const slots = this.inFlight.length;
    for (let i = 0; i < this.inFlightCount; i++) seen += this.inFlight[(this.inFlightHead + i) % slots];
    this.inFlightHead = 0;
    this.inFlightCount = 0;
    return seen;
  }

  private addMultifdBytes(bytes: number): void {
    this.wireBytes += bytes;
    this.counters.multifdBytes += bytes;
  }
}
