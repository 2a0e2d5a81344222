/**
 * Every way a pre-copy migration ends besides meeting the downtime limit, decided at the
 * sender's turning points (setup, between iterations, after a sync, at a cap):
 *
 * - postcopy: `migrate-start-postcopy` is issued after round N, after S seconds, or once
 *   pending falls below a size; QEMU's migration_iteration_run then switches at the next
 *   iteration boundary (`must_precopy <= threshold_size && start_postcopy`: RAM is all
 *   can_postcopy, so at once), even when pending would also let pre-copy complete.
 * - pauseAfterRound (guestperf's pause-iters): after round N the guest is stopped; the
 *   migration goes on and converges, and the downtime runs from the pause.
 * - a cap (maxRounds, maxDuration, maxTotal) reached without meeting the limit: QEMU itself
 *   would migrate on; management cancels (`migrate_cancel`: the guest stays on the
 *   source, nothing is lost but the bytes) or forces the switchover
 *   (`onNoConvergence`), and the result says which.
 */
import type { Ending, MigrationConfig, PostcopyStart } from '../types.js';

export const enum AfterSync {
  Continue,
  /** The guest stops now; pre-copy goes on. */
  Pause,
  /** A cap is reached: cancel or force (capEnding). */
  Cap,
}

export class SwitchoverPolicy {
  /** How the migration ended (set by the sender when it ends). */
  ending: Ending = 'converged';
  /** When the guest was paused (pauseAfterRound), or NaN. */
  pausedAtSec = NaN;
  private readonly config: MigrationConfig;
  private readonly postcopyStart: PostcopyStart | null;
  /** migrate-start-postcopy was issued. */
  private postcopyCommanded = false;

  constructor(config: MigrationConfig) {
    this.config = config;
    this.postcopyStart = config.postcopy === null ? null : config.postcopy.start;
  }

  get paused(): boolean {
    return !Number.isNaN(this.pausedAtSec);
  }

  /** Setup is done: round 0 has ended. Returns true when the guest pauses now (pauseAfterRound 0). */
  atSetup(timeSec: number): boolean {
    this.commandAfterRound(0);
    return this.pauseAfterRound(0, timeSec);
  }

  /** Between iterations: whether to switch to postcopy now. */
  switchToPostcopy(timeSec: number, pendingBytes: number): boolean {
    const start = this.postcopyStart;
    if (start === null) return false;
    if (start.kind === 'afterSeconds' && timeSec >= this.config.startSec + start.sec) this.postcopyCommanded = true;
    if (start.kind === 'whenPendingBelow' && pendingBytes < start.bytes) this.postcopyCommanded = true;
    return this.postcopyCommanded;
  }

  /** After the sync that ends round `round`, when it did not converge. */
  afterSync(round: number, timeSec: number): AfterSync {
    this.commandAfterRound(round);
    if (this.pauseAfterRound(round, timeSec)) return AfterSync.Pause;
    const maxRounds = this.config.maxRounds;
    if (maxRounds !== null && round >= maxRounds) return AfterSync.Cap;
    return AfterSync.Continue;
  }

  /** A cap was reached without convergence: what management does. */
  capEnding(): Ending {
    return this.config.onNoConvergence === 'force' ? 'forced' : 'cancelled';
  }

  private commandAfterRound(round: number): void {
    const start = this.postcopyStart;
    if (start !== null && start.kind === 'afterRound' && round >= start.round) this.postcopyCommanded = true;
  }

  private pauseAfterRound(round: number, timeSec: number): boolean {
    const after = this.config.pauseAfterRound;
    if (after === null || this.paused || round < after) return false;
    this.pausedAtSec = timeSec;
    return true;
  }
}
