/**
 * YAML text to plain JavaScript values (`yaml` package, YAML 1.2 core schema, so `on` and
 * `yes` stay strings), with the first syntax error as a one-line message and its line.
 * Shared by the workload file and `--set` values.
 */

import { parseDocument } from 'yaml';

export type YamlResult =
  | { ok: true; empty: boolean; value: unknown }
  | { ok: false; line: number | null; message: string };

/** Parses `text`; never throws. `empty` is true for a file with no content (or only comments). */
export function readYaml(text: string): YamlResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    // yaml appends " at line L, column C:" and a code excerpt; the caller prints one line.
    let message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
    // The yaml package's parser recurses per level and reports the stack overflow.
    if (/maximum call stack size exceeded/i.test(message)) message = `nests collections too deeply (at most ${MAX_YAML_DEPTH} levels)`;
    return { ok: false, line: error.linePos?.[0].line ?? null, message: lowerFirst(message) };
  }
  if (doc.contents === null) return { ok: true, empty: true, value: null };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // An unresolved alias, or too many alias expansions.
    return { ok: false, line: null, message: lowerFirst((err as Error).message) };
  }
  const problem = findCycleOrDepth(value);
  if (problem !== null) return { ok: false, line: null, message: problem };
  return { ok: true, empty: false, value };
}

/** Deepest nesting of collections accepted; a workload needs about 5 (phases[0].writes[0]). */
export const MAX_YAML_DEPTH = 64;

/**
 * An alias to an enclosing node (`memory: &a [*a]`) makes toJS() build a value that
 * contains itself; every later walk of it (JSON.stringify in a message, the field readers)
 * would fail or never end. Names the path where the cycle closes, or a nesting deeper than
 * MAX_YAML_DEPTH; null when the value is a tree (or a DAG: an anchor used twice, side by
 * side, is fine and walked once).
 */
function findCycleOrDepth(root: unknown): string | null {
  const open = new Set<object>();
  const done = new Set<object>();
  const walk = (value: unknown, path: string, depth: number): string | null => {
    if (typeof value !== 'object' || value === null || done.has(value)) return null;
    const where = path === '' ? 'the document' : path.length > 80 ? `...${path.slice(-77)}` : path;
    if (open.has(value)) return `${where} is a YAML alias to a node that contains it (a cycle)`;
    if (depth > MAX_YAML_DEPTH) return `${where} nests collections more than ${MAX_YAML_DEPTH} levels deep`;
    open.add(value);
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [`${path}[${index}]`, item])
      : value instanceof Map
        ? [...value.entries()].map(([key, item]) => [joinKey(path, String(key)), item])
        : Object.entries(value).map(([key, item]) => [joinKey(path, key), item]);
    for (const [childPath, child] of entries) {
      const problem = walk(child, childPath, depth + 1);
      if (problem !== null) return problem;
    }
    open.delete(value);
    done.add(value);
    return null;
  };
  return walk(root, '', 0);
}

function joinKey(path: string, key: string): string {
  const shown = key.length > 40 ? `${key.slice(0, 37)}...` : key;
  return path === '' ? shown : `${path}.${shown}`;
}

/** "All mapping items…" → "all mapping items…", leaving acronyms ("YAML") alone. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}
