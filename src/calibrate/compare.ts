/**
 * Measured vs simulated, metric by metric, for one scenario with hints off (the `none`
 * run) or on (the free-page-hint run): every repetition, their mean, the simulation, the
 * error against the mean, and the calibration targets:
 *   hints off: total bytes, normal and zero pages within 2%, total time within 5%, and
 *     the same number of iterations (a phantom iteration under 5 ms may be missing on
 *     either side); with multifd the iteration count within ±1 of every repetition's
 *     (issue 12: the per-iteration multifd sync makes the last short iteration a matter of
 *     where a packet boundary falls), and with multifd compression total bytes within 5%;
 *     with XBZRLE total bytes within 5% and the xbzrle-cache's cache-miss and overflow
 *     counts within 10% (the XBZRLE targets);
 *   hints on: total bytes within 10% of the repetitions' mean, and the zeroed hint blocks
 *     re-sent as zero pages in iteration 2 within 10%.
 *   postcopy (a run that switched), hints off: total bytes within 2% and the bytes after
 *     the switch (postcopy-bytes) within 10% (hints on: total bytes within
 *     10%); page requests and blocktime are printed beside the measured ones, with no target (a handful of requests, timing-bound).
 * The transport is the measured runs' (multifd-bytes > 0, an xbzrle-cache in query-migrate).
 * Hints-off repetitions agree within 0.2%; hints-on ones differ by up to 9% because hints
 * race the bulk stage, hence the wider targets.
 * An auto-converge scenario (the workload enables it) has its own targets, hints off and
 * on: the first iteration that ran throttled within one of every repetition's, and total
 * bytes within 15% of the mean. Its real runs vary widely (how long the last, 99% stage
 * takes depends on when the throttled guest's bursts land), so iteration counts and times
 * are printed, not targets. Pure: no I/O.
 */
import type { RunMetrics } from './metrics.js';

export type MetricUnit = 'bytes' | 'pages' | 'iterations' | 's' | 'count';

/**
 * A target: |error| within `pct` percent of the measured mean, the iteration rule, the
 * iteration count within `count` of every repetition's, or a count within `within` of
 * every repetition's.
 */
export type Target = { kind: 'pct'; pct: number } | { kind: 'iterations' } | { kind: 'iterations-within'; count: number } | { kind: 'within'; within: number };

/** Which targets apply: a plain pre-copy scenario's, or an auto-converge one's. */
export type ScenarioKind = 'precopy' | 'auto-converge';

export interface MetricRow {
  /** Stable CSV key, e.g. `iteration_1_bytes`. */
  key: string;
  /** Table label, e.g. `iteration 1 bytes`. */
  label: string;
  unit: MetricUnit;
  /** One value per repetition (null where that run has no such iteration). */
  measured: (number | null)[];
  measuredMean: number | null;
  simulated: number | null;
  /** (simulated − mean) / mean × 100; for iterations, simulated − mean (a count). */
  error: number | null;
  target: Target | null;
  status: 'met' | 'missed' | null;
}

export interface RunComparison {
  scenario: string;
  hints: boolean;
  /** The simulated run's label (`none`, `free-page-hint`). */
  run: string;
  /** Repetition names, e.g. `rep1`, in the order of `MetricRow.measured`. */
  reps: string[];
  rows: MetricRow[];
}

const OFF_TARGETS: Readonly<Record<string, Target>> = {
  total_bytes: { kind: 'pct', pct: 2 },
  normal_pages: { kind: 'pct', pct: 2 },
  zero_pages: { kind: 'pct', pct: 2 },
  iterations: { kind: 'iterations' },
  total_time_s: { kind: 'pct', pct: 5 },
};

const MULTIFD_OFF_TARGETS: Readonly<Record<string, Target>> = {
  ...OFF_TARGETS,
  iterations: { kind: 'iterations-within', count: 1 },
};

const XBZRLE_OFF_TARGETS: Readonly<Record<string, Target>> = {
  total_bytes: { kind: 'pct', pct: 5 },
  xbzrle_cache_miss: { kind: 'pct', pct: 10 },
  xbzrle_overflow: { kind: 'pct', pct: 10 },
};

const COMPRESSED_OFF_TARGETS: Readonly<Record<string, Target>> = { ...MULTIFD_OFF_TARGETS, total_bytes: { kind: 'pct', pct: 5 } };

const ON_TARGETS: Readonly<Record<string, Target>> = {
  total_bytes: { kind: 'pct', pct: 10 },
  iteration_2_zero_pages: { kind: 'pct', pct: 10 },
};

const AUTO_CONVERGE_TARGETS: Readonly<Record<string, Target>> = {
  first_throttle_iteration: { kind: 'within', within: 1 },
  total_bytes: { kind: 'pct', pct: 15 },
};

// Postcopy switches free page hinting off (QEMU), so hints on has no hint-specific target.
const POSTCOPY_OFF_TARGETS: Readonly<Record<string, Target>> = {
  total_bytes: { kind: 'pct', pct: 2 },
  postcopy_bytes: { kind: 'pct', pct: 10 },
};

// The postcopy targets are for hints off; with hints on only the total, as for pre-copy.
const POSTCOPY_ON_TARGETS: Readonly<Record<string, Target>> = {
  total_bytes: { kind: 'pct', pct: 10 },
};

/**
 * `kind`: an auto-converge scenario has targets of its own. `compressed`: the run uses
 * multifd compression, whose bytes depend on how the guest's content compresses (a ratio
 * per content class, docs/model.md §3.3): total bytes within 5%.
 */
export function compareRun(
  scenario: string,
  hints: boolean,
  run: string,
  reps: { name: string; metrics: RunMetrics }[],
  simulated: RunMetrics,
  kind: ScenarioKind = 'precopy',
  compressed = false,
): RunComparison {
  const transport = reps[0]?.metrics.transport ?? 'single';
  // `?? null`: metrics saved before postcopy existed (test fixtures) have no such field.
  const postcopy = reps.some((rep) => (rep.metrics.postcopy ?? null) !== null);
  let targets: Readonly<Record<string, Target>>;
  if (kind === 'auto-converge') targets = AUTO_CONVERGE_TARGETS;
  else if (postcopy) targets = hints ? POSTCOPY_ON_TARGETS : POSTCOPY_OFF_TARGETS;
  else if (hints) targets = ON_TARGETS;
  else targets = transport === 'multifd' ? (compressed ? COMPRESSED_OFF_TARGETS : MULTIFD_OFF_TARGETS) : transport === 'xbzrle' ? XBZRLE_OFF_TARGETS : OFF_TARGETS;
  const rows: MetricRow[] = [];
  const add = (key: string, label: string, unit: MetricUnit, pick: (m: RunMetrics) => number | null): void => {
    const measured = reps.map((rep) => pick(rep.metrics));
    const present = measured.filter((value): value is number => value !== null);
    const mean = present.length > 0 ? present.reduce((sum, value) => sum + value, 0) / present.length : null;
    const sim = pick(simulated);
    let error: number | null = null;
    if (sim !== null && mean !== null) error = unit === 'iterations' ? sim - mean : mean === 0 ? (sim === 0 ? 0 : Infinity) : ((sim - mean) / mean) * 100;
    const target = targets[key] ?? null;
    let status: MetricRow['status'] = null;
    if (target !== null) {
      if (target.kind === 'pct') status = error !== null && Math.abs(error) <= target.pct ? 'met' : 'missed';
      else if (target.kind === 'iterations-within') {
        const count = target.count;
        status = reps.every((rep) => Math.abs(rep.metrics.iterations.length - simulated.iterations.length) <= count) ? 'met' : 'missed';
      } else if (target.kind === 'within') status = sim !== null && measured.every((value) => value !== null && Math.abs(sim - value) <= target.within) ? 'met' : 'missed';
      else status = reps.every((rep) => iterationsAgree(rep.metrics, simulated)) ? 'met' : 'missed';
    }
    rows.push({ key, label, unit, measured, measuredMean: mean, simulated: sim, error, target, status });
  };

  const iterationCount = Math.max(simulated.iterations.length, ...reps.map((rep) => rep.metrics.iterations.length));
  for (let k = 1; k <= iterationCount; k++) {
    add(`iteration_${k}_bytes`, `iteration ${k} bytes`, 'bytes', (m) => m.iterations[k - 1]?.bytes ?? null);
  }
  if (!postcopy) add('stop_copy_bytes', 'stop-copy bytes', 'bytes', (m) => m.stopCopy.bytes);
  else {
    add('postcopy_bytes', 'after the switch', 'bytes', (m) => m.postcopy?.bytes ?? null);
    add('postcopy_requests', 'page requests', 'count', (m) => m.postcopy?.requests ?? null);
    add('blocktime_s', 'blocktime', 's', (m) => m.postcopy?.blocktimeSec ?? null);
  }
  add('total_bytes', 'total bytes', 'bytes', (m) => m.totalBytes);
  add('normal_pages', 'normal pages', 'pages', (m) => m.normalPages);
  add('zero_pages', 'zero pages', 'pages', (m) => m.zeroPages);
  if (hints && !postcopy) {
    add('iteration_1_dirtied_pages', 'dirtied at sync 2', 'pages', (m) => m.dirtiedPages[0] ?? null);
    add('iteration_2_zero_pages', 'iteration 2 zero pages', 'pages', (m) => m.iterations[1]?.zeroPages ?? null);
  }
  if (transport === 'xbzrle') {
    add('xbzrle_pages', 'xbzrle pages', 'pages', (m) => m.xbzrle?.pages ?? null);
    add('xbzrle_bytes', 'xbzrle bytes', 'bytes', (m) => m.xbzrle?.bytes ?? null);
    add('xbzrle_cache_miss', 'xbzrle cache-miss', 'pages', (m) => m.xbzrle?.cacheMiss ?? null);
    add('xbzrle_overflow', 'xbzrle overflow', 'pages', (m) => m.xbzrle?.overflow ?? null);
  }
  if (kind === 'auto-converge') {
    add('first_throttle_iteration', 'first throttled iteration', 'iterations', (m) => m.firstThrottleIteration);
  }
  add('iterations', 'iterations', 'iterations', (m) => m.iterations.length);
  add('total_time_s', 'total time', 's', (m) => m.totalTimeSec);
  add('downtime_s', 'downtime', 's', (m) => m.downtimeSec);
  return { scenario, hints, run, reps: reps.map((rep) => rep.name), rows };
}

/**
 * Equal iteration counts, or counts that differ only by phantom iterations (under 5 ms,
 * syncs back to back) of the side that has more.
 */
export function iterationsAgree(measured: RunMetrics, simulated: RunMetrics): boolean {
  const m = measured.iterations.length;
  const s = simulated.iterations.length;
  if (m === s) return true;
  return m > s ? m - measured.phantomIterations <= s : s - simulated.phantomIterations <= m;
}

/** True when every row with a target met it. */
export function allTargetsMet(comparisons: readonly RunComparison[]): boolean {
  return comparisons.every((comparison) => comparison.rows.every((row) => row.status !== 'missed'));
}
