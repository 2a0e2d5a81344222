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
    const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
    return { ok: false, line: error.linePos?.[0].line ?? null, message: lowerFirst(message) };
  }
  if (doc.contents === null) return { ok: true, empty: true, value: null };
  try {
    return { ok: true, empty: false, value: doc.toJS() };
  } catch (err) {
    // An unresolved alias, or too many alias expansions.
    return { ok: false, line: null, message: lowerFirst((err as Error).message) };
  }
}

/** "All mapping items…" → "all mapping items…", leaving acronyms ("YAML") alone. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}
