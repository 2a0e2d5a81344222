/**
 * The one table of result columns: every output derives from it, so a counter added there
 * reaches the CSV, the JSON, the terminal summary and sweep rows with no other edit.
 * These tests walk the table, so they cover a counter added later too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatCell } from '../../src/columns/cells.js';
import { COST_COUNTERS, ROUND_COLUMNS, ROUND_FIELDS, SUMMARY_COLUMNS, SUMMARY_FIELDS, columnKind, newCostCounters, roundRecord, summaryRecord } from '../../src/core/result-columns.js';
import { formatSummaryCsv } from '../../src/io/csv.js';
import { formatResultsJson } from '../../src/io/results-json.js';
import { formatSummaryTable } from '../../src/report/format-table.js';
import { makeRun } from '../cli/helpers.js';

describe('the result-column table', () => {
  it('names every column once, seconds columns end in _s and no other does', () => {
    assert.equal(new Set(SUMMARY_COLUMNS).size, SUMMARY_COLUMNS.length);
    assert.equal(new Set(ROUND_COLUMNS).size, ROUND_COLUMNS.length);
    for (const spec of [...SUMMARY_FIELDS, ...COST_COUNTERS, ...ROUND_FIELDS]) {
      assert.equal(spec.kind === 'seconds', spec.column.endsWith('_s'), spec.column);
    }
  });

  it('gives CostCounters exactly the table counters, zero, in table order', () => {
    assert.deepEqual(
      Object.entries(newCostCounters()),
      COST_COUNTERS.map((spec) => [spec.counter, 0]),
    );
  });

  for (const spec of COST_COUNTERS) {
    it(`shows ${spec.counter} in the CSV, the JSON and the terminal summary`, () => {
      const value = spec.kind === 'seconds' ? 0.0125 : 7;
      const run = makeRun('fph', { costs: { [spec.counter]: value } });
      const none = makeRun('none');
      const [header, row] = formatSummaryCsv([run.summary]).trimEnd().split('\n');
      const index = header.split(',').indexOf(spec.column);
      assert.ok(index >= 0, `${spec.column} is a CSV column`);
      assert.equal(row.split(',')[index], formatCell(spec.column, value));
      assert.equal(summaryRecord(run.summary)[spec.column], value);
      const json = JSON.parse(formatResultsJson([{ name: 'w', seed: 1, runs: [run] }]));
      assert.equal(json.workloads[0].runs[0].summary[spec.column], value);
      const table = formatSummaryTable([none, run]);
      const line = table.split('\n').find((text) => text.startsWith(spec.table.label));
      assert.ok(line !== undefined, `the summary table has a "${spec.table.label}" row:\n${table}`);
      const scale = 'scale' in spec.table ? spec.table.scale : 1;
      const shown = 'decimals' in spec.table ? (value * scale).toFixed(spec.table.decimals) : String(value);
      assert.ok(line.trimEnd().endsWith(shown), `${line} ends in ${shown}`);
      // Zero in every run: the row is left out.
      assert.ok(!formatSummaryTable([none]).includes(spec.table.label));
    });
  }

  it('formats by kind: seconds with 6 decimals, counts as integers, a fraction in a count throws', () => {
    assert.equal(columnKind('guest_cpu_s'), 'seconds');
    assert.equal(formatCell('guest_cpu_s', 0.5), '0.500000');
    assert.equal(formatCell('hint_calls', 12), '12');
    assert.throws(() => formatCell('hint_calls', 1.5), /hint_calls must be an integer count/);
    assert.equal(formatCell('throttle_pct', 12.5), '12.500000');
    assert.equal(formatCell('throttle_pct', 20), '20');
  });

  it("derives QEMU's xbzrle cache-miss-rate and encoding-rate per round from the round's counts", () => {
    const run = makeRun('xbzrle');
    // 8192 XBZRLE pages of 4 KiB in 100226 bytes, 952 misses among 9144 normal pages (the
    // hits included) and 0 zero pages, 3 of the hits overflowed (counted twice by QEMU).
    const round = { ...run.rounds[1], normalPages: 9144, zeroPages: 0, xbzrlePages: 8192, xbzrleBytes: 100226, xbzrleCacheMiss: 952, xbzrleOverflow: 3, xbzrleUnencodedBytes: 8192 * 4096 };
    const record = roundRecord(run.summary, round);
    assert.equal(record.xbzrle_cache_miss_rate, 952 / 9147);
    assert.equal(record.xbzrle_encoding_rate, (8192 * 4096) / 100226);
    assert.equal(formatCell('xbzrle_encoding_rate', record.xbzrle_encoding_rate as number), '334.787700');
    // No XBZRLE page, or pages that sent nothing (unchanged since their last send): 0, as QEMU says.
    const quiet = roundRecord(run.summary, { ...round, xbzrlePages: 0, xbzrleBytes: 0, xbzrleCacheMiss: 0, xbzrleUnencodedBytes: 0 });
    assert.deepEqual([quiet.xbzrle_cache_miss_rate, quiet.xbzrle_encoding_rate], [0, 0]);
    assert.equal(roundRecord(run.summary, { ...round, xbzrleBytes: 0 }).xbzrle_encoding_rate, 0);
  });
});
