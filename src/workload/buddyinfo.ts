/**
 * /proc/buddyinfo (mm/vmstat.c frag_show_print): one line per zone,
 * `Node 0, zone   DMA32      1      1      2 …`, the number of free blocks of each order
 * from 0. migsim has one zone, so the zones are summed (docs/model.md §1.3). Pure: the caller
 * reads the file. Lines from a guest dump may carry a prefix (`BUDDYINFO: Node 0, …`).
 */
import { clipText } from './field-reader.js';

/** Free blocks per order, zones summed. Throws Error with the line number on bad input. */
export function parseBuddyinfo(text: string): number[] {
  const counts: number[] = [];
  let zones = 0;
  text.split('\n').forEach((line, index) => {
    const match = /Node\s+\d+,\s*zone\s+\S+((?:\s+\d+)+)\s*$/.exec(line);
    if (match === null) {
      if (line.trim() !== '') throw new Error(`line ${index + 1}: not a /proc/buddyinfo line (got ${JSON.stringify(clipText(line, 40))})`);
      return;
    }
    zones++;
    match[1]
      .trim()
      .split(/\s+/)
      .forEach((cell, order) => {
        counts[order] = (counts[order] ?? 0) + Number(cell);
      });
  });
  if (zones === 0) throw new Error('has no zone lines ("Node 0, zone DMA32 …")');
  return counts;
}

/** Free pages described by per-order block counts. */
export function buddyinfoFreePages(counts: readonly number[]): number {
  return counts.reduce((pages, count, order) => pages + count * 2 ** order, 0);
}
