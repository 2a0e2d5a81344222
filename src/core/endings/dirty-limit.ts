/**
 * Dirty-limit's per-vCPU throttle, after QEMU's system/dirtylimit.c (capability
 * dirty-limit, QEMU ≥ 8.1; migration_dirty_limit_guest sets every vCPU's quota to
 * vcpu-dirty-limit once the migration is not converging):
 *
 * - a vCPU that fills its KVM dirty ring exits and sleeps `throttle_us_per_full` µs
 *   (dirtylimit_vcpu_execute), so a vCPU dirtying R bytes/s unthrottled dirties
 *   ring / (ring / R + sleep) once throttled;
 * - the dirtyrate-stat thread measures each vCPU's dirty rate over one
 *   x-vcpu-dirty-limit-period (default 1000 ms), then dirtylimit_adjust_throttle moves the
 *   sleep toward the quota: nothing when within DIRTYLIMIT_TOLERANCE_RANGE (25 MB/s);
 *   when the gap is over DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT (50%) of the larger rate, by
 *   ring_full_time × pct / (100 − pct) with pct the gap's share of the current rate (or of
 *   the quota when below it); else by ring_full_time / 10; kept within
 *   [0, ring_full_time × DIRTYLIMIT_THROTTLE_PCT_MAX (99)], where ring_full_time =
 *   ring MiB × 10^6 / the highest rate measured so far (dirtylimit_dirty_ring_full_time).
 *
 * So the limit is reached over a few periods, not at once. Rates are whole MB/s (2^20
 * bytes), as QEMU's uint64_t arithmetic has them, and so are its truncations. The
 * measured rate is the rate the simulation's writers on that vCPU had over the period
 * (their rate × the scale in force). Pure: the simulation applies `scale(vcpu)` to the
 * vCPU's writers at each `tick`.
 */

const MiB = 2 ** 20;
/** DIRTYLIMIT_TOLERANCE_RANGE, MB/s. */
export const DIRTYLIMIT_TOLERANCE_RANGE = 25;
/** DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT. */
export const DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT = 50;
/** DIRTYLIMIT_THROTTLE_PCT_MAX. */
export const DIRTYLIMIT_THROTTLE_PCT_MAX = 99;

export class DirtyLimitThrottle {
  /** When the current period ends (the next adjustment), or Infinity before `start`. */
  nextSec = Infinity;
  /** cpu->throttle_us_per_full per vCPU, µs. */
  readonly throttleUsPerFull: Float64Array;
  /** Adjustments made (periods that changed some vCPU's sleep). */
  adjustments = 0;
  private readonly quotaMBps: number;
  private readonly periodSec: number;
  private readonly ringBytes: number;
  /** dirty_ring_size_MiB: qemu_target_pages_to_MiB(kvm_dirty_ring_size()), whole MiB. */
  private readonly ringMiB: number;
  /** Each vCPU's unthrottled dirty rate, bytes/s. */
  private readonly naturalBytesPerSec: Float64Array;
  /** dirtylimit_dirty_ring_full_time's static max_dirtyrate, MB/s. */
  private maxDirtyRateMBps = 0;

  constructor(quotaBytesPerSec: number, periodSec: number, ringPages: number, pageSizeBytes: number, naturalBytesPerSec: Float64Array) {
    // vcpu-dirty-limit is a whole number of MB/s.
    this.quotaMBps = Math.floor(quotaBytesPerSec / MiB);
    this.periodSec = periodSec;
    this.ringBytes = ringPages * pageSizeBytes;
    this.ringMiB = Math.floor(this.ringBytes / MiB);
    this.naturalBytesPerSec = naturalBytesPerSec;
    this.throttleUsPerFull = new Float64Array(naturalBytesPerSec.length);
  }

  /** The quota is set (qmp_set_vcpu_dirty_limit): the first period of measurement begins. */
  start(timeSec: number): void {
    if (this.nextSec === Infinity) this.nextSec = timeSec + this.periodSec;
  }

  /** The share of its unthrottled rate vCPU `vcpu` dirties at with its current sleep. */
  scale(vcpu: number): number {
    const natural = this.naturalBytesPerSec[vcpu];
    const sleepSec = this.throttleUsPerFull[vcpu] / 1e6;
    if (!(natural > 0) || sleepSec === 0) return 1;
    const fillSec = this.ringBytes / natural;
    return fillSec / (fillSec + sleepSec);
  }

  /** dirtylimit_throttle_time_per_round: the largest sleep over the vCPUs, µs. */
  maxThrottleUs(): number {
    let max = 0;
    for (const us of this.throttleUsPerFull) if (us > max) max = us;
    return max;
  }

  /** The rate vCPU `vcpu` dirtied at over the period just ended, whole MB/s (vcpu_dirty_rate_get). */
  currentMBps(vcpu: number): number {
    return Math.floor((this.naturalBytesPerSec[vcpu] * this.scale(vcpu)) / MiB);
  }

  /** A period ended: dirtylimit_process for every vCPU, then the next period. Returns whether a sleep changed. */
  tick(): boolean {
    let changed = false;
    for (let vcpu = 0; vcpu < this.throttleUsPerFull.length; vcpu++) {
      const current = this.currentMBps(vcpu);
      // dirtylimit_adjust_throttle: within the tolerance, nothing.
      if (Math.abs(this.quotaMBps - current) <= DIRTYLIMIT_TOLERANCE_RANGE) continue;
      const before = this.throttleUsPerFull[vcpu];
      this.setThrottle(vcpu, current);
      if (this.throttleUsPerFull[vcpu] !== before) changed = true;
    }
    if (changed) this.adjustments++;
    this.nextSec += this.periodSec;
    return changed;
  }

  /** dirtylimit_set_throttle. */
  private setThrottle(vcpu: number, current: number): void {
    const quota = this.quotaMBps;
    if (current === 0) {
      this.throttleUsPerFull[vcpu] = 0;
      return;
    }
    if (this.maxDirtyRateMBps < current) this.maxDirtyRateMBps = current;
    const ringFullUs = Math.floor((this.ringMiB * 1e6) / this.maxDirtyRateMBps);
    let throttle = this.throttleUsPerFull[vcpu];
    const min = Math.min(quota, current);
    const max = Math.max(quota, current);
    if (Math.floor(((max - min) * 100) / max) > DIRTYLIMIT_LINEAR_ADJUSTMENT_PCT) {
      // sleep_pct: a uint64_t quotient; throttle_us: a double truncated to uint64_t.
      const sleepPct = Math.floor(((max - min) * 100) / max);
      const throttleUs = Math.floor((ringFullUs * sleepPct) / (100 - sleepPct));
      throttle += quota < current ? throttleUs : -throttleUs;
    } else {
      throttle += quota < current ? Math.floor(ringFullUs / 10) : -Math.floor(ringFullUs / 10);
    }
    throttle = Math.min(throttle, ringFullUs * DIRTYLIMIT_THROTTLE_PCT_MAX);
    this.throttleUsPerFull[vcpu] = Math.max(throttle, 0);
  }
}
