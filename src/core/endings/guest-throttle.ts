/**
 * Slowing the guest so that pre-copy converges, after QEMU's migration/ram.c:
 * migration_bitmap_sync runs migration_trigger_throttle once a period of at least 1 s has
 * passed since the last; when the bytes dirtied in the period exceed
 * throttle-trigger-threshold % of the bytes sent, a counter rises, and at 2 the guest is
 * slowed: with auto-converge by mig_throttle_guest_down (the CPU throttle starts at
 * cpu-throttle-initial, then rises by cpu-throttle-increment, or with
 * cpu-throttle-tailslow by only what the excess needs, up to max-cpu-throttle), with
 * dirty-limit by migration_dirty_limit_guest (every vCPU's dirty rate is capped at
 * vcpu-dirty-limit; system/dirtylimit.c). So the throttle rises every second sync at
 * most: the calibration's auto-converge runs show exactly that (20, 30 … 90, 99% at
 * syncs 4, 6 … 20).
 *
 * What a throttle does to a writer is the simulation's (`writerScale`): QEMU's
 * cpu_throttle_thread lets the vCPU run 10 ms out of every 10 ms / (1 − p), so a writer
 * that needs a share `cpuShare` of the vCPU keeps its rate while 1 − p ≥ cpuShare.
 */
import type { AutoConverge, DirtyLimitConfig } from '../types.js';

/** How the guest is slowed; the simulation applies it to the guest's event streams. */
export interface GuestSlowdown {
  /** The CPU throttle is now `percent` (auto-converge). */
  onThrottle(percent: number, timeSec: number): void;
  /** Every vCPU's dirty rate is capped at `bytesPerSec` from now on (dirty-limit). */
  onDirtyLimit(bytesPerSec: number, timeSec: number): void;
}

export class ThrottleTrigger {
  /** cpu-throttle-percentage. */
  throttlePct = 0;
  /** How many times the throttle rose. */
  steps = 0;
  /** Whether dirty-limit is in service. */
  dirtyLimited = false;

  private readonly autoConverge: AutoConverge;
  private readonly dirtyLimit: DirtyLimitConfig | null;
  private readonly slowdown: GuestSlowdown;
  private periodStartSec: number;
  private periodStartBytes = 0;
  /** Pages newly set in the migration bitmap since the period began (num_dirty_pages_period). */
  private periodDirtyPages = 0;
  private dirtyRateHighCount = 0;

  constructor(autoConverge: AutoConverge, dirtyLimit: DirtyLimitConfig | null, slowdown: GuestSlowdown, startSec: number) {
    this.autoConverge = autoConverge;
    this.dirtyLimit = dirtyLimit;
    this.slowdown = slowdown;
    this.periodStartSec = startSec;
  }

  /** Setup: the first period starts (ram_state_init's time_last_bitmap_sync). */
  start(timeSec: number): void {
    this.periodStartSec = timeSec;
  }

  /** A sync set `pages` bits that were clear. */
  addDirtyPages(pages: number): void {
    this.periodDirtyPages += pages;
  }

  /**
   * After a sync that did not end the migration, with `totalBytes` sent so far: QEMU's
   * migration_trigger_throttle when the period is at least 1 s old, then a new period.
   */
  atSync(timeSec: number, totalBytes: number, pageSizeBytes: number): void {
    const ac = this.autoConverge;
    if ((!ac.enabled && this.dirtyLimit === null) || timeSec < this.periodStartSec + 1) return;
    const dirtiedBytes = this.periodDirtyPages * pageSizeBytes;
    const sentBytes = totalBytes - this.periodStartBytes;
    const thresholdBytes = (sentBytes * ac.triggerThresholdPct) / 100;
    if (dirtiedBytes > thresholdBytes && ++this.dirtyRateHighCount >= 2) {
      this.dirtyRateHighCount = 0;
      if (ac.enabled) this.throttleDown(dirtiedBytes, thresholdBytes, timeSec);
      else this.limitDirtyRate(timeSec);
    }
    this.periodStartSec = timeSec;
    this.periodStartBytes = totalBytes;
    this.periodDirtyPages = 0;
  }

  /** mig_throttle_guest_down. */
  private throttleDown(dirtiedBytes: number, thresholdBytes: number, timeSec: number): void {
    const ac = this.autoConverge;
    let next: number;
    if (this.throttlePct === 0) {
      next = ac.initialPct;
    } else {
      let increment = ac.incrementPct;
      if (ac.tailslow) {
        // The CPU share that would bring the dirty rate down to the threshold; QEMU's
        // uint64_t arithmetic truncates it.
        const cpuNow = 100 - this.throttlePct;
        const cpuIdeal = Math.floor(cpuNow * (thresholdBytes / dirtiedBytes));
        increment = Math.min(cpuNow - cpuIdeal, ac.incrementPct);
      }
      next = Math.min(this.throttlePct + increment, ac.maxPct);
    }
    if (next === this.throttlePct) return;
    this.throttlePct = next;
    this.steps++;
    this.slowdown.onThrottle(next, timeSec);
  }

  /** migration_dirty_limit_guest: once in service, the quota stays. */
  private limitDirtyRate(timeSec: number): void {
    if (this.dirtyLimited) return;
    this.dirtyLimited = true;
    this.slowdown.onDirtyLimit(this.dirtyLimit!.vcpuDirtyLimitBytesPerSec, timeSec);
  }
}

/**
 * The rate scale of a writer that needs `cpuShare` of its vCPU when the throttle leaves
 * (1 − percent/100) of it: 1 while that is enough, else in proportion.
 */
export function throttleScale(percent: number, cpuShare: number): number {
  const left = 1 - percent / 100;
  return left >= cpuShare ? 1 : left / cpuShare;
}
