/**
 * The migsim entry point: the commander program and the ONE catch site (STYLE.md §6.4).
 * bin/migsim.js imports this module, so importing it runs main(); tests import the
 * command modules (./commands/*.ts) or spawn bin/migsim.js, never this file.
 *
 * Exit codes: src/core/exit-codes.ts (0 ok, 1 regression or missed target, 2 usage or
 * input, 3 lost pages, 70 internal error, 130 SIGINT). On SIGINT the commands that
 * simulate (run, check, plot, sweep, calibrate) do so in worker threads and terminate
 * them at once (interrupt.ts); other commands die by Node's default action (the shell
 * reports 128 + 2); outputs are replaced atomically either way.
 * We never call process.exit() (process.exitCode lets stdout drain), except when stdout
 * itself fails (onStdoutError).
 */
import { readFileSync } from 'node:fs';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { MigsimError, UsageError } from '../core/errors.js';
import { EXIT_CODE_HELP, EXIT_CODES } from '../core/exit-codes.js';
import { InterruptedError } from './interrupt.js';
import { escapeControlChars } from '../report/terminal-text.js';
import { parseDuration } from '../workload/units.js';

function packageVersion(): string {
  // dist/src/cli/main.js -> package root, both in the repo and when installed.
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError('Expected an integer >= 0.');
  }
  return seed;
}

function parseTolerance(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(text);
  if (match === null) throw new InvalidArgumentError('Expected a percentage >= 0, such as 0, 0.5 or 2%.');
  return Number(match[1]);
}

function parseDowntimeLimit(text: string): number {
  try {
    const sec = parseDuration(text);
    if (sec > 0 && Number.isFinite(sec)) return sec;
  } catch {
    // the message below says what is expected
  }
  throw new InvalidArgumentError('Expected a duration > 0, such as 300ms or 1s.');
}

function parseHints(text: string): string[] {
  const hints = text
    .split(',')
    .map((hint) => hint.trim())
    .filter((hint) => hint !== '');
  if (hints.length === 0) throw new InvalidArgumentError('Expected a comma list of strategies or labels, or none.');
  return hints;
}

function collectSet(text: string, previous: string[] | undefined): string[] {
  if (text.indexOf('=') <= 0) throw new InvalidArgumentError('Expected key=value, e.g. migration.bandwidth=25Gbit/s.');
  return [...(previous ?? []), text];
}

function collectVary(text: string, previous: string[] | undefined): string[] {
  if (text.indexOf('=') <= 0) throw new InvalidArgumentError('Expected key=a..b:n or key=a,b,c, e.g. migration.bandwidth=1Gbit/s..100Gbit/s:8.');
  return [...(previous ?? []), text];
}

const SWEEP_HELP = `
Axes (--vary, repeatable; the grid is their cartesian product, the last axis varying fastest):
  key=a..b:n   n points from a to b inclusive: geometric when a and b carry a unit other
               than % (1Gbit/s..100Gbit/s:8, 1GiB..1TiB:5, 1000/s..1000000/s:4, 10ms..1s:3; the ends may mix units of one kind: 64MiB/s..1GiB/s:6),
               linear for bare numbers and percentages (seed=1..8:8, 10%..50%:5);
               interior points are rounded to 4 significant digits
  key=a,b,c    a list of values, each as --set key=value would take it
  hints=a,b    not an axis: the runs of every point (as run --hints); none always runs
Output: one CSV row per (point, run): swept columns, summary columns, point, grid_points;
rows in point order, identical for any --jobs. See docs/sweeps.md for Slurm/Kubernetes.`;

const EXIT_CODES_HELP = `
Exit codes:
${EXIT_CODE_HELP.map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`).join('\n')}

Environment: NO_COLOR disables colour, FORCE_COLOR forces it, MIGSIM_DEBUG=1 prints stacks.`;

/** Builds the program; `setExitCode` receives each command's result. */
function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('migsim');
  program
    .description('Live-migration cost simulator: pre-copy rounds, bytes and downtime, with and without guest free-page hints')
    .version(packageVersion(), '-V, --version')
    .option('--no-color', 'no colour in tables (also NO_COLOR=1; output that is not a terminal is never coloured)')
    .option('--debug', 'print a stack trace with errors (also MIGSIM_DEBUG=1)')
    .option('--allow-outside-paths', "let workloads read buddyinfo and trace files outside their own directory (absolute paths, ../, links out)")
    .exitOverride()
    .configureOutput({
      // One line, like every other error: `migsim: unknown option '--sed' (Did you mean …?)`.
      outputError: (text, write) => write(`migsim: ${text.replace(/^error: /, '').replace(/\n(?=\(Did you mean)/, ' ')}`),
    })
    .addHelpText('after', EXIT_CODES_HELP);

  const seedOption = (): Option => new Option('--seed <n>', "override every workload's seed: an integer >= 0 (default: each file's seed, else 1)").argParser(parseSeed);
  const setOption = (): Option =>
    new Option('--set <key=value>', 'override a workload field, repeatable; values take the units of the workload file (e.g. --set migration.bandwidth=25Gbit/s)').argParser(collectSet);

  program
    .command('run')
    .description('simulate workloads: per-round tables (hinted vs unhinted side by side) and a summary')
    .argument('<workload...>', 'workload files (YAML)')
    .addOption(new Option('--hints <list>', 'comma list of strategies (a+b combines) to run against none; "all" = every strategy at default options; "none" = baseline only (default: each file\'s hints)').argParser(parseHints))
    .addOption(seedOption())
    .addOption(setOption())
    .option('--csv <file>', 'write the per-round CSV (all workloads and runs; - for stdout; default: not written)')
    .option('--summary-csv <file>', 'write the per-run summary CSV (- for stdout; default: not written)')
    .option('--html <file>', 'write one self-contained HTML page: the inputs, the summary, interactive charts (Vega inlined, no network) and the per-round table (- for stdout; default: not written)')
    .option('--max-memory <size>', 'refuse workloads whose simulation needs more memory than this size, e.g. 8GiB (default: MIGSIM_MAX_MEMORY, else the machine\'s total memory)')
    .option('--max-events <n>', 'refuse workloads whose simulation is estimated to take more events (writes, churn, trace rows, pages, slots) than this, e.g. 1e11 (default: MIGSIM_MAX_EVENTS, else 3e10: minutes)')
    .option('--jobs <n>', 'runs of a workload (none and each hint run) simulated at once in worker threads, within --max-memory; results identical for any n (default: os.availableParallelism())')
    .option('--json', 'print one JSON document to stdout instead of tables')
    .option('--wide', 'tables as wide as they need: every run\'s rounds side by side and the full summary (default: compact, 100 columns; a row per strategy with more than two runs)')
    .option('-q, --quiet', 'no progress bar (nor heartbeat lines when stderr is not a terminal)')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const options = command.optsWithGlobals();
      const { runCommand } = await import('./commands/run.js');
      const { parseJobs } = await import('./commands/sweep.js');
      setExitCode(
        await runCommand(files, {
          hints: options.hints ?? null,
          seed: options.seed ?? null,
          set: options.set ?? [],
          csv: options.csv ?? null,
          summaryCsv: options.summaryCsv ?? null,
          html: options.html ?? null,
          maxMemory: options.maxMemory ?? null,
          maxEvents: options.maxEvents ?? null,
          jobs: options.jobs === undefined ? null : parseJobs(options.jobs),
          allowOutsidePaths: options.allowOutsidePaths === true,
          version: packageVersion(),
          json: options.json === true,
          wide: options.wide === true,
          color: options.color !== false,
          quiet: options.quiet === true,
        }),
      );
    });

  program
    .command('check')
    .description('regression check of total_bytes per (workload, run, seed) against a baseline CSV')
    .argument('<workload...>', 'workload files (YAML)')
    .requiredOption('--baseline <file>', 'baseline summary CSV (e.g. results/baseline.csv)')
    .addOption(new Option('--tolerance <percent>', 'allowed increase of total_bytes (or of each --metric without its own), in percent (0.5 or 0.5%)').argParser(parseTolerance).default(0))
    .option('--metric <list>', 'summary columns to compare, each with an optional tolerance: total_bytes,downtime_s:5,total_time_s:2% (default: total_bytes)')
    .option('--json', 'print the verdict of every metric as one JSON document instead of tables')
    .option('--update', 'rewrite the baseline with these results (atomically) and exit 0')
    .option('--max-memory <size>', 'refuse workloads whose simulation needs more memory than this size, e.g. 8GiB (default: MIGSIM_MAX_MEMORY, else the machine\'s total memory)')
    .option('--max-events <n>', 'refuse workloads whose simulation is estimated to take more events (writes, churn, trace rows, pages, slots) than this, e.g. 1e11 (default: MIGSIM_MAX_EVENTS, else 3e10: minutes)')
    .addOption(seedOption())
    .addOption(setOption())
    .option('-q, --quiet', 'no progress bar (nor heartbeat lines when stderr is not a terminal)')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const options = command.optsWithGlobals();
      const { checkCommand } = await import('./commands/check.js');
      setExitCode(
        await checkCommand(files, {
          baseline: options.baseline,
          maxMemory: options.maxMemory ?? null,
          maxEvents: options.maxEvents ?? null,
          allowOutsidePaths: options.allowOutsidePaths === true,
          tolerance: options.tolerance,
          metric: options.metric ?? null,
          json: options.json === true,
          update: options.update === true,
          set: options.set ?? [],
          seed: options.seed ?? null,
          color: options.color !== false,
          quiet: options.quiet === true,
        }),
      );
    });

  program
    .command('plot')
    .description('draw SVG charts (no browser) from workloads (simulated as run does) or from CSVs of run --csv, run --summary-csv or sweep')
    .argument('<input...>', 'workload files (YAML) and/or CSV files (*.csv)')
    .option('-o, --out-dir <dir>', 'directory for the .svg files (created if missing)', 'plots')
    .option('--x <column>', 'summary/sweep CSV column to plot total bytes and downtime against (default: the first parameter column that varies, else seed, else workload)')
    .addOption(new Option('--downtime-limit <duration>', 'draw this downtime limit on the downtime charts of a summary/sweep CSV, e.g. 300ms (a workload input knows its own)').argParser(parseDowntimeLimit))
    .addOption(new Option('--hints <list>', 'for workload inputs: strategies to run against none (as run --hints)').argParser(parseHints))
    .addOption(seedOption())
    .addOption(setOption())
    .option('--max-memory <size>', 'refuse workloads whose simulation needs more memory than this size, e.g. 8GiB (default: MIGSIM_MAX_MEMORY, else the machine\'s total memory)')
    .option('--max-events <n>', 'refuse workloads whose simulation is estimated to take more events (writes, churn, trace rows, pages, slots) than this, e.g. 1e11 (default: MIGSIM_MAX_EVENTS, else 3e10: minutes)')
    .option('-q, --quiet', 'no progress bar (nor heartbeat lines when stderr is not a terminal)')
    .addHelpText(
      'after',
      '\nCharts per workload: bytes per round stacked by kind (linear, and log with the kinds side by side),\ncumulative bytes over simulated time with every sync and the switchover marked, pages dirtied per\nround. With more than two runs, or a summary CSV: bytes saved against none, downtime against the\nlimit and the guest\'s costs per strategy; a sweep CSV: total bytes and downtime against the swept\nparameter, one line per run, each point shaped by how its run ended (postcopy runs add blocktime\nand the no-rollback window). Prints the files written, one per line.',
    )
    .action(async (inputs: string[], _options: unknown, command: Command) => {
      const options = command.optsWithGlobals();
      const { plotCommand } = await import('./commands/plot.js');
      setExitCode(
        await plotCommand(inputs, {
          outDir: options.outDir,
          x: options.x ?? null,
          downtimeLimitSec: options.downtimeLimit ?? null,
          hints: options.hints ?? null,
          seed: options.seed ?? null,
          set: options.set ?? [],
          maxMemory: options.maxMemory ?? null,
          maxEvents: options.maxEvents ?? null,
          allowOutsidePaths: options.allowOutsidePaths === true,
          quiet: options.quiet === true,
        }),
      );
    });

  program
    .command('validate')
    .description('check workload files without simulating')
    .argument('<file...>', 'workload files (YAML)')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const { validateCommand } = await import('./commands/validate.js');
      setExitCode(validateCommand(files, { allowOutsidePaths: command.optsWithGlobals().allowOutsidePaths === true }));
    });

  program
    .command('record')
    .description('record the running kernel\'s page allocations and frees (kmem:mm_page_alloc/free via tracefs) as a migsim trace; needs root')
    .argument('[command...]', 'record while this command runs (after --), e.g. -- make -j8')
    .requiredOption('--out <file>', 'the trace to write (gzip-compressed if it ends in .gz)')
    .option('--duration <time>', 'record for this long (e.g. 10s), or stop the command after it')
    .option('--tracefs <dir>', 'where tracefs is mounted', '/sys/kernel/tracing')
    .action(async (command: string[], options: { out: string; duration?: string; tracefs: string }) => {
      const { recordCommand } = await import('./commands/record.js');
      setExitCode(await recordCommand({ out: options.out, duration: options.duration ?? null, tracefs: options.tracefs, command }));
    });

  program
    .command('buddyinfo')
    .description("turn a /proc/buddyinfo (default: this machine's) into an initial guest state (guest.initial.buddyinfo)")
    .argument('[file]', 'a /proc/buddyinfo snapshot', '/proc/buddyinfo')
    .option('--out <file>', 'where to save the snapshot the workload will name', 'buddyinfo.txt')
    .option('--memory <size>', 'guest memory (default: MemTotal of --meminfo, rounded up to 4 MiB)')
    .option('--meminfo <file>', 'where MemTotal comes from', '/proc/meminfo')
    .action(async (file: string, options: { out: string; memory?: string; meminfo: string }) => {
      const { buddyinfoCommand } = await import('./commands/buddyinfo.js');
      setExitCode(buddyinfoCommand(file, { out: options.out, memory: options.memory ?? null, meminfo: options.meminfo }));
    });

  program
    .command('dirty-rate')
    .description("what QEMU's calc-dirty-rate would report for a workload, in each mode (page-sampling, dirty-bitmap, dirty-ring)")
    .argument('<workload>', 'a workload file (YAML)')
    .option('--calc-time <time>', 'calc-time: the measurement period', '1s')
    .option('--at <time>', "when the measurement starts (default: the workload's migration.start)")
    .option('--sample-pages <n>', 'page-sampling: sampled pages per GiB', '512')
    .option('--ring-size <n>', "dirty-ring: entries per vCPU ring (default: the workload's migration.tracking.ringSize)")
    .option('--json', 'print the counts as one JSON document')
    .action(async (file: string, options: { calcTime: string; at?: string; samplePages: string; ringSize?: string; json?: boolean }) => {
      const { dirtyRateCommand } = await import('./commands/dirty-rate.js');
      setExitCode(dirtyRateCommand(file, { ...options, json: options.json === true }));
    });

  program
    .command('workload')
    .description('make workload files from what QEMU measured')
    .command('from-dirty-rate')
    .description("a workload whose writers reproduce QEMU's query-dirty-rate (QMP or virsh qemu-monitor-command --pretty output)")
    .argument('<file>', 'the reply of query-dirty-rate (JSON)')
    .requiredOption('--memory <size>', 'guest memory, e.g. 16GiB')
    .option('--used <size>', 'memory in use (default: half of --memory, marked as a guess in the file)')
    .option('--working-set <size>', 'memory the writers spread over (default: all of --used)')
    .option('--page-size <size>', 'guest page size', '4KiB')
    .option('--ring-size <n>', 'dirty-ring mode: entries per vCPU ring (accel kvm,dirty-ring-size)', '4096')
    .option('--name <name>', "the workload's name (default: --out's base name, else the measurement file's)")
    .option('--out <file>', 'write the YAML here (atomically; default: stdout)')
    .action(async (file: string, options: { memory: string; used?: string; workingSet?: string; pageSize: string; ringSize: string; name?: string; out?: string }) => {
      const { fromDirtyRateCommand } = await import('./commands/dirty-rate.js');
      setExitCode(fromDirtyRateCommand(file, options));
    });

  program
    .command('calibrate')
    .description('reproduce real QEMU migrations (a calibration directory, or one query-migrate log / virsh domjobinfo with a workload) and print measured vs simulated')
    .argument('[dir]', "calibration data: runs named <scenario>_hints-<on|off>_rep<k> (default: this package's validation/qemu10-tcg-1gib)")
    .option('--workloads <dir>', "directory of <scenario>.yaml workloads (default: this package's workloads/qemu)")
    .option('--log <file>', 'instead of <dir>: one migration as query-migrate replies, one JSON line per poll (see README)')
    .option('--domjobinfo <file>', 'instead of or beside --log: virsh domjobinfo output (one block per poll, or --completed)')
    .option('--workload <file>', 'with --log/--domjobinfo: the workload describing that guest and migration')
    .option('--run <label>', "with --log/--domjobinfo: the simulated run to compare with ('none' or a hint label)", 'none')
    .addOption(
      new Option('--set <key=value>', "with --log/--domjobinfo: override a field of --workload, repeatable, as run --set (e.g. --set migration.downtimeLimit=300ms)").argParser(collectSet),
    )
    .option('--csv <file>', 'write the comparison table as CSV (- for stdout, instead of the tables)')
    .option('--json', 'print every comparison (each repetition, the mean, the simulation, the error and target) and derived value as one JSON document instead of the tables')
    .option('--max-memory <size>', 'refuse workloads whose simulation needs more memory than this size, e.g. 8GiB (default: MIGSIM_MAX_MEMORY, else the machine\'s total memory)')
    .option('--max-events <n>', 'refuse workloads whose simulation is estimated to take more events (writes, churn, trace rows, pages, slots) than this, e.g. 1e11 (default: MIGSIM_MAX_EVENTS, else 3e10: minutes)')
    .option('-q, --quiet', 'no progress bar (nor heartbeat lines when stderr is not a terminal)')
    .addHelpText('after', '\nExit 1 when a calibration target of <dir> is missed (a --log comparison has no targets).')
    .action(async (dir: string | undefined, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals();
      if (options.log !== undefined || options.domjobinfo !== undefined) {
        if (dir !== undefined) throw new UsageError('give either <dir> or --log/--domjobinfo, not both');
        if (options.workload === undefined) throw new UsageError('--log/--domjobinfo needs --workload <file>: the guest and migration to simulate');
        if (options.json === true) throw new UsageError('--json is for a calibration directory; with --log/--domjobinfo use --csv');
        const { calibrateLogCommand } = await import('./commands/calibrate-log.js');
        setExitCode(
          await calibrateLogCommand({
            log: options.log ?? null,
            domjobinfo: options.domjobinfo ?? null,
            workload: options.workload,
            run: options.run,
            set: options.set ?? [],
            csv: options.csv ?? null,
            color: options.color !== false,
            quiet: options.quiet === true,
            maxMemory: options.maxMemory ?? null,
            maxEvents: options.maxEvents ?? null,
          }),
        );
        return;
      }
      if (options.set !== undefined) throw new UsageError('--set is for --log/--domjobinfo: a calibration directory keeps its workloads as they are');
      const { calibrateCommand, defaultCalibrationData } = await import('./commands/calibrate.js');
      setExitCode(
        await calibrateCommand(dir ?? defaultCalibrationData(), {
          workloads: options.workloads ?? null,
          csv: options.csv ?? null,
          json: options.json === true,
          color: options.color !== false,
          quiet: options.quiet === true,
          maxMemory: options.maxMemory ?? null,
          maxEvents: options.maxEvents ?? null,
        }),
      );
    });

  program
    .command('sweep')
    .description('simulate a grid of workload variants on all cores and write one tidy CSV (a row per point and run)')
    .argument('<workload>', 'workload file (YAML)')
    .addOption(new Option('--vary <key=spec>', 'an axis of the grid, repeatable: key=a..b:n or key=a,b,c; hints=<list> names the runs of every point').argParser(collectVary))
    .addOption(seedOption())
    .addOption(setOption())
    .option('--jobs <n>', 'worker threads (default: os.availableParallelism())')
    .option('--shard <i/n>', 'run only the points with index % n == i - 1 (1-based i, e.g. $SLURM_ARRAY_TASK_ID/8)')
    .option('--csv <file>', 'the output CSV (- for stdout)', '-')
    .option('--json', 'print the sweep as one JSON document (points, their axis values, each run\'s summary) instead of the CSV on stdout')
    .option('--max-memory <size>', 'refuse sweeps whose --jobs largest points together need more memory than this size, e.g. 8GiB (default: MIGSIM_MAX_MEMORY, else the machine\'s total memory)')
    .option('--max-events <n>', 'refuse workloads whose simulation is estimated to take more events (writes, churn, trace rows, pages, slots) than this, e.g. 1e11 (default: MIGSIM_MAX_EVENTS, else 3e10: minutes)')
    .option('-q, --quiet', 'no progress bar (nor heartbeat lines when stderr is not a terminal)')
    .addHelpText('after', SWEEP_HELP)
    .action(async (file: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals();
      const { sweepCommand, parseJobs } = await import('./commands/sweep.js');
      setExitCode(
        await sweepCommand(file, {
          vary: options.vary ?? [],
          set: options.set ?? [],
          seed: options.seed ?? null,
          jobs: options.jobs === undefined ? null : parseJobs(options.jobs),
          shard: options.shard ?? null,
          csv: options.csv,
          json: options.json === true,
          maxMemory: options.maxMemory ?? null,
          maxEvents: options.maxEvents ?? null,
          allowOutsidePaths: options.allowOutsidePaths === true,
          quiet: options.quiet === true,
        }),
      );
    });

  program
    .command('merge')
    .description('combine the shard CSVs of one sweep (checks columns, duplicate and missing points)')
    .argument('<csv...>', 'shard CSVs written by migsim sweep --shard')
    .option('--csv <file>', 'the merged CSV (- for stdout)', '-')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const options = command.optsWithGlobals();
      const { mergeCommand } = await import('./commands/merge.js');
      setExitCode(mergeCommand(files, { csv: options.csv }));
    });

  return program;
}

/** Runs the CLI on `argv` (process.argv shape) and sets process.exitCode. */
async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug') || process.env.MIGSIM_DEBUG === '1';
  process.stdout.on('error', onStdoutError);
  try {
    let exitCode = 0;
    await buildProgram((code) => {
      exitCode = code;
    }).parseAsync(argv);
    process.exitCode = exitCode;
  } catch (error) {
    process.exitCode = reportError(error, debug);
  }
}

/**
 * `migsim run … | head` closes stdout early: EPIPE is ignored (the reader has what it
 * wanted). Any other error (ENOSPC on /dev/full, EIO, EBADF) is one line and exit 2, at
 * once: the one exception to "never process.exit()", since nothing more can reach stdout
 * and the work left (simulating) would be for nothing. Outputs to files are written
 * atomically, so none is half-written by stopping here.
 */
function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') return;
  process.stderr.write(`migsim: cannot write to stdout (${error.code ?? error.message})\n`);
  process.exit(EXIT_CODES.usage);
}

/**
 * Longest error message printed: values are quoted at most 200 characters and contents
 * 40, so a longer line means something quoted too much; its middle goes.
 */
const MAX_ERROR_CHARS = 1000;

function clipLine(text: string): string {
  if (text.length <= MAX_ERROR_CHARS) return text;
  const half = (MAX_ERROR_CHARS - 5) / 2;
  return `${text.slice(0, Math.ceil(half))} ... ${text.slice(text.length - Math.floor(half))}`;
}

/** Prints `migsim: <message>` (and the stack with --debug) and returns the exit code. */
function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message through outputError (or the help).
    return error.exitCode === 0 ? 0 : EXIT_CODES.usage;
  }
  if (error instanceof InterruptedError) {
    process.stderr.write(`migsim: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof MigsimError) {
    const internal = error.exitCode === EXIT_CODES.internal ? 'internal error: ' : '';
    // Messages quote file paths and workload names: no control character reaches the terminal.
    process.stderr.write(`migsim: ${internal}${clipLine(escapeControlChars(error.message))}\n`);
    if (debug) printStack(error);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`migsim: internal error: ${clipLine(escapeControlChars(message))}\n`);
  if (debug) printStack(error);
  else process.stderr.write('migsim: this is a bug; rerun with --debug for a stack trace\n');
  return EXIT_CODES.internal;
}

function printStack(error: unknown): void {
  let current: unknown = error;
  let prefix = '';
  while (current instanceof Error) {
    process.stderr.write(`${prefix}${current.stack ?? current.message}\n`);
    current = current.cause;
    prefix = 'caused by: ';
  }
}

await main(process.argv);
