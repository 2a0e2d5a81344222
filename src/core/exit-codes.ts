/**
 * migsim's exit codes, in one place: the errors carry them (errors.ts), the commands
 * return them, the one catch site (src/cli/main.ts) sets them, and `migsim --help`
 * prints this table. A new code is one entry here.
 */
export const EXIT_CODES = {
  /** Success. */
  ok: 0,
  /** `check` found a regression or a missing row; `calibrate` missed a target. */
  failed: 1,
  /** Bad usage or bad input (one line naming the file and the field), or an unwritable output. */
  usage: 2,
  /** A run lost pages (every requested output is still written). */
  lostPages: 3,
  /** A bug in migsim (an internal invariant broke). */
  internal: 70,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit-code lines of `migsim --help`, in code order. */
export const EXIT_CODE_HELP: readonly (readonly [ExitCode, string])[] = [
  [EXIT_CODES.ok, 'success'],
  [EXIT_CODES.failed, 'check found a regression or a missing row; calibrate missed a target'],
  [EXIT_CODES.usage, 'bad usage or bad input (one line naming the file and the field), or an output\n       that cannot be written (a file, or stdout: ENOSPC, EIO; EPIPE is not an error)'],
  [EXIT_CODES.lostPages, 'a run lost pages (every requested output is still written)'],
  [EXIT_CODES.internal, 'internal error (a bug: please report it with --debug output)'],
  [EXIT_CODES.interrupted, 'interrupted (SIGINT)'],
];
