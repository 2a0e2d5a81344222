/**
 * A transport whose parties run at their share of a shared host's CPU (`host:`,
 * docs/model.md §10.2c, host-cpu.ts). On the testbed's 2-core host the destination's load
 * (12.6 us of CPU per normal page) got 0.24–0.55 of a core, so the real one-stream sender
 * ran at 74–114 MiB/s under a 128 MiB/s cap: it waited for the destination. Here each
 * party's per-page work is its CPU (HOST_CPU_COSTS, the same the budget charges it, or the
 * workload's own `sendCost`/`loadCost` when longer) divided by the share it gets
 * (`setShares`, every rate slot), and it becomes one more stage of the page's time:
 * - the source's: the migration thread per page (one stream), or per page it queues and
 *   a channel's send spread over the channels (multifd): the sender's per-page time is the
 *   longer of the wrapped transport's and this;
 * - the destination's: its load per page (spread over its receive threads with multifd).
 *   The measured 12.6 us is mostly the first-touch fault of a page arriving for the first
 *   time (system time, §10.2b): it applies in the bulk iteration only; a page sent again
 *   (later iterations, an XBZRLE delta) lands on a page already there and costs `loadCost`.
 *   Behind socket buffers (one stream) it is the pipeline's load time
 *   (`normalLoadSec`, socket-pipeline.ts: the source waits once the buffers fill); in
 *   lockstep (multifd, XBZRLE: the page takes its slowest stage) a stage of the page.
 * Everything else (bytes, counters, the rate limit) is the wrapped transport's.
 */
import { HOST_CPU_COSTS, type HostCpuCosts } from '../host-cpu.js';
import type { Transport, TransportCounters } from './transport.js';

export class HostPacedTransport implements Transport {
  normalPageSec: number;
  zeroPageSec: number;
  normalLoadSec: number;
  zeroLoadSec: number;
  readonly finalWord?: (wordIndex: number, bits: number, zeroBits: number) => void;
  private readonly inner: Transport;
  private readonly channels: number;
  private readonly costs: Readonly<HostCpuCosts>;
  /** The destination's CPU per page at a whole core (per receive thread's page). */
  private destNormalSec: number;
  private readonly destZeroSec: number;
  private sourceShare = 1;
  private channelShare = 1;
  private destinationShare = 1;

  /** `channels`: multifd channels (0: one stream), as HostCpu counts its threads. */
  constructor(inner: Transport, channels: number, costs: Readonly<HostCpuCosts> = HOST_CPU_COSTS) {
    this.inner = inner;
    this.channels = channels;
    this.costs = costs;
    this.destNormalSec = Math.max(inner.normalLoadSec, costs.destinationNormalPageSec);
    this.destZeroSec = Math.max(inner.zeroLoadSec, costs.destinationZeroPageSec);
    if (inner.finalWord !== undefined) this.finalWord = (wordIndex, bits, zeroBits) => inner.finalWord!(wordIndex, bits, zeroBits);
    this.normalPageSec = inner.normalPageSec;
    this.zeroPageSec = inner.zeroPageSec;
    this.normalLoadSec = inner.normalLoadSec;
    this.zeroLoadSec = inner.zeroLoadSec;
    this.setShares(1, 1, 1);
  }

  /** The bulk iteration is over: the pages sent from now on are already on the destination. */
  endFirstArrivals(): void {
    this.destNormalSec = this.inner.normalLoadSec;
    this.setShares(this.sourceShare, this.channelShare, this.destinationShare);
  }

  /** Each party's share of a core (HostCpu: the migration thread, one channel, one receive thread). */
  setShares(sourceShare: number, channelShare: number, destinationShare: number): void {
    this.sourceShare = sourceShare;
    this.channelShare = channelShare;
    this.destinationShare = destinationShare;
    const costs = this.costs;
    const inner = this.inner;
    const channels = this.channels;
    let sourceNormal: number;
    let sourceZero: number;
    if (channels === 0) {
      sourceNormal = costs.sourceNormalPageSec / sourceShare;
      sourceZero = costs.sourceZeroPageSec / sourceShare;
    } else {
      const queue = costs.queuePageSec / sourceShare;
      sourceNormal = Math.max(queue, costs.channelNormalPageSec / (channels * channelShare));
      sourceZero = Math.max(queue, costs.sourceZeroPageSec / (channels * channelShare));
    }
    const receivers = Math.max(1, channels);
    const loadNormal = this.destNormalSec / destinationShare;
    const loadZero = this.destZeroSec / destinationShare;
    this.normalLoadSec = loadNormal;
    this.zeroLoadSec = loadZero;
    const lockstep = inner.socketBufferBytes === 0;
    this.normalPageSec = Math.max(inner.normalPageSec, sourceNormal, lockstep ? loadNormal / receivers : 0);
    this.zeroPageSec = Math.max(inner.zeroPageSec, sourceZero, lockstep ? loadZero / receivers : 0);
  }

  get wireBytes(): number {
    return this.inner.wireBytes;
  }
  get counters(): TransportCounters {
    return this.inner.counters;
  }
  get eosSec(): number {
    return this.inner.eosSec;
  }
  get socketBufferBytes(): number {
    return this.inner.socketBufferBytes;
  }
  get finalTailSec(): number {
    return this.inner.finalTailSec;
  }
  sendPage(pfn: number, zero: boolean): number {
    return this.inner.sendPage(pfn, zero);
  }
  sendWord(wordIndex: number, bits: number, zeroBits: number, slotBytes: number, budgetBytes: number): number {
    return this.inner.sendWord(wordIndex, bits, zeroBits, slotBytes, budgetBytes);
  }
  takeBackWord(): void {
    this.inner.takeBackWord();
  }
  markWords(): void {
    this.inner.markWords();
  }
  takeBackWords(): void {
    this.inner.takeBackWords();
  }
  sendsAsZero(zero: boolean): boolean {
    return this.inner.sendsAsZero(zero);
  }
  overBudget(slotBytes: number, budgetBytes: number): boolean {
    return this.inner.overBudget(slotBytes, budgetBytes);
  }
  wrap(): number {
    return this.inner.wrap();
  }
  endIteration(): number {
    return this.inner.endIteration();
  }
  /**
   * Stop-and-copy: the wrapped transport's time (its bytes, EOS, device state) plus what
   * the shares add to each page (in lockstep the pipeline does not see these pages, so the
   * paced stage must be here, or the downtime would be the unpaced one).
   */
  sendFinal(normalPages: number, zeroPages: number): number {
    const inner = this.inner;
    const sec = inner.sendFinal(normalPages, zeroPages);
    return sec + normalPages * (this.normalPageSec - inner.normalPageSec) + zeroPages * (this.zeroPageSec - inner.zeroPageSec);
  }
}
