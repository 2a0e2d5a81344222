import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { escapeXml, niceTicks, renderBarChart, renderLineChart } from '../../src/report/svg-chart.js';
import { plotRoundsOf, roundPlots, summaryPlots } from '../../src/report/svg-plots.js';
import { makeRun } from '../cli/helpers.js';
import { parseXml, select, texts } from './xml.js';

describe('svg-chart', () => {
  it('niceTicks reaches at or above the maximum, so no bar is clipped', () => {
    for (const max of [1, 7, 10, 999, 1040000, 4.2e9, 0.37]) {
      const ticks = niceTicks(0, max);
      assert.ok(ticks[ticks.length - 1] >= max, `max ${max}: ${ticks.join(',')}`);
      assert.equal(ticks[0], 0);
    }
  });

  it('a stacked bar chart has one rect per non-zero segment, classed by series and member', () => {
    const svg = renderBarChart({
      title: 'T <&> "q"',
      xLabel: 'round',
      yLabel: 'pages',
      series: [
        { key: 'normal', label: 'normal', color: '#000' },
        { key: 'zero', label: 'zero', color: '#111' },
      ],
      members: ['none', 'fph'],
      groups: [
        { category: '1', bars: [{ member: 'none', values: { normal: 5, zero: 3 } }, { member: 'fph', values: { normal: 2, zero: 0 } }] },
        { category: 'stop', bars: [{ member: 'none', values: { normal: 1, zero: 0 } }, { member: 'fph', values: { normal: 1, zero: 0 } }] },
      ],
    });
    const root = parseXml(svg);
    assert.equal(root.name, 'svg');
    assert.equal(select(root, 'rect', 'bar', 'series-normal').length, 4);
    assert.equal(select(root, 'rect', 'bar', 'series-zero').length, 1);
    assert.equal(select(root, 'rect', 'bar', 'member-fph').length, 2);
    const labels = texts(root);
    assert.ok(labels.includes('T <&> "q"'), 'title escaped and read back');
    assert.ok(labels.includes('round') && labels.includes('pages') && labels.includes('stop'));
  });

  it('a line chart has one path per series with points, and one marker line per marker', () => {
    const svg = renderLineChart({
      title: 'lines',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        { key: 'a', label: 'a', color: '#000', points: [{ x: 0, y: 0 }, { x: 1, y: 2 }] },
        { key: 'b+c', label: 'b+c', color: '#111', points: [{ x: 0, y: 1 }] },
        { key: 'empty', label: 'empty', color: '#222', points: [] },
      ],
      markers: [{ key: 'a', x: 1, label: 'a switchover', color: '#000' }],
    });
    const root = parseXml(svg);
    assert.equal(select(root, 'path', 'line').length, 2);
    assert.equal(select(root, 'path', 'series-b_c').length, 1);
    assert.equal(select(root, 'line', 'marker', 'marker-a').length, 1);
    assert.ok(texts(root).includes('a switchover'));
  });

  it('escapeXml leaves no markup and replaces control characters', () => {
    assert.equal(escapeXml(`<a href="x">&'\u0007`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;\ufffd');
  });
});

describe('svg-plots', () => {
  const results = [makeRun('none', { iterateCount: 3 }), makeRun('free-page-hint', { iterateCount: 2, skippedPages: 1000 })];

  it('three plots per workload: stacked pages per round, cumulative bytes with switchovers, dirty pages', () => {
    const plots = roundPlots(plotRoundsOf(results));
    assert.deepEqual(plots.map((plot) => plot.name), ['tiny-pages-per-round', 'tiny-cumulative-bytes', 'tiny-dirty-pages']);
    const bars = parseXml(plots[0].svg);
    // none: 5 rounds (bulk, 3 iterate, stop-copy), fph: 4; every round sends normal pages.
    assert.equal(select(bars, 'rect', 'series-normal', 'member-none').length, 5);
    assert.equal(select(bars, 'rect', 'series-normal', 'member-free-page-hint').length, 4);
    assert.equal(select(bars, 'rect', 'series-zero').length, 2, 'zero pages in each bulk round only');
    assert.equal(select(bars, 'rect', 'series-skipped').length, 1, 'only the hinted bulk round skipped pages');
    assert.ok(texts(bars).includes('stop'));

    const cumulative = parseXml(plots[1].svg);
    assert.equal(select(cumulative, 'path', 'line').length, 2);
    assert.equal(select(cumulative, 'line', 'marker').length, 2, 'one switchover per run');
    assert.ok(texts(cumulative).includes('simulated time (s)'));
    assert.ok(texts(cumulative).includes('none switchover'));

    const dirty = parseXml(plots[2].svg);
    assert.equal(select(dirty, 'path', 'line').length, 2);
    assert.equal(select(dirty, 'circle', 'dot', 'series-none').length, 5);
  });

  it('summary rows varying a parameter give total bytes and downtime lines per run', () => {
    const rows = [1, 2, 3].flatMap((bw) =>
      ['none', 'fph'].map((run) => ({ workload: 'w', run, seed: '1', 'migration.bandwidth': String(bw * 1000), total_bytes: String(bw * 10 + (run === 'none' ? 5 : 0)), downtime_s: '0.010000', point: String(bw), grid_points: '3' })),
    );
    const columns = Object.keys(rows[0]);
    const plots = summaryPlots(rows, columns);
    assert.deepEqual(plots.map((plot) => plot.name), ['summary-total-bytes', 'summary-downtime']);
    for (const plot of plots) {
      const root = parseXml(plot.svg);
      assert.equal(select(root, 'path', 'line').length, 2);
      assert.equal(select(root, 'circle', 'dot', 'series-fph').length, 3);
      assert.ok(texts(root).includes('migration.bandwidth'));
    }
    assert.deepEqual(summaryPlots(rows.slice(0, 2), columns), [], 'one point: nothing varies');
  });
});
