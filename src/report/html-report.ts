/**
 * `migsim run --html <file>`: one self-contained page. The charts of charts.ts, compiled
 * to Vega and drawn in the page by the inlined Vega runtime (no network, no other file:
 * hover a mark for its values); per workload the summary (every column, human units, one
 * column per run), the per-round table as a real table, and the inputs that produced it
 * (the workload file, the command line, migsim's version, the date). Pure apart from
 * reading the Vega runtime from the installed package; the CLI writes the string atomically.
 */
import type { RunResult, Workload } from '../core/types.js';
import { roundRecord, ROUND_COLUMNS, summaryRecord, SUMMARY_COLUMNS } from '../columns/cells.js';
import { formatDuration } from '../workload/units.js';
import { chartsOfResults, summaryChartsOfResults } from './chart-rows.js';
import { compileChart, vegaRuntime } from './render-chart.js';
import { formatWorkloadHeader, sizeText } from './format-table.js';

export interface HtmlWorkload {
  workload: Workload;
  results: readonly RunResult[];
  /** The workload file as given, and its text (null when it cannot be read back). */
  file?: string;
  source?: string | null;
}

export interface HtmlContext {
  version: string;
  /** The command line that produced the report (argv after `node`). */
  commandLine: string;
  /** When it was produced (ISO 8601); passed in so the page is a pure function of its inputs. */
  date: string;
}

/** Escapes text for HTML character data and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A column's name for people: `guest_cpu_s` → `guest CPU`, `total_bytes` → `total bytes`. */
export function columnLabel(column: string): string {
  return column
    .replace(/_s$/, '')
    .replace(/^vcpu_(\w+)_s_list$/, '$1 per vCPU')
    .replace(/_pct$/, ' (%)')
    .replace(/_/g, ' ')
    .replace(/\bcpu\b/g, 'CPU');
}

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * A cell in human units, with its exact value for a `title` when they differ: sizes in
 * B/KiB/MiB/GiB (in the unit of `unitBytes`, a row's largest size, when given), times in
 * s/ms/µs, counts with thousands separators, flags yes/no.
 */
export function humanCell(column: string, value: string | number | boolean | undefined, unitBytes?: number): { text: string; exact: string | null; numeric: boolean } {
  if (value === undefined) return { text: '', exact: null, numeric: false };
  if (typeof value === 'boolean') return { text: value ? 'yes' : 'no', exact: null, numeric: false };
  // A `;`-separated list of seconds (vcpu_blocktime_s_list): each in human units.
  if (typeof value === 'string' && column.endsWith('_s_list') && value !== '') {
    return { text: value.split(';').map((sec) => formatDuration(Number(sec)).replace(/\bus\b/, 'µs')).join(', '), exact: `${value} s`, numeric: true };
  }
  if (typeof value === 'string') return { text: value, exact: null, numeric: false };
  if (column.endsWith('_s')) return { text: formatDuration(value).replace(/\bus\b/, 'µs'), exact: `${value} s`, numeric: true };
  if (isSizeColumn(column)) return { text: sizeText(value, unitBytes ?? value), exact: `${INTEGER.format(value)} B`, numeric: true };
  if (column.endsWith('_pct')) return { text: `${Number(value.toFixed(2))}%`, exact: null, numeric: true };
  return { text: INTEGER.format(value), exact: null, numeric: true };
}

const isSizeColumn = (column: string): boolean => column === 'bytes' || column.endsWith('_bytes');

function cell(column: string, value: string | number | boolean | undefined, unitBytes?: number): string {
  const { text, exact, numeric } = humanCell(column, value, unitBytes);
  const attributes = `${numeric ? ' class="num"' : ''}${exact !== null && exact !== text ? ` title="${escapeHtml(exact)}"` : ''}`;
  return `<td${attributes}>${escapeHtml(text)}</td>`;
}

/** The summary of one workload: a row per column, a column per run. */
export function summaryTable(results: readonly RunResult[]): string {
  const records = results.map(({ summary }) => summaryRecord(summary) as Record<string, string | number | boolean>);
  const rows = SUMMARY_COLUMNS.filter((column) => column !== 'workload' && column !== 'run');
  const out = ['<table class="summary">', `<thead><tr><th></th>${records.map((record) => `<th scope="col">${escapeHtml(String(record.run))}</th>`).join('')}</tr></thead>`, '<tbody>'];
  for (const column of rows) {
    // One size unit per row, the largest run's, as the terminal summary has.
    const unitBytes = isSizeColumn(column) ? Math.max(...records.map((record) => Math.abs(Number(record[column])))) : undefined;
    out.push(`<tr><th scope="row" title="${escapeHtml(column)}">${escapeHtml(columnLabel(column))}</th>${records.map((record) => cell(column, record[column], unitBytes)).join('')}</tr>`);
  }
  out.push('</tbody>', '</table>');
  return out.join('\n');
}

/** Every round of every run of one workload. */
function roundsTable(results: readonly RunResult[]): string {
  const columns = ROUND_COLUMNS.filter((column) => column !== 'workload' && column !== 'seed');
  const out = ['<table class="rounds">', `<thead><tr>${columns.map((column) => `<th scope="col" title="${escapeHtml(column)}">${escapeHtml(columnLabel(column))}</th>`).join('')}</tr></thead>`, '<tbody>'];
  for (const { summary, rounds } of results) {
    for (const round of rounds) {
      const record = roundRecord(summary, round) as Record<string, string | number | boolean>;
      out.push(`<tr>${columns.map((column) => cell(column, record[column])).join('')}</tr>`);
    }
  }
  out.push('</tbody>', '</table>');
  return out.join('\n');
}

const STYLE = `
body{font-family:Helvetica,Arial,"Liberation Sans","DejaVu Sans",sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1.5em}
th,td{border:1px solid #d6d6d6;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f2f2f2;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
.scroll{max-height:32em;overflow:auto;display:inline-block;max-width:100%}
figure{margin:1.5em 0}figcaption{color:#555;font-size:13px;margin-top:0.3em}
pre{background:#f6f6f6;padding:0.8em;font-size:12px;white-space:pre-wrap;word-break:break-word}
dl.inputs{display:grid;grid-template-columns:max-content 1fr;gap:0.2em 1em}dl.inputs dt{font-weight:bold}dl.inputs dd{margin:0;font-family:monospace}
#migsim-tooltip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:4px 8px;font-size:12px;box-shadow:0 1px 4px rgba(0,0,0,.2);display:none;z-index:10}
#migsim-tooltip td{border:0;padding:0 6px 0 0}
`;

/**
 * Draws every chart (`<div class="chart" data-spec="i">`) with the inlined runtime, SVG
 * renderer, and a tooltip of the mark's values. A chart that fails says so in place and
 * on the console.
 */
const BOOT = `
(function () {
  var specs = JSON.parse(document.getElementById('migsim-specs').textContent);
  var tip = document.getElementById('migsim-tooltip');
  function tooltip(handler, event, item, value) {
    if (value == null || value === '') { tip.style.display = 'none'; return; }
    var rows = typeof value === 'object' ? Object.keys(value).map(function (k) { return [k, value[k]]; }) : [['', value]];
    tip.textContent = '';
    var table = document.createElement('table');
    rows.forEach(function (r) {
      var tr = table.insertRow(); tr.insertCell().textContent = r[0]; tr.insertCell().textContent = String(r[1]);
    });
    tip.appendChild(table);
    tip.style.left = (event.clientX + 12) + 'px';
    tip.style.top = (event.clientY + 12) + 'px';
    tip.style.display = 'block';
  }
  window.migsimCharts = Promise.all(Array.prototype.map.call(document.querySelectorAll('div.chart'), function (el) {
    var view = new vega.View(vega.parse(specs[Number(el.dataset.spec)]), { renderer: 'svg', container: el, hover: true, tooltip: tooltip });
    return view.runAsync().then(function () { el.dataset.rendered = 'true'; }, function (error) {
      el.textContent = 'chart failed: ' + error.message; console.error(error);
    });
  }));
})();
`;

/** The page for these workloads' results. */
export async function formatHtmlReport(workloads: readonly HtmlWorkload[], context: HtmlContext): Promise<string> {
  const names = workloads.map((w) => w.workload.name).join(', ');
  const specs: object[] = [];
  const runtime = vegaRuntime();
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>migsim report: ${escapeHtml(names)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>migsim report: ${escapeHtml(names)}</h1>`,
    '<dl class="inputs">',
    `<dt>command</dt><dd>${escapeHtml(context.commandLine)}</dd>`,
    `<dt>migsim</dt><dd>${escapeHtml(context.version)}</dd>`,
    `<dt>date</dt><dd>${escapeHtml(context.date)}</dd>`,
    `<dt>charts</dt><dd>Vega ${escapeHtml(runtime.version)}, inlined; hover a mark for its values</dd>`,
    '</dl>',
    '<noscript><p>The charts need JavaScript; the tables below do not.</p></noscript>',
  ];

  const figure = async (chart: { name: string; title: string; spec: Parameters<typeof compileChart>[0] }): Promise<string> => {
    specs.push(await compileChart(chart.spec));
    return `<figure class="plot" id="${escapeHtml(chart.name)}"><div class="chart" data-spec="${specs.length - 1}" role="img" aria-label="${escapeHtml(chart.title)}"></div><figcaption>${escapeHtml(chart.title)}</figcaption></figure>`;
  };

  for (const entry of workloads) {
    const { workload, results } = entry;
    parts.push('<section class="workload">', `<h2 id="workload-${escapeHtml(workload.name)}">${escapeHtml(workload.name)}</h2>`);
    parts.push(`<p>${escapeHtml(formatWorkloadHeader(workload).trim())}</p>`);
    parts.push('<h3>Summary</h3>', summaryTable(results));
    for (const chart of chartsOfResults([entry])) parts.push(await figure(chart));
    parts.push('<h3>Rounds</h3>', '<div class="scroll">', roundsTable(results), '</div>');
    if (entry.source !== undefined && entry.source !== null) {
      parts.push(`<details><summary>workload file ${escapeHtml(entry.file ?? '')}</summary><pre>${escapeHtml(entry.source)}</pre></details>`);
    }
    parts.push('</section>');
  }
  if (workloads.length > 1) {
    parts.push('<section class="across">', '<h2>All workloads</h2>');
    for (const chart of summaryChartsOfResults(workloads)) parts.push(await figure(chart));
    parts.push('</section>');
  }
  parts.push(
    `<footer><p>migsim ${escapeHtml(context.version)}</p></footer>`,
    '<div id="migsim-tooltip"></div>',
    `<script id="migsim-specs" type="application/json">${scriptJson(specs)}</script>`,
    `<script>${runtime.source}</script>`,
    `<script>${BOOT}</script>`,
    '</body>',
    '</html>',
    '',
  );
  return parts.join('\n');
}
