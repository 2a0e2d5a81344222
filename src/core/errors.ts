/**
 * The error classes every layer shares. The core throws only InvariantError (a bug in
 * migsim) and RangeError-like ConfigError for nonsensical configuration it can only
 * detect while simulating; the workload parser throws WorkloadError; the CLI maps
 * `exitCode` to the process exit code at its one catch site (src/cli/main.ts).
 */
import { EXIT_CODES } from './exit-codes.js';

export type ErrorCode =
  | 'usage.bad-option'
  | 'usage.bad-argument'
  | 'workload.invalid'
  | 'workload.unreadable'
  | 'baseline.invalid'
  | 'calibration.invalid'
  | 'output.write-failed'
  | 'config.invalid'
  | 'internal.invariant';

/** The exit codes an error can carry: bad input or usage, or a bug. */
export type ErrorExitCode = typeof EXIT_CODES.usage | typeof EXIT_CODES.internal;

export class MigsimError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ErrorExitCode;
  constructor(code: ErrorCode, message: string, exitCode: ErrorExitCode = EXIT_CODES.usage) {
    super(message);
    this.name = 'MigsimError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad command-line usage: exit 2. */
export class UsageError extends MigsimError {
  constructor(message: string) {
    super('usage.bad-option', message);
    this.name = 'UsageError';
  }
}

/**
 * A workload file is wrong. The message has the fixed shape
 * `<file>: <path> <what is wrong> (got <value>)`.
 */
export class WorkloadError extends MigsimError {
  readonly file: string;
  readonly path: string;
  constructor(file: string, path: string, problem: string) {
    super('workload.invalid', path ? `${file}: ${path} ${problem}` : `${file}: ${problem}`);
    this.name = 'WorkloadError';
    this.file = file;
    this.path = path;
  }
}

/** A configuration the core cannot simulate (detected while building the guest). */
export class ConfigError extends MigsimError {
  readonly path: string;
  constructor(path: string, problem: string) {
    super('config.invalid', `${path} ${problem}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** A broken internal invariant: a bug in migsim, exit 70. */
export class InvariantError extends MigsimError {
  constructor(message: string) {
    super('internal.invariant', message, EXIT_CODES.internal);
    this.name = 'InvariantError';
  }
}
