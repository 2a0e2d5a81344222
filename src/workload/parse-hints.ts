/**
 * `hints[]` of a workload file (docs/model.md §4, §8.1): each entry is a strategy name with
 * default options, or `{strategy: name | [names], label?, …options}`. An option belongs to
 * every listed strategy that has it (`callCost` on a combined entry sets both costs).
 */

import type {
  FreePageHintOptions,
  HintConfig,
  MergeNotifierOptions,
  PageReportingOptions,
  PerPageOptions,
  StrategyName,
  UnacceptedOptions,
} from '../core/types.js';
import { FieldReader, IssueList, childPath, isMapping, known, suggestion } from './field-reader.js';
import { formatBytes, parseDuration, parseInteger, parseRate, parseSize, positive } from './units.js';

export const STRATEGY_NAMES: readonly StrategyName[] = [
  'free-page-hint',
  'merge-notifier',
  'page-reporting',
  'per-page',
  'unaccepted',
];

/** The options each strategy takes (docs/model.md §8.1). */
export const STRATEGY_OPTIONS: Readonly<Record<StrategyName, readonly string[]>> = {
  'free-page-hint': ['order', 'rate', 'callCost', 'inPlace', 'latency', 'timing', 'clearsDirtyLog'],
  'merge-notifier': ['order', 'placement', 'callCost'],
  'page-reporting': ['minOrder', 'capacity', 'delay', 'callCost'],
  'per-page': ['capacity', 'batch', 'callCost'],
  unaccepted: ['acceptedAtBoot', 'chunk', 'acceptGranularity', 'callCost'],
};

/** One hypercall or notification: 1 µs, the order of a VM exit round trip on current x86. */
const DEFAULT_CALL_COST_SEC = 1e-6;

/** What the hint options depend on in the guest; NaN where the guest field was invalid. */
export interface HintContext {
  memoryBytes: number;
  pageSizeBytes: number;
  maxOrder: number;
  pageblockOrder: number;
  /** null when `guest.initial.buddyinfo` gives the layout (used is unknown until it is read). */
  usedBytes: number | null;
}

/**
 * A list of blocks to hint holds at most one entry per guest page: the bound keeps the
 * engine's typed arrays (sized by capacity) within the guest's own size.
 */
function capacityBounds(ctx: HintContext): { min: number; max: number; maxName: string } {
  const pages = ctx.memoryBytes / ctx.pageSizeBytes;
  return { min: 1, max: Number.isFinite(pages) ? pages : 2 ** 31 - 1, maxName: "the guest's pages" };
}

function isStrategyName(value: unknown): value is StrategyName {
  return typeof value === 'string' && (STRATEGY_NAMES as readonly string[]).includes(value);
}

const KNOWN_STRATEGIES = `one of ${STRATEGY_NAMES.join(', ')}`;

/**
 * Reads `hints` (already replaced by `--hints` if given). Absent means the one default
 * entry `free-page-hint`; `[]` means only the baseline runs.
 */
export function parseHints(root: FieldReader, ctx: HintContext): HintConfig[] {
  const issues = root.issues;
  const entries: unknown[] = root.has('hints') ? root.list('hints') : ['free-page-hint'];
  const hints: HintConfig[] = [];
  const labelIndex = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    const path = childPath('hints', i);
    const entry = entries[i];
    const hint = parseHintEntry(issues, entry, path, ctx);
    if (!hint) continue;
    const earlier = labelIndex.get(hint.label);
    if (earlier !== undefined) {
      const labelPath = isMapping(entry) && entry.label !== undefined ? `${path}.label` : path;
      issues.add(labelPath, `has the same label as hints[${earlier}] (labels must be unique)`, hint.label);
    } else {
      labelIndex.set(hint.label, i);
    }
    hints.push(hint);
  }
  return hints;
}

function parseHintEntry(issues: IssueList, entry: unknown, path: string, ctx: HintContext): HintConfig | null {
  if (typeof entry === 'string') {
    if (entry === 'none') {
      issues.add(path, 'cannot be none: the baseline run always happens', entry);
      return null;
    }
    const names = entry.split('+');
    if (!names.every(isStrategyName)) {
      issues.add(path, `must be ${KNOWN_STRATEGIES}, or a mapping with strategy`, entry);
      return null;
    }
    return buildHint(new FieldReader(issues, path, {}, null), entry, names, ctx);
  }
  if (!isMapping(entry)) {
    issues.add(path, `must be a strategy name or a mapping with strategy`, entry);
    return null;
  }
  const reader = new FieldReader(issues, path, entry, null);
  const names = readStrategyNames(reader);
  if (!names) return null;
  checkOptionKeys(reader, names);
  const label = reader.string('label', names.join('+'));
  if (label === 'none') {
    reader.fail('label', 'is reserved for the baseline run');
  }
  return buildHint(reader, label, names, ctx);
}

function readStrategyNames(reader: FieldReader): StrategyName[] | null {
  if (!reader.has('strategy')) {
    reader.fail('strategy', 'is required');
    return null;
  }
  const raw = reader.raw('strategy');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) {
    reader.fail('strategy', 'must name at least one strategy');
    return null;
  }
  const names: StrategyName[] = [];
  for (let j = 0; j < list.length; j++) {
    const path = Array.isArray(raw) ? childPath(reader.pathOf('strategy'), j) : reader.pathOf('strategy');
    const name = list[j];
    if (!isStrategyName(name)) {
      reader.issues.add(path, `must be ${KNOWN_STRATEGIES}`, name);
      return null;
    }
    if (names.includes(name)) {
      reader.issues.add(path, 'names a strategy twice', name);
      return null;
    }
    names.push(name);
  }
  return names;
}

/** Every key must be `strategy`, `label` or an option of one of the entry's strategies. */
function checkOptionKeys(reader: FieldReader, names: readonly StrategyName[]): void {
  const allowed = new Set<string>(['strategy', 'label']);
  for (const name of names) for (const option of STRATEGY_OPTIONS[name]) allowed.add(option);
  for (const key of reader.keys()) {
    if (allowed.has(key)) continue;
    const options = [...allowed].filter((k) => k !== 'strategy' && k !== 'label');
    reader.issues.add(
      reader.pathOf(key),
      `is not an option of ${names.join(' or ')} (options: ${options.join(', ')})${suggestion(key, [...allowed])}`,
    );
  }
}

function orderBounds(ctx: HintContext) {
  return { min: 0, max: ctx.maxOrder, maxName: 'guest.maxOrder' };
}

function readCallCost(reader: FieldReader): number {
  return reader.quantity('callCost', parseDuration, DEFAULT_CALL_COST_SEC);
}

function buildHint(reader: FieldReader, label: string, names: StrategyName[], ctx: HintContext): HintConfig {
  const has = (name: StrategyName) => names.includes(name);
  return {
    label,
    strategies: names,
    freePageHint: has('free-page-hint') ? readFreePageHint(reader, ctx) : null,
    mergeNotifier: has('merge-notifier') ? readMergeNotifier(reader, ctx) : null,
    pageReporting: has('page-reporting') ? readPageReporting(reader, ctx) : null,
    perPage: has('per-page') ? readPerPage(reader, ctx) : null,
    unaccepted: has('unaccepted') ? readUnaccepted(reader, ctx) : null,
  };
}

function readFreePageHint(reader: FieldReader, ctx: HintContext): FreePageHintOptions {
  const rateBlocksPerSec = reader.quantityOrNone(
    'rate',
    positive((v) => {
      const rate = parseRate(v);
      if (rate.unit !== 'count') throw new Error('must be in blocks per second, e.g. 100/s');
      return rate.perSec;
    }),
    null,
  );
  return {
    order: reader.quantity('order', (v) => parseInteger(v, orderBounds(ctx)), ctx.maxOrder),
    rateBlocksPerSec,
    callCostSec: readCallCost(reader),
    inPlace: reader.bool('inPlace', false),
    latencySec: reader.quantity('latency', parseDuration, 0),
    timing: reader.choice('timing', ['after-logging', 'before-logging'] as const, 'after-logging'),
    clearsDirtyLog: reader.bool('clearsDirtyLog', true),
  };
}

function readMergeNotifier(reader: FieldReader, ctx: HintContext): MergeNotifierOptions {
  // Order 9 (2 MiB with 4 KiB pages), a pageblock, as seed 000 hinted; capped for small maxOrder.
  return {
    order: reader.quantity('order', (v) => parseInteger(v, orderBounds(ctx)), Math.min(9, ctx.maxOrder)),
    placement: reader.choice('placement', ['at-order', 'after-merge'] as const, 'at-order'),
    callCostSec: readCallCost(reader),
  };
}

function readPageReporting(reader: FieldReader, ctx: HintContext): PageReportingOptions {
  return {
    minOrder: reader.quantity('minOrder', (v) => parseInteger(v, orderBounds(ctx)), ctx.pageblockOrder),
    // PAGE_REPORTING_CAPACITY: 32 scatterlist entries per report call.
    capacity: reader.quantity('capacity', (v) => parseInteger(v, capacityBounds(ctx)), 32),
    // PAGE_REPORTING_DELAY: 2 s, "to allow pages to settle".
    delaySec: reader.quantity('delay', positive(parseDuration), 2),
    callCostSec: readCallCost(reader),
  };
}

function readPerPage(reader: FieldReader, ctx: HintContext): PerPageOptions {
  const capacity = reader.quantity('capacity', (v) => parseInteger(v, capacityBounds(ctx)), 512);
  const batch = reader.quantity('batch', (v) => parseInteger(v, { min: 1 }), 1);
  if (known(capacity, batch) && batch > capacity) {
    reader.fail('batch', `must be at most capacity (${capacity})`);
  }
  return { capacity, batch, callCostSec: readCallCost(reader) };
}

/**
 * `acceptedAtBoot` defaults to the initial used memory rounded up to whole chunks (at
 * most memory): the guest has written those pages, so it must have accepted them. With
 * `buddyinfo` the used size is only known once the file is read, so it is required then.
 */
function readUnaccepted(reader: FieldReader, ctx: HintContext): UnacceptedOptions {
  const positiveSize = positive(parseSize);
  // Linux >= 6.5 accepts in 4 MiB units (PMD_SIZE << order of the unaccepted bitmap).
  const chunkBytes = reader.quantity('chunk', positiveSize, 4 * 2 ** 20);
  // TDX accepts 2 MiB pages where it can (TDG.MEM.PAGE.ACCEPT at 2M level).
  const acceptGranularityBytes = reader.quantity('acceptGranularity', positiveSize, 2 * 2 ** 20);
  let acceptedAtBootBytes: number;
  if (ctx.usedBytes === null && !reader.has('acceptedAtBoot')) {
    reader.fail('acceptedAtBoot', 'is required when guest.initial.buddyinfo gives the layout');
    acceptedAtBootBytes = NaN;
  } else {
    const usedBytes = ctx.usedBytes ?? NaN;
    const defaultBytes = Math.min(ctx.memoryBytes, Math.ceil(usedBytes / chunkBytes) * chunkBytes);
    acceptedAtBootBytes = reader.quantity('acceptedAtBoot', parseSize, defaultBytes);
  }

  for (const [key, bytes] of [
    ['chunk', chunkBytes],
    ['acceptGranularity', acceptGranularityBytes],
    ['acceptedAtBoot', acceptedAtBootBytes],
  ] as const) {
    if (known(bytes, ctx.pageSizeBytes) && bytes % ctx.pageSizeBytes !== 0) {
      reader.fail(key, `must be a multiple of guest.pageSize (${formatBytes(ctx.pageSizeBytes)})`);
    }
  }
  if (known(chunkBytes, acceptGranularityBytes) && chunkBytes % acceptGranularityBytes !== 0) {
    reader.fail('chunk', `must be a multiple of acceptGranularity (${formatBytes(acceptGranularityBytes)})`);
  }
  if (known(acceptedAtBootBytes, ctx.memoryBytes) && acceptedAtBootBytes > ctx.memoryBytes) {
    reader.fail('acceptedAtBoot', `must be at most guest.memory (${formatBytes(ctx.memoryBytes)})`);
  }
  return { acceptedAtBootBytes, chunkBytes, acceptGranularityBytes, callCostSec: readCallCost(reader) };
}
