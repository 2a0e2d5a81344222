/**
 * A heartbeat for long runs whose stderr is not a terminal (a CI log, `2> run.log`, a
 * Slurm job): where the progress bar cannot be drawn, one line to stderr every ~10 s of
 * wall time, e.g. `migsim: web/none run 1/2, round 5, 12.3 GiB sent, 41 s`. Nothing for a
 * run shorter than the interval, never on stdout or into an output file, nothing with
 * --quiet. The interval is MIGSIM_HEARTBEAT_SEC (default 10; 0 turns it off).
 *
 * The line is written from tick(): a timer calls it every second while the simulation
 * runs in worker threads (the main thread is free), and the progress hooks call it at
 * every round (a simulation on the main thread never lets a timer fire). The clock and
 * the stream are injected, so tests drive it with a fake clock and no timer.
 */

/** Default seconds between heartbeat lines. */
export const HEARTBEAT_DEFAULT_SEC = 10;

/** How often the real timer looks at the clock (ms); a line still waits the whole interval. */
const TIMER_MS = 1000;

export interface HeartbeatOptions {
  /** Seconds between lines; 0 = off. */
  intervalSec: number;
  /** Default process.stderr. */
  stream?: { write(text: string): unknown };
  /** Wall clock in ms; default Date.now (tests pass a fake). */
  nowMs?: () => number;
  /** Start a real timer calling tick() (default true; tests pass false and call tick). */
  timer?: boolean;
}

export interface Heartbeat {
  /** What the line says now, before the elapsed time (`web/none run 1/2, round 5, …`). */
  status(text: string): void;
  /** Writes a line if an interval has passed since the start or the last line. */
  tick(): void;
  /** Stops the timer. Idempotent; call in finally. */
  stop(): void;
}

const OFF: Heartbeat = { status: () => undefined, tick: () => undefined, stop: () => undefined };

/**
 * The heartbeat interval: MIGSIM_HEARTBEAT_SEC when set (a number ≥ 0), else 10 s.
 * Not a number: the default (a typo in an environment variable must not stop a run).
 */
export function heartbeatIntervalSec(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.MIGSIM_HEARTBEAT_SEC;
  if (value === undefined || value.trim() === '') return HEARTBEAT_DEFAULT_SEC;
  const sec = Number(value);
  return Number.isFinite(sec) && sec >= 0 ? sec : HEARTBEAT_DEFAULT_SEC;
}

/** Whether a heartbeat may run: stderr is not a terminal (the bar's place) and not --quiet. */
export function heartbeatAllowed(options: { quiet: boolean }, stderrIsTty: boolean = process.stderr.isTTY === true): boolean {
  return !stderrIsTty && !options.quiet;
}

export function createHeartbeat(options: HeartbeatOptions): Heartbeat {
  if (!(options.intervalSec > 0)) return OFF;
  const nowMs = options.nowMs ?? Date.now;
  const stream = options.stream ?? process.stderr;
  const intervalMs = options.intervalSec * 1000;
  const startMs = nowMs();
  let lastMs = startMs;
  let status: string | null = null;
  const tick = (): void => {
    const now = nowMs();
    if (status === null || now - lastMs < intervalMs) return;
    lastMs = now;
    stream.write(`migsim: ${status}, ${Math.round((now - startMs) / 1000)} s\n`);
  };
  let handle: ReturnType<typeof setInterval> | null = null;
  if (options.timer !== false) {
    handle = setInterval(tick, Math.min(TIMER_MS, intervalMs));
    // The heartbeat never keeps the process alive.
    handle.unref();
  }
  return {
    status(text) {
      status = text;
    },
    tick,
    stop() {
      if (handle !== null) clearInterval(handle);
      handle = null;
    },
  };
}

const GIB_BYTES = 2 ** 30;
const MIB_BYTES = 2 ** 20;

/** Bytes sent so far as the heartbeat says them: GiB from 1 GiB, else MiB, one decimal. */
export function sentText(bytes: number): string {
  return bytes >= GIB_BYTES ? `${(bytes / GIB_BYTES).toFixed(1)} GiB` : `${(bytes / MIB_BYTES).toFixed(1)} MiB`;
}
