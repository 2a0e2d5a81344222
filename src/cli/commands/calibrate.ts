/**
 * `migsim calibrate <dir>`: reproduce real QEMU migrations and say how close we are.
 * `<dir>` holds runs named `<scenario>_hints-<on|off>_rep<k>` (validation/qemu10-tcg-1gib,
 * the default, and validation/qemu10-tcg-features, both shipped in the package);
 * each scenario is simulated from `<workloads>/<scenario>.yaml` (default
 * workloads/qemu/ of this package): hints off is compared with the `none` run, hints on
 * with the workload's free-page-hint run. Prints, per scenario and hints off/on, each
 * metric measured (every repetition and the mean) vs simulated with its error and target,
 * then the workload's parameters next to the values derived from the data. `--csv`
 * writes the comparison table. Exit 1 when a target is missed, like `check`. The
 * simulations run in worker threads, so Ctrl-C exits 130 at once (interrupt.ts).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { compareRun, allTargetsMet, type RunComparison } from '../../calibrate/compare.js';
import { deriveParameters, type DerivedValue } from '../../calibrate/derive.js';
import { measuredMetrics, simulatedMetrics } from '../../calibrate/metrics.js';
import { UsageError } from '../../core/errors.js';
import { EXIT_CODES } from '../../core/exit-codes.js';
import type { Workload } from '../../core/types.js';
import { readCalibrationDir } from '../../io/read-calibration.js';
import { formatJsonDocument } from '../../io/results-json.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatCalibration, formatCalibrationCsv, formatDerived } from '../../report/format-calibration.js';
import { withInterruptGuard } from '../interrupt.js';
import { loadWorkloads, simulateLoadedInterruptible, writeStderrLine, writeStdout } from '../simulate.js';
import { checkMemoryLimit } from '../memory-limit.js';

export interface CalibrateOptions {
  /** Directory of `<scenario>.yaml` files; null = this package's workloads/qemu. */
  workloads: string | null;
  /** CSV path, `-` for stdout (then no tables), or null. */
  csv: string | null;
  /** `--json`: one JSON document (every comparison and derived value) instead of the tables. */
  json?: boolean;
  color: boolean;
  quiet: boolean;
  /** --max-memory as given, or null (MIGSIM_MAX_MEMORY, else the machine's memory). */
  maxMemory: string | null;
  /** --max-events as given, or null (MIGSIM_MAX_EVENTS, else the default). */
  maxEvents?: string | null;
}

/** workloads/qemu of this package: dist/src/cli/commands/ → the package root. */
export function defaultCalibrationWorkloads(): string {
  return fileURLToPath(new URL('../../../../workloads/qemu/', import.meta.url));
}

/** The package root: dist/src/cli/commands/ → ../../../../ (in the repository and when installed). */
function packageRoot(): string {
  return fileURLToPath(new URL('../../../../', import.meta.url));
}

/** validation/qemu10-tcg-1gib of this package: the measured runs `calibrate` uses without <dir>. */
export function defaultCalibrationData(): string {
  return join(packageRoot(), 'validation', 'qemu10-tcg-1gib');
}

/**
 * `dir` as given when it exists; else, for a relative `validation/…` path, the package's
 * own copy, so that `npx migsim calibrate validation/qemu10-tcg-1gib` works after an
 * install as in a clone. Anything else is returned unchanged (and fails to read, naming it).
 */
export function resolveCalibrationDir(dir: string): string {
  if (existsSync(dir) || isAbsolute(dir)) return dir;
  const shipped = join(packageRoot(), dir);
  return normalize(dir).startsWith(`validation${sep}`) && existsSync(shipped) ? shipped : dir;
}

export async function calibrateCommand(dataDir: string, options: CalibrateOptions): Promise<number> {
  checkOutputPaths([{ option: '--csv', path: options.csv }]);
  const skipped: string[] = [];
  const allRuns = readCalibrationDir(resolveCalibrationDir(dataDir), skipped);
  const workloadsDir = options.workloads ?? defaultCalibrationWorkloads();
  // A scenario is compared when its workload exists; the others are named, not failed
  // (validation/qemu10-tcg-features holds scenarios no workload models yet).
  const allScenarios = [...new Set(allRuns.map((run) => run.scenario))];
  const scenarios = allScenarios.filter((scenario) => existsSync(join(workloadsDir, `${scenario}.yaml`)));
  for (const scenario of allScenarios) {
    if (!scenarios.includes(scenario)) skipped.push(`${scenario}: no ${join(workloadsDir, `${scenario}.yaml`)}: not compared`);
  }
  if (scenarios.length === 0) {
    throw new UsageError(`${dataDir}: none of its scenarios (${allScenarios.join(', ')}) has a workload in ${workloadsDir}`);
  }
  const runs = allRuns.filter((run) => scenarios.includes(run.scenario));
  for (const line of skipped) writeStderrLine(`migsim: calibrate: ${line}`);
  const loaded = loadWorkloads(
    scenarios.map((scenario) => join(workloadsDir, `${scenario}.yaml`)),
    {},
  );
  // As run does: refuse a guest larger than this machine (or MIGSIM_MAX_MEMORY) before simulating.
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory, maxEvents: options.maxEvents ?? null });
  if (options.json === true && options.csv === '-') throw new UsageError('--json and --csv - both print to stdout: give --csv a file');
  const tables = options.csv !== '-' && options.json !== true;
  const comparisons: RunComparison[] = [];
  // Ctrl-C terminates the running simulation and throws InterruptedError (exit 130) before
  // anything is printed or written.
  await withInterruptGuard(async () => {
    for (const [index, scenario] of scenarios.entries()) {
      const workload = loaded[index].workload;
      const own = runs.filter((run) => run.scenario === scenario);
      const hintLabel = freePageHintLabel(workload);
      if (own.some((run) => run.hints) && hintLabel === null) {
        throw new UsageError(`${loaded[index].file}: has no free-page-hint run to compare with the hints-on runs of ${scenario}`);
      }
      const results = (await simulateLoadedInterruptible(loaded[index], { json: !tables, quiet: options.quiet })).results;
      for (const hints of [false, true]) {
        const reps = own.filter((run) => run.hints === hints);
        if (reps.length === 0) continue;
        const label = hints ? hintLabel! : 'none';
        const result = results.find((candidate) => candidate.summary.run === label)!;
        comparisons.push(
          compareRun(
            scenario,
            hints,
            label,
            reps.map((run) => ({ name: `rep${run.rep}`, metrics: measuredMetrics(run) })),
            simulatedMetrics(result),
            workload.migration.autoConverge.enabled ? 'auto-converge' : 'precopy',
            !!workload.migration.multifd?.compression,
          ),
        );
      }
    }
  });

  const workloads = loaded.map((entry) => entry.workload);
  const derivedRows = () =>
    deriveParameters(runs, {
      memoryBytes: workloads[0].guest.memoryBytes,
      memoryBytesByScenario: new Map(scenarios.map((scenario, index) => [scenario, workloads[index].guest.memoryBytes])),
      pageSizeBytes: workloads[0].guest.pageSizeBytes,
      maxOrder: workloads[0].guest.maxOrder,
      pageblockOrder: workloads[0].guest.pageblockOrder,
    }).map((value) => ({ derived: value, workloadValue: workloadValueOf(value, scenarios, workloads) }));
  if (tables) {
    const palette = stdoutPalette({ color: options.color });
    writeStdout(`${formatCalibration(comparisons, palette)}\n${formatDerived(derivedRows(), palette)}`);
  }
  if (options.json === true) {
    writeStdout(
      formatJsonDocument({
        schemaVersion: 1,
        dir: dataDir,
        workloads: workloadsDir,
        ok: allTargetsMet(comparisons),
        comparisons,
        derived: derivedRows().map((row) => ({ ...row.derived, workloadValue: row.workloadValue })),
      }),
    );
  }
  if (options.csv !== null) {
    const text = formatCalibrationCsv(comparisons);
    if (options.csv === '-') writeStdout(text);
    else writeFileAtomic(options.csv, text);
  }
  return allTargetsMet(comparisons) ? EXIT_CODES.ok : EXIT_CODES.failed;
}

/** The label of the workload's plain free-page-hint run, or null. */
function freePageHintLabel(workload: Workload): string | null {
  const hint = workload.hints.find((candidate) => candidate.strategies.length === 1 && candidate.strategies[0] === 'free-page-hint');
  return hint === undefined ? null : hint.label;
}

/** What the workload says for a derived parameter (a shared one: the first scenario's). */
function workloadValueOf(derived: DerivedValue, scenarios: readonly string[], workloads: readonly Workload[]): number | null {
  const workload = workloads[derived.scenario === null ? 0 : scenarios.indexOf(derived.scenario)];
  if (workload === undefined) return null;
  const guest = workload.guest;
  const migration = workload.migration;
  switch (derived.path) {
    case 'guest.initial.used':
      return guest.initial.usedBytes;
    case 'guest.initial.freeDirty':
      return guest.initial.freeDirtyBytes;
    case 'guest.initial.fragmentation':
      return guest.initial.fragmentation;
    case 'guest.minFree':
      return guest.minFreeBytes;
    case 'guest.zeroRate':
      return guest.zeroRateBytesPerSec;
    case 'guest.firstTouchRate':
      return guest.firstTouchRateBytesPerSec;
    case 'migration.linkBandwidth':
      return migration.linkBandwidthBytesPerSec;
    case 'migration.wire.deviceState':
      return migration.wire.deviceStateBytes;
    default:
      return null;
  }
}
