/**
 * `migsim plot <input…>`: SVG charts with no browser (Vega-Lite specs from
 * report/charts.ts, rendered by report/render-chart.ts). Each input is a workload file
 * (simulated as `run` would) or a CSV: per-round (`run --csv`) gives the per-round charts
 * per workload, a summary or sweep CSV (`run --summary-csv`, `sweep`) gives the summary
 * charts. Workloads run with more than one strategy, or several workloads, also get the
 * summary charts. Files go to --out-dir, each written atomically; stdout lists them.
 */
import { join } from 'node:path';

import { MigsimError } from '../../core/errors.js';
import { checkOutputDir } from '../../io/output-paths.js';
import { readResultsCsv } from '../../io/read-results-csv.js';
import { makeDirectory, writeFileAtomic } from '../../io/write-atomic.js';
import { chartsOfResults, STANDARD_SUMMARY_COLUMNS } from '../../report/chart-rows.js';
import { fileStem, roundCharts, summaryCharts, type Chart } from '../../report/charts.js';
import { renderSvg } from '../../report/render-chart.js';
import { escapeControlChars } from '../../report/terminal-text.js';
import { checkMemoryLimit, memoryLimit, type MemoryLimitOptions } from '../memory-limit.js';
import { withInterruptGuard } from '../interrupt.js';
import { loadWorkloads, simulateLoadedInterruptible, writeStdout } from '../simulate.js';
import { clipText } from '../../workload/field-reader.js';

export interface PlotOptions extends MemoryLimitOptions {
  outDir: string;
  /** Summary column to plot against; null = the first parameter column that varies. */
  x: string | null;
  /** The downtime limit to draw on summary-CSV charts (seconds); null = not drawn. */
  downtimeLimitSec: number | null;
  hints: string[] | null;
  seed: number | null;
  set: string[];
  quiet: boolean;
  /** `--allow-outside-paths`. */
  allowOutsidePaths?: boolean;
}

export async function plotCommand(inputs: readonly string[], options: PlotOptions): Promise<number> {
  const csvInputs = inputs.filter((input) => input.toLowerCase().endsWith('.csv'));
  const workloadInputs = inputs.filter((input) => !input.toLowerCase().endsWith('.csv'));
  checkOutputDir('--out-dir', options.outDir);
  const charts: Chart[] = [];
  for (const input of csvInputs) {
    const csv = readResultsCsv(input);
    if (csv.kind === 'rounds') {
      charts.push(...roundCharts(csv.rows, csv.columns));
    } else {
      if (options.x !== null && !csv.columns.includes(options.x)) {
        throw new MigsimError('usage.bad-argument', `${input}: --x ${clipText(options.x, 60)} is not a column (header: ${clipText(csv.columns.join(','))})`);
      }
      const made = summaryCharts(csv.rows, csv.columns, {
        standardColumns: STANDARD_SUMMARY_COLUMNS,
        x: options.x,
        stem: fileStem(csv.file.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '')),
        downtimeLimitSec: options.downtimeLimitSec === null ? undefined : new Map([['*', options.downtimeLimitSec]]),
      });
      if (made.length === 0) {
        process.stderr.write(`migsim: ${escapeControlChars(input)}: one row only: nothing to plot\n`);
      }
      charts.push(...made);
    }
  }
  if (workloadInputs.length > 0) {
    const loaded = loadWorkloads(workloadInputs, { sets: options.set, hints: options.hints, seed: options.seed, traceBudgetBytes: memoryLimit(options).bytes, allowOutsidePaths: options.allowOutsidePaths === true });
    checkMemoryLimit(loaded, options);
    // Ctrl-C stops at the next round (exit 130) before any chart is written.
    await withInterruptGuard(async () => {
      const simulated = [];
      for (const workload of loaded) simulated.push(await simulateLoadedInterruptible(workload, { json: false, quiet: options.quiet }));
      charts.push(...chartsOfResults(simulated));
    });
  }
  makeDirectory(options.outDir);
  const seen = new Map<string, number>();
  for (const chart of charts) {
    const count = (seen.get(chart.name) ?? 0) + 1;
    seen.set(chart.name, count);
    const file = join(options.outDir, `${chart.name}${count > 1 ? `-${count}` : ''}.svg`);
    writeFileAtomic(file, await renderSvg(chart.spec));
    writeStdout(`${escapeControlChars(file)}\n`);
  }
  return 0;
}
