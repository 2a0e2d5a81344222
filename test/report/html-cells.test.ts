/** The HTML report's summary cells: every column in human units, the exact value on hover. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { columnLabel, humanCell, summaryTable } from '../../src/report/html-report.js';
import { makeRun } from '../cli/helpers.js';

describe('HTML summary cells', () => {
  it('a per-vCPU list of seconds reads in ms/µs, each vCPU, the exact list on hover', () => {
    assert.equal(columnLabel('vcpu_blocktime_s_list'), 'blocktime per vCPU');
    assert.deepEqual(humanCell('vcpu_blocktime_s_list', '0.200523;0.000040'), { text: '201 ms, 40 µs', exact: '0.200523;0.000040 s', numeric: true });
    // No postcopy: the column is empty and stays so.
    assert.deepEqual(humanCell('vcpu_blocktime_s_list', ''), { text: '', exact: null, numeric: false });
  });

  it('sizes, times, flags and endings as a person reads them', () => {
    assert.equal(humanCell('total_bytes', 1095895346).text, '1045.1 MiB');
    assert.equal(humanCell('downtime_s', 0.000653).text, '653 µs');
    assert.equal(humanCell('downtime_over_limit', true).text, 'yes');
    assert.equal(humanCell('ending', 'cancelled').text, 'cancelled');
    assert.equal(columnLabel('guest_cpu_s'), 'guest CPU');
  });

  it('a row of sizes reads in one unit, its largest cell\'s (14.60 GiB beside 7.34 GiB, not 7511.9 MiB)', () => {
    assert.equal(humanCell('total_bytes', 7876823435, 15673248961).text, '7.34 GiB');
    assert.equal(humanCell('saved_bytes', 0, 7796425526).text, '0.0 MiB');
    // 3.2 M and 1 M normal pages of 4104 B: 12.23 and 3.82 GiB in the bulk round alone, each with its exact bytes on hover.
    const html = summaryTable([makeRun('none', { normalPages: 3_200_000 }), makeRun('free-page-hint', { normalPages: 1_000_000 })]);
    const row = /<tr><th scope="row" title="total_bytes">total bytes<\/th>(.*)<\/tr>/.exec(html);
    assert.ok(row !== null, html);
    assert.deepEqual([...row[1].matchAll(/>([^<]*)<\/td>/g)].map((m) => m[1]), ['12.23 GiB', '3.82 GiB']);
  });
});
