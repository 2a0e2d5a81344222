/**
 * The core stays pure: files under src/core import only other files under src/core — no
 * node:* modules, no packages (chalk, commander, csv, yaml) — and use no clock or
 * Math.random. Dependencies point inward: cli → report/io → columns/check/workload/calibrate
 * → core. io and report sit side by side and never import each other (what both need,
 * the cell formats and the plot rows, is in src/columns); calibrate/ is pure (core and
 * itself only: io reads the measured runs, report formats the comparison).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

test('src/core imports nothing outside src/core', () => {
  for (const file of sourceFiles(join(root, 'src', 'core'))) {
    for (const spec of imports(file)) {
      assert.ok(spec.startsWith('.'), `${relative(root, file)} imports ${spec}`);
      const target = join(file, '..', spec);
      assert.ok(target.startsWith(join(root, 'src', 'core')), `${relative(root, file)} imports ${spec} from outside src/core`);
    }
  }
});

test('src/core uses no clock, no Math.random and no console', () => {
  for (const file of sourceFiles(join(root, 'src', 'core'))) {
    const text = readFileSync(file, 'utf8');
    for (const banned of ['Math.random', 'Date.now', 'new Date', 'performance.now', 'console.', 'process.']) {
      assert.ok(!text.includes(banned), `${relative(root, file)} uses ${banned}`);
    }
  }
});

test('lower layers do not import the CLI or the report', () => {
  const lower = ['core', 'workload', 'check', 'columns', 'calibrate'].flatMap((d) => sourceFiles(join(root, 'src', d)));
  for (const file of lower) {
    for (const spec of imports(file)) {
      assert.ok(!/\/(cli|report|io)\//.test(spec), `${relative(root, file)} imports ${spec}`);
    }
  }
});

/** `spec` imported from `file` resolves under src/<dir>/. */
function importsDir(file: string, spec: string, dir: string): boolean {
  return spec.startsWith('.') && join(file, '..', spec).startsWith(join(root, 'src', dir) + '/');
}

test('io and report do not import each other', () => {
  for (const [from, to] of [
    ['io', 'report'],
    ['report', 'io'],
  ]) {
    for (const file of sourceFiles(join(root, 'src', from))) {
      for (const spec of imports(file)) {
        assert.ok(!importsDir(file, spec, to), `${relative(root, file)} imports ${spec} (src/${from} must not import src/${to})`);
        assert.ok(!importsDir(file, spec, 'cli'), `${relative(root, file)} imports ${spec} (src/${from} must not import src/cli)`);
      }
    }
  }
});

test('calibrate/ and columns/ are pure: only src/core and themselves, no node:* and no packages', () => {
  for (const dir of ['calibrate', 'columns']) {
    for (const file of sourceFiles(join(root, 'src', dir))) {
      for (const spec of imports(file)) {
        assert.ok(importsDir(file, spec, 'core') || importsDir(file, spec, dir), `${relative(root, file)} imports ${spec}`);
      }
    }
  }
});

test('the guard sees an import that breaks the rule (io importing report)', () => {
  // The directory test above must not pass vacuously: a path under src/io importing
  // ../report/x.js resolves under src/report.
  assert.ok(importsDir(join(root, 'src', 'io', 'x.ts'), '../report/svg-plots.js', 'report'));
  assert.ok(!importsDir(join(root, 'src', 'io', 'x.ts'), '../columns/cells.js', 'report'));
  assert.ok(sourceFiles(join(root, 'src', 'calibrate')).length > 0 && sourceFiles(join(root, 'src', 'io')).length > 0);
});

test('one load path: only src/io/read-workload.ts parses and completes workload files', () => {
  const loadPath = join(root, 'src', 'io', 'read-workload.ts');
  for (const file of sourceFiles(join(root, 'src'))) {
    if (file === loadPath || file.startsWith(join(root, 'src', 'workload') + '/')) continue;
    for (const spec of imports(file)) {
      assert.ok(!/\/(parse|complete)-workload\.js$/.test(spec), `${relative(root, file)} imports ${spec}: load workloads with src/io/read-workload.ts`);
    }
  }
});
