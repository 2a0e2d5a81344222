/**
 * Reading one YAML mapping of a workload file field by field, collecting every problem
 * instead of stopping at the first. Each typed reader returns the value in base units,
 * the default when the key is absent (or null), and on a bad value records an issue of the
 * shape `<path> <problem> (got <value>)` and returns a poison value: NaN for numbers, so
 * cross-field checks guarded by `known()` skip it; the default for enums and booleans.
 * The parser throws once, after the whole document has been read (parse-workload.ts).
 */

/** One problem found in a workload: the field path and a predicate about it. */
export interface WorkloadIssue {
  path: string;
  problem: string;
}

/** Longest value quoted in a message (one error line was 1 MB: a value echoed whole). */
export const MAX_QUOTED_CHARS = 200;

/** `text` cut to `max` characters, the cut marked with `...`. */
export function clipText(text: string, max: number = MAX_QUOTED_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * The value as it was written, for `(got …)`: strings raw, structures as compact JSON;
 * at most MAX_QUOTED_CHARS (structures 60).
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return clipText(value === '' || value.trim() !== value ? JSON.stringify(value) : value);
  if (value === undefined) return 'nothing';
  if (typeof value !== 'object' || value === null) return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** The issues of one document, in the order they were found. */
export class IssueList {
  readonly issues: WorkloadIssue[] = [];

  /** Records `<path> <problem>`, plus ` (got <value>)` when a value is passed. */
  add(path: string, problem: string, ...got: [unknown?]): void {
    const suffix = got.length > 0 ? ` (got ${formatValue(got[0])})` : '';
    const issue = { path, problem: problem + suffix };
    // Options shared by combined hint strategies are read once per strategy: report once.
    if (this.issues.some((i) => i.path === issue.path && i.problem === issue.problem)) return;
    this.issues.push(issue);
  }
}

/** True when no number is NaN, that is when every input of a cross-field check was valid. */
export function known(...values: number[]): boolean {
  for (const v of values) if (Number.isNaN(v)) return false;
  return true;
}

/** A plain mapping as YAML's toJS() builds it (not a list, Buffer, Date or null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `a.b` or `a[0]` style child path. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** Levenshtein distance, for "did you mean" on unknown fields (names are short). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** ` (did you mean X?)` when one known name is within two edits (case-insensitive), else ''. */
export function suggestion(key: string, knownKeys: readonly string[]): string {
  // Field names are short; a long key is no typo (and the distance is O(length^2)).
  if (key.length > 40) return '';
  let best = '';
  let bestDistance = 3;
  for (const k of knownKeys) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

/** Reads the fields of one mapping; see the file header for the error contract. */
export class FieldReader {
  readonly issues: IssueList;
  readonly path: string;
  private readonly obj: Record<string, unknown>;

  /**
   * `knownKeys` null skips the unknown-field check (the caller does it, as hint entries
   * do to name the strategy in the message).
   */
  constructor(issues: IssueList, path: string, obj: Record<string, unknown>, knownKeys: readonly string[] | null) {
    this.issues = issues;
    this.path = path;
    this.obj = obj;
    if (knownKeys) {
      for (const key of Object.keys(obj)) {
        if (!knownKeys.includes(key)) {
          issues.add(childPath(path, clipText(key, 60)), `is not a known field${suggestion(key, knownKeys)}`);
        }
      }
    }
  }

  /**
   * A reader over `value` at `path`: absent (undefined or null) gives an empty reader so
   * every field takes its default; anything but a mapping is an issue (and an empty reader).
   */
  static open(issues: IssueList, value: unknown, path: string, knownKeys: readonly string[] | null): FieldReader {
    if (value === undefined || value === null) return new FieldReader(issues, path, {}, null);
    if (!isMapping(value)) {
      issues.add(path, 'must be a mapping', value);
      return new FieldReader(issues, path, {}, null);
    }
    return new FieldReader(issues, path, value, knownKeys);
  }

  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** Whether the key is given (a YAML null counts as not given: the default applies). */
  has(key: string): boolean {
    const v = this.obj[key];
    return v !== undefined && v !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  pathOf(key: string): string {
    return childPath(this.path, key);
  }

  /** Records an issue on `key`, quoting its value when it is given. */
  fail(key: string, problem: string): void {
    if (this.has(key)) this.issues.add(this.pathOf(key), problem, this.obj[key]);
    else this.issues.add(this.pathOf(key), problem);
  }

  /**
   * The converted value of `key`; `fallback` when absent; when `required` and absent an
   * issue "is required". A converter error becomes an issue, and `poison` is returned.
   */
  read<T>(key: string, convert: (value: unknown) => T, fallback: T, poison: T, required = false): T {
    if (!this.has(key)) {
      if (required) this.issues.add(this.pathOf(key), 'is required');
      return required ? poison : fallback;
    }
    try {
      return convert(this.obj[key]);
    } catch (err) {
      this.fail(key, (err as Error).message);
      return poison;
    }
  }

  /** A number read by `convert`; `fallback` undefined means the field is required. NaN on error. */
  quantity(key: string, convert: (value: unknown) => number, fallback?: number): number {
    return this.read(key, convert, fallback ?? NaN, NaN, fallback === undefined);
  }

  /** Like quantity(), but the string `none` gives null (a rule or limit switched off). */
  quantityOrNone(key: string, convert: (value: unknown) => number, fallback: number | null): number | null {
    return this.read(key, (v) => (v === 'none' ? null : convert(v)), fallback, NaN);
  }

  bool(key: string, fallback: boolean): boolean {
    return this.read(
      key,
      (v) => {
        if (typeof v !== 'boolean') throw new Error('must be true or false');
        return v;
      },
      fallback,
      fallback,
    );
  }

  choice<T extends string>(key: string, options: readonly T[], fallback: T): T {
    return this.read(
      key,
      (v) => {
        if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
          throw new Error(`must be one of ${options.join(', ')}`);
        }
        return v as T;
      },
      fallback,
      fallback,
    );
  }

  /** A non-empty string, or `fallback` when absent. */
  string<T extends string | null>(key: string, fallback: T): string | T {
    return this.read<string | T>(
      key,
      (v) => {
        if (typeof v !== 'string' || v === '') throw new Error('must be a non-empty string');
        return v;
      },
      fallback,
      fallback,
    );
  }

  /** A list (absent → empty); anything else is an issue and gives an empty list. */
  list(key: string): unknown[] {
    if (!this.has(key)) return [];
    const v = this.obj[key];
    if (!Array.isArray(v)) {
      this.fail(key, 'must be a list');
      return [];
    }
    return v;
  }

  /** A reader over the mapping at `key` (absent → empty reader, all defaults). */
  child(key: string, knownKeys: readonly string[]): FieldReader {
    return FieldReader.open(this.issues, this.obj[key], this.pathOf(key), knownKeys);
  }
}
