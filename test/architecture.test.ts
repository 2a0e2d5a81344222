/**
 * The core stays pure: files under src/core import only other files under src/core — no
 * node:* modules, no packages (chalk, commander, csv, yaml) — and use no clock or
 * Math.random. Dependencies point inward: cli → report/io → check/workload → core.
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
  const lower = ['core', 'workload', 'check'].flatMap((d) => sourceFiles(join(root, 'src', d)));
  for (const file of lower) {
    for (const spec of imports(file)) {
      assert.ok(!/\/(cli|report|io)\//.test(spec), `${relative(root, file)} imports ${spec}`);
    }
  }
});
