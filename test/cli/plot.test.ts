/**
 * `migsim plot` and `run --html` end to end: SVG files from a workload, from the CSVs of
 * `run --csv` / `--summary-csv`, parsed back as XML and checked for their series.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { allElements, parseXml, select, texts, type XmlElement } from '../report/xml.js';
import { migsim } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';
const scratch = mkdtempSync(join(tmpdir(), 'migsim-plot-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The aria-labels of a Vega SVG's marks of one type (rect: bars, symbol: points, line: lines). */
function marks(root: XmlElement, type: string, role?: string): string[] {
  return select(root, 'g', `mark-${type}`, 'role-mark')
    .flatMap((group) => group.children)
    .filter((child) => role === undefined || child.attributes['aria-roledescription'] === role)
    .map((child) => child.attributes['aria-label'] ?? '');
}

function axisTitles(root: XmlElement): string[] {
  return select(root, 'g', 'role-axis-title').flatMap((group) => texts(group));
}

const ROUND_CHARTS = ['tiny-bytes-per-round', 'tiny-bytes-per-round-log', 'tiny-cumulative-bytes', 'tiny-dirty-pages'];

describe('migsim plot', () => {
  it('from a workload: the per-round charts, well-formed, a panel per run', () => {
    const out = join(scratch, 'from-yaml');
    const result = migsim(['plot', TINY, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', 'no chart-library warnings');
    const files = result.stdout.trim().split('\n');
    assert.deepEqual(files, ROUND_CHARTS.map((name) => join(out, `${name}.svg`)));
    const bars = parseXml(readFileSync(files[0], 'utf8'));
    // tiny: bulk, one iterate and stop-copy for none and free-page-hint, normal pages in each.
    const normal = marks(bars, 'rect').filter((label) => label.includes('sent as: normal'));
    assert.equal(normal.filter((label) => label.includes('run: none;')).length, 3);
    assert.equal(normal.filter((label) => label.includes('run: free-page-hint;')).length, 3);
    assert.ok(axisTitles(bars).includes('round'));
    assert.ok(axisTitles(bars).some((title) => /^bytes sent \((KiB|MiB|GiB)\)$/.test(title)));
    const cumulative = parseXml(readFileSync(files[2], 'utf8'));
    assert.equal(select(cumulative, 'g', 'mark-line', 'role-mark').flatMap((group) => group.children).length, 2);
    assert.equal(marks(cumulative, 'symbol').filter((label) => label.includes('event: switchover')).length, 2);
  });

  it('from run --csv: the same charts as from the workload, byte for byte', () => {
    const csv = join(scratch, 'rounds.csv');
    assert.equal(migsim(['run', TINY, '--csv', csv]).status, 0);
    const a = join(scratch, 'a');
    const b = join(scratch, 'b');
    assert.equal(migsim(['plot', csv, '-o', a]).status, 0);
    assert.equal(migsim(['plot', TINY, '-o', b]).status, 0);
    for (const name of ROUND_CHARTS) {
      assert.equal(readFileSync(join(a, `${name}.svg`), 'utf8'), readFileSync(join(b, `${name}.svg`), 'utf8'), name);
    }
  });

  it('from a summary CSV of several seeds: bars per strategy (mean and a tick per seed), not lines across seeds', () => {
    const summary = join(scratch, 'seeds.csv');
    const first = migsim(['run', TINY, '--seed', '1', '--summary-csv', '-']);
    const second = migsim(['run', TINY, '--seed', '2', '--summary-csv', '-']);
    const third = migsim(['run', TINY, '--seed', '3', '--summary-csv', '-']);
    const body = (text: string): string => text.split('\n').slice(1).join('\n');
    const text = first.stdout + body(second.stdout) + body(third.stdout);
    writeFileSync(summary, text);
    const out = join(scratch, 'sweep');
    const result = migsim(['plot', summary, '-o', out, '--downtime-limit', '300ms']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['seeds-saved-bytes', 'seeds-downtime', 'seeds-guest-cost'].map((name) => join(out, `${name}.svg`)));
    const downtime = parseXml(readFileSync(join(out, 'seeds-downtime.svg'), 'utf8'));
    assert.equal(select(downtime, 'g', 'mark-line', 'role-mark').length, 0);
    assert.equal(marks(downtime, 'rect', 'bar').length, 2, 'one bar per run');
    assert.equal(marks(downtime, 'rect', 'tick').length, 6, 'a tick per run and seed');
    assert.ok(texts(downtime).includes('limit 300 ms'));
    const wrong = migsim(['plot', summary, '-o', out, '--x', 'bandwidth']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--x bandwidth is not a column/);
    const badLimit = migsim(['plot', summary, '-o', out, '--downtime-limit', 'soon']);
    assert.equal(badLimit.status, 2);
    assert.match(badLimit.stderr, /--downtime-limit/);
  });
});

describe('migsim plot of a sweep CSV', () => {
  it('plots total bytes and downtime against the swept parameter on a numeric axis, a line per run', () => {
    const sweep = join(scratch, 'bw.csv');
    const made = migsim(['sweep', TINY, '--vary', 'migration.bandwidth=64MiB/s,256MiB/s,128MiB/s', '--jobs', '1', '--csv', sweep, '-q']);
    assert.equal(made.status, 0, made.stderr);
    const out = join(scratch, 'bw');
    const result = migsim(['plot', sweep, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    const root = parseXml(readFileSync(join(out, 'bw-total-bytes.svg'), 'utf8'));
    assert.equal(select(root, 'g', 'mark-line', 'role-mark').flatMap((group) => group.children).length, 2);
    const points = marks(root, 'symbol');
    assert.equal(points.filter((label) => label.includes('run: free-page-hint;')).length, 3);
    assert.ok(axisTitles(root).includes('migration.bandwidth (MiB/s)'));
    // 64, 128, 256 MiB/s: a geometric sweep on a log axis.
    const subtitle = allElements(root).filter((element) => element.name === 'tspan').map((element) => element.text);
    assert.ok(subtitle.includes('migration.bandwidth on a log axis (a geometric sweep)'), subtitle.join(' | '));
  });
});

describe('migsim run --html', () => {
  it('writes one self-contained page: the Vega runtime and the chart specs inline, real tables', () => {
    const page = join(scratch, 'report.html');
    const result = migsim(['run', TINY, '--html', page, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=/.test(html), 'no external files');
    assert.equal((html.match(/<div class="chart"/g) ?? []).length, 4);
    const specs = JSON.parse(/<script id="migsim-specs" type="application\/json">(.*?)<\/script>/s.exec(html)![1]) as unknown[];
    assert.equal(specs.length, 4);
    assert.match(html, /<table class="summary">/);
    assert.match(html, /<table class="rounds">/);
    assert.match(html, /<th scope="col">free-page-hint<\/th>/);
    assert.match(html, /<dt>command<\/dt><dd>migsim run test\/fixtures\/tiny\.yaml --html /);
  });
});
