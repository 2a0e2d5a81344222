/**
 * A shared host-CPU budget (docs/model.md §10.2c). On the testbed's host the guest's TCG
 * vCPU, the source's migration (or multifd channel) threads, its iothread taking the
 * balloon's hints, the destination's receive threads and other jobs all run on `cores`
 * host cores. Linux's CFS gives runnable threads a fair share of them: a thread that
 * wants less than its share gets what it wants, the rest split what is left (max-min
 * fair, each at most one core). The guest's hint work (init_on_alloc zeroing of hint
 * blocks, first touches, the report calls: everything the vCPU does for the hints) runs
 * at the share its vCPU gets.
 *
 * What the migration side wants is taken from the rate slot that just ended (QEMU's
 * BUFFER_DELAY window, precopy.ts): the pages it sent and the hints that arrived, each
 * times its CPU cost (HOST_CPU_COSTS, measured per thread on the testbed), over the slot's
 * length; that sets the guest's share for the next slot. Other jobs (`otherLoad`, the
 * host's load average) are floor(load) threads that want a whole core and one that wants
 * the fraction. The vCPU wants a whole core in a slot where it did or has hint work; in one
 * where it has none (hints off, the driver done, waiting for the next command) it is not
 * in the split: the testbed's hints-off vCPU, running `wl dirty 64 64 word`, took 0.04–0.10
 * of a core (validation/issue12x-hosts, schedstat), which the model leaves to the writers.
 *
 * The balloon's iothread polls while the guest hints (virtio-balloon.c,
 * virtio_ballloon_get_free_page_hints loops `while (continue_to_get_hints ||
 * free_page_hint_status == FREE_PAGE_HINT_S_START)`: after the first hint it re-reads the
 * free-page virtqueue without waiting for a kick until the guest says it is done or
 * migration stops the hinting). Under multifd it is runnable throughout and takes as much
 * CPU as the vCPU (validation/issue12-driver-rate: 0.64 and 0.64 of a core with nothing
 * else on the host, 0.23–0.41 beside 0.27–0.44 under load), so with `iothreadPolls` it is a
 * thread that wants a whole core in every slot in which hints arrived. With one stream the
 * migration thread holds the bitmap mutex over its page loop and the iothread waits on it
 * (0.11 of a core beside the vCPU's 0.52 in the one capped one-stream run; 0.05–0.11 s in
 * all in the uncapped ones), so there it is charged per hinted page.
 *
 * Other jobs are `otherLoad` threads, as before; with `otherSessions` they compete by
 * session (CFS autogroup shares the CPU between sessions first): each session is one entity
 * wanting min(1, otherLoad / otherSessions) of a core. At the same load average (5.2) the
 * testbed's destination kept the cap beside one session of 4 spinning processes (which got
 * 0.51–0.72 of a core together) and got 0.26–0.28 beside four sessions of one
 * (validation/issue12x-hosts: max-min by session predicts both, by thread only the second).
 * The QEMUs' own threads stay threads: the multifd hinting session, with two threads always
 * runnable, kept 1.05–1.28 of the 2 cores beside 1–5 other running processes, a thread's
 * share each, not one session's (validation/issue12-driver-rate; docs/model.md §10.2c).
 *
 * With `otherCpu` the other jobs' measured CPU comes off `cores` before the split: on this host
 * no count of the other sessions, their running processes or their runnable threads predicts
 * what they take from the QEMUs' session (validation/issue12-driver-rate: one session of a
 * 4-thread process left the hinting vCPU 0.11 of a core, three one-loop sessions 0.30), while
 * the QEMUs' threads split what the others leave them max-min, as above (given the others'
 * CPU, 8 of 13 recorded hints-on runs' totals within 10%; validation/issue12-driver-rate/README.md).
 *
 * Only the hinting vCPU counts as a guest thread: writers and churn are paced workloads
 * (a rate, not a duty cycle), so what they ask of the host is not known, and they keep
 * their rates.
 *
 * Deterministic, no allocation after construction; per slot, not per page.
 */
import type { HostConfig } from './types.js';

/**
 * CPU time per unit of work, per thread (validation/qemu10-tcg-uncapped-idle and
 * validation/issue12-testbed, cpu-threads.csv: each QEMU thread's utime + stime at exit,
 * sampled by validation/qemu10-tcg-uncapped/cpu_watch.py; docs/model.md §10.2c).
 */
export interface HostCpuCosts {
  /** One-stream migration thread per normal page (ram_save_page, the socket write). */
  sourceNormalPageSec: number;
  /** Per zero page: the whole-page zero check (buffer_is_zero), by the migration thread or a channel. */
  sourceZeroPageSec: number;
  /** Multifd: a channel thread per normal page (the packet's iovec write). */
  channelNormalPageSec: number;
  /** Multifd: the migration thread per page it queues into a packet. */
  queuePageSec: number;
  /** The destination per normal page (receive, copy, first-touch fault), spread over its receive threads. */
  destinationNormalPageSec: number;
  /** The destination per zero page (ram_handle_zero). */
  destinationZeroPageSec: number;
  /**
   * The source's iothread per hinted page (virtio_balloon_handle_free_page_vq ->
   * qemu_guest_free_page_hint: the bitmap clear and the dirty-log clear of the range,
   * both proportional to its pages). Charged per page, not per call, so that strategies
   * whose calls name one page or a batch of blocks cost what their pages do.
   */
  hintPageSec: number;
}

/**
 * Measured on the idle build host (load 0.2–0.9), the costs of the work itself:
 * - source: least-squares fit of the migration thread's CPU over the 24 runs of
 *   validation/qemu10-tcg-uncapped-idle: 1.33 us per normal page, 0.264 us per zero
 *   page, rms 0.044 s (under load 8–12 the same fit gives 1.56 and 0.465 us);
 * - destination: its main thread's CPU per normal page in the six garbage hints-off runs,
 *   12.4–13.8 us (12.6 us, the wall time per page that bounds them, §10.2b); 0.22 us per
 *   zero page (`zeroLoadCost`; at most 0.26 us in 4 GiB idle rep2); under load 19.5 us;
 * - multifd (validation/issue12-testbed, the only channel data, load 11–13): a send
 *   thread 0.92 us per normal page, the migration thread 0.2 us per page;
 * - iothread: its CPU over the hinted blocks ((MemFree − min watermark) / 1024) in the
 *   12 hints-on runs, a fit through the origin: 0.14 ms per 4 MiB block (0.51 ms loaded),
 *   so 0.14 ms / 1024 per page (every block measured had 1024 pages). These runs are one
 *   stream, where the iothread waits on the bitmap mutex; where it polls (multifd) it wants
 *   a whole core instead (`iothreadPolls`).
 */
export const HOST_CPU_COSTS: Readonly<HostCpuCosts> = Object.freeze({
  sourceNormalPageSec: 1.33e-6,
  sourceZeroPageSec: 0.264e-6,
  channelNormalPageSec: 0.92e-6,
  queuePageSec: 0.2e-6,
  destinationNormalPageSec: 12.6e-6,
  destinationZeroPageSec: 0.22e-6,
  hintPageSec: 0.14e-3 / 1024,
});

/**
 * The CPU share (≤ 1 core) of a thread that wants a whole core, when `fullThreads` such
 * threads share `cores` with the threads of `demands[0, count)` (each wanting that much
 * of a core, in [0, 1]): max-min fairness, as CFS gives equal-weight threads. With no
 * such thread (`fullThreads` 0), the level a thread of `demands` wanting more is held to,
 * 1 when every demand fits. Sorts `demands[0, count)` in place (insertion sort: a few
 * dozen threads at most).
 */
export function fullThreadShare(cores: number, fullThreads: number, demands: Float64Array, count: number): number {
  for (let i = 1; i < count; i++) {
    const value = demands[i];
    let j = i - 1;
    while (j >= 0 && demands[j] > value) {
      demands[j + 1] = demands[j];
      j--;
    }
    demands[j + 1] = value;
  }
  let remaining = cores;
  let left = count + fullThreads;
  for (let i = 0; i < count; i++) {
    const demand = demands[i];
    // Every thread still in line wants at least `demand`: if the even split is below it,
    // they all get the even split, the full threads too.
    if (demand * left > remaining) return Math.min(1, remaining / left);
    remaining -= demand;
    left--;
  }
  // No whole-core thread and every demand met: nobody is held.
  return fullThreads === 0 ? 1 : Math.min(1, remaining / fullThreads);
}

export class HostCpu {
  /** The share of a core the hinting vCPU gets until the next slot ends. */
  guestShare: number;
  /**
   * The speed (≤ 1) at which each migration party runs until the next slot ends: 1 when it
   * wants no more than the fair level (it gets what it wants), else the level (runnable all
   * the time, it gets that share of a core, so each unit of its work takes cost / share).
   * The source's migration thread, one multifd channel, one destination receive thread.
   */
  sourceShare = 1;
  channelShare = 1;
  destinationShare = 1;

  private readonly cores: number;
  private readonly fullOther: number;
  /** Other jobs wanting less than a core: `partialCount` of them, each `partialOther`. */
  private readonly partialOther: number;
  private readonly partialCount: number;
  private readonly channels: number;
  private readonly costs: Readonly<HostCpuCosts>;
  /** The iothread polls the free-page virtqueue while hints arrive (free-page-hint under multifd). */
  private readonly iothreadPolls: boolean;
  /** Hints arrived in the slot that just ended (before the first slot: the hinting starts with the migration). */
  private hinting: boolean;
  /** Migration threads' demands (source, channels, destination, iothread) plus the partial other jobs. */
  private readonly demands: Float64Array;
  private lastNormal = 0;
  private lastZero = 0;
  private lastHinted = 0;

  /**
   * @param channels multifd channels (0: one stream): the source's and the destination's
   *   page work splits over that many threads each, beside the migration thread.
   * @param iothreadPolls the balloon's iothread polls while hints arrive (free-page-hint under
   *   multifd): it then wants a whole core, from the start of the migration while hints come.
   */
  constructor(config: HostConfig, channels: number, costs: Readonly<HostCpuCosts> = HOST_CPU_COSTS, iothreadPolls = false) {
    // What the other jobs keep busy, measured, is not in the split: the rest is shared.
    this.cores = config.cores - (config.otherCpu ?? 0);
    const sessions = config.otherSessions;
    if (sessions === undefined) {
      // Each thread on its own: floor(load) whole threads and one wanting the fraction.
      this.fullOther = Math.floor(config.otherLoad);
      this.partialOther = config.otherLoad - this.fullOther;
      this.partialCount = 1;
    } else {
      // Autogroup: each session one entity, wanting its threads' load up to a whole core.
      const each = config.otherLoad / sessions;
      this.fullOther = each >= 1 ? sessions : 0;
      this.partialOther = each >= 1 ? 0 : each;
      this.partialCount = each >= 1 ? 0 : sessions;
    }
    this.channels = channels;
    this.costs = costs;
    this.iothreadPolls = iothreadPolls;
    this.hinting = iothreadPolls;
    // Source (1), channels, destination threads (max(1, channels)), iothread, partial jobs.
    this.demands = new Float64Array(1 + channels + Math.max(1, channels) + 1 + this.partialCount);
    this.guestShare = this.share(0, 0, 0, 1, true);
  }

  /**
   * A rate slot of `elapsedSec` ended; `normalPages`, `zeroPages` and `hintedPages` are
   * the run's totals so far (sent pages, pages named in hints); `guestBusy`: the vCPU did
   * hint work in the slot or has some pending. Returns the guest's share for the next slot
   * (when it was not busy, the share it gets once it is: a whole-core thread joining).
   */
  slotEnded(elapsedSec: number, normalPages: number, zeroPages: number, hintedPages: number, guestBusy = true): number {
    const normal = normalPages - this.lastNormal;
    const zero = zeroPages - this.lastZero;
    const hinted = hintedPages - this.lastHinted;
    this.lastNormal = normalPages;
    this.lastZero = zeroPages;
    this.lastHinted = hintedPages;
    this.hinting = this.iothreadPolls && hinted > 0;
    if (elapsedSec > 0) this.guestShare = this.share(normal, zero, hinted, elapsedSec, guestBusy);
    return this.guestShare;
  }

  /**
   * The fair split for the next slot: sets the migration parties' shares, returns the
   * vCPU's. A migration party's demand is the time it was runnable over the slot: its CPU
   * at the speed it ran (cost / share), so that a thread held to its share (runnable the
   * whole slot) still asks for a whole core rather than for what the share let it do.
   */
  private share(normal: number, zero: number, hinted: number, elapsedSec: number, guestBusy: boolean): number {
    const costs = this.costs;
    const demands = this.demands;
    const channels = this.channels;
    let count = 0;
    const zeroCheckSec = zero * costs.sourceZeroPageSec;
    let source: number;
    let channel = 0;
    if (channels === 0) {
      source = busy((normal * costs.sourceNormalPageSec + zeroCheckSec) / this.sourceShare, elapsedSec);
    } else {
      source = busy(((normal + zero) * costs.queuePageSec) / this.sourceShare, elapsedSec);
      channel = busy((normal * costs.channelNormalPageSec + zeroCheckSec) / channels / this.channelShare, elapsedSec);
      for (let c = 0; c < channels; c++) demands[count++] = channel;
    }
    demands[count++] = source;
    const receivers = Math.max(1, channels);
    const receiver = busy((normal * costs.destinationNormalPageSec + zero * costs.destinationZeroPageSec) / receivers / this.destinationShare, elapsedSec);
    for (let r = 0; r < receivers; r++) demands[count++] = receiver;
    // The iothread: polling, a whole core (beside the vCPU); else its work per hinted page.
    if (!this.hinting) demands[count++] = busy(hinted * costs.hintPageSec, elapsedSec);
    for (let k = 0; k < this.partialCount; k++) demands[count++] = this.partialOther;
    // A thread wanting a whole core gets the fair level (fullThreadShare): every thread
    // wanting more than the level is held to it. The vCPU is one of them only while it hints,
    // the polling iothread only while hints arrive.
    const polling = this.hinting ? 1 : 0;
    const level = fullThreadShare(this.cores, (guestBusy ? 1 : 0) + polling + this.fullOther, demands, count);
    this.sourceShare = source > level ? level : 1;
    this.channelShare = channel > level ? level : 1;
    this.destinationShare = receiver > level ? level : 1;
    // Idle, the vCPU gets what a whole-core thread joining would (`demands` is sorted now).
    return guestBusy ? level : fullThreadShare(this.cores, 1 + polling + this.fullOther, demands, count);
  }
}

/** The share of one core that `cpuSec` of work over `elapsedSec` keeps busy (at most 1). */
function busy(cpuSec: number, elapsedSec: number): number {
  const fraction = cpuSec / elapsedSec;
  return fraction < 1 ? fraction : 1;
}
