/**
 * The `migsim sweep` progress bar: points done of the points this shard runs, on stderr,
 * only when stderr is a terminal and not --quiet (STYLE.md §6.5); else, given a heartbeat
 * (heartbeat.ts), a line every interval saying the same. The caller stops it in a finally.
 */
import cliProgress from 'cli-progress';

import type { Heartbeat } from './heartbeat.js';

export interface SweepProgress {
  /** One more point finished. */
  increment(): void;
  /** Removes the bar if shown. Idempotent. */
  stop(): void;
}

export function createSweepProgress(options: { enabled: boolean; totalPoints: number; jobs: number; heartbeat?: Heartbeat }): SweepProgress {
  const heartbeat = options.heartbeat;
  if (!options.enabled) {
    if (heartbeat === undefined) return { increment: () => undefined, stop: () => undefined };
    // No terminal: the heartbeat's line every interval says how far the sweep is.
    let done = 0;
    const say = (): void => heartbeat.status(`sweep ${done}/${options.totalPoints} points`);
    say();
    return {
      increment: () => {
        done += 1;
        say();
        heartbeat.tick();
      },
      stop: () => heartbeat.stop(),
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `sweep [{bar}] {value}/{total} points | {jobs} workers | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: false,
      linewrap: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.totalPoints, 0, { jobs: options.jobs });
  let stopped = false;
  return {
    increment: () => bar.increment(),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
