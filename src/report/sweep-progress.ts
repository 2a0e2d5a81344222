/**
 * The `migsim sweep` progress bar: points done of the points this shard runs, on stderr,
 * only when stderr and stdout are terminals and not --quiet (STYLE.md §6.5). The caller
 * stops it in a finally.
 */
import cliProgress from 'cli-progress';

export interface SweepProgress {
  /** One more point finished. */
  increment(): void;
  /** Removes the bar if shown. Idempotent. */
  stop(): void;
}

export function createSweepProgress(options: { enabled: boolean; totalPoints: number; jobs: number }): SweepProgress {
  if (!options.enabled) return { increment: () => undefined, stop: () => undefined };
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
