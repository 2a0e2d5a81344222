import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compare } from '../../src/check/compare.js';
import { COST_COUNTERS } from '../../src/core/result-columns.js';
import { createPalette, PLAIN } from '../../src/report/colors.js';
import {
  bandwidthText,
  exactSizeText,
  formatCompactRoundsTable,
  formatCompactSummaryTable,
  formatCostTable,
  formatRoundsTable,
  formatStrategyTable,
  formatSummaryTable,
  formatVerdict,
  formatWorkloadHeader,
  formatWorkloadReport,
  sizeText,
} from '../../src/report/format-table.js';
import { ANSI_RE, makeRun } from './helpers.js';

const COLOR = createPalette(1);
// eslint-disable-next-line no-control-regex
const GREEN = /\u001b\[32m/;
// eslint-disable-next-line no-control-regex
const RED = /\u001b\[31m/;

const header = {
  name: 'tiny',
  seed: 1,
  description: 'A 64 MiB test guest.',
  guest: { memoryBytes: 64 * 2 ** 20, pageSizeBytes: 4096 },
  migration: { preset: 'qemu', startSec: 1, bandwidthBytesPerSec: 1.25e9, downtimeLimitSec: 0.3 },
};

/** Column start offsets of `|` group separators on a line. */
function separatorOffsets(line: string): number[] {
  const offsets: number[] = [];
  for (let index = line.indexOf(' | '); index >= 0; index = line.indexOf(' | ', index + 1)) offsets.push(index);
  return offsets;
}

describe('per-round table', () => {
  it('puts none and each hint run side by side, groups aligned on every line', () => {
    const text = formatRoundsTable([makeRun('none', { iterateCount: 3 }), makeRun('free-page-hint', { iterateCount: 1, skippedPages: 8192 })]);
    const lines = text.split('\n');
    assert.match(lines[0], /^\s+\| none -+ \| free-page-hint -+$/);
    assert.match(lines[1], /^round  kind\s+\| normal   zero  skipped  sent  total  dirtied \| normal/);
    assert.match(lines[2], /^\s+\|  pages  pages    pages   MiB    MiB    pages \|  pages/);
    const tableLines = lines.slice(0, -1);
    const expected = separatorOffsets(lines[1]);
    assert.equal(expected.length, 2);
    for (const line of tableLines.slice(1)) {
      // Rows where the second run has ended are trimmed after the first group.
      assert.deepEqual(separatorOffsets(line), expected.slice(0, separatorOffsets(line).length), line);
      assert.ok(separatorOffsets(line).length >= 1, line);
    }
    assert.ok(text.includes('8192'));
  });

  it('aligns rounds by number, leaves a run that converged earlier blank, and puts every stop-copy on the last row', () => {
    const lines = formatRoundsTable([makeRun('none', { iterateCount: 3 }), makeRun('fph', { iterateCount: 1 })]).split('\n');
    const rows = lines.slice(3, -1);
    assert.deepEqual(
      rows.map((line) => line.slice(0, 17).trim().split(/\s+/).join(' ')),
      ['1 bulk', '2 iterate', '3 iterate', '4 iterate', 'stop-copy'],
    );
    // Round 3 exists only for none: the fph group is empty, so the line ends after the first group.
    assert.equal(separatorOffsets(rows[2]).length, 1);
    // The runs have stop-copy numbers 5 and 3: the round column is left blank.
    assert.match(rows[4], /^\s+stop-copy/);
  });

  it('shows the stop-copy round number when all runs agree on it', () => {
    const lines = formatRoundsTable([makeRun('none'), makeRun('fph')]).split('\n');
    assert.match(lines[lines.length - 2], /^\s+4\s+stop-copy/);
  });

  it('shows unaccepted pages only when some run has them', () => {
    assert.ok(!formatRoundsTable([makeRun('none')]).includes('unaccepted'));
    assert.ok(formatRoundsTable([makeRun('none'), makeRun('unaccepted', { unacceptedPages: 1024 })]).includes('skipped  unaccepted'));
  });

  it('elides the middle of a very long table and says where to find every round', () => {
    const text = formatRoundsTable([makeRun('none', { iterateCount: 99 })]);
    assert.match(text, /\.\.\. rounds 26-90 not shown \(65 rows; --csv writes every round\)/);
    assert.ok(text.includes('\n   91  iterate'));
    assert.ok(!text.includes('\n   26  iterate'));
    assert.ok(formatRoundsTable([makeRun('none', { iterateCount: 99 })], { allRounds: true }).includes('\n   50  iterate'));
  });

  it('is plain ASCII without colour', () => {
    const text = formatRoundsTable([makeRun('none'), makeRun('fph')], { palette: PLAIN });
    assert.ok(!ANSI_RE.test(text));
    assert.match(text, /^[\x20-\x7e\n]*$/);
  });
});

describe('summary table', () => {
  it('has one column per run and shows exact bytes with MiB', () => {
    const none = makeRun('none');
    const text = formatSummaryTable([none, makeRun('fph')]);
    const lines = text.split('\n');
    assert.match(lines[0], /^\s+\| +none +fph$/);
    assert.ok(lines.some((line) => line.startsWith('total sent (bytes)') && line.includes(`${none.summary.totalBytes} (16.5 MiB)`)), text);
    assert.ok(lines.some((line) => /^downtime \(ms\)/.test(line)));
    assert.ok(lines.some((line) => /^converged\s+\|\s+yes\s+yes$/.test(line)), text);
  });

  it('colours bytes saved green when positive and red when negative', () => {
    const positive = formatSummaryTable([makeRun('none'), makeRun('fph', { savedBytes: 50 * 2 ** 20 })], { palette: COLOR });
    const savedLine = positive.split('\n').find((line) => line.startsWith('saved vs none'));
    assert.ok(savedLine !== undefined && GREEN.test(savedLine) && !RED.test(savedLine), savedLine);
    assert.ok(savedLine.includes('+52428800 (50.0 MiB, +'));
    const negative = formatSummaryTable([makeRun('none'), makeRun('fph', { savedBytes: -4104 })], { palette: COLOR });
    const lostLine = negative.split('\n').find((line) => line.startsWith('saved vs none'));
    assert.ok(lostLine !== undefined && RED.test(lostLine) && !GREEN.test(lostLine), lostLine);
  });

  it('shows total time and downtime change against none: green when shorter, red when longer', () => {
    const none = makeRun('none');
    const run = makeRun('page-reporting');
    none.summary.totalTimeSec = 10;
    run.summary.totalTimeSec = 7.5;
    none.summary.downtimeSec = 0.2;
    run.summary.downtimeSec = 0.25;
    const lines = formatSummaryTable([none, run], { palette: COLOR }).split('\n');
    const time = lines.find((line) => line.startsWith('total time vs none (s)'));
    assert.ok(time !== undefined && time.includes('-2.500 (-25.0%)') && GREEN.test(time), time);
    const downtime = lines.find((line) => line.startsWith('downtime vs none (ms)'));
    assert.ok(downtime !== undefined && downtime.includes('+50.0 (+25.0%)') && RED.test(downtime), downtime);
    assert.ok(!formatSummaryTable([none]).includes('vs none (s)'), 'no change rows without a hint run');
  });

  it('shows lost pages in red with the zero-content count', () => {
    const text = formatSummaryTable([makeRun('none'), makeRun('fph-inplace', { lostPages: 123, lostZeroPages: 4 })], { palette: COLOR });
    const line = text.split('\n').find((candidate) => candidate.startsWith('lost pages'));
    assert.ok(line !== undefined && RED.test(line) && line.includes('123 (4 zero-content)'), line);
  });

  it('lists only the cost counters that some run has', () => {
    const text = formatSummaryTable([makeRun('none', { costs: { faults: 900 } }), makeRun('fph', { costs: { faults: 800, hintCalls: 12 } })]);
    assert.match(text, /\nhint calls\s+\|\s+0\s+12/);
    assert.match(text, /\nfaults\s+\|\s+900\s+800/);
    assert.ok(!text.includes('accept calls'));
    assert.ok(!text.includes('exits'));
  });

  it('marks a capped (not converged) run: forced with its downtime flagged, cancelled without one', () => {
    const forced = formatSummaryTable([makeRun('none', { converged: false })]);
    assert.match(forced, /converged\s+\|\s+no: forced at cap/);
    assert.match(forced, /downtime \(ms\)\s+\|\s+\d+\.\d \(forced\)/);
    const run = makeRun('none', { converged: false });
    run.summary.ending = 'cancelled';
    const cancelled = formatSummaryTable([run]);
    assert.match(cancelled, /converged\s+\|\s+no: cancelled at cap/);
    assert.match(cancelled, /downtime \(ms\)\s+\|\s+- \(cancelled\)/);
  });

  it('against a cancelled none there is no downtime to compare; the strategy table says how runs ended', () => {
    const none = makeRun('none', { converged: false });
    none.summary.ending = 'cancelled';
    const fph = makeRun('free-page-hint', { savedBytes: 1000 });
    const compact = formatCompactSummaryTable([none, fph]);
    assert.match(compact, /downtime vs none \(ms\)\s+\|\s+-\s+- \(none cancelled\)/);
    const wide = formatSummaryTable([none, fph]);
    assert.match(wide, /downtime vs none \(ms\)\s+\|\s+-\s+- \(none cancelled\)/);
    const postcopy = makeRun('page-reporting', { converged: false });
    postcopy.summary.ending = 'postcopy';
    const rows = formatStrategyTable([none, fph, postcopy]).split('\n');
    // run | sent | saved | rounds | time | downtime | converged | lost
    const cells = (run: string) => rows.find((line) => line.startsWith(run))!.split('|')[1].trim().split(/\s+/);
    assert.deepEqual(cells('none').slice(-3), ['-', 'cancelled', '0']);
    assert.deepEqual(cells('free-page-hint').slice(-2), ['yes', '0']);
    assert.deepEqual(cells('page-reporting').slice(-2), ['postcopy', '0']);
  });

  it('flags a downtime above the limit', () => {
    const run = makeRun('none');
    run.summary.downtimeOverLimit = true;
    assert.match(formatSummaryTable([run]), /downtime \(ms\)\s+\|\s+\d+\.\d \(over limit\)/);
  });
});

describe('workload report', () => {
  it('opens with a header a QEMU engineer can read at a glance', () => {
    assert.equal(
      formatWorkloadHeader(header),
      'tiny  seed 1: 64 MiB guest (4 KiB pages), qemu preset, max-bandwidth 10 Gbit/s, downtime limit 300 ms, migration at 1 s\nA 64 MiB test guest.',
    );
    const report = formatWorkloadReport(header, [makeRun('none'), makeRun('fph')], { wide: true });
    assert.ok(report.includes('| none'));
    assert.ok(report.includes('total sent (bytes)'));
    // Compact: the header wrapped at 100 columns.
    assert.equal(
      formatWorkloadHeader(header, PLAIN, 100),
      'tiny  seed 1:\n  64 MiB guest (4 KiB pages), qemu preset, max-bandwidth 10 Gbit/s, downtime limit 300 ms,\n  migration at 1 s\nA 64 MiB test guest.',
    );
  });

  it('compact rounds: sent in one unit, only the page columns a run has, the stop-copy row last', () => {
    const lines = formatCompactRoundsTable([makeRun('none'), makeRun('fph', { skippedPages: 500 })]).split('\n');
    assert.equal(lines[1], 'round  kind | sent  normal   zero  dirtied | sent  normal   zero  skipped  dirtied');
    assert.equal(lines[2], '            |  MiB   pages  pages    pages |  MiB   pages  pages    pages    pages');
    // Bulk round: 4096 normal pages × 4104 B + 12288 zero pages × 9 B + 8 B = 16920200 B = 16.1 MiB.
    assert.equal(lines[3], '    1  bulk | 16.1    4096  12288        0 | 16.1    4096  12288      500        0');
    assert.match(lines[6], /^ {7}stop \|/);
  });

  it('compact rounds: the key below names only the columns shown', () => {
    const key = (table: string): string => table.split('\n').at(-1)!;
    assert.equal(key(formatCompactRoundsTable([makeRun('none')])), 'dirtied: bits the sync ending the round set; MiB = 2^20 B');
    assert.equal(key(formatCompactRoundsTable([makeRun('none'), makeRun('fph', { skippedPages: 500 })])), 'dirtied: bits the sync ending the round set; skipped: cleared by hints; MiB = 2^20 B');
    assert.equal(
      key(formatCompactRoundsTable([makeRun('none'), makeRun('unaccepted', { unacceptedPages: 1024 })])),
      'dirtied: bits the sync ending the round set; unaccept: never accepted, never sent; MiB = 2^20 B',
    );
  });

  it('a postcopy round follows its switch: after the stop row, though its number is higher', () => {
    // As the postcopy-start workload: bulk 1, iterate 2, the switch's stop-copy 3, postcopy 4.
    const postcopy = (run: string) => {
      const result = makeRun(run, { iterateCount: 1 });
      const stop = result.rounds[2];
      result.rounds.push({ ...stop, round: 4, kind: 'postcopy', normalPages: 62656, zeroPages: 0, bytes: 62656 * 4104, cumulativeBytes: stop.cumulativeBytes + 62656 * 4104, dirtyPages: 0 });
      return result;
    };
    const compact = formatCompactRoundsTable([postcopy('none')]).split('\n');
    assert.deepEqual(compact.slice(3, 7).map((line) => line.split('|')[0].trim()), ['1  bulk', '2  iter', 'stop', 'post']);
    // 62656 pages × 4104 B = 245.2 MiB, the postcopy row's sent cell.
    assert.match(compact[6], /^ {7}post \| 245\.2\s+62656\s/);
    const wide = formatRoundsTable([postcopy('none'), postcopy('fph')]).split('\n');
    assert.deepEqual(wide.slice(3, 7).map((line) => line.split('|')[0].trim().split(/\s+/).join(' ')), ['1 bulk', '2 iterate', '3 stop-copy', '4 postcopy']);
  });

  it('compact summary: one unit per row, the unit in the label', () => {
    const big = makeRun('none', { normalPages: 3 * 2 ** 20 });
    const text = formatCompactSummaryTable([big, makeRun('fph', { savedBytes: 2 ** 30 })]);
    // 3 Mi normal pages × 4104 B + 12288 × 9 B + ... = 12.02 GiB; the other run 0.02 GiB, same unit.
    assert.match(text, /\ntotal sent \(GiB\) +\| +12\.02 +0\.02\n/);
    // 1 GiB saved is below 10 GiB: MiB, one decimal.
    assert.match(text, /\nsaved vs none \(MiB\) +\| +- +\+1024\.0 \(\+8\.3%\)/);
  });

  it('more than two runs: a row per strategy and a cost table, each within 100 columns', () => {
    const runs = [makeRun('none'), makeRun('free-page-hint', { savedBytes: 2 ** 20, costs: { hintCalls: 3, guestCpuSec: 0.5 } }), makeRun('page-reporting', { savedBytes: -4104 })];
    const strategies = formatStrategyTable(runs).split('\n');
    assert.deepEqual(strategies.map((line) => line.split('|')[0].trim()), ['run', '', 'none', 'free-page-hint', 'page-reporting']);
    const costs = formatCostTable(runs);
    assert.match(costs, /\nfree-page-hint \| +3 +500\.000\n/);
    const every = Object.fromEntries(COST_COUNTERS.map((spec) => [spec.counter, 123456]));
    for (const line of formatCostTable([makeRun('a-long-strategy-name', { costs: every }), makeRun('none')]).split('\n')) assert.ok(line.length <= 100, line);
  });

  it('formats sizes and bandwidths in the units a user would type', () => {
    assert.equal(exactSizeText(16 * 2 ** 30), '16 GiB');
    assert.equal(exactSizeText(3 * 2 ** 20 + 1), '3.0 MiB');
    assert.equal(bandwidthText(128 * 2 ** 20), '128 MiB/s');
    assert.equal(bandwidthText(25e9 / 8), '25 Gbit/s');
    assert.equal(bandwidthText(Infinity), 'unlimited');
    assert.equal(sizeText(68157440), '65.0 MiB');
    assert.equal(sizeText(20 * 2 ** 30), '20.00 GiB');
  });
});

describe('check verdict', () => {
  it('prints only the one OK line when everything matches', () => {
    const rows = [{ workload: 'tiny', run: 'none', seed: 1, totalBytes: 10 }];
    assert.equal(formatVerdict(compare(rows, rows, 0), 'results/baseline.csv'), 'OK: 1 run matches results/baseline.csv (tolerance 0%)');
  });

  it('lists regressions and missing rows in red and ends with a FAILED line', () => {
    const verdict = compare(
      [
        { workload: 'tiny', run: 'none', seed: 1, totalBytes: 1000 },
        { workload: 'tiny', run: 'gone', seed: 1, totalBytes: 5 },
      ],
      [
        { workload: 'tiny', run: 'none', seed: 1, totalBytes: 1100 },
        { workload: 'tiny', run: 'new', seed: 1, totalBytes: 7 },
      ],
      0,
    );
    const text = formatVerdict(verdict, 'b.csv', { palette: COLOR });
    const plain = formatVerdict(verdict, 'b.csv');
    assert.match(plain, /tiny\s+none\s+1\s+REGRESSED\s+1000\s+1100\s+\+100 \(100 B, \+10\.0%\)/);
    assert.match(plain, /tiny\s+new\s+1\s+not in baseline\s+-\s+7\s+-/);
    assert.match(plain, /tiny\s+gone\s+1\s+no longer produced\s+5\s+-\s+-/);
    assert.match(plain, /\n\nFAILED: 1 regressed, 2 missing, of 3 runs against b\.csv \(tolerance 0%; 0 ok, 0 improved\)$/);
    assert.ok(RED.test(text));
  });
});
