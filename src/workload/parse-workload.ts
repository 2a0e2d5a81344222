/**
 * The workload parser: YAML text in, a `ParsedWorkload` out (docs/model.md §8, §8.1): every
 * field the file itself gives, resolved and validated, and the paths of the files it
 * names (buddyinfo, traces). Pure — no file access; the caller passes the text, the file
 * name for messages and the file's directory for `buddyinfo` and `trace` paths.
 * src/io/read-workload.ts reads the named files and completes it into a `Workload`
 * (complete-workload.ts): the only way a file becomes one. `--set`, `--hints` and `--seed`
 * are applied here so they are validated exactly like the file. Every problem is
 * collected; one WorkloadError names the first (and lists the others on the same line).
 *
 * Choices where docs/model.md §1–§9 are silent (listed in its §10.1):
 * - A YAML null (`key:` with nothing after it) means "not given": the default applies.
 *   `none` switches off an optional rule or limit (`maxRounds: none`, `maxTotal: none`,
 *   `minDirtyPages: none`, `maxDuration: none`, `switchoverBandwidth: none`, `pcp: none`).
 * - No `phases` means one idle phase that runs to the end; `phases: []` is an error.
 * - `writes[].pattern` defaults to `uniform`.
 * - `pageblockOrder` defaults to min(9, maxOrder) and merge-notifier's `order` to
 *   min(9, maxOrder), so a small `maxOrder` alone is valid.
 * - With `buddyinfo`, `initial.usedBytes` is null here: the used size is memory minus the
 *   free memory of the file, known only once it is read, and the checks that need it
 *   (freeDirty, workingSet) are made by complete-workload.ts; unaccepted's acceptedAtBoot
 *   must then be given.
 * - Sizes the page-granular model consumes (used, freeDirty, workingSet, extent, clearChunk,
 *   granularity) must be whole pages.
 */

import { UsageError, WorkloadError } from '../core/errors.js';
import { holdsVcpu } from '../core/hint-driver-hold.js';
import type {
  AutoConverge,
  ChurnStream,
  GuestConfig,
  InitialRegion,
  InitialState,
  MigrationConfig,
  MultifdCompressionConfig,
  MultifdCompressionMethod,
  MultifdConfig,
  HostConfig,
  XbzrleConfig,
  Phase,
  Preset,
  TrackingConfig,
  WireConfig,
  Workload,
  WorkingSetPlacement,
  WriteStream,
} from '../core/types.js';
import { applyHintNames, applySet } from './apply-overrides.js';
import { FieldReader, IssueList, type WorkloadIssue, childPath, clipText, formatValue, isMapping, known } from './field-reader.js';
import { type HintContext, STRATEGY_NAMES, parseHints } from './parse-hints.js';
import { readYaml } from './read-yaml.js';
import { DIRTY_LIMIT_KEYS, ENDING_KEYS, parseEndings, POSTCOPY_KEYS, POSTCOPY_START_KEYS } from './parse-endings.js';
import {
  type Bounds,
  formatBytes,
  parseBandwidth,
  parseByteRate,
  parseDuration,
  parseInteger,
  parseNumber,
  parsePercent,
  parseRate,
  parseSecPerGiB,
  parseSize,
  parseSizeOrMultiple,
  positive,
} from './units.js';

/** `guest.initial` as the file gives it: the buddyinfo file named, not read. */
export interface ParsedInitialState extends Omit<InitialState, 'usedBytes' | 'buddyinfoFreeBlocks'> {
  /** null with `buddyinfo`: memory minus the file's free memory, known once it is read. */
  usedBytes: number | null;
  /** Resolved path of the `buddyinfo` file, or null. */
  buddyinfoPath: string | null;
}

export interface ParsedGuestConfig extends Omit<GuestConfig, 'initial'> {
  initial: ParsedInitialState;
}

/** A phase as the file gives it: the trace file named, not read. */
export interface ParsedPhase extends Omit<Phase, 'trace'> {
  /** Resolved path of the phase's `trace` file, or null. */
  tracePath: string | null;
}

/** Something valid but probably not what was meant (a value clamped), for one warning line. */
export interface WorkloadWarning {
  /** The field, as in error messages: `migration.bandwidth`. */
  field: string;
  /** What happened, after the field: `200 Gbit/s is above migration.linkBandwidth …`. */
  problem: string;
}

/** What the parser returns: a Workload but for the files it names (complete-workload.ts). */
export interface ParsedWorkload extends Omit<Workload, 'guest' | 'phases'> {
  guest: ParsedGuestConfig;
  phases: ParsedPhase[];
  /** Values the parser changed or that change nothing; the CLI prints each once. */
  warnings: WorkloadWarning[];
}

/** Command-line overrides, applied before validation. */
export interface ParseWorkloadOptions {
  /** `--set key=value` assignments, in order. */
  sets?: readonly string[];
  /** `--hints`: strategy names at default options; `[]` or `['none']` = baseline only; null = the file's. */
  hints?: readonly string[] | null;
  /** `--seed`: overrides `seed`; null = the file's. */
  seed?: number | null;
  /** Directory of the workload file; relative `buddyinfo` and `trace` paths are joined to it. */
  baseDir?: string;
}

const TOP_KEYS = ['name', 'seed', 'description', 'guest', 'phases', 'migration', 'hints', 'host'] as const;
const HOST_KEYS = ['cores', 'otherLoad', 'otherSessions', 'otherCpu'] as const;
const GUEST_KEYS = [
  'memory',
  'pageSize',
  'maxOrder',
  'pageblockOrder',
  'initOnAlloc',
  'initOnFree',
  'vcpus',
  'minFree',
  'zeroRate',
  'firstTouchRate',
  'pcp',
  'initial',
  'preempt',
] as const;
const PCP_KEYS = ['high', 'batch'] as const;
const INITIAL_KEYS = ['used', 'freeDirty', 'fragmentation', 'layout', 'freeListOrder', 'regions', 'buddyinfo'] as const;
const REGION_KEYS = ['start', 'size', 'holds'] as const;
const PHASE_KEYS = ['duration', 'writes', 'reads', 'churn', 'trace'] as const;
// A read stream draws pages as a writer does; it changes no byte, so no cpuShare, bytesPerWrite or compressRatio.
const READ_KEYS = ['rate', 'workingSet', 'extent', 'pattern', 'skew', 'arrivals', 'vcpu'] as const;
const WRITE_KEYS = ['rate', 'workingSet', 'extent', 'pattern', 'skew', 'arrivals', 'vcpu', 'cpuShare', 'bytesPerWrite', 'compressRatio', 'placement', 'catchUp'] as const;
const CHURN_KEYS = ['rate', 'order', 'lifetime', 'fill', 'arrivals', 'vcpu'] as const;
const MIGRATION_KEYS = [
  'preset',
  'start',
  'bandwidth',
  'linkBandwidth',
  'switchoverBandwidth',
  'estimate',
  'scanRate',
  'sendCost',
  'loadCost',
  'zeroLoadCost',
  'rateSlot',
  'maxWait',
  'syncTime',
  'downtimeLimit',
  'switchoverTime',
  'maxRounds',
  'maxDuration',
  'maxTotal',
  'minDirtyPages',
  'tracking',
  'wire',
  'autoConverge',
  'multifd',
  'xbzrle',
  // Only to refuse it: compression is multifd's (migration.multifd.compression).
  'compression',
  ...ENDING_KEYS,
] as const;
const TRACKING_KEYS = [
  'mode',
  'clear',
  'clearChunk',
  'granularity',
  'faultCost',
  'pmlEntries',
  'ringSize',
  'costsSlowGuest',
] as const;
const WIRE_KEYS = ['pageHeader', 'zeroPage', 'eos', 'deviceState', 'zeroPageDetection', 'flushIovecs', 'socketBuffers'] as const;
const XBZRLE_KEYS = ['cacheSize', 'encodeCost'] as const;
const MULTIFD_KEYS = ['channels', 'packetPages', 'zeroPageDetection', 'channelRate', 'compression'] as const;
const COMPRESSION_KEYS = ['method', 'level', 'threadRate', 'compressRatio', 'freeCompressRatio'] as const;
const AUTO_CONVERGE_KEYS = ['enabled', 'initial', 'increment', 'max', 'triggerThreshold', 'tailslow'] as const;

/** Every mapping's known fields, by where they sit: docs/model.md §8.1 and §10.3 must name each (test/docs.test.ts). */
export const WORKLOAD_FIELD_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': TOP_KEYS,
  host: HOST_KEYS,
  guest: GUEST_KEYS,
  'guest.pcp': PCP_KEYS,
  'guest.initial': INITIAL_KEYS,
  'guest.initial.regions[]': REGION_KEYS,
  'phases[]': PHASE_KEYS,
  'phases[].reads[]': READ_KEYS,
  'phases[].writes[]': WRITE_KEYS,
  'phases[].churn[]': CHURN_KEYS,
  migration: MIGRATION_KEYS,
  'migration.tracking': TRACKING_KEYS,
  'migration.wire': WIRE_KEYS,
  'migration.xbzrle': XBZRLE_KEYS,
  'migration.multifd': MULTIFD_KEYS,
  'migration.multifd.compression': COMPRESSION_KEYS,
  'migration.autoConverge': AUTO_CONVERGE_KEYS,
  'migration.postcopy': POSTCOPY_KEYS,
  'migration.postcopy.start': POSTCOPY_START_KEYS,
  'migration.dirtyLimit': DIRTY_LIMIT_KEYS,
};


const KiB = 2 ** 10;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Per-preset switchover rules (docs/model.md §3.2 step 4); a field set in the file wins. */
const PRESET_RULES: Readonly<
  Record<Preset, { maxRounds: number | null; maxTotalTimesMemory: number | null; minDirtyPages: number | null }>
> = {
  // QEMU has no round cap: only downtime, or the caller's limits.
  qemu: { maxRounds: null, maxTotalTimesMemory: null, minDirtyPages: null },
  pass: { maxRounds: 30, maxTotalTimesMemory: null, minDirtyPages: null },
  // libxenguest simple_precopy_policy: < 50 dirty pages or 5 rounds (SPP_MAX_ITERATIONS).
  xen: { maxRounds: 5, maxTotalTimesMemory: null, minDirtyPages: 50 },
  // libxc xc_domain_save: 30 iterations, 3x memory sent, < 50 dirty pages.
  'xen-legacy': { maxRounds: 30, maxTotalTimesMemory: 3, minDirtyPages: 50 },
};

/** Most vCPUs: QEMU q35's max_cpus (4096 since QEMU 9.0), also x86 KVM_MAX_VCPUS. */
export const MAX_VCPUS = 4096;

/** The allocator's links are Int32: pfns fit in 2^31 - 1 (also cli/memory-limit.ts). */
const MAX_GUEST_PAGES = 2 ** 31 - 1;

/** Most issues listed in one message; the CLI prints one line. */
const MAX_ISSUES_SHOWN = 5;

/**
 * Parses and validates a workload file.
 * @param text the file's contents (YAML or JSON)
 * @param file the name used in messages and for the default `name` (basename without extension)
 * @throws WorkloadError for YAML syntax errors (with the line), unknown fields and bad values;
 *   UsageError for a bad `--hints` or `--seed`.
 */
export function parseWorkload(text: string, file: string, options: ParseWorkloadOptions = {}): ParsedWorkload {
  const doc = readYamlMapping(text, file);
  for (const assignment of options.sets ?? []) applySet(doc, assignment, file);
  if (options.hints) applyHintNames(doc, options.hints, STRATEGY_NAMES);
  if (options.seed !== undefined && options.seed !== null && !(Number.isSafeInteger(options.seed) && options.seed >= 0)) {
    throw new UsageError(`--seed must be an integer >= 0 (got ${options.seed})`);
  }

  const issues = new IssueList();
  const root = new FieldReader(issues, '', doc, TOP_KEYS);
  const baseDir = options.baseDir;
  const name = root.string('name', defaultName(file));
  const fileSeed = root.quantity('seed', (v) => parseInteger(v, { min: 0 }), 1);
  const description = root.string('description', null);
  const guest = parseGuest(root.child('guest', GUEST_KEYS), baseDir);
  const phases = parsePhases(root, guest, baseDir);
  const warnings: WorkloadWarning[] = [];
  const migration = parseMigration(root.child('migration', MIGRATION_KEYS), guest, phases, warnings);
  const hintContext: HintContext = {
    memoryBytes: guest.memoryBytes,
    pageSizeBytes: guest.pageSizeBytes,
    maxOrder: guest.maxOrder,
    pageblockOrder: guest.pageblockOrder,
    usedBytes: guest.initial.usedBytes,
  };
  const hints = parseHints(root, hintContext);
  const host = parseHost(root);

  if (issues.issues.length > 0) throwIssues(file, markSetIssues(issues.issues, options.sets ?? []));
  return {
    name,
    seed: options.seed ?? fileSeed,
    description,
    guest,
    phases,
    migration,
    hints,
    host,
    warnings,
  };
}

/** Most host cores and other-load threads (a bound on input, far above any host). */
const MAX_HOST_THREADS = 65536;

/**
 * `host:` (docs/model.md §10.2c): absent, the guest's hint work never waits for a core (every
 * workload before it); given, `cores` (an integer, or `unlimited`), `otherLoad` (the
 * other jobs' load average, default 0), `otherSessions` (the sessions they run in: CFS
 * autogroup; absent, each thread on its own) and `otherCpu` (cores the other jobs keep busy,
 * measured, below `cores`; absent, 0).
 */
function parseHost(root: FieldReader): Workload['host'] {
  if (!root.has('host')) return null;
  const h = root.child('host', HOST_KEYS);
  const cores = h.quantity('cores', (v) => (v === 'unlimited' ? Infinity : parseInteger(v, { min: 1, max: MAX_HOST_THREADS })));
  const otherLoad = h.quantity('otherLoad', (v) => parseNumber(v, { min: 0, max: MAX_HOST_THREADS }), 0);
  const host: HostConfig = { cores, otherLoad };
  if (h.has('otherSessions')) host.otherSessions = h.quantity('otherSessions', (v) => parseInteger(v, { min: 1, max: MAX_HOST_THREADS }));
  if (h.has('otherCpu')) {
    // What the other jobs take must leave the migration some of the host.
    host.otherCpu = h.quantity('otherCpu', (v) => parseNumber(v, { min: 0, max: MAX_HOST_THREADS }));
    if (host.otherCpu >= cores) h.fail('otherCpu', `must be below host.cores, ${cores}`);
  }
  return host;
}

/**
 * Issues at a field a `--set` gave (or inside it) say so: the value came from the command
 * line, not from the file the message names.
 */
function markSetIssues(list: readonly WorkloadIssue[], sets: readonly string[]): WorkloadIssue[] {
  if (sets.length === 0) return [...list];
  const keys = sets.map((assignment) => assignment.slice(0, Math.max(0, assignment.indexOf('='))).trim());
  return list.map((issue) => {
    const key = keys.find((k) => k !== '' && (issue.path === k || issue.path.startsWith(`${k}.`) || issue.path.startsWith(`${k}[`)));
    return key === undefined ? issue : { path: issue.path, problem: `${issue.problem} (from --set ${clipText(key, 80)})` };
  });
}

function throwIssues(file: string, list: readonly WorkloadIssue[]): never {
  const [first, ...rest] = list;
  const parts = [first.problem];
  for (const issue of rest.slice(0, MAX_ISSUES_SHOWN - 1)) {
    parts.push(issue.path ? `${issue.path} ${issue.problem}` : issue.problem);
  }
  if (rest.length > MAX_ISSUES_SHOWN - 1) parts.push(`and ${rest.length - (MAX_ISSUES_SHOWN - 1)} more`);
  throw new WorkloadError(file, first.path, parts.join('; '));
}

/** YAML text to a plain mapping; syntax errors name their line. */
function readYamlMapping(text: string, file: string): Record<string, unknown> {
  const result = readYaml(text);
  if (!result.ok) {
    throw new WorkloadError(file, '', result.line !== null ? `line ${result.line}: ${result.message}` : result.message);
  }
  if (result.empty) {
    throw new WorkloadError(file, '', 'is empty (a workload needs at least guest.memory and guest.initial.used)');
  }
  if (!isMapping(result.value)) {
    throw new WorkloadError(file, '', `must be a YAML mapping of workload fields (got ${formatValue(result.value)})`);
  }
  return result.value;
}

/** `workloads/web-16g.yaml` → `web-16g`. */
function defaultName(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  const name = dot > 0 ? base.slice(0, dot) : base;
  return name || 'workload';
}

/** A path from the file, joined to the file's directory unless absolute. */
function resolvePath(baseDir: string | undefined, path: string): string {
  if (!baseDir || path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return path;
  return `${baseDir.replace(/[\\/]+$/, '')}/${path}`;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && Math.log2(n) % 1 === 0;
}

const integer = (bounds: Bounds) => (v: unknown) => parseInteger(v, bounds);
/** A size no larger than `max` bytes. */
function sizeAtMost(max: number): (v: unknown) => number {
  return (v) => {
    const n = parseSize(v);
    if (n > max) throw new Error(`must be at most ${formatBytes(max)}`);
    return n;
  };
}
/**
 * migration.wire.socketBuffers under the qemu preset: tcp_wmem's maximum (4 MiB, the send
 * buffer QEMU's source socket reached) plus the most the destination's receive queue held
 * (validation/qemu10-tcg-socket-buffers).
 */
const QEMU_SOCKET_BUFFER_BYTES = 4 * MiB + 861510;
/** More than any TCP autotuning gives (tcp_rmem's 32 MiB maximum twice over); bounds the pipeline's ring. */
const MAX_SOCKET_BUFFER_BYTES = 64 * MiB;

/** Flags `key` unless its byte count is a whole number of pages. */
function requirePages(r: FieldReader, key: string, bytes: number, pageSizeBytes: number): void {
  if (known(bytes, pageSizeBytes) && bytes % pageSizeBytes !== 0) {
    r.fail(key, `must be a multiple of guest.pageSize (${formatBytes(pageSizeBytes)})`);
  }
}

function parseGuest(g: FieldReader, baseDir: string | undefined): ParsedGuestConfig {
  // An invalid pageSize or memory reads as NaN, so the checks that depend on it stay quiet.
  const pageSizeBytes = g.quantity(
    'pageSize',
    (v) => {
      const bytes = parseSize(v);
      if (!isPowerOfTwo(bytes)) throw new Error('must be a power of two');
      return bytes;
    },
    4 * KiB,
  );
  // MAX_PAGE_ORDER 10 (4 MiB blocks with 4 KiB pages); 20 orders is 4 GiB, beyond any kernel.
  const maxOrder = g.quantity('maxOrder', integer({ min: 0, max: 20 }), 10);
  // pageblock_order 9 (2 MiB), HPAGE_PMD_ORDER on x86-64.
  const pageblockOrder = g.quantity(
    'pageblockOrder',
    integer({ min: 0, max: maxOrder, maxName: 'guest.maxOrder' }),
    Math.min(9, maxOrder),
  );
  const blockBytes = pageSizeBytes * 2 ** maxOrder;
  const memoryBytes = g.quantity('memory', (v) => {
    const bytes = positive(parseSize)(v);
    if (known(pageSizeBytes) && bytes % pageSizeBytes !== 0) {
      throw new Error(`must be a multiple of guest.pageSize (${formatBytes(pageSizeBytes)})`);
    }
    if (known(blockBytes) && bytes % blockBytes !== 0) {
      throw new Error(`must be a multiple of the maxOrder block (pageSize x 2^maxOrder = ${formatBytes(blockBytes)})`);
    }
    return bytes;
  });
  const minFreeBytes = g.quantity('minFree', parseSize, NaN);
  if (known(minFreeBytes, memoryBytes) && minFreeBytes > memoryBytes) {
    g.fail('minFree', `must be at most guest.memory (${formatBytes(memoryBytes)})`);
  }
  // QEMU's q35 machine takes up to 4096 vCPUs (max_cpus since 9.0), as KVM_MAX_VCPUS on
  // x86; the engine keeps per-vCPU buffers, so an unbounded count is an unbounded allocation.
  const vcpus = g.quantity('vcpus', integer({ min: 1, max: MAX_VCPUS }), 1);
  return {
    memoryBytes,
    pageSizeBytes,
    maxOrder,
    pageblockOrder,
    initOnAlloc: g.bool('initOnAlloc', true),
    initOnFree: g.bool('initOnFree', false),
    vcpus,
    minFreeBytes: g.has('minFree') ? minFreeBytes : null,
    // Assumptions for a KVM guest; the calibration's TCG guest measured about 2.7 and 0.22 GB/s.
    zeroRateBytesPerSec: g.quantity('zeroRate', positive(parseByteRate), 8 * GiB),
    firstTouchRateBytesPerSec: g.quantity('firstTouchRate', positive(parseByteRate), 1 * GiB),
    pcp: parsePcp(g, memoryBytes / pageSizeBytes, vcpus),
    initial: parseInitial(g.child('initial', INITIAL_KEYS), memoryBytes, pageSizeBytes, baseDir),
    // Only when given (absent: voluntary, types.ts), so workloads without it resolve as before.
    ...(g.has('preempt') ? { preempt: g.choice('preempt', ['none', 'voluntary', 'full', 'lazy'] as const, 'voluntary') } : {}),
  };
}

/**
 * The per-CPU lists of all vCPUs together cannot hold more than the guest's pages (Linux
 * sizes pcp->high from the zone's pages divided among the CPUs, zone_highsize()); the
 * engine keeps a ring of high + batch entries per vCPU, so this also bounds its memory.
 */
function parsePcp(g: FieldReader, totalPages: number, vcpus: number): GuestConfig['pcp'] {
  if (!g.has('pcp') || g.raw('pcp') === 'none') return null;
  const p = g.child('pcp', PCP_KEYS);
  if (!isMapping(g.raw('pcp'))) return null;
  const perVcpu = known(totalPages, vcpus) ? Math.floor(totalPages / vcpus) : MAX_GUEST_PAGES;
  const bounds = (min: number): Bounds => ({ min, max: perVcpu, maxName: 'the guest\'s pages / guest.vcpus' });
  return {
    highPages: p.quantity('high', integer(bounds(0))),
    batchPages: p.quantity('batch', integer(bounds(1))),
  };
}

function parseInitial(
  init: FieldReader,
  memoryBytes: number,
  pageSizeBytes: number,
  baseDir: string | undefined,
): ParsedInitialState {
  const hasUsed = init.has('used');
  const hasBuddyinfo = init.has('buddyinfo');
  if (hasUsed && hasBuddyinfo) {
    init.issues.add(init.path, 'cannot have both used and buddyinfo (buddyinfo gives used as memory minus free)');
  } else if (!hasUsed && !hasBuddyinfo) {
    init.issues.add(init.pathOf('used'), 'is required (or guest.initial.buddyinfo)');
  }
  // NaN: missing (an issue already says so); null: given by the buddyinfo file.
  const usedBytes = hasUsed ? init.quantity('used', parseSize) : hasBuddyinfo ? null : NaN;
  if (usedBytes !== null) requirePages(init, 'used', usedBytes, pageSizeBytes);
  if (usedBytes !== null && known(usedBytes, memoryBytes) && usedBytes > memoryBytes) {
    init.fail('used', `must be at most guest.memory (${formatBytes(memoryBytes)})`);
  }
  const freeDirtyBytes = init.quantity('freeDirty', parseSize, 0);
  requirePages(init, 'freeDirty', freeDirtyBytes, pageSizeBytes);
  if (hasBuddyinfo) {
    if (known(freeDirtyBytes, memoryBytes) && freeDirtyBytes > memoryBytes) {
      init.fail('freeDirty', `must be at most guest.memory (${formatBytes(memoryBytes)})`);
    }
  } else if (usedBytes !== null && known(freeDirtyBytes, memoryBytes, usedBytes) && usedBytes <= memoryBytes) {
    const freeBytes = memoryBytes - usedBytes;
    if (freeDirtyBytes > freeBytes) {
      init.fail('freeDirty', `must be at most guest.memory - guest.initial.used (${formatBytes(freeBytes)})`);
    }
  }
  const buddyinfo = init.string('buddyinfo', null);
  const layout = init.choice('layout', ['ordered', 'shuffled'] as const, 'ordered');
  const regions = init.has('regions') ? parseRegions(init, memoryBytes, pageSizeBytes) : [];
  if (regions.length > 0 && (layout !== 'ordered' || hasBuddyinfo)) {
    init.fail('regions', 'needs layout: ordered and guest.initial.used (not shuffled, not a buddyinfo file)');
  }
  return {
    usedBytes,
    freeDirtyBytes,
    fragmentation: init.quantity('fragmentation', (v) => parseNumber(v, { min: 0, max: 1 }), 0),
    layout,
    freeListOrder: init.choice('freeListOrder', ['seeded', 'last-freed'] as const, 'seeded'),
    regions,
    buddyinfoPath: buddyinfo === null ? null : resolvePath(baseDir, buddyinfo),
  };
}

/**
 * `guest.initial.regions`: ranges of guest-physical memory with fixed content, ascending and
 * disjoint (`{start, size, holds: used | old | zero}`, whole pages). Whether they fit with
 * `used` and `freeDirty` is checked when the layout is built (layout.ts).
 */
function parseRegions(init: FieldReader, memoryBytes: number, pageSizeBytes: number): InitialRegion[] {
  const regions: InitialRegion[] = [];
  let endBytes = 0;
  for (const r of openEntries(init, 'regions', REGION_KEYS)) {
    const start = r.quantity('start', parseSize);
    const size = r.quantity('size', positive(parseSize));
    if (!r.has('holds')) r.fail('holds', 'is required (used, old or zero)');
    const holds = r.choice('holds', ['used', 'old', 'zero'] as const, 'used');
    if (!known(start, size)) continue;
    requirePages(r, 'start', start, pageSizeBytes);
    requirePages(r, 'size', size, pageSizeBytes);
    if (start < endBytes) r.fail('start', `must be at or above the previous region's end (${formatBytes(endBytes)}): regions are ascending and disjoint`);
    else if (start + size > memoryBytes) r.fail('size', `ends past guest.memory (${formatBytes(memoryBytes)})`);
    endBytes = start + size;
    regions.push({ startPage: Math.floor(start / pageSizeBytes), pages: Math.floor(size / pageSizeBytes), holds });
  }
  return regions;
}

function parsePhases(root: FieldReader, guest: ParsedGuestConfig, baseDir: string | undefined): ParsedPhase[] {
  if (!root.has('phases')) return [{ durationSec: null, writes: [], churn: [], tracePath: null }];
  const entries = root.list('phases');
  if (Array.isArray(root.raw('phases')) && entries.length === 0) {
    root.fail('phases', 'must not be empty (leave it out for an idle guest)');
  }
  const phases: ParsedPhase[] = [];
  for (let i = 0; i < entries.length; i++) {
    const p = openEntry(root.issues, entries[i], childPath('phases', i), PHASE_KEYS);
    if (!p) continue;
    const isLast = i === entries.length - 1;
    let durationSec: number | null = null;
    if (p.has('duration')) {
      durationSec = p.quantity('duration', positive(parseDuration));
    } else if (!isLast) {
      p.fail('duration', 'is required (only the last phase may omit it)');
    }
    const trace = p.string('trace', null);
    phases.push({
      durationSec,
      writes: openEntries(p, 'writes', WRITE_KEYS).map((w) => parseWrite(w, guest)),
      reads: openEntries(p, 'reads', READ_KEYS).map((r) => parseWrite(r, guest)),
      churn: openEntries(p, 'churn', CHURN_KEYS).map((c) => parseChurn(c, guest)),
      tracePath: trace === null ? null : resolvePath(baseDir, trace),
    });
  }
  return phases;
}

/** A reader over a list entry, or null (and an issue) when the entry is not a mapping. */
function openEntry(issues: IssueList, entry: unknown, path: string, knownKeys: readonly string[]): FieldReader | null {
  if (isMapping(entry)) return new FieldReader(issues, path, entry, knownKeys);
  issues.add(path, 'must be a mapping', entry);
  return null;
}

/** Readers over the mapping entries of the list at `key`; other entries are issues. */
function openEntries(r: FieldReader, key: string, knownKeys: readonly string[]): FieldReader[] {
  const readers: FieldReader[] = [];
  r.list(key).forEach((entry, j) => {
    const reader = openEntry(r.issues, entry, childPath(r.pathOf(key), j), knownKeys);
    if (reader) readers.push(reader);
  });
  return readers;
}

/** `vcpu`: an index below guest.vcpus, or null (round-robin). */
function readVcpu(r: FieldReader, vcpus: number): number | null {
  const vcpu = r.quantity('vcpu', integer({ min: 0 }), NaN);
  if (known(vcpu, vcpus) && vcpu >= vcpus) r.fail('vcpu', `must be less than guest.vcpus (${vcpus})`);
  return r.has('vcpu') ? vcpu : null;
}

function parseWrite(w: FieldReader, guest: ParsedGuestConfig): WriteStream {
  const pageSizeBytes = guest.pageSizeBytes;
  const ratePagesPerSec = w.quantity('rate', (v) => {
    const rate = parseRate(v);
    return rate.unit === 'count' ? rate.perSec : rate.perSec / pageSizeBytes;
  });
  const workingSetBytes = w.quantity('workingSet', positive(parseSize));
  requirePages(w, 'workingSet', workingSetBytes, pageSizeBytes);
  const usedBytes = guest.initial.usedBytes;
  if (usedBytes !== null && known(workingSetBytes, usedBytes) && workingSetBytes > usedBytes) {
    w.fail('workingSet', `is larger than used memory (guest.initial.used is ${formatBytes(usedBytes)})`);
  }
  // 2 MiB: a transparent huge page, the unit a guest's heap is typically backed by.
  const extentBytes = w.quantity('extent', positive(parseSize), 2 * MiB);
  requirePages(w, 'extent', extentBytes, pageSizeBytes);
  return {
    ratePagesPerSec,
    workingSetBytes,
    extentBytes,
    pattern: w.choice('pattern', ['uniform', 'zipf', 'sequential'] as const, 'uniform'),
    skew: w.quantity('skew', (v) => parseNumber(v, { min: 0 }), 0.99),
    arrivals: w.choice('arrivals', ['even', 'poisson'] as const, 'even'),
    vcpu: readVcpu(w, guest.vcpus),
    // CPU-bound unless told: the rate scales with the CPU a throttle leaves.
    cpuShare: w.quantity('cpuShare', (v) => {
      const share = parseNumber(v, { min: 0, max: 1 });
      if (!(share > 0)) throw new Error('must be above 0 and at most 1');
      return share;
    }, 1),
    // No QEMU parameter: what one write changes in a page, in one run (XBZRLE's delta size).
    // 8: a counter's 8-byte store, as the testbed's dirtier (guest/wl.c `word` mode); `page`
    // for a full-page write (every delta overflows).
    bytesPerWrite: w.raw('bytesPerWrite') === 'page' ? pageSizeBytes : w.quantity('bytesPerWrite', integer({ min: 1, max: pageSizeBytes }), 8),
    // Only when given (absent: the compression's compressRatio; types.ts).
    ...(w.has('compressRatio') ? { compressRatio: w.quantity('compressRatio', parseCompressRatio) } : {}),
    // Only when given (absent: used), so workloads without it resolve as before.
    ...(w.has('placement') ? { placement: readPlacement(w, guest, workingSetBytes, extentBytes) } : {}),
    // Only when given (absent: 0, the writer shifts after a vCPU hold; types.ts).
    ...(w.has('catchUp') ? { catchUpSec: w.quantity('catchUp', parseDuration) } : {}),
  };
}

/**
 * `placement`: where the working set lies (docs/model.md §1.4, core/working-set-placement.ts).
 * `allocator` and `last-freed` take it from the buddy allocator one extent-order block at a time, so the
 * extent must be a power-of-two block up to maxOrder and the working set whole extents;
 * and it needs `used` to build the layout before the allocation (a buddyinfo file is the
 * free lists after it).
 */
function readPlacement(w: FieldReader, guest: ParsedGuestConfig, workingSetBytes: number, extentBytes: number): WorkingSetPlacement {
  const placement = w.choice('placement', ['used', 'allocator', 'last-freed'] as const, 'used');
  if (placement === 'used') return placement;
  const extentPages = extentBytes / guest.pageSizeBytes;
  if (known(extentPages, guest.maxOrder) && !(Number.isInteger(Math.log2(extentPages)) && extentPages <= 2 ** guest.maxOrder)) {
    w.fail('extent', `must be a power-of-two number of pages up to 2^guest.maxOrder with placement: ${placement} (one buddy block per extent)`);
  } else if (known(workingSetBytes, extentBytes) && workingSetBytes % extentBytes !== 0) {
    w.fail('workingSet', `must be a whole number of extents (${extentBytes} bytes) with placement: ${placement}`);
  }
  if (guest.initial.buddyinfoPath !== null) {
    w.fail('placement', 'needs guest.initial.used, not guest.initial.buddyinfo (the file gives the free lists after the allocation)');
  }
  return placement;
}

function parseChurn(c: FieldReader, guest: ParsedGuestConfig): ChurnStream {
  return {
    rateBlocksPerSec: c.quantity('rate', (v) => {
      const rate = parseRate(v);
      if (rate.unit !== 'count') throw new Error('must be in blocks per second, e.g. 500/s');
      return rate.perSec;
    }),
    orders: c.read('order', (v) => parseChurnOrders(v, guest.maxOrder), [], [], true),
    lifetimeSec: c.quantity('lifetime', positive(parseDuration)),
    fill: c.choice('fill', ['data', 'zero'] as const, 'data'),
    arrivals: c.choice('arrivals', ['even', 'poisson'] as const, 'even'),
    vcpu: readVcpu(c, guest.vcpus),
  };
}

/** `order: 9` or `order: {0: 0.95, 9: 0.05}` (weights need not sum to 1). */
function parseChurnOrders(value: unknown, maxOrder: number): ChurnStream['orders'] {
  const bounds: Bounds = { min: 0, max: maxOrder, maxName: 'guest.maxOrder' };
  if (typeof value === 'number') return [{ order: parseInteger(value, bounds), weight: 1 }];
  if (!isMapping(value)) {
    throw new Error('must be an order such as 9, or a map of order to weight such as {0: 0.95, 9: 0.05}');
  }
  const orders: ChurnStream['orders'] = [];
  for (const [key, weight] of Object.entries(value)) {
    if (!/^\d+$/.test(key)) throw new Error(`has ${key}, which is not an order`);
    const order = Number(key);
    if (order > maxOrder) throw new Error(`has order ${order}, above guest.maxOrder (${maxOrder})`);
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) {
      throw new Error(`has weight ${formatValue(weight)} for order ${order} (weights must be > 0)`);
    }
    orders.push({ order, weight });
  }
  if (orders.length === 0) throw new Error('must name at least one order');
  return orders;
}

function parseMigration(m: FieldReader, guest: ParsedGuestConfig, phases: readonly ParsedPhase[], warnings: WorkloadWarning[]): MigrationConfig {
  const preset = m.choice('preset', ['qemu', 'pass', 'xen', 'xen-legacy'] as const, 'qemu');
  const rules = PRESET_RULES[preset];
  // 10 Gbit/s: a common data-centre NIC; QEMU itself has no link model.
  const linkBandwidthBytesPerSec = m.quantity('linkBandwidth', positive(parseBandwidth), 10e9 / 8);
  // max-bandwidth 128 MiB/s: QEMU's default since 5.2 (MAX_THROTTLE).
  const bandwidthBytesPerSec = m.quantity('bandwidth', positive(parseBandwidth), 128 * MiB);
  const memoryBytes = guest.memoryBytes;
  // `unlimited` means the link: only a finite max-bandwidth above it is a likely mistake.
  if (Number.isFinite(bandwidthBytesPerSec) && bandwidthBytesPerSec > linkBandwidthBytesPerSec) {
    warnings.push({
      field: 'migration.bandwidth',
      problem: `${formatValue(m.raw('bandwidth'))} is above migration.linkBandwidth (${formatValue(m.raw('linkBandwidth') ?? '10Gbit/s')}): clamped to the link, so it changes nothing`,
    });
  }
  const wire = m.child('wire', WIRE_KEYS);
  const base = {
    preset,
    startSec: m.quantity('start', parseDuration, 0),
    // docs/model.md §3.2: bandwidth never exceeds linkBandwidth (clamped, not an error).
    bandwidthBytesPerSec: Math.min(bandwidthBytesPerSec, linkBandwidthBytesPerSec),
    linkBandwidthBytesPerSec,
    switchoverBandwidthBytesPerSec: m.quantityOrNone('switchoverBandwidth', positive(parseBandwidth), null),
    estimate: m.choice('estimate', ['measured', 'configured'] as const, 'measured'),
    // QEMU 10 checked zero pages at 9–12 GB/s (calibration/); the uncapped runs' migration
    // thread spent 0.41–0.47 us of CPU per zero page = 8.8–10 GB/s (validation/qemu10-tcg-uncapped).
    // On the idle machine 0.264 us (15.5 GB/s, validation/qemu10-tcg-uncapped-idle), but
    // Wei Wang's published reductions (validation/wei-wang-fph, a Xeon E5-2699 v4 under KVM)
    // need 10 GiB/s (15.5 GB/s gives 63.5% against 76.7% published): kept.
    scanRateBytesPerSec: m.quantity('scanRate', positive(parseByteRate), 10 * GiB),
    // The source's migration thread per normal page: 1.33 us, fitted with 0.264 us per zero
    // page to the thread CPU times of the 24 uncapped runs on the idle machine (rms 0.044 s;
    // validation/qemu10-tcg-uncapped-idle); the loaded first set gave 1.56 us. The
    // destination's main thread: 0.22 us per zero page (first set). Its 12.6-19.5 us per
    // normal page (system time: first-touch faults on a cloud VM) is the testbed's, not a
    // default: 0 = the destination keeps up with the other stages.
    sendCostSec: m.quantity('sendCost', parseDuration, 1.33e-6),
    loadCostSec: m.quantity('loadCost', parseDuration, 0),
    zeroLoadCostSec: m.quantity('zeroLoadCost', parseDuration, 0.22e-6),
    rateSlotSec: m.quantity('rateSlot', positive(parseDuration), 0.1),
    // QEMU's MAX_WAIT 50 ms per ram_save_iterate.
    maxWaitSec: m.quantity('maxWait', positive(parseDuration), 0.05),
    syncTimeSecPerGiB: m.quantity('syncTime', parseSecPerGiB, 0.0005),
    downtimeLimitSec: m.quantity('downtimeLimit', parseDuration, 0.3),
    switchoverTimeSec: m.quantity('switchoverTime', parseDuration, 0),
    maxRounds: m.quantityOrNone('maxRounds', integer({ min: 1 }), rules.maxRounds),
    maxDurationSec: m.quantityOrNone('maxDuration', positive(parseDuration), 3600) ?? Infinity,
    maxTotalBytes: m.quantityOrNone(
      'maxTotal',
      positive((v) => parseSizeOrMultiple(v, memoryBytes)),
      rules.maxTotalTimesMemory === null ? null : rules.maxTotalTimesMemory * memoryBytes,
    ),
    minDirtyPages: m.quantityOrNone('minDirtyPages', integer({ min: 0 }), rules.minDirtyPages),
    tracking: parseTracking(m.child('tracking', TRACKING_KEYS), preset, guest.pageSizeBytes),
    wire: parseWire(wire, preset),
    autoConverge: parseAutoConverge(m.child('autoConverge', AUTO_CONVERGE_KEYS)),
    multifd: m.has('multifd') ? parseMultifd(m.child('multifd', MULTIFD_KEYS), guest.pageSizeBytes, warnings) : null,
    xbzrle: m.has('xbzrle') ? parseXbzrle(m.child('xbzrle', XBZRLE_KEYS), guest.pageSizeBytes) : null,
  };
  // The socket pipeline models the one-stream sender only (wire/create-transport.ts): multifd's
  // channels and XBZRLE's stream keep the contract's lockstep pages, so a size given for
  // them is most likely a mistake.
  if ((base.multifd !== null || base.xbzrle !== null) && wire.has('socketBuffers')) {
    warnings.push({ field: 'migration.wire.socketBuffers', problem: 'changes nothing with multifd or XBZRLE (their pages go in lockstep, docs/model.md §3.1)' });
  }
  // Multifd's send path (ram_save_target_page_multifd) never reaches the XBZRLE cache.
  if (base.multifd !== null && base.xbzrle !== null) m.fail('xbzrle', 'cannot be combined with multifd (QEMU sends multifd pages without the XBZRLE cache)');
  // QEMU 10 takes multifd-compression without the multifd capability and does nothing with
  // it (validation/issue12-compression/README.md); a workload saying so is a mistake.
  if (m.has('compression')) m.fail('compression', 'needs multifd: write it as migration.multifd.compression (multifd-compression applies only to multifd channels)');
  if (!base.multifd?.compression) {
    phases.forEach((phase, p) =>
      phase.writes.forEach((w, i) => {
        if (w.compressRatio != null) warnings.push({ field: `phases[${p}].writes[${i}].compressRatio`, problem: 'changes nothing without migration.multifd.compression' });
      }),
    );
  }
  // catchUp is how a writer resumes after the hint driver's loop held its vCPU, which it
  // does only on a one-vCPU guest that does not preempt kernel code (hint-driver-hold.ts).
  const preempt = guest.preempt ?? 'voluntary';
  const noHold = guest.vcpus > 1 ? `with guest.vcpus ${guest.vcpus}` : holdsVcpu(preempt) ? null : `with guest.preempt ${preempt}`;
  phases.forEach((phase, p) =>
    phase.writes.forEach((w, i) => {
      if (w.catchUpSec !== undefined && w.catchUpSec > 0 && noHold !== null) {
        warnings.push({ field: `phases[${p}].writes[${i}].catchUp`, problem: `changes nothing ${noHold}: the hint driver holds no vCPU (docs/model.md §4.1)` });
      }
    }),
  );
  return { ...base, ...parseEndings(m, base, phases) };
}

/**
 * `multifd:` turns QEMU's multifd capability on (an empty map: every default). Defaults
 * are QEMU 10's: multifd-channels 2, zero-page-detection multifd (since 9.0), packets of
 * MULTIFD_PACKET_SIZE 512 KiB; `channelRate` (no QEMU parameter: what one channel thread's
 * CPU sends a second) 4.4 GB/s, `none` for no bound but the link's.
 */
function parseMultifd(f: FieldReader, pageSizeBytes: number, warnings: WorkloadWarning[]): MultifdConfig {
  const packetPages = f.quantity('packetPages', integer({ min: 1 }), Math.max(1, Math.floor((512 * KiB) / pageSizeBytes)));
  const compression = parseCompression(f, pageSizeBytes, warnings);
  return {
    // Only with compression on (absent: none; types.ts).
    ...(compression === null ? {} : { compression }),
    channels: f.quantity('channels', integer({ min: 1, max: 255 }), 2),
    packetPages,
    zeroPageDetection: f.choice('zeroPageDetection', ['multifd', 'legacy', 'none'] as const, 'multifd'),
    // 4.4 GB/s: 4096 B per 0.92 us, a channel thread's CPU per normal page in two uncapped
    // real runs with 4 channels (validation/issue12-testbed/multifd4_uncapped_garbage_*:
    // cpu-threads.csv, the four send threads' utime + stime, 0.21 s in both runs, less the
    // zero check of their 61k zero pages at scanRate 10 GB/s, 0.025 s, over 201k normal
    // pages; CPU time, so the host's load of 11-13 does not inflate it; ±10% from the
    // 10 ms clock tick).
    channelRateBytesPerSec: f.quantityOrNone('channelRate', positive(parseByteRate), 4.4e9) ?? Infinity,
    // MultiFDPacket_t: 12-byte MultiFDPacketHdr_t, pages_alloc, normal_pages, zero_pages,
    // next_packet_size (4 each), packet_num (8), unused64[4] (32), ramblock[256] = 320,
    // then one 8-byte offset per page the packet can hold.
    packetHeaderBytes: 320 + 8 * packetPages,
    // MultiFDInit_t: magic, version, uuid[16], id, unused1[7], unused2[4] (8 each).
    initPacketBytes: 64,
  };
}

// Real QEMU 10's multifd-bytes over the idle 1 GiB guest's non-zero pages (4 channels,
// level 1): payload = multifd-bytes - packet headers, ratio = normal pages x 4096 / payload
// (validation/issue12-compression/README.md: zlib 26507 pages, zstd 26494).
const ZLIB_IDLE_RATIO = 2.765;
const ZSTD_IDLE_RATIO = 2.619;

/**
 * multifd-compression's defaults per method at QEMU's default level 1 (docs/model.md §3.3):
 * - compressRatio: real QEMU 10's multifd-bytes on the testbed's idle 1 GiB guest (its
 *   non-zero pages: kernel, initramfs, page cache), validation/issue12-compression;
 * - threadRate: one core compressing silesia.tar, the facebook/zstd README's benchmark
 *   table (zstd 1.4.0 -1: 530 MB/s, zlib 1.2.11 -1: 110 MB/s);
 * - zeroPageBytes: a zero page in a stream of them, level 1 (node:zlib, zstd CLI).
 */
const COMPRESSION_DEFAULTS: Record<MultifdCompressionMethod, { compressRatio: number; threadRateBytesPerSec: number; zeroPageBytes: number; maxLevel: number }> = {
  zlib: { compressRatio: ZLIB_IDLE_RATIO, threadRateBytesPerSec: 110e6, zeroPageBytes: 18, maxLevel: 9 },
  zstd: { compressRatio: ZSTD_IDLE_RATIO, threadRateBytesPerSec: 530e6, zeroPageBytes: 1, maxLevel: 20 },
};

/**
 * `multifd.compression`: a method name, or a map {method, level, threadRate, compressRatio,
 * freeCompressRatio}; absent or `none`: no compression (QEMU's default).
 */
function parseCompression(f: FieldReader, pageSizeBytes: number, warnings: WorkloadWarning[]): MultifdCompressionConfig | null {
  if (!f.has('compression')) return null;
  const methods = ['none', 'zlib', 'zstd'] as const;
  const short = typeof f.raw('compression') === 'string';
  const c = short ? null : f.child('compression', COMPRESSION_KEYS);
  const method = short ? f.choice('compression', methods, 'none') : c!.choice('method', methods, 'none');
  if (method === 'none' && c !== null) {
    // multifd-compression none: QEMU reads no level and no thread does any work.
    for (const key of COMPRESSION_KEYS) {
      if (key !== 'method' && c.has(key)) warnings.push({ field: `${c.path}.${key}`, problem: 'changes nothing with method none' });
    }
  }
  if (method === 'none' || c === null) return method === 'none' ? null : compressionDefaults(method);
  const d = COMPRESSION_DEFAULTS[method];
  // QEMU's migrate_params_check: multifd-zlib-level 0..9, multifd-zstd-level 0..20.
  const level = c.quantity('level', integer({ min: 0, max: d.maxLevel }), 1);
  if (level !== 1 && !(c.has('compressRatio') && c.has('threadRate'))) {
    warnings.push({ field: `${c.path}.level`, problem: `${level} changes nothing unless compressRatio and threadRate are given (their defaults are level 1's)` });
  }
  const threadRateBytesPerSec = c.quantity('threadRate', positive((v) => {
    const rate = parseRate(v);
    return rate.unit === 'count' ? rate.perSec * pageSizeBytes : rate.perSec;
  }), d.threadRateBytesPerSec);
  const ratio = parseCompressRatio;
  const compressRatio = c.quantity('compressRatio', ratio, d.compressRatio);
  return {
    method,
    level,
    threadRateBytesPerSec,
    compressRatio,
    freeCompressRatio: c.quantity('freeCompressRatio', ratio, compressRatio),
    zeroPageBytes: d.zeroPageBytes,
  };
}

/**
 * Page size over compressed size: from 0.5 (zlib and zstd expand incompressible data by a
 * few bytes a page at most: 0.9997) to 4096 (a byte a page).
 */
function parseCompressRatio(v: unknown): number {
  return parseNumber(v, { min: 0.5, max: 4096 });
}

function compressionDefaults(method: MultifdCompressionMethod): MultifdCompressionConfig {
  const d = COMPRESSION_DEFAULTS[method];
  return { method, level: 1, threadRateBytesPerSec: d.threadRateBytesPerSec, compressRatio: d.compressRatio, freeCompressRatio: d.compressRatio, zeroPageBytes: d.zeroPageBytes };
}

/**
 * `xbzrle:` turns QEMU's xbzrle capability on (an empty map: every default): cacheSize is
 * xbzrle-cache-size (QEMU's default 64 MiB; at least a page, as the cache holds
 * pow2floor(cacheSize / page) pages); encodeCost (no QEMU parameter: the migration thread's
 * CPU per page while XBZRLE runs) 1.2 µs. What a write changes is the writer's
 * `bytesPerWrite`.
 */
function parseXbzrle(f: FieldReader, pageSizeBytes: number): XbzrleConfig {
  const cacheSizeBytes = f.quantity('cacheSize', positive(parseSize), 64 * MiB);
  if (cacheSizeBytes < pageSizeBytes) f.fail('cacheSize', `must be at least a page (${pageSizeBytes} bytes)`);
  // 1.2 µs: thread CPU time per page of a C re-statement of save_xbzrle_page's work (4 KiB
  // copy in, xbzrle_encode_buffer's word-at-a-time compare, 4 KiB copy into the cache) on
  // the testbed's host (2 cores, -O2; 1.16-1.34 µs for unchanged and 8-byte-changed pages).
  const encodeCostSec = f.quantity('encodeCost', parseDuration, 1.2e-6);
  return { cacheSizeBytes, encodeCostSec };
}

function parseTracking(t: FieldReader, preset: Preset, pageSizeBytes: number): TrackingConfig {
  const mode = t.choice('mode', ['write-protect', 'pml', 'dirty-ring'] as const, 'write-protect');
  const defaultClear = preset === 'qemu' && mode !== 'dirty-ring' ? 'lazy' : 'sync';
  const clear = t.choice('clear', ['sync', 'lazy'] as const, defaultClear);
  if (mode === 'dirty-ring' && clear === 'lazy' && t.has('clear')) {
    t.fail('clear', 'cannot be lazy with mode dirty-ring (the ring is reset at every sync)');
  }
  // 1 GiB: QEMU's default clear_bitmap_shift 18 (2^18 pages x 4 KiB).
  const clearChunkBytes = t.quantity('clearChunk', positive(parseSize), GiB);
  requirePages(t, 'clearChunk', clearChunkBytes, pageSizeBytes);
  const granularityBytes = t.quantity('granularity', positive(parseSize), pageSizeBytes);
  if (known(granularityBytes, pageSizeBytes) && (granularityBytes % pageSizeBytes !== 0 || !isPowerOfTwo(granularityBytes))) {
    t.fail('granularity', `must be a power-of-two multiple of guest.pageSize (${formatBytes(pageSizeBytes)})`);
  }
  return {
    mode,
    clear,
    clearChunkBytes,
    granularityBytes,
    faultCostSec: t.quantity('faultCost', parseDuration, 2e-6),
    // PML buffer: one 4 KiB page of 8-byte GPAs = 512 entries.
    pmlEntries: t.quantity('pmlEntries', integer({ min: 1 }), 512),
    // QEMU's default dirty-ring-size 4096 (accel kvm,dirty-ring-size).
    ringSize: t.quantity('ringSize', integer({ min: 1 }), 4096),
    costsSlowGuest: t.bool('costsSlowGuest', false),
  };
}

function parseWire(w: FieldReader, preset: Preset): WireConfig {
  return {
    // RAM_SAVE_FLAG_* header: an 8-byte offset|flags word per page.
    pageHeaderBytes: w.quantity('pageHeader', parseSize, 8),
    // Header plus the fill byte (RAM_SAVE_FLAG_ZERO).
    zeroPageBytes: w.quantity('zeroPage', parseSize, 9),
    // RAM_SAVE_FLAG_EOS: one 8-byte word.
    eosBytes: w.quantity('eos', parseSize, 8),
    deviceStateBytes: w.quantity('deviceState', parseSize, 0),
    zeroPageDetection: w.read(
      'zeroPageDetection',
      (v) => {
        if (v === 'on' || v === true) return true;
        if (v === 'none' || v === false) return false;
        throw new Error('must be on or none');
      },
      true,
      true,
    ),
    // QEMUFile's MAX_IOV_SIZE 64: 32 normal pages per flush, so QEMU 10 sends 3296 pages
    // (103 flushes) per 100 ms slot at 128 MiB/s (calibration/); the other presets count
    // bytes as sent.
    flushIovecs: w.quantity('flushIovecs', integer({ min: 0 }), preset === 'qemu' ? 64 : 0),
    // The migration socket's send and receive buffers: how far QEMU's source writes ahead
    // of the destination's loads (wire/socket-pipeline.ts). Measured on QEMU 10 over TCP
    // (validation/qemu10-tcg-socket-buffers): the source's Send-Q fills its send buffer,
    // tcp_wmem's maximum 4 MiB, and the destination's Recv-Q holds what autotuning gives a
    // slow reader, up to 861510 B (0.82 MiB): QEMU_SOCKET_BUFFER_BYTES. The other presets keep the
    // contract's lockstep pages (0).
    socketBufferBytes: w.quantity('socketBuffers', sizeAtMost(MAX_SOCKET_BUFFER_BYTES), preset === 'qemu' ? QEMU_SOCKET_BUFFER_BYTES : 0),
  };
}

function parseAutoConverge(a: FieldReader): AutoConverge {
  // QEMU's cpu-throttle-initial 20, -increment 10, max-cpu-throttle 99, throttle-trigger-threshold 50.
  return {
    enabled: a.bool('enabled', false),
    initialPct: a.quantity('initial', parsePercent, 20),
    incrementPct: a.quantity('increment', parsePercent, 10),
    maxPct: a.quantity('max', parsePercent, 99),
    triggerThresholdPct: a.quantity('triggerThreshold', parsePercent, 50),
    // cpu-throttle-tailslow: off in QEMU.
    tailslow: a.bool('tailslow', false),
  };
}
