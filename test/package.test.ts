/**
 * What `npm pack` ships: the CLI, the bundled workloads, the measured QEMU runs and the
 * model document, so that `npx migsim calibrate validation/qemu10-tcg-1gib` works after an
 * install as in a clone. Reads `npm pack --dry-run --json` (nothing is written).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { REPO_ROOT } from './cli/helpers.js';

test('npm pack ships bin, dist/src, workloads/, validation/ and docs/model.md', () => {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  const [pack] = JSON.parse(result.stdout) as { files: { path: string }[] }[];
  const files = new Set(pack.files.map((file) => file.path));
  for (const path of ['bin/migsim.js', 'dist/src/cli/main.js', 'workloads/default.yaml', 'workloads/qemu/idle.yaml', 'workloads/qemu/garbage.yaml', 'docs/model.md', 'validation/qemu10-tcg-1gib/README.md', 'validation/qemu10-tcg-features/README.md']) {
    assert.ok(files.has(path), `${path} is in the package`);
  }
  // Every run of the calibration data, with every file calibrate reads.
  const runs = readdirSync(join(REPO_ROOT, 'validation', 'qemu10-tcg-1gib')).filter((name) => name.includes('_hints-'));
  assert.equal(runs.length, 8);
  for (const run of runs) {
    for (const file of ['iterations.csv', 'samples.csv', 'summary.json', 'guest-premig.txt']) {
      assert.ok(files.has(`validation/qemu10-tcg-1gib/${run}/${file}`), `${run}/${file} is in the package`);
    }
  }
  assert.ok(![...files].some((path) => path.startsWith('test/') || path.startsWith('src/') || path.endsWith('.log')), 'no tests, sources or trace logs');
});

test('a clone not built yet: bin/migsim.js says to run npm run build, one line, exit 2 (was a stack trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migsim-unbuilt-'));
  try {
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(REPO_ROOT, 'bin', 'migsim.js'), join(dir, 'bin', 'migsim.js'));
    const result = spawnSync(process.execPath, [join(dir, 'bin', 'migsim.js'), '--help'], { encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `migsim: not built: run \`npm run build\` in ${dir}/ first (npm start and npm test build too)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
