/**
 * The host side of continuous reporting (docs/model.md §4.2–4.4): QEMU answers a hint or a
 * report of free pages with ram_block_discard_range (MADV_DONTNEED), so the pages read as
 * zero, lose their backing, and the migration sends them as zero pages (9 B). Shared by
 * every discarding strategy of a run, it also remembers which pages are already discarded
 * and not allocated since, to count redundant hints: the host had nothing left to drop.
 * Discarding is not a guest write: the dirty log and the migration bitmap are untouched.
 */
import { Bitmap } from '../bitmap.js';
import type { GuestMemory } from '../guest-memory.js';

export class HostDiscard {
  private readonly memory: GuestMemory;
  /** Discarded by the host and not allocated since. */
  private readonly discarded: Bitmap;

  /** Allocates one bit per page. */
  constructor(memory: GuestMemory) {
    this.memory = memory;
    this.discarded = new Bitmap(memory.totalPages);
  }

  /**
   * The host discards [pfn, pfn + pages). Returns how many of them were already
   * discarded and not allocated since (redundant pages hinted). Does not allocate.
   */
  discard(pfn: number, pages: number): number {
    const end = pfn + pages;
    const redundant = this.discarded.countRange(pfn, end);
    this.discarded.setRange(pfn, end);
    this.memory.discardRange(pfn, end);
    return redundant;
  }

  /** An allocation took [pfn, pfn + pages): its pages count as fresh again. */
  forget(pfn: number, pages: number): void {
    this.discarded.clearRange(pfn, pfn + pages);
  }
}
