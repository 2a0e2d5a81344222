/**
 * `migsim plot` and `run --html` end to end: SVG files from a workload, from the CSVs of
 * `run --csv` / `--summary-csv`, parsed back as XML and checked for their series.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { parseXml, select, texts } from '../report/xml.js';
import { migsim } from './helpers.js';

const TINY = 'test/fixtures/tiny.yaml';
const scratch = mkdtempSync(join(tmpdir(), 'migsim-plot-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('migsim plot', () => {
  it('from a workload: three well-formed charts, hinted and unhinted bars side by side', () => {
    const out = join(scratch, 'from-yaml');
    const result = migsim(['plot', TINY, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    const files = result.stdout.trim().split('\n');
    assert.deepEqual(files, ['tiny-pages-per-round', 'tiny-cumulative-bytes', 'tiny-dirty-pages'].map((name) => join(out, `${name}.svg`)));
    const bars = parseXml(readFileSync(files[0], 'utf8'));
    // tiny: bulk, one iterate and stop-copy for none and free-page-hint.
    assert.equal(select(bars, 'rect', 'series-normal', 'member-none').length, 3);
    assert.equal(select(bars, 'rect', 'series-normal', 'member-free-page-hint').length, 3);
    assert.equal(select(bars, 'rect', 'series-skipped', 'member-free-page-hint').length, 1);
    assert.equal(select(bars, 'rect', 'series-skipped', 'member-none').length, 0);
    assert.ok(texts(bars).includes('pages') && texts(bars).includes('round'));
    const cumulative = parseXml(readFileSync(files[1], 'utf8'));
    assert.equal(select(cumulative, 'path', 'line').length, 2);
    assert.deepEqual(select(cumulative, 'line', 'marker').map((line) => line.attributes.class), ['marker marker-none', 'marker marker-free-page-hint']);
    assert.ok(texts(cumulative).includes('bytes'));
  });

  it('from run --csv: the same charts as from the workload, byte for byte', () => {
    const csv = join(scratch, 'rounds.csv');
    assert.equal(migsim(['run', TINY, '--csv', csv]).status, 0);
    const a = join(scratch, 'a');
    const b = join(scratch, 'b');
    assert.equal(migsim(['plot', csv, '-o', a]).status, 0);
    assert.equal(migsim(['plot', TINY, '-o', b]).status, 0);
    for (const name of ['tiny-pages-per-round', 'tiny-cumulative-bytes', 'tiny-dirty-pages']) {
      assert.equal(readFileSync(join(a, `${name}.svg`), 'utf8'), readFileSync(join(b, `${name}.svg`), 'utf8'), name);
    }
  });

  it('from a summary CSV of several seeds: total bytes and downtime against seed, a line per run', () => {
    const summary = join(scratch, 'seeds.csv');
    const first = migsim(['run', TINY, '--seed', '1', '--summary-csv', '-']);
    const second = migsim(['run', TINY, '--seed', '2', '--summary-csv', '-']);
    const third = migsim(['run', TINY, '--seed', '3', '--summary-csv', '-']);
    const body = (text: string): string => text.split('\n').slice(1).join('\n');
    const text = first.stdout + body(second.stdout) + body(third.stdout);
    writeFileSync(summary, text);
    const out = join(scratch, 'sweep');
    const result = migsim(['plot', summary, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), [join(out, 'seeds-total-bytes.svg'), join(out, 'seeds-downtime.svg')]);
    for (const file of result.stdout.trim().split('\n')) {
      const root = parseXml(readFileSync(file, 'utf8'));
      assert.equal(select(root, 'path', 'line').length, 2);
      assert.equal(select(root, 'circle', 'dot', 'series-none').length, 3);
      assert.ok(texts(root).includes('seed'));
    }
    const wrong = migsim(['plot', summary, '-o', out, '--x', 'bandwidth']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--x bandwidth is not a column/);
  });
});

describe('migsim plot of a sweep CSV', () => {
  it('plots total bytes and downtime against the swept parameter, categories in point order', () => {
    const sweep = join(scratch, 'bw.csv');
    const made = migsim(['sweep', TINY, '--vary', 'migration.bandwidth=64MiB/s,256MiB/s,128MiB/s', '--jobs', '1', '--csv', sweep, '-q']);
    assert.equal(made.status, 0, made.stderr);
    const out = join(scratch, 'bw');
    const result = migsim(['plot', sweep, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    const root = parseXml(readFileSync(join(out, 'bw-total-bytes.svg'), 'utf8'));
    assert.equal(select(root, 'path', 'line', 'series-none').length, 1);
    assert.equal(select(root, 'circle', 'dot', 'series-free-page-hint').length, 3);
    const ticks = select(root, 'text', 'x-tick').map((element) => element.text);
    assert.deepEqual(ticks, ['64MiB/s', '256MiB/s', '128MiB/s']);
    assert.ok(texts(root).includes('migration.bandwidth'));
  });
});

describe('migsim run --html', () => {
  it('writes one self-contained page with the summary table, the text tables and the charts inline', () => {
    const page = join(scratch, 'report.html');
    const result = migsim(['run', TINY, '--html', page, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(!/<script|src=|href=/.test(html), 'no scripts and no external files');
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.match(html, /<table class="summary">/);
    assert.match(html, /<td class="text">free-page-hint<\/td>/);
    assert.match(html, /round {2}kind/);
    // Each inline chart is well-formed XML on its own.
    for (const svg of html.match(/<svg [\s\S]*?<\/svg>/g) ?? []) parseXml(svg);
  });
});
