/**
 * Command-line overrides applied to the raw YAML document before it is validated:
 * `--set key=value` (docs/model.md §7) and `--hints <list>`. Working on the raw document means
 * an override is checked exactly like the same text in the file, unknown fields included.
 */

import { UsageError, WorkloadError } from '../core/errors.js';
import { isMapping } from './field-reader.js';
import { readYaml } from './read-yaml.js';

type PathSegment = string | number;

/** `migration.bandwidth`, `phases[0].writes[1].rate`, `hints[0]`: names, dots and [index]. */
const SET_PATH_RE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+|\[\d+\])*$/;
const SEGMENT_RE = /([A-Za-z0-9_-]+)|\[(\d+)\]/g;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function parseSetPath(key: string): PathSegment[] | null {
  if (!SET_PATH_RE.test(key)) return null;
  const segments: PathSegment[] = [];
  for (const m of key.matchAll(SEGMENT_RE)) {
    if (m[1] !== undefined) {
      if (FORBIDDEN_KEYS.has(m[1])) return null;
      segments.push(m[1]);
    } else {
      segments.push(Number(m[2]));
    }
  }
  return segments;
}

function displayPath(segments: readonly PathSegment[]): string {
  let text = '';
  for (const s of segments) text += typeof s === 'number' ? `[${s}]` : text ? `.${s}` : s;
  return text;
}

/**
 * Applies one `--set key=value` to `doc` in place. Missing mappings (and lists, when
 * indexed at 0) on the way are created; an index may append one entry past the end of a
 * list. A hint entry written as a bare name (`- free-page-hint`) becomes
 * `{strategy: free-page-hint}` when a field below it is set, so
 * `--set hints[0].order=9` works on either form.
 * @throws WorkloadError naming `--set <key>` for a malformed assignment.
 */
export function applySet(doc: Record<string, unknown>, assignment: string, file: string): void {
  const eq = assignment.indexOf('=');
  const key = eq < 0 ? assignment : assignment.slice(0, eq).trim();
  const fail = (problem: string): never => {
    throw new WorkloadError(file, `--set ${key}`, problem);
  };
  if (eq < 0) fail(`needs the form key=value, e.g. migration.bandwidth=25Gbit/s`);
  const segments = parseSetPath(key);
  if (!segments) fail('is not a field path such as migration.bandwidth or phases[0].duration');
  // The value is YAML: a scalar (`25Gbit/s`, `9`, `true`) or a flow collection (`[a, b]`).
  const parsed = readYaml(assignment.slice(eq + 1).trim());
  if (!parsed.ok) return fail(`has a value that is not valid YAML: ${parsed.message}`);

  let node: unknown = doc;
  const path = segments as PathSegment[];
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const here = displayPath(path.slice(0, i));
    const isLast = i === path.length - 1;
    const next = path[i + 1];
    let container: Record<string, unknown> | unknown[];
    if (typeof segment === 'string') {
      if (!isMapping(node)) return fail(`sets a field of ${here}, which is not a mapping`);
      container = node;
    } else {
      if (!Array.isArray(node)) return fail(`indexes ${here}, which is not a list`);
      if (segment > node.length) {
        return fail(`indexes past the end of ${here} (it has ${node.length} ${node.length === 1 ? 'entry' : 'entries'})`);
      }
      container = node;
    }
    const slot = container as Record<string | number, unknown>;
    if (isLast) {
      slot[segment] = parsed.value;
      return;
    }
    let child = slot[segment];
    if (child === undefined || child === null) {
      child = typeof next === 'number' ? [] : {};
      slot[segment] = child;
    } else if (typeof child === 'string' && here === 'hints' && typeof next === 'string') {
      child = { strategy: child };
      slot[segment] = child;
    }
    node = child;
  }
}

/** `--hints all`: every strategy, one run each, at default options. */
export const ALL_HINTS = 'all';

/**
 * Replaces `doc.hints` with `names` at default options (`--hints`). `none` stands for the
 * baseline, which always runs, so `['none']` or `[]` leave only the baseline; `all` stands
 * for every strategy, one run each, in `strategyNames` order (the strategy comparison). A
 * name may combine strategies with `+` (`unaccepted+page-reporting`).
 * @throws UsageError naming `--hints` for an unknown or repeated name.
 */
export function applyHintNames(doc: Record<string, unknown>, names: readonly string[], strategyNames: readonly string[]): void {
  const kept: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === 'none') continue;
    if (name === ALL_HINTS) {
      for (const strategy of strategyNames) if (!kept.includes(strategy)) kept.push(strategy);
      continue;
    }
    for (const part of name.split('+')) {
      if (!strategyNames.includes(part)) {
        throw new UsageError(`--hints has an unknown strategy ${part} (known: none, ${strategyNames.join(', ')})`);
      }
    }
    if (kept.includes(name)) throw new UsageError(`--hints names ${name} twice`);
    kept.push(name);
  }
  doc.hints = kept;
}
