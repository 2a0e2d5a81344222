/**
 * `migsim validate <file…>`: parse each workload without simulating and print
 * `ok  <file>` for each good one, after its warnings (stderr, as `run` prints them: a value
 * that is clamped or changes nothing is legal but probably not what was meant). The first
 * bad file throws its one-line WorkloadError (exit 2 at the catch site); files after it are
 * not read.
 */
import { readWorkload } from '../../io/read-workload.js';
import { escapeControlChars } from '../../report/terminal-text.js';
import { warningPrinter } from '../simulate.js';

export function validateCommand(files: readonly string[], options: { allowOutsidePaths?: boolean } = {}): number {
  const onWarning = warningPrinter();
  for (const file of files) {
    readWorkload(file, { allowOutsidePaths: options.allowOutsidePaths === true, onWarning });
    process.stdout.write(`ok  ${escapeControlChars(file)}\n`);
  }
  return 0;
}
