/**
 * Renders the chart specifications of charts.ts: Vega-Lite compiled to Vega, then SVG in
 * Node with Vega's own renderer (View.toSVG, headless: no browser, no canvas; text widths
 * are estimated). The HTML report embeds the compiled Vega specs and the Vega runtime
 * (vega.min.js from the installed package, read here, so the page needs no network).
 * Vega and Vega-Lite are imported on first use: `migsim run` without --html never loads them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { TopLevelSpec } from 'vega-lite';

import type { Chart } from './charts.js';

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');

let modules: Promise<{ vega: VegaModule; vl: VegaLiteModule }> | null = null;

function load(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  modules ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return modules;
}

/** Collects Vega-Lite's compile warnings instead of printing them into the user's output. */
class CollectingLogger {
  readonly warnings: string[] = [];
  level(): number {
    return 2; // warn
  }
  warn(...args: unknown[]): this {
    this.warnings.push(args.map(String).join(' '));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
  error(...args: unknown[]): this {
    throw new Error(`vega-lite: ${args.map(String).join(' ')}`);
  }
}

/** The Vega spec a Vega-Lite one compiles to, and the compiler's warnings (a chart of ours has none). */
export async function compileWithWarnings(spec: TopLevelSpec): Promise<{ vega: object; warnings: string[] }> {
  const { vl } = await load();
  const logger = new CollectingLogger();
  return { vega: vl.compile(spec, { logger: logger as never }).spec, warnings: logger.warnings };
}

/** The Vega specification a Vega-Lite one compiles to (what the HTML report embeds). */
export async function compileChart(spec: TopLevelSpec): Promise<object> {
  return (await compileWithWarnings(spec)).vega;
}

/** One chart as a standalone SVG document (ends in a newline). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega } = await load();
  const view = new vega.View(vega.parse(await compileChart(spec)), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    return `${svg}\n`;
  } finally {
    view.finalize();
  }
}

/** Charts with their SVG, in order. */
export async function renderCharts(charts: readonly Chart[]): Promise<(Chart & { svg: string })[]> {
  const out: (Chart & { svg: string })[] = [];
  for (const chart of charts) out.push({ ...chart, svg: await renderSvg(chart.spec) });
  return out;
}

/** The minified Vega runtime (BSD-3-Clause, its licence header kept) and its version. */
export function vegaRuntime(): { version: string; source: string } {
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(require.resolve('vega')));
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return { version, source: readFileSync(join(root, 'build', 'vega.min.js'), 'utf8') };
}
