/**
 * `migsim run --html <file>`: one self-contained HTML page (no scripts, no external
 * files) with each workload's tables (the terminal tables, uncoloured, in <pre>), a
 * summary table of every run, and the plots of svg-plots.ts inline. Pure: the CLI writes
 * the string atomically.
 */
import type { RunResult, Workload } from '../core/types.js';
import { formatCell, summaryRecord, SUMMARY_COLUMNS } from '../columns/cells.js';
import { formatWorkloadReport } from './format-table.js';
import { escapeXml } from './svg-chart.js';
import { plotRoundsOf, roundPlots } from './svg-plots.js';

export interface HtmlWorkload {
  workload: Workload;
  results: readonly RunResult[];
}

/** The page for these workloads' results; `version` goes in the footer. */
export function formatHtmlReport(workloads: readonly HtmlWorkload[], version: string): string {
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>migsim report: ${escapeXml(workloads.map((w) => w.workload.name).join(', '))}</title>`,
    '<style>',
    'body{font-family:Helvetica,Arial,sans-serif;margin:2em;max-width:1100px}',
    'pre{font-size:12px;background:#f6f6f6;padding:1em;overflow-x:auto}',
    'table.summary{border-collapse:collapse;font-size:12px}',
    'table.summary th,table.summary td{border:1px solid #ccc;padding:2px 6px;text-align:right}',
    'table.summary td.text{text-align:left}',
    'figure{margin:1em 0}',
    '</style>',
    '</head>',
    '<body>',
    '<h1>migsim report</h1>',
  ];

  const summaryColumns = SUMMARY_COLUMNS.slice(0, 12);
  parts.push('<h2>Summary</h2>', '<table class="summary">', `<tr>${summaryColumns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`);
  for (const { results } of workloads) {
    for (const { summary } of results) {
      const record = summaryRecord(summary);
      const cells = summaryColumns.map((column) => {
        const text = formatCell(column, record[column]);
        const cls = typeof record[column] === 'string' ? ' class="text"' : '';
        return `<td${cls}>${escapeXml(text)}</td>`;
      });
      parts.push(`<tr>${cells.join('')}</tr>`);
    }
  }
  parts.push('</table>');

  for (const { workload, results } of workloads) {
    parts.push(`<section class="workload">`, `<h2>${escapeXml(workload.name)}</h2>`);
    parts.push(`<pre>${escapeXml(formatWorkloadReport(workload, results))}</pre>`);
    for (const plot of roundPlots(plotRoundsOf(results))) {
      parts.push(`<figure class="plot" id="${escapeXml(plot.name)}">`, plot.svg.trimEnd(), `<figcaption>${escapeXml(plot.title)}</figcaption>`, '</figure>');
    }
    parts.push('</section>');
  }
  parts.push(`<footer><p>migsim ${escapeXml(version)}</p></footer>`, '</body>', '</html>', '');
  return parts.join('\n');
}
