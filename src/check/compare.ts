/**
 * Regression check of one summary column per (workload, run, seed) against a baseline
 * (docs/model.md §7): `total_bytes` by default, any numeric column with `check --metric`. Pure: rows in, Verdict out; reading and writing the baseline CSV is
 * src/io/baseline.ts's job and printing the verdict is the CLI's. A regression is a value,
 * never an exception. Only increases fail: fewer bytes is what hints are for.
 */

/**
 * The part of a summary row the check looks at. `totalBytes` is the compared value: the
 * row's total_bytes, or the value of the metric being checked (`Verdict.metric`).
 */
export interface TotalBytesRow {
  workload: string;
  run: string;
  seed: number;
  totalBytes: number;
}

export type RowStatus = 'ok' | 'regressed' | 'improved' | 'missing-in-baseline' | 'missing-in-run';

export interface RowVerdict {
  workload: string;
  run: string;
  seed: number;
  status: RowStatus;
  /** The metric's value (bytes for total_bytes) in the baseline; null when the row is missing from it. */
  baselineBytes: number | null;
  /** null when this run no longer produces the row. */
  currentBytes: number | null;
  /** current − baseline in bytes; null unless both sides exist. */
  deltaBytes: number | null;
  /** 100 × delta / baseline; null unless both sides exist (Infinity for a 0-byte baseline that grew). */
  deltaPct: number | null;
}

export interface Verdict {
  /** True when no row regressed or went missing on either side. */
  ok: boolean;
  /** The summary column compared (`total_bytes` unless `check --metric` chose others). */
  metric: string;
  tolerancePct: number;
  /** Current rows in their order, then baseline rows no longer produced, in baseline order. */
  rows: RowVerdict[];
  counts: Record<RowStatus, number>;
}

const FAILING: ReadonlySet<RowStatus> = new Set(['regressed', 'missing-in-baseline', 'missing-in-run']);

export function isFailing(status: RowStatus): boolean {
  return FAILING.has(status);
}

/** The identity of a row: one run of one workload at one seed. */
export function rowKey(row: { workload: string; run: string; seed: number }): string {
  // \u0000 cannot occur in a CSV field we write, so the key is unambiguous.
  return `${row.workload}\u0000${row.run}\u0000${row.seed}`;
}

/**
 * Compares current rows against baseline rows.
 *
 * A row regresses when `current − baseline > baseline × tolerancePct / 100` (so with
 * the default tolerance 0, one byte more fails) and improves when it shrank by more than
 * the same margin; anything in between is ok. Rows only on one side fail. Duplicate keys
 * are the caller's bug: the last one wins.
 *
 * @param tolerancePct non-negative percentage of the baseline's value.
 * @param metric the summary column the values are of (for the report).
 */
export function compare(
  baseline: readonly TotalBytesRow[],
  current: readonly TotalBytesRow[],
  tolerancePct: number,
  metric = 'total_bytes',
): Verdict {
  if (!(tolerancePct >= 0) || !Number.isFinite(tolerancePct)) {
    throw new RangeError(`tolerance must be a finite percentage >= 0 (got ${tolerancePct})`);
  }
  const baselineByKey = new Map<string, TotalBytesRow>();
  for (const row of baseline) baselineByKey.set(rowKey(row), row);
  const currentKeys = new Set<string>();

  const rows: RowVerdict[] = [];
  for (const row of current) {
    const key = rowKey(row);
    currentKeys.add(key);
    const base = baselineByKey.get(key);
    if (base === undefined) {
      rows.push(verdictRow(row, 'missing-in-baseline', null, row.totalBytes));
      continue;
    }
    const deltaBytes = row.totalBytes - base.totalBytes;
    const marginBytes = (base.totalBytes * tolerancePct) / 100;
    const status: RowStatus = deltaBytes > marginBytes ? 'regressed' : -deltaBytes > marginBytes ? 'improved' : 'ok';
    rows.push(verdictRow(row, status, base.totalBytes, row.totalBytes));
  }
  for (const row of baseline) {
    if (!currentKeys.has(rowKey(row))) rows.push(verdictRow(row, 'missing-in-run', row.totalBytes, null));
  }

  const counts: Record<RowStatus, number> = {
    ok: 0,
    regressed: 0,
    improved: 0,
    'missing-in-baseline': 0,
    'missing-in-run': 0,
  };
  for (const row of rows) counts[row.status]++;
  const ok = counts.regressed === 0 && counts['missing-in-baseline'] === 0 && counts['missing-in-run'] === 0;
  return { ok, metric, tolerancePct, rows, counts };
}

function verdictRow(
  key: TotalBytesRow,
  status: RowStatus,
  baselineBytes: number | null,
  currentBytes: number | null,
): RowVerdict {
  let deltaBytes: number | null = null;
  let deltaPct: number | null = null;
  if (baselineBytes !== null && currentBytes !== null) {
    deltaBytes = currentBytes - baselineBytes;
    deltaPct = baselineBytes === 0 ? (deltaBytes === 0 ? 0 : Infinity * Math.sign(deltaBytes)) : (100 * deltaBytes) / baselineBytes;
  }
  return { workload: key.workload, run: key.run, seed: key.seed, status, baselineBytes, currentBytes, deltaBytes, deltaPct };
}
