/**
 * `migsim check <workload…> --baseline <file>`: simulate, then compare each run's
 * total_bytes with the baseline (docs/model.md §7). Exit 1 on a regression or a row missing on
 * either side, 3 if a run lost pages (that outranks 1), 0 otherwise.
 *
 * Only the baseline rows of the workloads given are compared: checking one file against
 * the full baseline must not fail because the other workloads were not run. The rows of
 * other workloads are counted in a note, and `--update` keeps them as they are while it
 * replaces the rows of the workloads it ran (sorted, written atomically, exit 0).
 */
import { compare } from '../../check/compare.js';
import { EXIT_CODES } from '../../core/exit-codes.js';
import { formatBaseline, readBaseline, totalBytesRow } from '../../io/baseline.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { writeFileAtomic } from '../../io/write-atomic.js';
import { stdoutPalette } from '../../report/colors.js';
import { formatVerdict, formatVerdictTable } from '../../report/format-table.js';
import { escapeControlChars, terminalSafeRows } from '../../report/terminal-text.js';
import { checkMemoryLimit, memoryLimit } from '../memory-limit.js';
import { withInterruptGuard } from '../interrupt.js';
import {
  loadWorkloads,
  lostPagesMessages,
  simulateLoadedInterruptible,
  writeStderrLine,
  writeStdout,
  type SimulatedWorkload,
} from '../simulate.js';

export interface CheckOptions {
  baseline: string;
  /** Percent of the baseline's total_bytes an increase may reach without failing. */
  tolerance: number;
  update: boolean;
  set: string[];
  seed: number | null;
  /** `--max-memory <size>`; null = MIGSIM_MAX_MEMORY or the machine's memory. */
  maxMemory?: string | null;
  /** `--max-events <n>`; null = MIGSIM_MAX_EVENTS or the default. */
  maxEvents?: string | null;
  color: boolean;
  quiet: boolean;
}

export async function checkCommand(files: readonly string[], options: CheckOptions): Promise<number> {
  if (options.update) checkOutputPaths([{ option: '--baseline', path: options.baseline }]);
  const baseline = readBaseline(options.baseline, options.update);
  const loaded = loadWorkloads(files, { sets: options.set, seed: options.seed, traceBudgetBytes: memoryLimit({ maxMemory: options.maxMemory ?? null }).bytes });
  checkMemoryLimit(loaded, { maxMemory: options.maxMemory ?? null, maxEvents: options.maxEvents ?? null });
  // Ctrl-C stops at the next round (exit 130) before the baseline is touched.
  const simulated: SimulatedWorkload[] = [];
  await withInterruptGuard(async () => {
    for (const workload of loaded) simulated.push(await simulateLoadedInterruptible(workload, { json: false, quiet: options.quiet }));
  });
  const summaries = simulated.flatMap((done) => done.results.map((result) => result.summary));
  const palette = stdoutPalette({ color: options.color });

  const names = new Set(simulated.map((done) => done.workload.name));
  const compared = baseline.filter((entry) => names.has(entry.row.workload));
  const others = baseline.filter((entry) => !names.has(entry.row.workload));
  const verdict = compare(
    compared.map((entry) => entry.row),
    summaries.map(totalBytesRow),
    options.tolerance,
  );

  const lines: string[] = [];
  const shown = { ...verdict, rows: terminalSafeRows(verdict.rows) };
  if (options.update) {
    writeFileAtomic(options.baseline, formatBaseline(others, summaries));
    // A new baseline would list every run as "not in baseline": only show changes to an old one.
    const table = compared.length > 0 ? formatVerdictTable(shown, { palette }) : '';
    if (table !== '') lines.push(table, '');
    const added = verdict.counts['missing-in-baseline'];
    const removed = verdict.counts['missing-in-run'];
    const changed = verdict.rows.filter((row) => row.deltaBytes !== null && row.deltaBytes !== 0).length;
    lines.push(
      `updated ${escapeControlChars(options.baseline)}: ${summaries.length} runs written (${added} added, ${changed} changed, ${removed} removed), ${others.length} rows of other workloads kept`,
    );
  } else {
    lines.push(formatVerdict(shown, escapeControlChars(options.baseline), { palette }));
    if (others.length > 0) {
      const otherNames = [...new Set(others.map((entry) => entry.row.workload))];
      lines.push(palette.dim(`(${others.length} baseline rows of workloads not given were not checked: ${otherNames.join(', ')})`));
    }
  }
  writeStdout(`${lines.join('\n')}\n`);

  const lost = lostPagesMessages(simulated);
  for (const message of lost) writeStderrLine(`migsim: ${message}`);
  if (lost.length > 0) return EXIT_CODES.lostPages;
  return options.update || verdict.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}
