/**
 * A progress bar on stderr for long simulations, fed by the core's hooks (the core never
 * learns about terminals). Shown only when stderr and stdout are both terminals, not with
 * --json or --quiet, and only once the current run has taken more than 1 s of wall time:
 * short runs never flash a bar. The simulation is synchronous, so the bar redraws only
 * when a hook fires (cli-progress's synchronousUpdate); the caller must call stop() in a
 * finally. The bar neither hides the cursor nor turns off line wrap, so a Ctrl-C that
 * kills the process mid-run leaves the terminal as it found it.
 */
import cliProgress from 'cli-progress';

import type { RoundStats } from '../core/types.js';
import { sentText, type Heartbeat } from './heartbeat.js';

/** Wall time a run must take before the bar appears: 1 s. */
const SHOW_AFTER_MS = 1000;

/** The hooks the engine calls (structurally the core's SimulationHooks). */
export interface ProgressHooks {
  onRunStart(label: string, runIndex: number, runCount: number): void;
  onRound(label: string, round: RoundStats): void;
}

export interface ProgressOptions {
  enabled: boolean;
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Wall clock in ms; default Date.now (tests pass a fake). */
  nowMs?: () => number;
  /** The heartbeat to feed when stderr is not a terminal (heartbeat.ts); the bar is off then. */
  heartbeat?: Heartbeat;
}

export interface Progress {
  /** Hooks for one workload's simulateWorkload call. */
  hooksFor(workloadName: string): ProgressHooks;
  /** Removes the bar if it is shown. Idempotent; call in finally. */
  stop(): void;
}

/** Whether a bar may be shown at all (STYLE.md §6.5). */
/**
 * The bar is drawn on stderr, so it needs stderr to be a terminal and nothing else: a run
 * whose stdout goes to a file or a pipe (`> out.txt`, `--json | jq`) is exactly the long
 * run that needs it. `json` is kept for the callers' sake; it no longer matters.
 */
export function progressAllowed(options: { json: boolean; quiet: boolean }): boolean {
  return process.stderr.isTTY === true && !options.quiet;
}

const MIB_BYTES = 1024 * 1024;

export function createProgress(options: ProgressOptions): Progress {
  const nowMs = options.nowMs ?? Date.now;
  let bar: cliProgress.SingleBar | null = null;
  let runStartMs = 0;
  let runIndex = 0;
  let runCount = 1;

  const payloadOf = (workload: string, label: string, round: RoundStats | null) => ({
    runNumber: runIndex + 1,
    run: `${workload}/${label}`,
    round: round === null ? '-' : `${round.round} ${round.kind}`,
    sentMib: round === null ? '0.0' : (round.cumulativeBytes / MIB_BYTES).toFixed(1),
    simSec: round === null ? '-' : (round.startSec + round.durationSec).toFixed(3),
  });

  const hooksFor = (workloadName: string): ProgressHooks => ({
    onRunStart(label, index, count) {
      runStartMs = nowMs();
      runIndex = index;
      runCount = count;
      options.heartbeat?.status(`${workloadName}/${label} run ${index + 1}/${count}, starting`);
      if (bar !== null) {
        bar.setTotal(count);
        bar.update(index, payloadOf(workloadName, label, null));
      }
    },
    onRound(label, round) {
      if (options.heartbeat !== undefined) {
        options.heartbeat.status(`${workloadName}/${label} run ${runIndex + 1}/${runCount}, round ${round.round} ${round.kind}, ${sentText(round.cumulativeBytes)} sent`);
        options.heartbeat.tick();
      }
      if (!options.enabled) return;
      const payload = payloadOf(workloadName, label, round);
      if (bar === null) {
        if (nowMs() - runStartMs <= SHOW_AFTER_MS) return;
        bar = new cliProgress.SingleBar({
          stream: options.stream ?? process.stderr,
          format: 'run {runNumber}/{total} [{bar}] {run}  round {round}  t={simSec}s  {sentMib} MiB sent',
          barsize: 20,
          hideCursor: false,
          linewrap: true,
          clearOnComplete: true,
          fps: 10,
        });
        bar.start(runCount, runIndex, payload);
      }
      bar.update(payload);
    },
  });

  return {
    hooksFor,
    stop() {
      if (bar !== null) {
        bar.stop();
        bar = null;
      }
    },
  };
}
