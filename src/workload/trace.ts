/**
 * Trace files (docs/model.md §1.4): one row per line, `time op pfn order`, time in seconds from
 * the start of the phase, op `alloc`, `free` or `write`, sorted by time; `#` starts a
 * comment. `migsim record` writes them from the kernel's kmem:mm_page_alloc and
 * kmem:mm_page_free tracepoints. Pure: the caller reads (and gunzips) the file, within a
 * byte budget (src/io/read-workload.ts); rows are bounded here.
 */
import { TRACE_ALLOC, TRACE_FREE, TRACE_WRITE, type TraceRows } from '../core/types.js';
import { clipText } from './field-reader.js';

const OPS: Record<string, number> = { alloc: TRACE_ALLOC, free: TRACE_FREE, write: TRACE_WRITE };

/** Longest trace line: `time op pfn order` is under 40 characters; comments get room. */
export const MAX_TRACE_LINE_CHARS = 256;

/** Rows a trace may have unless the caller says otherwise (1.4 GB of rows). */
export const MAX_TRACE_ROWS = 100_000_000;

/** Parses trace text; throws Error(`line N: …`) on the first bad row. Allocates the arrays. */
export function parseTrace(text: string, totalPages: number, maxOrder: number, maxRows: number = MAX_TRACE_ROWS): TraceRows {
  return parseTraceBytes(new TextEncoder().encode(text), totalPages, maxOrder, maxRows);
}

const NEWLINE = 0x0a;
const LATIN1 = new TextDecoder('latin1');

/**
 * Parses the bytes of a trace line by line, never as one string (a 2 GB trace as one
 * string killed Node): a NUL byte (a binary file, or zeros a gzip bomb inflated to), a
 * line over MAX_TRACE_LINE_CHARS or more than `maxRows` rows throw Error(`line N: …`).
 * Allocates the arrays, grown by doubling.
 */
export function parseTraceBytes(bytes: Uint8Array, totalPages: number, maxOrder: number, maxRows: number = MAX_TRACE_ROWS): TraceRows {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`line ${lineOf(bytes, nul)}: a NUL byte (offset ${nul}): not a text trace`);
  let capacity = 1024;
  let rows = newRows(capacity);
  let count = 0;
  let lastSec = -Infinity;
  let lineNumber = 0;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end < 0) end = bytes.length;
    lineNumber++;
    const where = `line ${lineNumber}`;
    if (end - start > MAX_TRACE_LINE_CHARS) throw new Error(`${where}: longer than ${MAX_TRACE_LINE_CHARS} characters (got ${end - start})`);
    const line = LATIN1.decode(bytes.subarray(start, end)).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(/\s+/);
    if (cells.length !== 4) throw new Error(`${where}: expected "time op pfn order" (got ${JSON.stringify(clipText(line, 40))})`);
    const timeSec = Number(cells[0]);
    const op = OPS[cells[1]];
    const pfn = Number(cells[2]);
    const order = Number(cells[3]);
    if (!Number.isFinite(timeSec) || timeSec < 0) throw new Error(`${where}: time must be seconds >= 0 (got ${clipText(cells[0], 40)})`);
    if (timeSec < lastSec) throw new Error(`${where}: times must be sorted (got ${clipText(cells[0], 40)} after ${lastSec})`);
    if (op === undefined) throw new Error(`${where}: op must be alloc, free or write (got ${clipText(cells[1], 40)})`);
    if (!Number.isInteger(order) || order < 0 || order > maxOrder) throw new Error(`${where}: order must be 0..${maxOrder} (got ${clipText(cells[3], 40)})`);
    if (!Number.isInteger(pfn) || pfn < 0 || pfn % 2 ** order !== 0) throw new Error(`${where}: pfn must be an integer aligned to its order (got ${clipText(cells[2], 40)})`);
    if (pfn + 2 ** order > totalPages) throw new Error(`${where}: pfn ${pfn} order ${order} lies beyond guest.memory (${totalPages} pages)`);
    if (count === maxRows) throw new Error(`${where}: more than ${maxRows} rows (the limit for this trace; raise --max-memory)`);
    if (count === capacity) {
      capacity = Math.min(capacity * 2, maxRows);
      rows = grow(rows, capacity);
    }
    rows.timesSec[count] = timeSec;
    rows.ops[count] = op;
    rows.pfns[count] = pfn;
    rows.orders[count] = order;
    count++;
    lastSec = timeSec;
  }
  return { count, timesSec: rows.timesSec.slice(0, count), ops: rows.ops.slice(0, count), pfns: rows.pfns.slice(0, count), orders: rows.orders.slice(0, count) };
}

/** The 1-based line of byte `offset` (for messages; counts the newlines before it). */
function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < offset; i = bytes.indexOf(NEWLINE, i + 1)) line++;
  return line;
}

function newRows(capacity: number): Omit<TraceRows, 'count'> {
  return { timesSec: new Float64Array(capacity), ops: new Uint8Array(capacity), pfns: new Int32Array(capacity), orders: new Uint8Array(capacity) };
}

function grow(rows: Omit<TraceRows, 'count'>, capacity: number): Omit<TraceRows, 'count'> {
  const grown = newRows(capacity);
  grown.timesSec.set(rows.timesSec);
  grown.ops.set(rows.ops);
  grown.pfns.set(rows.pfns);
  grown.orders.set(rows.orders);
  return grown;
}
