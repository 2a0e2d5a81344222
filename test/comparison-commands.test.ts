/**
 * workloads/comparisons/*.yaml each say in their comment the `migsim sweep` and `migsim plot`
 * commands that made the CSVs and charts under docs/plots/comparisons/. A user copies them:
 * every option they use must be one the subcommand has (two files once said
 * `sweep --hints all`, which sweep refuses), and every file they name must exist. One sweep,
 * the cheapest, runs for real and must reproduce its committed CSV byte for byte (the others
 * are checked the same way by hand; `npm run check` covers their runs through the baseline).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { REPO_ROOT, migsim } from './cli/helpers.js';

const DIR = join(REPO_ROOT, 'workloads', 'comparisons');

/** The `migsim …` commands in a file's leading comment, continuation lines joined. */
function commentCommands(file: string): string[][] {
  const commands: string[][] = [];
  let current: string | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('#')) break;
    const text = line.replace(/^#\s*/, '');
    if (current === null && !text.startsWith('migsim ')) continue;
    current = (current === null ? '' : current + ' ') + text.replace(/\\$/, '').trim();
    if (!text.endsWith('\\')) {
      commands.push(current.split(/\s+/));
      current = null;
    }
  }
  return commands;
}

/** The options a subcommand's --help lists (the lines that define them, not mentions in the text). */
function helpOptions(subcommand: string): Set<string> {
  const help = migsim([subcommand, '--help']);
  assert.equal(help.status, 0, help.stderr);
  return new Set([...help.stdout.matchAll(/^\s+(?:-[a-zA-Z], )?(--[a-z][a-z-]*)/gm)].map((match) => match[1]));
}

const FILES = readdirSync(DIR).filter((name) => name.endsWith('.yaml')).sort();

test('every comparison workload says its sweep and plot commands, with options the CLI has and files that exist', () => {
  const options = { sweep: helpOptions('sweep'), plot: helpOptions('plot') };
  assert.ok(FILES.length >= 9, FILES.join(' '));
  for (const name of FILES) {
    const commands = commentCommands(join(DIR, name));
    const kinds = commands.map((command) => command[1]);
    assert.ok(kinds.includes('sweep') && kinds.includes('plot'), `${name}: its comment has ${kinds.join(', ') || 'no command'}`);
    for (const command of commands) {
      const subcommand = command[1] as 'sweep' | 'plot';
      assert.ok(subcommand in options, `${name}: migsim ${subcommand}`);
      for (const word of command.slice(2)) {
        if (word.startsWith('--')) assert.ok(options[subcommand].has(word), `${name}: migsim ${subcommand} has no option ${word}`);
      }
      const input = command[2];
      assert.ok(existsSync(join(REPO_ROOT, input)), `${name}: migsim ${subcommand} ${input}: no such file`);
      const csv = command.indexOf('--csv');
      if (csv >= 0) assert.ok(existsSync(join(REPO_ROOT, command[csv + 1])), `${name}: ${command[csv + 1]} is not committed`);
    }
  }
});

test('postcopy-start.yaml\'s sweep command reproduces its committed CSV byte for byte', () => {
  const sweep = commentCommands(join(DIR, 'postcopy-start.yaml')).find((command) => command[1] === 'sweep');
  assert.ok(sweep);
  const csv = sweep.indexOf('--csv');
  const committed = readFileSync(join(REPO_ROOT, sweep[csv + 1]), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'migsim-comparison-'));
  try {
    const args = sweep.slice(1);
    args[csv] = join(dir, 'out.csv');
    const result = migsim(args);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), committed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run docs:comparisons runs a command that writes every file under docs/plots/comparisons', () => {
  const scripts = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts;
  assert.match(scripts['docs:comparisons'], /node scripts\/docs-comparisons\.mjs/);
  const listed = spawnSync(process.execPath, ['scripts/docs-comparisons.mjs', '--list'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const commands = listed.stdout.trim().split('\n').map((line) => line.slice(line.indexOf(': ') + 2));
  // Every workload's sweep and plot, and the shell line that joins two CSVs, as the comments say them.
  for (const name of FILES) {
    for (const command of commentCommands(join(DIR, name))) assert.ok(commands.includes(command.join(' ')), `${name}: ${command.join(' ')} is not run`);
  }
  const written = new Set<string>();
  const plotted: string[] = [];
  for (const command of commands) {
    const words = command.split(/\s+/);
    for (const [index, word] of words.entries()) if (word === '--csv' || word === '>') written.add(words[index + 1]);
    if (words[1] === 'plot') plotted.push(words[2].replace(/\.csv$/, '-'));
  }
  for (const file of readdirSync(join(REPO_ROOT, 'docs', 'plots', 'comparisons'))) {
    const path = `docs/plots/comparisons/${file}`;
    const made = file.endsWith('.csv') ? written.has(path) : plotted.some((prefix) => path.startsWith(prefix));
    assert.ok(made, `${path}: no command of npm run docs:comparisons writes it`);
  }
});
