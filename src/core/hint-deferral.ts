/**
 * Free-page hints that wait for the migration bitmap. QEMU's qemu_guest_free_page_hint
 * takes ram_state->bitmap_mutex, which ram_save_iterate holds over its page loop, so the
 * balloon's iothread applies a hint only between iterations: the hints that arrived
 * during an iteration land when it ends (QEMU releases the mutex before the EOS flush;
 * MAX_WAIT bounds the wait, as its comment says), and later ones at once while the
 * sender waits for its next rate slot or syncs. Evidence: the samples.csv of
 * calibration/qemu10-tcg-1gib's hints-on runs, where `remaining` falls by hinted blocks
 * only between sends: garbage_hints-on_rep1 holds 126977 skipped pages from 0.206 s to
 * 0.2515 s while sending, then 159744 at 0.2565 s; of 122 polls with sends in the
 * garbage runs, 95 saw no hint land and 24 of the 27 others were the last poll of a
 * burst. Without a cap QEMU's trace shows the same (validation/issue12x-uncapped-hosts:
 * every free-page element given back 0.03–5 ms after a ram_save_iterate call ended on
 * MAX_WAIT, none inside one). There all the waiting hints land only when the migration
 * thread stays away from the mutex, otherwise the one the iothread was blocked on. The
 * backlog drained at 11 of 16 ends under load, and once or twice a run on the idle host.
 * Landing all of them at each end is the closer rule. Landing one per end sends 924 000
 * zero pages in iteration 1 of the uncapped 4 GiB garbage run, against the 324 000 QEMU
 * sent (qemu10-tcg-uncapped-idle, rep1) and the 307 000 of this rule.
 */

/** Where waiting hints land once the bitmap is free. */
export interface HintTarget {
  /** Clears the hinted block's bits; returns how many it turned from 1 to 0. */
  clearHinted(pfn: number, pages: number, clearsDirtyLog: boolean): number;
}

export class DeferredHints {
  // Oldest first. Grown by doubling (a 50 ms iteration queues at most a few dozen 4 MiB blocks).
  private pfns = new Int32Array(64);
  private pages = new Int32Array(64);
  private clears = new Uint8Array(64);
  private count = 0;

  get waiting(): number {
    return this.count;
  }

  defer(pfn: number, pages: number, clearsDirtyLog: boolean): void {
    if (this.count === this.pfns.length) {
      const pfns = new Int32Array(this.count * 2);
      const pageCounts = new Int32Array(this.count * 2);
      const clears = new Uint8Array(this.count * 2);
      pfns.set(this.pfns);
      pageCounts.set(this.pages);
      clears.set(this.clears);
      this.pfns = pfns;
      this.pages = pageCounts;
      this.clears = clears;
    }
    this.pfns[this.count] = pfn;
    this.pages[this.count] = pages;
    this.clears[this.count] = clearsDirtyLog ? 1 : 0;
    this.count++;
  }

  /** The page loop released the bitmap: the waiting hints land on `target`, oldest first. */
  release(target: HintTarget): void {
    const count = this.count;
    for (let i = 0; i < count; i++) target.clearHinted(this.pfns[i], this.pages[i], this.clears[i] === 1);
    this.count = 0;
  }
}
