/**
 * Hand-built results for the formatter and CSV tests, and spawners for the built CLI (run
 * to the end, or interrupted with SIGINT). Not a test file itself (no `.test.` in the name).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { newCostCounters } from '../../src/core/result-columns.js';
import { newTransportCounters } from '../../src/core/wire/transport.js';
import type { CostCounters, RoundStats, RunResult, RunSummary } from '../../src/core/types.js';

/** The repository root: dist/test/cli/helpers.js -> ../../.. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const ZERO_COSTS: CostCounters = newCostCounters();

const PAGE_BYTES = 4096 + 8;

/** A bulk round, `iterateCount` iterate rounds and a stop-copy, bytes from page counts. */
export function makeRun(
  run: string,
  options: {
    workload?: string;
    seed?: number;
    iterateCount?: number;
    normalPages?: number;
    zeroPages?: number;
    skippedPages?: number;
    unacceptedPages?: number;
    lostPages?: number;
    lostZeroPages?: number;
    savedBytes?: number;
    costs?: Partial<CostCounters>;
    converged?: boolean;
  } = {},
): RunResult {
  const rounds: RoundStats[] = [];
  let cumulativeBytes = 0;
  let startSec = 1;
  const iterateCount = options.iterateCount ?? 2;
  for (let index = 0; index < iterateCount + 2; index++) {
    const kind: RoundStats['kind'] = index === 0 ? 'bulk' : index === iterateCount + 1 ? 'stop-copy' : 'iterate';
    const normalPages = index === 0 ? (options.normalPages ?? 4096) : 100 >> index;
    const zeroPages = index === 0 ? (options.zeroPages ?? 12288) : 0;
    const bytes = normalPages * PAGE_BYTES + zeroPages * 9 + 8;
    cumulativeBytes += bytes;
    const durationSec = bytes / 134217728;
    rounds.push({
      round: index + 1,
      kind,
      startSec,
      durationSec,
      normalPages,
      zeroPages,
      skippedPages: index === 0 ? (options.skippedPages ?? 0) : 0,
      ...newTransportCounters(),
      throttlePct: 0,
      dirtyLimitThrottleUs: 0,
      unacceptedPages: index === 0 ? (options.unacceptedPages ?? 0) : 0,
      bytes,
      cumulativeBytes,
      dirtyPages: kind === 'bulk' ? 0 : 50 >> index,
    });
    startSec += durationSec;
  }
  const last = rounds[rounds.length - 1];
  const summary: RunSummary = {
    workload: options.workload ?? 'tiny',
    run,
    seed: options.seed ?? 1,
    rounds: iterateCount + 1,
    totalBytes: cumulativeBytes,
    totalTimeSec: last.startSec + last.durationSec - 1,
    downtimeSec: last.durationSec,
    converged: options.converged ?? true,
    lostPages: options.lostPages ?? 0,
    lostZeroPages: options.lostZeroPages ?? 0,
    savedBytes: options.savedBytes ?? 0,
    expectedDowntimeSec: 0.0123,
    throttlePct: 0,
    ending: (options.converged ?? true) ? 'converged' : 'forced',
    downtimeOverLimit: false,
    throttleSteps: 0,
    postcopyBytes: 0,
    postcopyRequests: 0,
    blocktimeSec: 0,
    vcpuBlocktimeSecList: '',
    noRollbackSec: 0,
    costs: { ...ZERO_COSTS, ...options.costs },
  };
  return { summary, rounds };
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/migsim.js …args` from the repository root (so fixture paths are
 * `test/fixtures/…`), with stdout and stderr as pipes: never a TTY.
 */
export function migsim(args: readonly string[], env: Record<string, string | undefined> = {}): CliResult {
  // No heartbeat (stderr is a pipe here): a run slowed past 10 s by a loaded machine must
  // not add a line to the stderr a test compares; heartbeat.test.ts turns it on.
  const childEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, MIGSIM_DEBUG: undefined, MIGSIM_HEARTBEAT_SEC: '0', ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  const result = spawnSync(process.execPath, ['bin/migsim.js', ...args], {
    cwd: REPO_ROOT,
    env: childEnv as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

export interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stopMs: number;
}

/**
 * Spawns migsim with `args`, waits until `ready(stdout)` (or `delayMs` when it has no
 * output to wait for), sends SIGINT and waits for the exit (SIGKILL after 15 s).
 */
export async function interrupt(args: string[], ready: ((stdout: string) => boolean) | null, delayMs: number): Promise<Interrupted> {
  const child = spawn(process.execPath, ['bin/migsim.js', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MIGSIM_HEARTBEAT_SEC: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 20_000;
  if (ready !== null) {
    while (!ready(stdout) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(ready(stdout), `ready before the interrupt (stderr: ${stderr})`);
  }
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const sentAt = Date.now();
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  return { code, signal, stdout, stderr, stopMs: Date.now() - sentAt };
}

// eslint-disable-next-line no-control-regex
export const ANSI_RE = /\u001b\[/;
