#!/usr/bin/env node
/**
 * `npm run docs:comparisons`: regenerates the CSVs and charts under docs/plots/comparisons/
 * from workloads/comparisons/*.yaml. Each workload's leading comment says the commands that
 * made its files (`migsim sweep …`, `migsim plot …`, and the one shell line that joins two
 * CSVs into dirtylimit-vs-autoconverge.csv); this runs them, in file order, as written, with
 * `migsim` the built bin/migsim.js, so the comment and the committed files cannot drift
 * apart (seven did once). Takes the built dist/ (the npm script builds first).
 *
 * A command starts at an indented comment line (`#   migsim …` or `#   (cat …`) and runs on
 * through lines that end with `\`. Prints each command before running it; stops at the
 * first that fails, with its exit status. `--list` prints the commands (one a line, as
 * `file: command`) and runs nothing; other arguments pick workload files by name.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = join(ROOT, 'workloads', 'comparisons');

/** The commands in a file's leading comment, continuation lines joined. */
export function commentCommands(text) {
  const commands = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const body = line.replace(/^#\s*/, '');
    // Commands are indented (`#   migsim …`); prose may open with a parenthesis too.
    if (current === null && !/^#\s{2,}(migsim |\()/.test(line)) continue;
    current = (current === null ? '' : `${current} `) + body.replace(/\\$/, '').trim();
    if (!body.endsWith('\\')) {
      commands.push(current);
      current = null;
    }
  }
  return commands;
}

const list = process.argv.includes('--list');
const only = process.argv.slice(2).filter((arg) => arg !== '--list');
const files = readdirSync(DIR)
  .filter((name) => name.endsWith('.yaml') && (only.length === 0 || only.includes(name)))
  .sort();
for (const name of files) {
  for (const command of commentCommands(readFileSync(join(DIR, name), 'utf8'))) {
    if (list) {
      process.stdout.write(`${name}: ${command}\n`);
      continue;
    }
    const shell = command.replace(/(^|[;&|(]\s*)migsim /g, `$1${JSON.stringify(process.execPath)} bin/migsim.js `);
    process.stderr.write(`# ${name}: ${command}\n`);
    const result = spawnSync('sh', ['-c', shell], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      process.stderr.write(`docs:comparisons: ${name}: exit ${result.status ?? result.signal}: ${command}\n`);
      process.exit(result.status ?? 1);
    }
  }
}
