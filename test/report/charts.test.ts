/**
 * The charts: their specifications against a golden file (the data and encodings, not the
 * pixels; `MIGSIM_UPDATE_GOLDEN=1` rewrites it after a deliberate change), the pieces that
 * decide what is drawn (bytes by kind, parameter axes), and the SVG that Vega renders from
 * them, parsed as XML with its marks, axis titles, legend entries and log axes asserted.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import type { RunResult } from '../../src/core/types.js';
import { chartsOfResults, roundRows, STANDARD_SUMMARY_COLUMNS, summaryRows } from '../../src/report/chart-rows.js';
import { bytesByKind, FONT_STACK, isGeometric, parameterAxis, spansWide, roundAxis, roundCharts, summaryCharts, type Chart } from '../../src/report/charts.js';
import { compileWithWarnings, renderSvg } from '../../src/report/render-chart.js';
import { makeRun, REPO_ROOT } from '../cli/helpers.js';
import { allElements, parseXml, select, texts, type XmlElement } from './xml.js';

const GOLDEN = join(REPO_ROOT, 'test/fixtures/charts/specs.json');

function results(): RunResult[] {
  return [
    makeRun('none'),
    makeRun('free-page-hint', { skippedPages: 500, zeroPages: 20000, savedBytes: 3_000_000, costs: { hintCalls: 12, guestCpuSec: 0.0042, zeroingSec: 0.004 } }),
    makeRun('page-reporting', { savedBytes: -40_000, costs: { hintCalls: 3 } }),
  ];
}

/**
 * A bandwidth sweep of two workloads, geometric: db's none at 1 Gbit/s is cancelled at its
 * cap (454 GB sent, no downtime), web's none at 1 Gbit/s forced (downtime 400 ms, over
 * the limit); the rest converged.
 */
function sweepRows(bandwidths: readonly string[] = ['1Gbit/s', '2Gbit/s', '4Gbit/s', '8Gbit/s'], workloads: readonly string[] = ['web', 'db']): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const workload of workloads) {
    bandwidths.forEach((bandwidth, index) => {
      for (const run of ['none', 'free-page-hint']) {
        const ending = run === 'none' && index === 0 ? (workload === 'db' ? 'cancelled' : 'forced') : 'converged';
        const total = ending !== 'cancelled' ? 4e9 / (index + 1) / (run === 'none' ? 1 : 3) : 454e9;
        const downtime = ending === 'cancelled' ? 0 : ending === 'forced' ? 0.4 : 0.02 * (index + 1);
        rows.push({
          'migration.bandwidth': bandwidth,
          workload,
          run,
          seed: '1',
          total_bytes: String(Math.round(total)),
          downtime_s: downtime.toFixed(6),
          converged: String(ending === 'converged'),
          saved_bytes: '0',
          ending,
          downtime_over_limit: String(downtime > 0.05),
        });
      }
    });
  }
  return rows;
}

const SWEEP_COLUMNS = ['migration.bandwidth', 'workload', 'run', 'seed', 'total_bytes', 'downtime_s', 'converged', 'saved_bytes', 'ending', 'downtime_over_limit'];

function allCharts(): Chart[] {
  const rounds = roundRows(results());
  return [
    ...roundCharts(rounds.rows, rounds.columns),
    ...chartsOfResults([{ workload: { name: 'tiny', migration: { downtimeLimitSec: 0.3 } }, results: results() }]).filter((chart) => !chart.name.includes('round') && !chart.name.includes('cumulative') && !chart.name.includes('dirty')),
    ...summaryCharts(sweepRows(), SWEEP_COLUMNS, { standardColumns: STANDARD_SUMMARY_COLUMNS, stem: 'sweep', downtimeLimitSec: new Map([['*', 0.05]]) }),
    ...summaryCharts(sweepRows(WIDE_LIST, ['web']), SWEEP_COLUMNS, { standardColumns: STANDARD_SUMMARY_COLUMNS, stem: 'sweep-list', downtimeLimitSec: new Map([['*', 0.05]]) }),
  ];
}

/** A list-valued --vary, not geometric, spanning 1000× (12 .. 12500 MiB/s): a log x axis. */
const WIDE_LIST = ['12MiB/s', '37MiB/s', '125MiB/s', '1250MiB/s', '12500MiB/s'];
/** A list spanning 16× (64 .. 1024 MiB/s, not geometric): a linear x axis. */
const NARROW_LIST = ['64MiB/s', '304MiB/s', '544MiB/s', '1024MiB/s'];

/** The part of a spec the golden file pins: everything but the shared styling. */
function essence(chart: Chart): unknown {
  const { config: _config, $schema: _schema, ...rest } = chart.spec as unknown as Record<string, unknown>;
  return { name: chart.name, title: chart.title, spec: rest };
}

describe('chart specifications', () => {
  it('match the golden file (data and encodings)', () => {
    const actual = `${JSON.stringify(allCharts().map(essence), null, 1)}\n`;
    if (process.env.MIGSIM_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    assert.equal(actual, readFileSync(GOLDEN, 'utf8'), 'chart specs changed: check the change, then MIGSIM_UPDATE_GOLDEN=1 node --test dist/test/report/charts.test.js');
  });

  it('every chart compiles without a Vega-Lite warning and uses the sans-serif font stack', async () => {
    for (const chart of allCharts()) {
      const { warnings } = await compileWithWarnings(chart.spec);
      assert.deepEqual(warnings, [], chart.name);
      assert.equal((chart.spec as { config: { font: string } }).config.font, FONT_STACK);
    }
    assert.match(FONT_STACK, /DejaVu Sans, sans-serif$/);
  });

  it('bytes by kind: zero pages at 9 bytes, every *_bytes column a kind of its own, normal the rest', () => {
    const row = { zero_pages: '100', bytes: '50000', xbzrle_bytes: '7000', multifd_bytes: '1000' };
    assert.deepEqual(bytesByKind(row, ['xbzrle_bytes', 'multifd_bytes']), [
      { kind: 'normal', bytes: 50000 - 900 - 7000 - 1000 },
      { kind: 'zero', bytes: 900 },
      { kind: 'xbzrle', bytes: 7000 },
      { kind: 'multifd', bytes: 1000 },
    ]);
    // An explicit zero_bytes column replaces the 9-byte rule.
    assert.deepEqual(bytesByKind({ zero_pages: '100', bytes: '5000', zero_bytes: '64' }, ['zero_bytes']), [
      { kind: 'normal', bytes: 4936 },
      { kind: 'zero', bytes: 64 },
    ]);
    // Multifd with zero pages found in the channels: the packets carry everything, the
    // 9-byte rule takes at most what the main channel sent, nothing goes negative.
    assert.deepEqual(bytesByKind({ zero_pages: '100', bytes: '10000', multifd_bytes: '9700' }, ['multifd_bytes']), [
      { kind: 'normal', bytes: 0 },
      { kind: 'zero', bytes: 300 },
      { kind: 'multifd', bytes: 9700 },
    ]);
  });

  it('multifd compression: the compressed payload is a kind of its own, out of the multifd packets it travels in', () => {
    // 1000 B of packets, 700 of them compressed pages; the main stream's 64 B of markers.
    const row = { zero_pages: '0', bytes: '1064', multifd_bytes: '1000', multifd_compressed_bytes: '700' };
    assert.deepEqual(bytesByKind(row, ['multifd_bytes', 'multifd_compressed_bytes']), [
      { kind: 'normal', bytes: 64 },
      { kind: 'zero', bytes: 0 },
      { kind: 'multifd', bytes: 300 },
      { kind: 'multifd compressed', bytes: 700 },
    ]);
  });

  it('per-strategy downtime: a cancelled run is no bar within the limit but labelled cancelled', async () => {
    const none = makeRun('none', { converged: false });
    none.summary.ending = 'cancelled';
    none.summary.downtimeSec = 0;
    const summary = summaryRows([none, makeRun('free-page-hint'), makeRun('page-reporting')]);
    const downtime = summaryCharts(summary.rows, summary.columns, { standardColumns: STANDARD_SUMMARY_COLUMNS, x: 'workload', downtimeLimitSec: new Map([['*', 0.3]]) }).find((chart) => chart.name.endsWith('-downtime'))!;
    const values = (downtime.spec as unknown as { data: { values: { run: string; against: string }[] } }).data.values;
    assert.deepEqual(values.map((value) => [value.run, value.against]), [['none', 'cancelled: no downtime'], ['free-page-hint', 'within the limit'], ['page-reporting', 'within the limit']]);
    assert.deepEqual((await compileWithWarnings(downtime.spec)).warnings, []);
    const svg = parseXml(await renderSvg(downtime.spec));
    assert.ok(texts(svg).includes('cancelled'), 'the label');
    assert.ok(classTexts(svg, 'legend-label').includes('cancelled: no downtime'));
  });

  it('XBZRLE pages count their 8-byte header, which xbzrle_bytes leaves out as QEMU does', () => {
    // 8192 pages of an 8-byte store: 14 bytes of delta each in xbzrle_bytes, 22 on the wire.
    const row = { zero_pages: '0', bytes: String(8192 * 22 + 4104 * 10), xbzrle_bytes: String(8192 * 14), xbzrle_pages: '8192' };
    assert.deepEqual(bytesByKind(row, ['xbzrle_bytes']), [
      { kind: 'normal', bytes: 4104 * 10 },
      { kind: 'zero', bytes: 0 },
      { kind: 'xbzrle', bytes: 8192 * 22 },
    ]);
  });

  it('a long round axis names round 1, every step-th round and always stop and post', () => {
    const rounds = (n: number, ...named: string[]) => [...Array.from({ length: n }, (_, index) => String(index + 1)), ...named];
    assert.deepEqual(roundAxis(rounds(9, 'stop')), { labelAngle: 0 });
    assert.deepEqual(roundAxis(rounds(26, 'stop')).values, ['1', '5', '10', '15', '20', 'stop']);
    assert.deepEqual(roundAxis(rounds(350, 'stop')).values, ['1', '50', '100', '150', '200', '250', '300', 'stop']);
    assert.deepEqual(roundAxis(rounds(20, 'stop', 'post')).values, ['1', '5', '10', '15', 'stop', 'post']);
  });

  it('the per-round charts stack whatever byte kinds the rows carry', () => {
    const { rows, columns } = roundRows([makeRun('none')]);
    const withKind = rows.map((row) => ({ ...row, compressed_bytes: '4096' }));
    const [linear] = roundCharts(withKind, [...columns, 'compressed_bytes']);
    const values = (linear.spec as unknown as { data: { values: { kind: string }[] } }).data.values;
    assert.deepEqual([...new Set(values.map((value) => value.kind))], ['normal', 'zero', 'compressed']);
  });

  it('a postcopy round: its bytes a kind of their own, labelled post, after stop on the round axis, no sync mark', () => {
    // The postcopy-start workload's rounds (run --csv): bulk, iterate, the switch's
    // stop-copy (device state), then postcopy pushing 62656 pages.
    const head = { workload: 'pc', run: 'none', seed: '1', unaccepted_pages: '0', skipped_pages: '0', xbzrle_bytes: '0', multifd_bytes: '0' };
    const rows = [
      { ...head, round: '1', kind: 'bulk', start_s: '0', duration_s: '6.1', normal_pages: '200916', zero_pages: '60300', bytes: '825102452', cumulative_bytes: '825102452', dirty_pages: '65024' },
      { ...head, round: '2', kind: 'iterate', start_s: '6.1', duration_s: '0.1', normal_pages: '3296', zero_pages: '0', bytes: '13526792', cumulative_bytes: '838629244', dirty_pages: '0' },
      { ...head, round: '3', kind: 'stop-copy', start_s: '6.2', duration_s: '0.000653', normal_pages: '0', zero_pages: '0', bytes: '125878', cumulative_bytes: '838755122', dirty_pages: '0' },
      { ...head, round: '4', kind: 'postcopy', start_s: '6.200653', duration_s: '0.313204', normal_pages: '62656', zero_pages: '0', bytes: '257140224', cumulative_bytes: '1095895346', dirty_pages: '0' },
    ];
    assert.deepEqual(bytesByKind(rows[3], ['multifd_bytes', 'xbzrle_bytes']), [
      { kind: 'postcopy', bytes: 257140224 },
      { kind: 'zero', bytes: 0 },
      { kind: 'multifd', bytes: 0 },
      { kind: 'xbzrle', bytes: 0 },
    ]);
    const charts = roundCharts(rows, Object.keys(rows[0]));
    const values = (name: string) => (charts.find((chart) => chart.name === name)!.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    const post = values('pc-bytes-per-round').filter((value) => value.round === 'post');
    assert.deepEqual(post.map((value) => [value.kind, value.bytes]), [['postcopy', 257140224]]);
    const linear = charts.find((chart) => chart.name === 'pc-bytes-per-round')!.spec as unknown as { spec: { encoding: { x: { sort: string[] }; color: { sort: string[] } } } };
    assert.deepEqual(linear.spec.encoding.x.sort, ['1', '2', 'stop', 'post']);
    assert.deepEqual(linear.spec.encoding.color.sort, ['normal', 'postcopy', 'zero']);
    const cumulative = charts.find((chart) => chart.name === 'pc-cumulative-bytes')!.spec as unknown as { layer: { data: { values: Record<string, unknown>[] } }[] };
    assert.deepEqual(cumulative.layer[1].data.values.map((value) => value.event), ['sync', 'sync', 'switchover']);
    assert.deepEqual(values('pc-dirty-pages').map((value) => value.round), ['1', '2'], 'no bar for stop-copy or postcopy');
  });

  it('sweep points are shaped by ending; a CSV with only converged marks false as not converged', () => {
    const old = sweepRows().map(({ ending: _ending, downtime_over_limit: _over, ...row }) => row);
    const charts = summaryCharts(old, SWEEP_COLUMNS.slice(0, -2), { standardColumns: STANDARD_SUMMARY_COLUMNS });
    const text = JSON.stringify(charts[0].spec);
    assert.match(text, /"domain":\["converged","not converged"\],"range":\["circle","cross"\]/);
    // Every run converged: the shapes say nothing, so no ending legend; the subtitle says it.
    const converged = sweepRows().map((row) => ({ ...row, ending: 'converged' }));
    const [total] = summaryCharts(converged, SWEEP_COLUMNS, { standardColumns: STANDARD_SUMMARY_COLUMNS });
    assert.match(JSON.stringify(total.spec), /"range":\["circle"\]\},"legend":null/);
    assert.match(JSON.stringify(total.spec), /"every run converged"/);
    // Postcopy's columns get charts only when some run used postcopy.
    assert.deepEqual(charts.map((chart) => chart.name), ['summary-total-bytes', 'summary-downtime']);
    const postcopy = sweepRows().map((row) => ({ ...row, ending: 'postcopy', blocktime_s: row.run === 'none' ? '0.2' : '0.1', no_rollback_s: '0.3' }));
    const withPostcopy = summaryCharts(postcopy, [...SWEEP_COLUMNS, 'blocktime_s', 'no_rollback_s'], { standardColumns: STANDARD_SUMMARY_COLUMNS });
    assert.deepEqual(withPostcopy.map((chart) => chart.name), ['summary-total-bytes', 'summary-downtime', 'summary-blocktime', 'summary-no-rollback']);
    assert.match(JSON.stringify(withPostcopy[2].spec), /"domain":\["postcopy"\],"range":\["triangle-up"\]/);
    assert.match(JSON.stringify(withPostcopy[2].spec), /"value":200,/, 'blocktime in ms');
  });

  it('a grid of two axes: a line per run and value of the other axis, named by it', () => {
    const rows: Record<string, string>[] = [];
    for (const link of ['1Gbit/s', '10Gbit/s']) {
      for (const method of ['none', 'zlib', 'zstd']) {
        for (const run of ['none', 'free-page-hint']) {
          rows.push({ 'migration.linkBandwidth': link, 'migration.multifd.compression': method, workload: 'w', run, seed: '1', total_bytes: String(method === 'none' ? 4e9 : 1.5e9), downtime_s: '0.1', converged: 'true', saved_bytes: '0', ending: 'converged', downtime_over_limit: 'false' });
        }
      }
    }
    const columns = ['migration.linkBandwidth', 'migration.multifd.compression', ...SWEEP_COLUMNS.slice(1)];
    const [total] = summaryCharts(rows, columns, { standardColumns: STANDARD_SUMMARY_COLUMNS });
    const spec = total.spec as { data: { values: { series: string; x: number }[] }; layer: { encoding: { color: { field: string; sort: string[] } } }[] };
    assert.equal(spec.layer[0].encoding.color.field, 'series');
    assert.deepEqual(spec.layer[0].encoding.color.sort, ['none · compression=none', 'free-page-hint · compression=none', 'none · compression=zlib', 'free-page-hint · compression=zlib', 'none · compression=zstd', 'free-page-hint · compression=zstd']);
    assert.deepEqual(spec.data.values.filter((datum) => datum.series === 'none · compression=zlib').map((datum) => datum.x), [1, 10]);
    // One run: the lines are named by the other axis alone.
    const [single] = summaryCharts(rows.filter((row) => row.run === 'none'), columns, { standardColumns: STANDARD_SUMMARY_COLUMNS });
    assert.deepEqual((single.spec as typeof spec).layer[0].encoding.color.sort, ['compression=none', 'compression=zlib', 'compression=zstd']);
  });

  it('parameter axes: numbers with units, mixed units, geometric sweeps on a log axis, text as categories', () => {
    assert.deepEqual(parameterAxis(['1Gbit/s', '1.931Gbit/s', '3.728Gbit/s', '7.2Gbit/s']), { numbers: [1, 1.931, 3.728, 7.2], unit: 'Gbit/s', log: true });
    assert.deepEqual(parameterAxis(['64MiB/s', '512MiB/s', '1GiB/s']), { numbers: [0.0625, 0.5, 1], unit: 'GiB/s', log: false });
    assert.deepEqual(parameterAxis(['0.1', '0.2', '0.3']), { numbers: [0.1, 0.2, 0.3], unit: '', log: false });
    assert.equal(parameterAxis(['lazy', 'sync']), null);
    assert.equal(isGeometric([1, 10, 100, 1000]), true);
    assert.equal(isGeometric([1, 2, 3]), false);
    assert.equal(isGeometric([0, 1, 2]), false);
    assert.equal(spansWide([12, 37, 125, 1250, 12500]), true);
    assert.equal(spansWide([1, 20]), false);
    assert.equal(spansWide([1, 20.5]), true);
    assert.equal(spansWide([0, 100]), false);
    assert.equal(spansWide([-1, 100]), false);
  });

  it('a list-valued sweep gets a log x axis when it spans more than 20×, linear when less', () => {
    const xScale = (bandwidths: readonly string[]): { chart: Chart; scale: unknown } => {
      const [chart] = summaryCharts(sweepRows(bandwidths, ['web']), SWEEP_COLUMNS, { standardColumns: STANDARD_SUMMARY_COLUMNS, stem: 's' });
      const spec = chart.spec as unknown as { layer: { encoding: { x: { scale: unknown } } }[] };
      return { chart, scale: spec.layer[0].encoding.x.scale };
    };
    const wide = xScale(WIDE_LIST);
    assert.deepEqual(wide.scale, { type: 'log', nice: false });
    assert.match(JSON.stringify(wide.chart.spec), /migration\.bandwidth on a log axis \(values spanning more than 20×\)/);
    const narrow = xScale(NARROW_LIST);
    assert.deepEqual(narrow.scale, { zero: false, nice: false });
    assert.doesNotMatch(JSON.stringify(narrow.chart.spec), /log axis/);
  });

  it('a summary of one run draws nothing; of seeds or workloads, bars per strategy, never lines', () => {
    assert.deepEqual(summaryCharts(summaryRows([makeRun('none')]).rows, summaryRows([makeRun('none')]).columns, { standardColumns: STANDARD_SUMMARY_COLUMNS }), []);
    const seeds = summaryRows([makeRun('none', { seed: 1 }), makeRun('none', { seed: 2 }), makeRun('free-page-hint', { seed: 1 }), makeRun('free-page-hint', { seed: 2 })]);
    const charts = summaryCharts(seeds.rows, seeds.columns, { standardColumns: STANDARD_SUMMARY_COLUMNS });
    assert.deepEqual(charts.map((chart) => chart.name), ['summary-saved-bytes', 'summary-downtime']);
    assert.ok(!JSON.stringify(charts.map((chart) => chart.spec)).includes('"line"'));
    assert.ok(JSON.stringify(charts[0].spec).includes('"tick"'), 'a tick per seed');
  });

  it('pages dirtied when no sync set any (postcopy after round 1): whole pages from 0 to 10, and the subtitle says so', () => {
    const run = makeRun('none', { iterateCount: 0 });
    for (const round of run.rounds) round.dirtyPages = 0;
    const dirty = chartsOfResults([{ workload: { name: 'tiny', migration: { downtimeLimitSec: 0.3 } }, results: [run] }]).find((chart) => chart.name.endsWith('-dirty-pages'));
    assert.ok(dirty !== undefined);
    const text = JSON.stringify(dirty.spec);
    assert.match(text, /"scale":\{"domain":\[0,10\]\},"axis":\{"format":"d"\}/);
    assert.match(text, /bits the dirty-log sync ending each round set: none, in every round here/);
    // Some dirty pages: the scale is Vega's own, as before.
    assert.doesNotMatch(JSON.stringify(chartsOfResults([{ workload: { name: 'tiny', migration: { downtimeLimitSec: 0.3 } }, results: [makeRun('none')] }]).find((chart) => chart.name.endsWith('-dirty-pages'))!.spec), /"domain":\[0,10\]/);
  });

  it('several workloads (a baseline): each panel lists only its runs, on its own scales, sized for the most runs of one workload', () => {
    const summary = summaryRows([
      makeRun('none', { workload: 'big' }),
      makeRun('free-page-hint', { workload: 'big', savedBytes: 200 * 2 ** 30, costs: { hintCalls: 9 } }),
      makeRun('none', { workload: 'small' }),
      makeRun('page-reporting', { workload: 'small', savedBytes: 2 ** 20, costs: { hintCalls: 2 } }),
      makeRun('per-page', { workload: 'small', savedBytes: 2 ** 19, costs: { hintCalls: 3 } }),
    ]);
    const charts = summaryCharts(summary.rows, summary.columns, { standardColumns: STANDARD_SUMMARY_COLUMNS });
    assert.deepEqual(charts.map((chart) => chart.name), ['summary-saved-bytes', 'summary-downtime', 'summary-guest-cost']);
    for (const chart of charts) {
      const body = (chart.spec as { vconcat?: unknown[] }).vconcat?.at(-1) ?? chart.spec;
      const text = JSON.stringify(body);
      assert.match(text, /"resolve":\{"scale":\{"x":"independent","y":"independent"\}\}/, chart.name);
      // small has 3 runs (none and two strategies), the most of one workload: 22 px a run; 5 runs in all would be 110.
      assert.match(text, /"height":66\b/, chart.name);
    }
    // One workload: one shared scale, as before.
    const one = summaryRows([makeRun('none'), makeRun('free-page-hint', { savedBytes: 1 })]);
    for (const chart of summaryCharts(one.rows, one.columns, { standardColumns: STANDARD_SUMMARY_COLUMNS })) assert.doesNotMatch(JSON.stringify(chart.spec), /"y":"independent"/, chart.name);
  });
});

/** The aria-labels of the marks (bars, points, lines) of a Vega SVG. */
function markLabels(svg: XmlElement, mark: string): string[] {
  return select(svg, 'g', `mark-${mark}`, 'role-mark')
    .flatMap((group) => allElements(group).filter((element) => element !== group && element.attributes['aria-label'] !== undefined))
    .map((element) => element.attributes['aria-label']);
}

function classTexts(svg: XmlElement, role: string): string[] {
  return select(svg, 'g', `role-${role}`).flatMap((group) => texts(group));
}

describe('rendered SVG (Vega View.toSVG, no browser)', () => {
  const svgs = new Map<string, XmlElement>();
  before(async () => {
    for (const chart of allCharts()) svgs.set(chart.name, parseXml(await renderSvg(chart.spec)));
  });

  it('bytes per round: a bar per run, round and kind; axis titles; the kinds in the legend', () => {
    const svg = svgs.get('tiny-bytes-per-round')!;
    const bars = markLabels(svg, 'rect');
    // Four rounds per run, each with normal pages; zero pages only in the bulk round.
    for (const run of ['none', 'free-page-hint', 'page-reporting']) {
      assert.equal(bars.filter((label) => label.includes(`run: ${run};`) && label.includes('sent as: normal')).length, 4, run);
      assert.equal(bars.filter((label) => label.includes(`run: ${run};`) && label.includes('sent as: zero')).length, 1, run);
    }
    assert.ok(classTexts(svg, 'axis-title').includes('bytes sent (MiB)'));
    assert.ok(classTexts(svg, 'axis-title').includes('round'));
    assert.deepEqual(classTexts(svg, 'legend-label'), ['normal', 'zero']);
    assert.deepEqual(classTexts(svg, 'legend-title'), ['sent as']);
    assert.ok(classTexts(svg, 'axis-label').includes('stop'));
  });

  it('the log chart has a log axis: tick labels a power of ten apart', () => {
    const svg = svgs.get('tiny-bytes-per-round-log')!;
    assert.ok(classTexts(svg, 'axis-title').includes('bytes sent (MiB, log)'));
    const ticks = classTexts(svg, 'axis-label').map(Number).filter((value) => Number.isFinite(value) && value > 0);
    assert.ok(ticks.includes(0.1) && ticks.includes(1) && ticks.includes(10), `ticks ${ticks.join(',')}`);
  });

  it('cumulative bytes: a line per run, every sync and each switchover marked', () => {
    const svg = svgs.get('tiny-cumulative-bytes')!;
    assert.equal(select(svg, 'g', 'mark-line', 'role-mark').flatMap((g) => select(g, 'path')).length, 3);
    const points = markLabels(svg, 'symbol');
    assert.equal(points.filter((label) => label.includes('event: switchover')).length, 3);
    assert.equal(points.filter((label) => label.includes('event: sync')).length, 9);
    assert.ok(classTexts(svg, 'axis-title').includes('simulated time (s)'));
    assert.deepEqual(classTexts(svg, 'legend-label'), ['none', 'free-page-hint', 'page-reporting', 'sync', 'switchover']);
  });

  it('dirty pages: bars, no bar for a stop-copy that ended no sync', () => {
    const bars = markLabels(svgs.get('tiny-dirty-pages')!, 'rect');
    assert.equal(bars.length, 4 * 3, 'bulk, two iterates, and stop-copy (dirtied 6 > 0) per run');
    const run = makeRun('none');
    run.rounds[run.rounds.length - 1].dirtyPages = 0;
    const { rows, columns } = roundRows([run]);
    const dirty = roundCharts(rows, columns).find((chart) => chart.name.endsWith('dirty-pages'))!;
    const rounds = (dirty.spec as unknown as { data: { values: { round: string }[] } }).data.values.map((value) => value.round);
    assert.deepEqual(rounds, ['1', '2', '3']);
  });

  it('summary: saved bars per strategy, downtime against the limit, the guest-cost panel', () => {
    const saved = markLabels(svgs.get('tiny-saved-bytes')!, 'rect');
    assert.equal(saved.length, 2);
    assert.ok(saved.some((label) => label.includes('free-page-hint')));
    const downtime = svgs.get('tiny-downtime')!;
    assert.equal(markLabels(downtime, 'rect').length, 3);
    assert.equal(select(downtime, 'g', 'mark-rule', 'role-mark').length, 1, 'the limit line');
    assert.ok(texts(downtime).includes('limit 300 ms'));
    const cost = svgs.get('tiny-guest-cost')!;
    assert.ok(texts(cost).includes('hint calls') && texts(cost).includes('guest CPU (ms)') && texts(cost).includes('zeroing (ms)'));
  });

  it('sweep: a panel per workload, a line per run, each point shaped by its ending, log axes, the limit drawn', () => {
    const total = svgs.get('sweep-total-bytes')!;
    assert.ok(texts(total).includes('web') && texts(total).includes('db'), 'facets by workload');
    assert.equal(select(total, 'g', 'mark-line', 'role-mark').flatMap((g) => select(g, 'path')).length, 4);
    const points = markLabels(total, 'symbol');
    assert.equal(points.length, 16);
    assert.equal(points.filter((label) => label.includes('ending: cancelled')).length, 1);
    assert.equal(points.filter((label) => label.includes('ending: forced')).length, 1);
    assert.equal(points.filter((label) => label.includes('ending: converged')).length, 14);
    assert.deepEqual(classTexts(total, 'legend-label'), ['none', 'free-page-hint', 'converged', 'forced', 'cancelled']);
    assert.ok(classTexts(total, 'axis-title').includes('total bytes (GiB, log)'));
    assert.ok(classTexts(total, 'axis-title').includes('migration.bandwidth (Gbit/s)'));
    const downtime = svgs.get('sweep-downtime')!;
    assert.equal(select(downtime, 'g', 'mark-rule', 'role-mark').length, 2, 'a limit line per panel');
    // The forced point (400 ms) and the 4 and 8 Gbit/s points (60-160 ms) are over the
    // 50 ms limit: each ringed, with a legend entry.
    const over = markLabels(downtime, 'symbol').filter((label) => label.includes('downtime over the limit: yes'));
    assert.equal(over.length, 9, 'web none forced; 60 and 80 ms at 4 and 8 Gbit/s, both runs, both workloads');
    assert.equal(markLabels(downtime, 'symbol').filter((label) => label.includes('over_limit: yes')).length, 9, 'a ring per over-limit point');
    assert.ok(classTexts(downtime, 'legend-label').includes('downtime over the limit'));
    // The cancelled run has no downtime: its point is drawn, the line leaves it out.
    const dbNoneLine = select(downtime, 'g', 'mark-line', 'role-mark').flatMap((g) => select(g, 'path'));
    assert.equal(dbNoneLine.length, 4);
  });

  it('the same spec renders the same SVG, byte for byte', async () => {
    const chart = allCharts()[0];
    assert.equal(await renderSvg(chart.spec), await renderSvg(chart.spec));
  });
});
