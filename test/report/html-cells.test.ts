/** The HTML report's summary cells: every column in human units, the exact value on hover. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { columnLabel, humanCell } from '../../src/report/html-report.js';

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
});
