/**
 * The free-page-hint driver keeps its vCPU (docs/model.md §4.1). Linux's virtio_balloon
 * runs the hinting as a work item (report_free_page_func → virtio_balloon_report_free_page
 * → send_free_pages, drivers/virtio/virtio_balloon.c): send_free_pages loops
 * get_free_page_and_send, which takes a MAX_ORDER − 1 block with alloc_pages (init_on_alloc
 * zeroes it in kernel_init_pages), adds it to the free-page virtqueue and kicks, until the
 * allocation fails or the host sends a new command id. Nothing in that loop sleeps (the
 * allocation has no __GFP_DIRECT_RECLAIM, the kick does not wait for the host) or calls
 * cond_resched, and the workqueue yields only between work items (process_one_work), so
 * under the `none` and `voluntary` preemption models the kworker keeps the vCPU it was
 * queued on until the loop ends: a user-space writer on that vCPU makes no progress. The
 * testbed's dirtier did exactly that (docs/model.md §10.2c: its status lines due 0.60 and
 * 0.71 s after `migrate` came at 1.42 and 1.69 s).
 *
 * Where it applies (Simulation builds one only then): the free-page-hint strategy as Linux
 * has it (taken blocks, no `inPlace`, no `rate`), a guest kernel whose preemption model
 * does not preempt kernel code (`guest.preempt` none or voluntary), and one vCPU. With more,
 * the load balancer (newidle balancing, sched/fair.c) pulls the waiting task to another
 * vCPU within milliseconds, so the streams keep running. Page reporting (mm/page_reporting.c)
 * does not hold it: page_reporting_cycle drops the zone lock for each batch and the
 * driver's report (virtballoon_free_page_report) sleeps in wait_event until the host acks.
 *
 * The driver runs on vCPU 0 (where the model runs all hint work; with one vCPU, the only
 * one). While it works, the writers and churn streams on that vCPU are blocked; when it ends
 * they resume: a writer as its `catchUp` says (Writer.resumeAfterHold), a churn stream
 * shifted by the hold (every later arrival as much later).
 */
import type { GuestMemory } from './guest-memory.js';
import type { ChurnSource, Writer } from './workload-sources.js';
import type { Preemption } from './types.js';
import type { Blockable } from './endings/postcopy-vcpus.js';

/** What the free-page-hint strategy tells about its driver's loop (FreePageHintContext.driverHold). */
export interface HintDriverListener {
  /** The driver took a block and was not working: its loop holds the vCPU from `atSec`. */
  driverBusy(atSec: number): void;
  /** The driver's loop ended at `atSec` (no block taken: the command stopped or memory ran out). */
  driverIdle(atSec: number): void;
}

/**
 * Whether a kernel loop without cond_resched keeps its CPU under this preemption model:
 * `none` and `voluntary` preempt kernel code only where it calls cond_resched or sleeps;
 * `full` preempts it on any tick or wakeup, `lazy` at the next tick (kernel/sched/core.c).
 */
export function holdsVcpu(preempt: Preemption): boolean {
  return preempt === 'none' || preempt === 'voluntary';
}

/** The vCPU the driver's work runs on (Simulation: frees and hint work run on vCPU 0). */
export const HINT_DRIVER_VCPU = 0;

export class HintDriverHold implements HintDriverListener {
  private readonly writers: Writer[];
  private readonly writerVcpus: Int32Array;
  private readonly churns: ChurnSource[];
  private readonly churnVcpus: Int32Array;
  private readonly memory: GuestMemory;
  private heldFromSec = NaN;
  /** The guest is paused (pauseAfterRound): no hold starts or ends. */
  private stopped = false;
  /** Seconds the driver held its vCPU, summed over holds that ended. */
  heldSec = 0;
  /** Holds that ended. */
  holds = 0;

  /**
   * Trace replays (trace-replay.ts): a recorded trace has no vCPU of its own, and the hold
   * applies only to a one-vCPU guest, where every row runs on vCPU 0. Rows shift by the hold
   * (no catch-up: a real program that waits does its work later, as after a postcopy fault).
   */
  private readonly traces: readonly Blockable[];

  constructor(writers: Writer[], writerVcpus: Int32Array, churns: ChurnSource[], churnVcpus: Int32Array, memory: GuestMemory, traces: readonly Blockable[] = []) {
    this.traces = traces;
    this.writers = writers;
    this.writerVcpus = writerVcpus;
    this.churns = churns;
    this.churnVcpus = churnVcpus;
    this.memory = memory;
  }

  /** The guest stopped (pauseAfterRound): its streams stay blocked, whatever the driver does. */
  guestStopped(): void {
    this.stopped = true;
  }

  get isHeld(): boolean {
    return !Number.isNaN(this.heldFromSec);
  }

  driverBusy(atSec: number): void {
    if (this.isHeld || this.stopped) return;
    this.heldFromSec = atSec;
    for (let i = 0; i < this.writers.length; i++) if (this.writerVcpus[i] === HINT_DRIVER_VCPU) this.writers[i].clock.block();
    for (let i = 0; i < this.churns.length; i++) if (this.churnVcpus[i] === HINT_DRIVER_VCPU) this.churns[i].clock.block();
    for (let i = 0; i < this.traces.length; i++) this.traces[i].block();
  }

  driverIdle(atSec: number): void {
    if (!this.isHeld || this.stopped) return;
    this.heldSec += atSec - this.heldFromSec;
    this.holds++;
    this.heldFromSec = NaN;
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) {
      if (this.writerVcpus[i] === HINT_DRIVER_VCPU) writers[i].resumeAfterHold(atSec, writers[i].catchUpSec, this.memory, HINT_DRIVER_VCPU);
    }
    for (let i = 0; i < this.churns.length; i++) if (this.churnVcpus[i] === HINT_DRIVER_VCPU) this.churns[i].clock.unblock(atSec);
    for (let i = 0; i < this.traces.length; i++) this.traces[i].unblock(atSec);
  }
}
