/**
 * `migsim calibrate --log <query-migrate.jsonl> [--domjobinfo <file>] --workload <w.yaml>`:
 * any real migration, as a management tool recorded it, against a workload describing
 * its guest: measured vs simulated per iteration (segmented by dirty-sync-count, as the
 * calibration directories are), totals, time and downtime. No targets: a user's migration
 * has none, so the exit is 0 whatever the errors. With both files, the domjobinfo's
 * completed block ends a log whose poller missed the completion.
 */
import { compareRun, type RunComparison } from '../../calibrate/compare.js';
import { logMetrics, segmentSamples, type MigrateSample } from '../../calibrate/log-metrics.js';
import { simulatedMetrics } from '../../calibrate/metrics.js';
import { UsageError } from '../../core/errors.js';
import { readDomjobinfo, readMigrateLog } from '../../io/read-migrate-log.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatCalibration, formatCalibrationCsv } from '../../report/format-calibration.js';
import { withInterruptGuard } from '../interrupt.js';
import { checkMemoryLimit } from '../memory-limit.js';
import { loadWorkloads, simulateLoadedInterruptible, writeStdout } from '../simulate.js';

export interface CalibrateLogOptions {
  log: string | null;
  domjobinfo: string | null;
  workload: string;
  /** The simulated run to compare with (`none`, or a hint label). */
  run: string;
  /** `key=value` overrides of the workload, as run --set. */
  set?: readonly string[];
  csv: string | null;
  color: boolean;
  quiet: boolean;
  maxMemory: string | null;
  maxEvents?: string | null;
}

export async function calibrateLogCommand(options: CalibrateLogOptions): Promise<number> {
  checkOutputPaths([{ option: '--csv', path: options.csv }]);
  let samples: MigrateSample[] = options.log === null ? [] : readMigrateLog(options.log);
  const source = options.log ?? options.domjobinfo!;
  if (options.domjobinfo !== null) {
    const jobs = readDomjobinfo(options.domjobinfo);
    if (samples.length === 0) samples = jobs;
    else if (samples[samples.length - 1].status !== 'completed') {
      const completed = jobs.filter((job) => job.status === 'completed');
      if (completed.length > 0) samples = [...samples, completed[completed.length - 1]];
    }
  }
  const measured = logMetrics(samples);
  if (measured === null) {
    throw new UsageError(`${source}: the last sample's status is ${samples[samples.length - 1].status}, not completed: poll until the migration ends (or add --domjobinfo with virsh domjobinfo --completed)`);
  }
  const loaded = loadWorkloads([options.workload], { sets: options.set ?? [] });
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory, maxEvents: options.maxEvents ?? null });
  const labels = loaded[0].workload.hints.map((hint) => hint.label);
  if (options.run !== 'none' && !labels.includes(options.run)) {
    throw new UsageError(`--run ${options.run}: ${options.workload} has no such run (its runs: ${['none', ...labels].join(', ')})`);
  }
  const tables = options.csv !== '-';
  let comparison: RunComparison | null = null;
  await withInterruptGuard(async () => {
    const results = (await simulateLoadedInterruptible(loaded[0], { json: !tables, quiet: options.quiet })).results;
    const result = results.find((candidate) => candidate.summary.run === options.run)!;
    const compared = compareRun(`${source} vs ${options.workload}`, options.run !== 'none', options.run, [{ name: 'measured', metrics: measured }], simulatedMetrics(result));
    // A user's migration has no targets.
    // A single completed sample (domjobinfo --completed) has totals only.
    const perIteration = segmentSamples(samples).length > 1;
    const shown = (key: string): boolean =>
      key !== 'iteration_1_dirtied_pages' && (perIteration || !(key.startsWith('iteration') || key === 'stop_copy_bytes'));
    comparison = { ...compared, rows: compared.rows.filter((row) => shown(row.key)).map((row) => ({ ...row, target: null, status: null })) };
  });
  const done = comparison!;
  if (tables) {
    const segments = segmentSamples(samples);
    const pageSize = samples.find((sample) => Number.isFinite(sample.pageSizeBytes))?.pageSizeBytes;
    const header =
      `${source}: ${samples.length} samples, ${segments.length} groups by dirty-sync-count (final count ${samples[samples.length - 1].dirtySyncCount}), ` +
      `ram.total ${samples[samples.length - 1].totalBytes} B${pageSize === undefined ? '' : `, page size ${pageSize} B`}; times are QEMU's total-time and downtime\n`;
    writeStdout(`${header}${formatCalibration([done], stdoutPalette({ color: options.color }))}`);
  }
  if (options.csv !== null) {
    const text = formatCalibrationCsv([done]);
    if (options.csv === '-') writeStdout(text);
    else writeFileAtomic(options.csv, text);
  }
  return 0;
}
