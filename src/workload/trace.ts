/**
 * Trace files (docs/model.md §1.4): one row per line, `time op pfn order`, time in seconds from
 * the start of the phase, op `alloc`, `free` or `write`, sorted by time; `#` starts a
 * comment. `migsim record` writes them from the kernel's kmem:mm_page_alloc and
 * kmem:mm_page_free tracepoints. Pure: the caller reads (and gunzips) the file.
 */
import { TRACE_ALLOC, TRACE_FREE, TRACE_WRITE, type TraceRows } from '../core/types.js';
import { clipText } from './field-reader.js';

const OPS: Record<string, number> = { alloc: TRACE_ALLOC, free: TRACE_FREE, write: TRACE_WRITE };

/** Parses trace text; throws Error(`line N: …`) on the first bad row. Allocates the arrays. */
export function parseTrace(text: string, totalPages: number, maxOrder: number): TraceRows {
  const lines = text.split('\n');
  let capacity = 1024;
  let rows = newRows(capacity);
  let count = 0;
  let lastSec = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(/\s+/);
    const where = `line ${i + 1}`;
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
    if (count === capacity) {
      capacity *= 2;
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
