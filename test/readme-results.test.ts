/**
 * The README's tables of committed results are results/baseline.csv: the bundled workloads'
 * table (total MiB, saved, rounds, total s, downtime ms, hint calls, guest CPU ms) and the
 * debates' table (saved, hint calls, redundant pages, accept calls, max lock hold). A
 * baseline move that changes a number shown there fails here with the row as it should now
 * read, until the README shows it (a user's-eye review found the default workload's hinted
 * row 10.5 MiB stale and tsc-build-trace missing from the table). Reads files only: fast.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { REPO_ROOT } from './cli/helpers.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** results/baseline.csv as records (no cell of it is quoted). */
function baseline(): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(REPO_ROOT, 'results/baseline.csv'), 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])));
}

/** The rows of the markdown table whose header line is `header`, as cells; the workload cell carried down. */
function tableRows(header: string): string[][] {
  const start = README.indexOf(`${header}\n`);
  assert.ok(start >= 0, `README has no table headed ${header}`);
  const rows: string[][] = [];
  let workload = '';
  for (const line of README.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells[0] !== '') workload = cells[0];
    cells[0] = workload;
    rows.push(cells);
  }
  return rows;
}

const MIB = 2 ** 20;
const thousands = (n: number, decimals: number): string => n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

test('README: the bundled workloads\' committed results are results/baseline.csv', () => {
  const records = baseline();
  const rows = tableRows('| workload | run | total MiB | saved | rounds | total s | downtime ms | hint calls | guest CPU ms |');
  const bundled = readdirSync(join(REPO_ROOT, 'workloads')).filter((file) => file.endsWith('.yaml'));
  const shown = new Set(rows.map((row) => row[0]));
  for (const file of bundled) {
    const name = /^name:\s*(\S+)/m.exec(readFileSync(join(REPO_ROOT, 'workloads', file), 'utf8'))?.[1] ?? file.replace(/\.yaml$/, '');
    assert.ok(shown.has(name), `README's results table has no row for workloads/${file} (${name})`);
  }
  for (const workload of shown) {
    const runs = records.filter((r) => r.workload === workload);
    assert.deepEqual(rows.filter((row) => row[0] === workload).map((row) => row[1]).sort(), runs.map((r) => r.run).sort(), `README's results table: the runs of ${workload}`);
    const none = runs.find((r) => r.run === 'none');
    assert.ok(none !== undefined, `results/baseline.csv has no none run of ${workload}`);
    for (const row of rows.filter((cells) => cells[0] === workload)) {
      const r: Record<string, string> = runs.find((record) => record.run === row[1])!;
      const saved: string = r.run === 'none' ? '' : `${Number(r.saved_bytes) >= 0 ? '+' : ''}${((100 * Number(r.saved_bytes)) / Number(none.total_bytes)).toFixed(1)}%`;
      const expected: string[] = [
        workload,
        r.run,
        thousands(Number(r.total_bytes) / MIB, 1),
        saved,
        r.rounds,
        Number(r.total_time_s).toFixed(2),
        (1000 * Number(r.downtime_s)).toFixed(1),
        r.hint_calls,
        (1000 * Number(r.guest_cpu_s)).toFixed(1),
      ];
      assert.deepEqual(row, expected, `README's results row of ${workload} ${r.run} is stale; it should read: | ${expected.join(' | ')} |`);
    }
  }
});

test('README: the debates\' committed results are results/baseline.csv', () => {
  const records = baseline();
  const rows = tableRows('| debate | run | saved vs none | hint calls | redundant pages | accept calls | max lock hold |');
  assert.ok(rows.length >= 10, `${rows.length} rows`);
  for (const row of rows) {
    const r = records.find((record) => record.workload === `debate-${row[0]}` && record.run === row[1]);
    assert.ok(r !== undefined, `results/baseline.csv has no run ${row[1]} of debate-${row[0]}`);
    const expected = [row[0], r.run, `${thousands(Number(r.saved_bytes) / MIB, 1)} MiB`, r.hint_calls, r.redundant_pages_hinted, r.accept_calls, `${Math.round(1e6 * Number(r.max_lock_hold_s))} µs`];
    assert.deepEqual(row, expected, `README's debate row ${row[0]} ${row[1]} is stale; it should read: | ${expected.join(' | ')} |`);
  }
});
