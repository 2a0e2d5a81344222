/**
 * `migsim merge <csv…> --csv out.csv`: combines the shard CSVs of one `migsim sweep`
 * into the CSV the whole sweep would have written (io/sweep-csv.ts checks the columns,
 * duplicates and missing points).
 */

import { MigsimError } from '../../core/errors.js';
import { mergeSweepCsvs } from '../../io/sweep-csv.js';
import { checkOutputPaths } from '../../io/output-paths.js';
import { INPUT_LIMITS, readInputText } from '../../io/read-input.js';
import { errnoCode, writeFileAtomic } from '../../io/write-atomic.js';

export function mergeCommand(files: readonly string[], options: { csv: string }): number {
  // --csv is proven before the shards are read and merged: a bad path is one line naming --csv.
  checkOutputPaths([{ option: '--csv', path: options.csv }]);
  const inputs = files.map((file) => {
    try {
      return { file, text: readInputText(file, INPUT_LIMITS.csvBytes) };
    } catch (error) {
      throw new MigsimError('workload.unreadable', `${file}: cannot read (${errnoCode(error)})`);
    }
  });
  const csv = mergeSweepCsvs(inputs);
  if (options.csv === '-') process.stdout.write(csv);
  else writeFileAtomic(options.csv, csv);
  return 0;
}
