/**
 * `migsim plot <input…>`: SVG charts with no browser. Each input is a workload file
 * (simulated as `run` would) or a CSV: per-round (`run --csv`) gives three charts per
 * workload, a summary or sweep CSV (`run --summary-csv`, `sweep`) gives total bytes and
 * downtime against the varying parameter. Files go to --out-dir, each written atomically;
 * stdout lists them, one per line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { MigsimError } from '../../core/errors.js';
import { readResultsCsv } from '../../io/read-results-csv.js';
import { errnoCode, writeFileAtomic } from '../../io/write-atomic.js';
import { escapeControlChars } from '../../report/terminal-text.js';
import { fileStem, plotRoundsOf, roundPlots, summaryPlots, type Plot } from '../../report/svg-plots.js';
import { checkMemoryLimit, type MemoryLimitOptions } from '../memory-limit.js';
import { withInterruptGuard } from '../interrupt.js';
import { loadWorkloads, simulateLoadedInterruptible, writeStdout } from '../simulate.js';
import { clipText } from '../../workload/field-reader.js';

export interface PlotOptions extends MemoryLimitOptions {
  outDir: string;
  /** Summary column to plot against; null = the first parameter column that varies. */
  x: string | null;
  hints: string[] | null;
  seed: number | null;
  set: string[];
  quiet: boolean;
}

export async function plotCommand(inputs: readonly string[], options: PlotOptions): Promise<number> {
  const csvInputs = inputs.filter((input) => input.toLowerCase().endsWith('.csv'));
  const workloadInputs = inputs.filter((input) => !input.toLowerCase().endsWith('.csv'));
  const plots: Plot[] = [];
  for (const input of csvInputs) {
    const csv = readResultsCsv(input);
    if (csv.kind === 'rounds') {
      plots.push(...roundPlots(csv.rows));
    } else {
      if (options.x !== null && !csv.columns.includes(options.x)) {
        throw new MigsimError('usage.bad-argument', `${input}: --x ${clipText(options.x, 60)} is not a column (header: ${clipText(csv.columns.join(','))})`);
      }
      const made = summaryPlots(csv.rows, csv.columns, options.x, fileStem(`${csv.file.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '')}`));
      if (made.length === 0) {
        process.stderr.write(`migsim: ${escapeControlChars(input)}: no parameter, seed or workload varies between rows: nothing to plot against (use --x <column>)\n`);
      }
      plots.push(...made);
    }
  }
  if (workloadInputs.length > 0) {
    const loaded = loadWorkloads(workloadInputs, { sets: options.set, hints: options.hints, seed: options.seed });
    checkMemoryLimit(loaded, options);
    // Ctrl-C stops at the next round (exit 130) before any chart is written.
    await withInterruptGuard(async () => {
      for (const workload of loaded) {
        plots.push(...roundPlots(plotRoundsOf((await simulateLoadedInterruptible(workload, { json: false, quiet: options.quiet })).results)));
      }
    });
  }
  try {
    mkdirSync(options.outDir, { recursive: true });
  } catch (error) {
    throw new MigsimError('output.write-failed', `${options.outDir}: cannot create directory (${errnoCode(error)})`);
  }
  const seen = new Map<string, number>();
  for (const plot of plots) {
    const count = (seen.get(plot.name) ?? 0) + 1;
    seen.set(plot.name, count);
    const file = join(options.outDir, `${plot.name}${count > 1 ? `-${count}` : ''}.svg`);
    writeFileAtomic(file, plot.svg);
    writeStdout(`${escapeControlChars(file)}\n`);
  }
  return 0;
}
