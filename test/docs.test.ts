/**
 * docs/model.md is the project's own contract: every `docs/model.md §N` a source comment,
 * test or workload cites names a section that exists there, and nothing points outside the
 * repository (../shared) for the model or the validation data.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

import { ROUND_COLUMNS } from '../src/core/result-columns.js';
import { STRATEGY_OPTIONS } from '../src/workload/parse-hints.js';
import { WORKLOAD_FIELD_KEYS } from '../src/workload/parse-workload.js';
import { REPO_ROOT } from './cli/helpers.js';

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, extensions);
    return extensions.some((extension) => name.endsWith(extension)) ? [path] : [];
  });
}

const SOURCES = [
  ...filesUnder(join(REPO_ROOT, 'src'), ['.ts']),
  ...filesUnder(join(REPO_ROOT, 'test'), ['.ts', '.yaml']),
  ...filesUnder(join(REPO_ROOT, 'workloads'), ['.yaml']),
  join(REPO_ROOT, 'README.md'),
];

test('every docs/model.md §N cited in the code names a section of docs/model.md', () => {
  const model = readFileSync(join(REPO_ROOT, 'docs', 'model.md'), 'utf8');
  const sections = new Set([...model.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((match) => match[1]));
  assert.ok(sections.has('8.1') && sections.has('10'), [...sections].join(' '));
  let cited = 0;
  for (const file of SOURCES) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/docs\/model\.md §(\d+(?:\.\d+)?)/g)) {
      cited++;
      assert.ok(sections.has(match[1]), `${relative(REPO_ROOT, file)} cites docs/model.md §${match[1]}, which does not exist`);
    }
  }
  assert.ok(cited > 20, `only ${cited} citations found`);
});

test('nothing points to ../shared for the model or the calibration data', () => {
  for (const file of SOURCES) {
    if (file.endsWith('docs.test.ts')) continue;
    const text = readFileSync(file, 'utf8');
    assert.ok(!/shared\/(MODEL\.md|calibration)/.test(text), `${relative(REPO_ROOT, file)} points to ../shared`);
  }
});

test("docs/model.md §6 lists the per-round CSV columns in the code's order, and the README describes each", () => {
  const model = readFileSync(join(REPO_ROOT, 'docs', 'model.md'), 'utf8');
  const start = model.indexOf('Per round and run (CSV columns');
  assert.ok(start >= 0, 'docs/model.md §6 has no per-round column list');
  const list = model.slice(start).match(/`([^`]+)`/);
  assert.ok(list !== null);
  assert.deepEqual(list[1].split(/,\s*/), [...ROUND_COLUMNS]);
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const column of ROUND_COLUMNS) assert.ok(readme.includes(`\`${column}\``), `README.md does not describe the round column ${column}`);
});

/** The rows of docs/model.md's field tables: §8.1 (every field) and §10.3 (fields beyond it). */
function fieldTableRows(): string[] {
  const model = readFileSync(join(REPO_ROOT, 'docs', 'model.md'), 'utf8');
  const section = (from: string, to: string): string => {
    const start = model.indexOf(from);
    assert.ok(start >= 0, `docs/model.md has no ${from}`);
    return model.slice(start, model.indexOf(to, start));
  };
  return [...section('### 8.1 Every field', '\n## 9'), ...section('### 10.3 Workload fields', '\n### 10.4')].join('').split('\n').filter((line) => line.startsWith('| '));
}

test('docs/model.md §8.1 or §10.3 names every field the workload parser accepts, and every hint option in its strategy\'s row', () => {
  const rows = fieldTableRows();
  for (const [parent, keys] of Object.entries(WORKLOAD_FIELD_KEYS)) {
    for (const key of keys) {
      const word = new RegExp(`\\b${key}\\b`);
      assert.ok(rows.some((row) => word.test(row)), `docs/model.md's field tables (§8.1, §10.3) do not name ${parent === '' ? key : `${parent}.${key}`}`);
    }
  }
  for (const [strategy, options] of Object.entries(STRATEGY_OPTIONS)) {
    const row = rows.find((line) => line.startsWith(`| ${strategy} |`));
    assert.ok(row !== undefined, `docs/model.md §8.1 has no row for the ${strategy} strategy`);
    for (const option of options) assert.ok(row.includes(`\`${option}\``), `docs/model.md §8.1's ${strategy} row does not name its option ${option}`);
  }
});
