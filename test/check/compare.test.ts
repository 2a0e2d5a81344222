import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { compare, type TotalBytesRow } from '../../src/check/compare.js';

const row = (run: string, totalBytes: number, workload = 'web', seed = 7): TotalBytesRow => ({ workload, run, seed, totalBytes });

describe('compare', () => {
  it('identical rows are all ok', () => {
    const rows = [row('none', 1000), row('fph', 400)];
    const verdict = compare(rows, rows, 0);
    assert.equal(verdict.ok, true);
    assert.deepEqual(
      verdict.rows.map((r) => r.status),
      ['ok', 'ok'],
    );
    assert.equal(verdict.counts.ok, 2);
  });

  it('with tolerance 0, one byte more is a regression and one byte less an improvement', () => {
    const verdict = compare([row('none', 1000), row('fph', 400)], [row('none', 1001), row('fph', 399)], 0);
    assert.equal(verdict.ok, false);
    assert.deepEqual(
      verdict.rows.map((r) => [r.run, r.status, r.deltaBytes]),
      [
        ['none', 'regressed', 1],
        ['fph', 'improved', -1],
      ],
    );
    assert.equal(verdict.counts.regressed, 1);
    assert.equal(verdict.counts.improved, 1);
  });

  it('an increase up to the tolerance passes, beyond it fails (boundary inclusive)', () => {
    assert.equal(compare([row('none', 1000)], [row('none', 1050)], 5).rows[0].status, 'ok');
    assert.equal(compare([row('none', 1000)], [row('none', 1051)], 5).rows[0].status, 'regressed');
    assert.equal(compare([row('none', 1000)], [row('none', 951)], 5).rows[0].status, 'ok');
    assert.equal(compare([row('none', 1000)], [row('none', 949)], 5).rows[0].status, 'improved');
  });

  it('improvements never fail the check', () => {
    const verdict = compare([row('none', 1000)], [row('none', 10)], 0);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.rows[0].deltaPct, -99);
  });

  it('a run missing from the baseline and a baseline row no longer produced both fail', () => {
    const verdict = compare([row('none', 1000), row('old', 500)], [row('none', 1000), row('new', 600)], 0);
    assert.equal(verdict.ok, false);
    assert.deepEqual(
      verdict.rows.map((r) => [r.run, r.status, r.baselineBytes, r.currentBytes]),
      [
        ['none', 'ok', 1000, 1000],
        ['new', 'missing-in-baseline', null, 600],
        ['old', 'missing-in-run', 500, null],
      ],
    );
    assert.equal(verdict.counts['missing-in-baseline'], 1);
    assert.equal(verdict.counts['missing-in-run'], 1);
  });

  it('rows are keyed by workload, run and seed together', () => {
    const verdict = compare([row('none', 1000, 'web', 7)], [row('none', 1000, 'web', 8), row('none', 1000, 'db', 7)], 0);
    assert.deepEqual(
      verdict.rows.map((r) => `${r.workload}/${r.seed}:${r.status}`),
      ['web/8:missing-in-baseline', 'db/7:missing-in-baseline', 'web/7:missing-in-run'],
    );
  });

  it('a zero-byte baseline that grows regresses at any tolerance', () => {
    const verdict = compare([row('none', 0)], [row('none', 1)], 50);
    assert.equal(verdict.rows[0].status, 'regressed');
    assert.equal(verdict.rows[0].deltaPct, Infinity);
  });

  it('rejects a negative or non-finite tolerance', () => {
    assert.throws(() => compare([], [], -1), RangeError);
    assert.throws(() => compare([], [], Number.NaN), RangeError);
  });

  it('property: comparing rows with themselves is ok at any tolerance', () => {
    const rows = fc.uniqueArray(
      fc.record({ workload: fc.constantFrom('a', 'b'), run: fc.string({ minLength: 1, maxLength: 4 }), seed: fc.nat(3), totalBytes: fc.nat() }),
      { selector: (r) => `${r.workload}/${r.run}/${r.seed}`, maxLength: 20 },
    );
    fc.assert(
      fc.property(rows, fc.double({ min: 0, max: 100, noNaN: true }), (baseline, tolerance) => {
        const verdict = compare(baseline, baseline, tolerance);
        return verdict.ok && verdict.rows.length === baseline.length && verdict.rows.every((r) => r.status === 'ok');
      }),
    );
  });

  it('property: with tolerance 0 the check fails exactly when some total grew', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1e9), fc.nat(1e9)), { minLength: 1, maxLength: 10 }), (pairs) => {
        const baseline = pairs.map(([before], index) => row(`r${index}`, before));
        const current = pairs.map(([, after], index) => row(`r${index}`, after));
        const grew = pairs.some(([before, after]) => after > before);
        return compare(baseline, current, 0).ok === !grew;
      }),
    );
  });
});
