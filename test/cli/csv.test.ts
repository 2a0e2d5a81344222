import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvariantError, MigsimError } from '../../src/core/errors.js';
import { formatCell } from '../../src/columns/cells.js';
import { ROUND_COLUMNS, SUMMARY_COLUMNS } from '../../src/core/result-columns.js';
import { compareBaselineOrder, parseBaselineCsv } from '../../src/io/baseline.js';
import { formatRoundsCsv, formatSummaryCsv, parseCsv } from '../../src/io/csv.js';
import { formatResultsJson } from '../../src/io/results-json.js';
import { makeRun } from './helpers.js';

const ROUND_HEADER =
  'workload,run,seed,round,kind,start_s,duration_s,normal_pages,zero_pages,skipped_pages,unaccepted_pages,bytes,cumulative_bytes,dirty_pages,' +
  'multifd_bytes,multifd_packets,multifd_syncs,xbzrle_bytes,xbzrle_pages,xbzrle_cache_miss,xbzrle_overflow,throttle_pct,multifd_compressed_bytes,dirty_limit_throttle_us,xbzrle_cache_miss_rate,xbzrle_encoding_rate';
const SUMMARY_HEADER =
  'workload,run,seed,rounds,total_bytes,total_time_s,downtime_s,converged,lost_pages,saved_bytes,expected_downtime_s,throttle_pct,' +
  'lost_zero_pages,ending,downtime_over_limit,throttle_steps,postcopy_bytes,postcopy_requests,blocktime_s,vcpu_blocktime_s_list,no_rollback_s,' +
  'hint_calls,pages_hinted,redundant_pages_hinted,blocks_held_peak,accept_calls,alloc_failures,' +
  'alloc_failures_fragmented,guest_cpu_s,zeroing_s,max_lock_hold_s,faults,exits,trace_rows_skipped';

describe('per-round CSV', () => {
  it('has the fixed header and one row per round of every run, in order', () => {
    const text = formatRoundsCsv([makeRun('none', { iterateCount: 1 }), makeRun('fph', { iterateCount: 2 })]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], ROUND_HEADER);
    assert.equal(lines.length, 1 + 3 + 4);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(',').slice(1, 5).join(',')),
      ['none,1,1,bulk', 'none,1,2,iterate', 'none,1,3,stop-copy', 'fph,1,1,bulk', 'fph,1,2,iterate', 'fph,1,3,iterate', 'fph,1,4,stop-copy'],
    );
    assert.ok(text.endsWith('\n'));
  });

  it('writes times with 6 decimals and counts as integers', () => {
    const run = makeRun('none', { iterateCount: 0 });
    run.rounds[0].startSec = 1;
    run.rounds[0].durationSec = 0.1 + 0.2;
    const fields = formatRoundsCsv([run]).split('\n')[1].split(',');
    assert.equal(fields[ROUND_COLUMNS.indexOf('start_s')], '1.000000');
    assert.equal(fields[ROUND_COLUMNS.indexOf('duration_s')], '0.300000');
    assert.equal(fields[ROUND_COLUMNS.indexOf('normal_pages')], '4096');
  });

  it('refuses a fractional page or byte count: that is a bug, not a format choice', () => {
    const run = makeRun('none', { iterateCount: 0 });
    run.rounds[0].bytes = 10.5;
    assert.throws(() => formatRoundsCsv([run]), InvariantError);
  });

  it('an empty result set still has the header', () => {
    assert.equal(formatRoundsCsv([]), `${ROUND_HEADER}\n`);
  });
});

describe('summary CSV', () => {
  it('has the fixed header, booleans as true/false and every cost counter', () => {
    const none = makeRun('none');
    const fph = makeRun('fph', { converged: false, costs: { hintCalls: 12, guestCpuSec: 0.0000125 }, savedBytes: -4104 });
    const lines = formatSummaryCsv([none.summary, fph.summary]).trimEnd().split('\n');
    assert.equal(lines[0], SUMMARY_HEADER);
    const fields = lines[2].split(',');
    const value = (column: string): string => fields[SUMMARY_COLUMNS.indexOf(column as (typeof SUMMARY_COLUMNS)[number])];
    assert.equal(lines[1].split(',')[SUMMARY_COLUMNS.indexOf('converged')], 'true');
    assert.equal(value('converged'), 'false');
    assert.equal(value('hint_calls'), '12');
    assert.equal(value('guest_cpu_s'), '0.000013');
    assert.equal(value('saved_bytes'), '-4104');
    assert.equal(value('expected_downtime_s'), '0.012300');
    assert.equal(value('throttle_pct'), '0');
  });

  it('is byte-identical for the same results', () => {
    const a = formatSummaryCsv([makeRun('none').summary, makeRun('fph').summary]);
    const b = formatSummaryCsv([makeRun('none').summary, makeRun('fph').summary]);
    assert.equal(a, b);
  });

  it('quotes a workload name with a comma, and the baseline reader reads it back', () => {
    const summary = makeRun('none', { workload: 'web, 16g' }).summary;
    const text = formatSummaryCsv([summary]);
    assert.ok(text.includes('"web, 16g"'));
    const [entry] = parseBaselineCsv(text, 'b.csv');
    assert.equal(entry.row.workload, 'web, 16g');
    assert.equal(entry.row.totalBytes, summary.totalBytes);
  });

  it('formatCell leaves strings alone and writes missing cells empty', () => {
    assert.equal(formatCell('run', 'none'), 'none');
    assert.equal(formatCell('faults', undefined), '');
    assert.equal(formatCell('throttle_pct', 12.5), '12.500000');
  });
});

describe('JSON document', () => {
  it('has schemaVersion 1 and the CSV columns as keys, times rounded like the CSV', () => {
    const run = makeRun('none');
    run.summary.totalTimeSec = 1.23456789;
    const document = JSON.parse(formatResultsJson([{ name: 'tiny', seed: 1, runs: [run] }]));
    assert.equal(document.schemaVersion, 1);
    assert.equal(document.workloads[0].name, 'tiny');
    assert.equal(document.workloads[0].seed, 1);
    const { summary, rounds } = document.workloads[0].runs[0];
    assert.deepEqual(Object.keys(summary), [...SUMMARY_COLUMNS]);
    assert.deepEqual(Object.keys(rounds[0]), [...ROUND_COLUMNS]);
    assert.equal(summary.total_time_s, 1.234568);
    assert.equal(summary.converged, true);
    assert.equal(typeof summary.total_bytes, 'number');
  });
});

describe('baseline reader', () => {
  it('reads the rows written by the summary CSV writer', () => {
    const runs = [makeRun('none'), makeRun('fph', { iterateCount: 1 })];
    const entries = parseBaselineCsv(formatSummaryCsv(runs.map((run) => run.summary)), 'results/baseline.csv');
    assert.deepEqual(
      entries.map((entry) => entry.row),
      runs.map((run) => ({ workload: 'tiny', run: run.summary.run, seed: 1, totalBytes: run.summary.totalBytes })),
    );
    assert.equal(entries[0].fields.converged, 'true');
  });

  it('needs only workload, run, seed and total_bytes, and accepts CRLF line ends', () => {
    const entries = parseBaselineCsv('workload,run,seed,total_bytes\r\nweb,none,7,1000\r\n\r\n', 'b.csv');
    assert.deepEqual(entries[0].row, { workload: 'web', run: 'none', seed: 7, totalBytes: 1000 });
  });

  it('names the file and the column when a column is missing', () => {
    assert.throws(
      () => parseBaselineCsv('workload,run,seed,bytes\nweb,none,7,1000\n', 'results/baseline.csv'),
      (error: unknown) =>
        error instanceof MigsimError &&
        error.code === 'baseline.invalid' &&
        error.exitCode === 2 &&
        error.message.startsWith('results/baseline.csv: missing column total_bytes'),
    );
  });

  it('names the file and line of a bad value, a short row or a duplicate', () => {
    const header = 'workload,run,seed,total_bytes\n';
    assert.throws(() => parseBaselineCsv(`${header}web,none,7,12MiB\n`, 'b.csv'), /^MigsimError: b\.csv:2: total_bytes must be a non-negative integer \(got "12MiB"\)$/);
    assert.throws(() => parseBaselineCsv(`${header}web,none,7\n`, 'b.csv'), /b\.csv:2: expected 4 fields/);
    assert.throws(() => parseBaselineCsv(`${header}web,none,7,1\nweb,none,7,2\n`, 'b.csv'), /b\.csv:3: duplicate row web\/none\/7 \(first on line 2\)/);
    assert.throws(() => parseBaselineCsv('', 'b.csv'), /b\.csv: empty file/);
  });

  it('parseCsv handles quotes, escaped quotes and newlines inside quotes', () => {
    assert.deepEqual(
      parseCsv('a,"b,c","d""e"\n"multi\nline",x,\n', 'f.csv').map((record) => [record.line, record.fields]),
      [
        [1, ['a', 'b,c', 'd"e']],
        [2, ['multi\nline', 'x', '']],
      ],
    );
  });

  it('sorts rows by workload, seed, then none before the hint runs', () => {
    const rows = [
      { workload: 'web', run: 'zz', seed: 1, totalBytes: 0 },
      { workload: 'db', run: 'fph', seed: 1, totalBytes: 0 },
      { workload: 'web', run: 'none', seed: 1, totalBytes: 0 },
      { workload: 'db', run: 'none', seed: 2, totalBytes: 0 },
      { workload: 'db', run: 'none', seed: 1, totalBytes: 0 },
      { workload: 'web', run: 'a', seed: 1, totalBytes: 0 },
    ];
    assert.deepEqual(
      rows.sort(compareBaselineOrder).map((r) => `${r.workload}/${r.seed}/${r.run}`),
      ['db/1/none', 'db/1/fph', 'db/2/none', 'web/1/none', 'web/1/a', 'web/1/zz'],
    );
  });
});
