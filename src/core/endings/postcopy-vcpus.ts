/**
 * The destination's vCPUs during postcopy: a vCPU whose write finds its page missing
 * blocks (userfaultfd) until the page arrives, and with it every event stream it runs.
 * Accounts QEMU's postcopy-vcpu-blocktime (per vCPU, the sum of its waits) and
 * postcopy-blocktime (the time every vCPU of the guest was blocked at once;
 * postcopy-ram.c's mark_postcopy_blocktime_begin/end). Faults and arrivals reach it in
 * time order (the simulation fires events in order), so "all blocked" is a count.
 */
import type { PageArrivals } from './postcopy.js';

/** An event stream that can wait: a writer's clock. */
export interface Blockable {
  block(): void;
  unblock(atSec: number): void;
}

export class PostcopyVcpus implements PageArrivals {
  /** Blocked seconds per vCPU. */
  readonly vcpuBlocktimeSec: Float64Array;
  /** Seconds during which every vCPU was blocked. */
  blocktimeSec = 0;
  private readonly waitPfn: Int32Array;
  private readonly sinceSec: Float64Array;
  /** The streams each vCPU runs. */
  private readonly streams: Blockable[][];
  private blockedCount = 0;
  private allBlockedSinceSec = 0;

  constructor(vcpus: number, streams: readonly Blockable[], streamVcpus: Int32Array) {
    this.vcpuBlocktimeSec = new Float64Array(vcpus);
    this.waitPfn = new Int32Array(vcpus).fill(-1);
    this.sinceSec = new Float64Array(vcpus);
    this.streams = Array.from({ length: vcpus }, () => []);
    streams.forEach((stream, i) => this.streams[streamVcpus[i]].push(stream));
  }

  /** vCPU `vcpu` faulted on `pfn` at `timeSec`: its streams wait. */
  fault(vcpu: number, pfn: number, timeSec: number): void {
    this.waitPfn[vcpu] = pfn;
    this.sinceSec[vcpu] = timeSec;
    for (const stream of this.streams[vcpu]) stream.block();
    if (++this.blockedCount === this.waitPfn.length) this.allBlockedSinceSec = timeSec;
  }

  arrived(pfn: number, atSec: number): boolean {
    if (this.blockedCount === 0) return false;
    let woke = false;
    for (let v = 0; v < this.waitPfn.length; v++) {
      if (this.waitPfn[v] !== pfn) continue;
      if (this.blockedCount === this.waitPfn.length) this.blocktimeSec += atSec - this.allBlockedSinceSec;
      this.blockedCount--;
      this.waitPfn[v] = -1;
      this.vcpuBlocktimeSec[v] += atSec - this.sinceSec[v];
      for (const stream of this.streams[v]) stream.unblock(atSec);
      woke = true;
    }
    return woke;
  }
}
