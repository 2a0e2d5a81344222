/**
 * `--help` of every command exits 0 and lists its options with units and defaults;
 * `--version` prints the package version.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { migsim, REPO_ROOT } from './helpers.js';

/** Command names from the top-level help's Commands: section. */
function commandNames(): string[] {
  const help = migsim(['--help']).stdout;
  const section = help.slice(help.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((match) => match[1]).filter((name) => name !== 'help');
}

/** Option descriptions of a command's help, keyed by flag text (wrapped lines joined). */
function optionsOf(help: string): Map<string, string> {
  const section = help.slice(help.indexOf('Options:') + 'Options:'.length).split(/\n\n/)[0];
  const options = new Map<string, string>();
  let current = '';
  for (const line of section.split('\n')) {
    const match = /^ {2}(-\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (match !== null) {
      current = match[1].trim();
      options.set(current, match[2] ?? '');
    } else if (current !== '' && line.trim() !== '') {
      options.set(current, `${options.get(current)} ${line.trim()}`);
    }
  }
  return options;
}

describe('help and version', () => {
  it('--version and -V print the package version', () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const result = migsim([flag]);
      assert.equal(result.status, 0);
      assert.equal(result.stdout, `${version}\n`);
    }
  });

  it('every command has --help that exits 0 and lists its options', () => {
    const names = commandNames();
    for (const name of ['run', 'check', 'validate', 'plot', 'calibrate']) assert.ok(names.includes(name), `${name} in ${names.join(',')}`);
    for (const name of names) {
      const result = migsim([name, '--help']);
      assert.equal(result.status, 0, name);
      assert.match(result.stdout, new RegExp(`^Usage: migsim ${name} `), name);
      assert.ok(optionsOf(result.stdout).has('-h, --help'), name);
    }
  });

  it('options that take a value state their unit or default (run, check, plot)', () => {
    const expectations: Record<string, Record<string, RegExp>> = {
      run: {
        '--hints <list>': /default: each file's hints/,
        '--seed <n>': /integer >= 0 \(default: each file's seed, else 1\)/,
        '--set <key=value>': /units of the workload file .*25Gbit\/s/,
        '--csv <file>': /default: not written/,
        '--summary-csv <file>': /default: not written/,
        '--html <file>': /interactive charts \(Vega inlined, no network\).*default: not written/,
        '--max-memory <size>': /e\.g\. 8GiB \(default: MIGSIM_MAX_MEMORY, else the machine's total memory\)/,
      },
      check: { '--tolerance <percent>': /in percent .*\(default: 0\)/, '--max-memory <size>': /e\.g\. 8GiB/ },
      plot: { '-o, --out-dir <dir>': /\(default: "plots"\)/, '--x <column>': /default: the first parameter column that varies/, '--max-memory <size>': /e\.g\. 8GiB/ },
    };
    for (const [command, options] of Object.entries(expectations)) {
      const listed = optionsOf(migsim([command, '--help']).stdout);
      for (const [flag, pattern] of Object.entries(options)) {
        assert.ok(listed.has(flag), `${command} ${flag}`);
        assert.match(listed.get(flag)!, pattern, `${command} ${flag}`);
      }
    }
  });
});
