/**
 * The README's example outputs are what migsim prints today: every code block line
 * `$ migsim <args>` is run and its output compared with the block's lines up to the next
 * `$ ` line, and the worked example (the block after "`npm start`:") with `run
 * workloads/default.yaml`. A CSV command marked `# these columns of it` is compared on the
 * block's columns only. A model change that moves these numbers fails here, naming the
 * command, until the README shows the new output (a fresh-clone walk found the prose
 * numbers around them stale; the blocks themselves had been kept true by hand).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { REPO_ROOT, migsim } from './cli/helpers.js';

interface Example {
  args: string[];
  expected: string;
  columnsOnly: boolean;
}

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

function examples(): Example[] {
  const found: Example[] = [];
  const worked = README.match(/`npm start`:\n\n```\n([\s\S]*?)```/);
  assert.ok(worked !== null, 'README has no worked example after "`npm start`:"');
  found.push({ args: ['run', 'workloads/default.yaml'], expected: worked[1], columnsOnly: false });
  for (const block of README.matchAll(/```\n([\s\S]*?)```/g)) {
    const parts = block[1].split(/^\$ /m).slice(1);
    for (const part of parts) {
      const newline = part.indexOf('\n');
      const command = part.slice(0, newline);
      const [line, comment = ''] = command.split(/\s+#\s*/, 2);
      const words = line.trim().split(/\s+/);
      assert.equal(words[0], 'migsim', `README example "$ ${command}" does not run migsim`);
      found.push({ args: words.slice(1), expected: part.slice(newline + 1), columnsOnly: comment.startsWith('these columns') });
    }
  }
  return found;
}

/** The columns of `csv` named in `header`, in that order. */
function pickColumns(csv: string, header: string): string {
  const lines = csv.trimEnd().split('\n');
  const names = lines[0].split(',');
  const wanted = header.split(',').map((name) => {
    const index = names.indexOf(name);
    assert.ok(index >= 0, `the CSV has no column ${name}`);
    return index;
  });
  return lines.map((row) => wanted.map((index) => row.split(',')[index]).join(',')).join('\n') + '\n';
}

const EXAMPLES = examples();

test('the README shows at least the worked, multifd and XBZRLE examples', () => {
  const commands = EXAMPLES.map((example) => example.args.join(' '));
  assert.ok(commands.some((command) => command.includes('multifd.channels')), commands.join('\n'));
  assert.ok(commands.some((command) => command.includes('xbzrle_dirty.yaml') && !command.includes('--csv')), commands.join('\n'));
  assert.ok(EXAMPLES.some((example) => example.columnsOnly), commands.join('\n'));
});

for (const example of EXAMPLES) {
  test(`README: migsim ${example.args.join(' ')}`, () => {
    const result = migsim(example.args);
    assert.equal(result.status, 0, result.stderr);
    const actual = example.columnsOnly ? pickColumns(result.stdout, example.expected.split('\n')[0]) : result.stdout;
    assert.equal(actual.trimEnd(), example.expected.trimEnd(), `README.md's output of "migsim ${example.args.join(' ')}" is stale`);
  });
}
