/**
 * The single migration stream (QEMU without multifd): every page goes through the
 * migration thread's QEMUFile as ram_save_page / save_zero_page write it (migration/ram.c).
 * A normal page is its header (8 bytes: offset and flags) and the page; a zero page, found
 * by the migration thread's buffer_is_zero, is its header and one fill byte
 * (RAM_SAVE_FLAG_ZERO); without zero-page detection every page goes as a normal page.
 * The sender's time per page is the longer of its bytes at link speed and the source's work
 * (a zero page's whole-page check at `scanRate`, a normal page's `sendCost`). The
 * destination's load (`zeroLoadCost`, `loadCost`) runs behind the socket buffers
 * (`socketBufferBytes`, socket-pipeline.ts); with none (lockstep: the contract's §3.1, the
 * pass and xen presets, XBZRLE's stream) it is a third stage of the page's time.
 */
import { seedDoubleFields } from '../double-fields.js';
import { popcount32 } from '../bitmap.js';
import type { MigrationConfig } from '../types.js';
import { QemuFile } from './qemu-file.js';
import { newTransportCounters } from './transport.js';
import type { Transport } from './transport.js';

export class SingleStream implements Transport {
  wireBytes = 0;
  readonly counters = newTransportCounters();
  readonly normalPageSec: number;
  readonly zeroPageSec: number;
  readonly eosSec: number;
  readonly normalLoadSec: number;
  readonly zeroLoadSec: number;
  readonly socketBufferBytes: number;
  readonly finalTailSec: number;
  readonly normalPageBytes: number;
  readonly zeroPageBytes: number;
  private readonly detectZero: boolean;
  readonly eosBytes: number;
  readonly deviceStateBytes: number;
  readonly linkBytesPerSec: number;
  private readonly file: QemuFile;
  private markWireBytes = 0;

  /** `socketBufferBytes`: how far the source may run ahead of the destination's loads; 0 lockstep. */
  constructor(config: MigrationConfig, pageSizeBytes: number, socketBufferBytes = 0) {
    // Byte counts past 2^31 and times that start at 0 (double-fields.ts).
    seedDoubleFields(this, ['wireBytes', 'markWireBytes', 'groupWireBytes']);
    const wire = config.wire;
    this.normalPageBytes = wire.pageHeaderBytes + pageSizeBytes;
    this.zeroPageBytes = wire.zeroPageBytes;
    this.detectZero = wire.zeroPageDetection;
    this.eosBytes = wire.eosBytes;
    this.deviceStateBytes = wire.deviceStateBytes;
    this.linkBytesPerSec = config.linkBandwidthBytesPerSec;
    // An uncapped migration is a pipeline: the source's migration thread, the wire, the
    // destination's load (process_incoming_migration_co). A zero page: the source's
    // whole-page check (scanRate), 9 bytes on the wire, the destination's check of its own
    // page (ram_handle_zero); a normal page: the source's send, header + page on the wire,
    // the destination's load. The sender's page takes the slower of its work and the wire;
    // the load overlaps it behind the socket buffers, or (lockstep) is a third stage of
    // the page. Per-page costs from validation/qemu10-tcg-uncapped (thread CPU times).
    const scanSec = pageSizeBytes / config.scanRateBytesPerSec;
    const link = config.linkBandwidthBytesPerSec;
    this.socketBufferBytes = socketBufferBytes;
    this.normalLoadSec = config.loadCostSec;
    this.zeroLoadSec = config.zeroLoadCostSec;
    const lockstep = socketBufferBytes === 0;
    this.normalPageSec = Math.max(this.normalPageBytes / link, config.sendCostSec, lockstep ? config.loadCostSec : 0);
    this.zeroPageSec = Math.max(this.zeroPageBytes / link, scanSec, lockstep ? config.zeroLoadCostSec : 0);
    this.eosSec = wire.eosBytes / config.linkBandwidthBytesPerSec;
    this.finalTailSec = this.eosSec + this.deviceStateBytes / link;
    this.file = new QemuFile(wire.flushIovecs, wire.zeroPageBytes, wire.pageHeaderBytes, pageSizeBytes);
  }

  sendsAsZero(zero: boolean): boolean {
    return zero && this.detectZero;
  }

  sendPage(pfn: number, zero: boolean): number {
    const m = 1 << (pfn & 31);
    return this.sendBits(m, zero ? m : 0);
  }

  sendWord(_wordIndex: number, bits: number, zeroBits: number, slotBytes: number, budgetBytes: number): number {
    this.file.mark();
    this.markWireBytes = this.wireBytes;
    const slot = slotBytes + this.sendBits(bits, zeroBits);
    if (this.file.overBudget(slot, budgetBytes)) {
      this.takeBackWord();
      return -1;
    }
    return slot;
  }

  /** Page by page and word by word alike: the pages in `bits` through QEMUFile. */
  private sendBits(bits: number, zeroBits: number): number {
    const zeroSent = this.detectZero ? bits & zeroBits : 0;
    const zeroPages = popcount32(zeroSent);
    this.wireBytes += zeroPages * this.zeroPageBytes + (popcount32(bits) - zeroPages) * this.normalPageBytes;
    return this.file.queuePages(bits, zeroSent);
  }

  takeBackWord(): void {
    this.file.rewind();
    this.wireBytes = this.markWireBytes;
  }

  private groupWireBytes = 0;

  markWords(): void {
    this.file.markGroup();
    this.groupWireBytes = this.wireBytes;
  }

  takeBackWords(): void {
    this.file.rewindGroup();
    this.wireBytes = this.groupWireBytes;
  }

  overBudget(slotBytes: number, budgetBytes: number): boolean {
    return this.file.overBudget(slotBytes, budgetBytes);
  }

  /** Nothing to do: one stream keeps its order (QEMU syncs only multifd at a wrap). */
  wrap(): number {
    return 0;
  }

  endIteration(): number {
    this.wireBytes += this.eosBytes;
    return this.file.flushWith(this.eosBytes);
  }

  sendFinal(normalPages: number, zeroPages: number): number {
    this.wireBytes += normalPages * this.normalPageBytes + zeroPages * this.zeroPageBytes + this.eosBytes + this.deviceStateBytes;
    return normalPages * this.normalPageSec + zeroPages * this.zeroPageSec + this.eosSec + this.deviceStateBytes / this.linkBytesPerSec;
  }
}
