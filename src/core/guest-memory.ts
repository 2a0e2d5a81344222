/**
 * Per-page state of the guest (docs/model.md §1.2) and the guest write path with dirty
 * tracking (§1.4, §2). One bit per page per flag, in Uint32Array words indexed by pfn.
 * Mirrors KVM's write-protect dirty log: a write to a protected page faults and logs its
 * granule; with manual protect (`clear: lazy`) a page fetched by a sync stays unprotected
 * (`snap`) until its chunk is cleared. Ignores what the loss check and the byte counts
 * cannot see: page content beyond "zero or not", and TLB or cache effects.
 *
 * A writer's runs of writes (`writePages`) may be deferred (`pendingWords`): code that reads
 * or changes the write path's flags of a page settles its word first (`settleWord`,
 * `settleRange`, `settleAll`, or the settling accessors `isPopulated`, `populatedCount`,
 * `populatedBits`); every method of this class does.
 */
import { Bitmap, popcount32 } from './bitmap.js';

export class GuestMemory {
  readonly totalPages: number;
  /** Owned by the workload or kernel: not free, not held by a strategy. */
  readonly allocated: Bitmap;
  /** Content is all zero bytes. */
  readonly zero: Bitmap;
  /** Backed by host memory (written at least once, not discarded since). */
  readonly populated: Bitmap;
  /** In the hypervisor's dirty log. */
  readonly logged: Bitmap;
  /** Fetched by the last sync and not yet cleared (lazy clear): unprotected. */
  readonly snap: Bitmap;
  /** The destination's copy may differ from the source. */
  readonly stale: Bitmap;
  /** The destination last received non-zero content. */
  readonly dstNonZero: Bitmap;
  /** Held by a hint strategy (free-page-hint blocks between report and DONE, blocks isolated for a report). */
  readonly held: Bitmap;
  /**
   * Summary bit of the write path: set only while a non-zero write to the page would change
   * nothing (tracking on; populated, non-zero, stale, logged or snapped, content defined).
   * Most writes of a bulk round hit such pages, so they cost one memory access instead of
   * four or five in different 32 MiB bitmaps (a cache and TLB miss each at 1 TiB). Clear is
   * always safe (the write takes the full path); whatever clears one of those conditions
   * clears the bit: sends, syncs (sync clear), chunk clears, discards, zero writes,
   * acceptance, undefined content. Set by a non-zero write with tracking on, and at
   * tracking start (`resetQuiet`).
   */
  readonly quiet: Bitmap;
  /**
   * Non-zero writes of `writePages` not applied to the flags yet (`deferWrites`): one bit
   * per page, the only bitmap such a write touches, as the speed-of-light loop's. At 64 GiB
   * over half the writes change state, and applying one reads six 2 MiB flag bitmaps at
   * random (12 MiB of flags against a 2 MiB L2, 3072 4 KiB pages against a ~2048-entry
   * second-level TLB). Applied a word at a time, in order, by whatever next reads or
   * changes that word's `populated`, `zero`, `stale`, `quiet`, `logged`, `snap` or the
   * fault count (`settleWord`, `settleRange`, `settleAll`): the sender as it reaches the
   * word (in pfn order, so sequentially), and every sync. The flags of a page with a
   * pending bit are stale until then, so code outside this class that reads or changes
   * those flags settles what it reads first.
   */
  private readonly pendingWords: Uint32Array;
  /** Some word of pendingWords may be non-zero (false: every settle is a no-op). */
  private writesPending = false;
  /**
   * Never accepted by the guest (TDX / SEV-SNP lazy acceptance, docs/model.md §4.5), or null
   * when the run has no such memory. The sender's setup leaves these pages out.
   */
  unaccepted: Bitmap | null = null;

  /** Dirty tracking is on (from setup, or from the end of gathering with before-logging). */
  trackingOn = false;
  /** Pages per tracking granule (power of two, ≥ 1). */
  readonly granulePages: number;
  /** Write-protect faults taken (accounting only). */
  faults = 0;
  /**
   * PML or dirty-ring exits taken (accounting only): with those trackers a write to a clean
   * page is logged without a fault, into a per-vCPU buffer of `bufferEntries` (PML: 512;
   * dirty ring: 4096) that exits to the host when it fills. 0 entries = write-protect.
   */
  exits = 0;
  /** The vCPU the current guest event runs on (set by the simulation before it fires). */
  currentVcpu = 0;
  private readonly bufferEntries: number;
  private readonly bufferFill: Int32Array;

  /**
   * @param bufferEntries 0 for write-protect tracking (a fault per first write); else the
   *   PML buffer or dirty-ring size per vCPU (an exit each time one fills).
   */
  constructor(totalPages: number, granulePages: number, vcpus = 1, bufferEntries = 0) {
    this.totalPages = totalPages;
    this.granulePages = granulePages;
    this.bufferEntries = bufferEntries;
    this.bufferFill = new Int32Array(vcpus);
    this.allocated = new Bitmap(totalPages);
    this.zero = new Bitmap(totalPages);
    this.populated = new Bitmap(totalPages);
    this.logged = new Bitmap(totalPages);
    this.snap = new Bitmap(totalPages);
    this.stale = new Bitmap(totalPages);
    this.dstNonZero = new Bitmap(totalPages);
    this.held = new Bitmap(totalPages);
    this.quiet = new Bitmap(totalPages);
    this.quietWords = this.quiet.words;
    this.pendingWords = new Uint32Array(this.quietWords.length);
    this.populatedWords = this.populated.words;
    this.zeroWords = this.zero.words;
    this.staleWords = this.stale.words;
    this.loggedWords = this.logged.words;
    this.snapWords = this.snap.words;
  }

  // The write path's words, hoisted out of their Bitmaps (one property load per access).
  private readonly populatedWords: Uint32Array;
  private readonly zeroWords: Uint32Array;
  private readonly staleWords: Uint32Array;
  private readonly loggedWords: Uint32Array;
  private readonly snapWords: Uint32Array;
  private readonly quietWords: Uint32Array;
  /** Pfns of a writePages batch that are not quiet, in order (the batch's second pass). */
  private readonly missed = new Int32Array(WRITE_BATCH);

  /**
   * Sets `quiet` exactly where its conditions hold: called when tracking starts (every
   * earlier change happened with tracking off, when nothing maintains the bit). Word at a time.
   */
  resetQuiet(): void {
    this.settleAll();
    const quiet = this.quietWords, populated = this.populatedWords, zero = this.zeroWords;
    const stale = this.staleWords, logged = this.loggedWords, snap = this.snapWords;
    const undefinedWords = this.undefinedContent === null ? null : this.undefinedContent.words;
    if (!this.trackingOn || !quietWritesEnabled.on) {
      quiet.fill(0);
      return;
    }
    for (let w = 0; w < quiet.length; w++) {
      const bits = populated[w] & ~zero[w] & stale[w] & (logged[w] | snap[w]);
      quiet[w] = undefinedWords === null ? bits : bits & ~undefinedWords[w];
    }
  }

  /**
   * A guest write of one page: `isZero` says whether the data written is all zero.
   * Returns true when the write faulted (a write-protected page under write-protect
   * tracking; PML and dirty-ring log without a fault). Allocation-free.
   */
  writePage(pfn: number, isZero: boolean): boolean {
    const w = pfn >>> 5;
    const m = 1 << (pfn & 31);
    if (this.writesPending) this.settleWord(w);
    if (!isZero && (this.quietWords[w] & m) !== 0) return false;
    this.populatedWords[w] |= m;
    if (isZero) this.zeroWords[w] |= m;
    else this.zeroWords[w] &= ~m;
    this.staleWords[w] |= m;
    if (this.undefinedContent !== null) this.undefinedContent.words[w] &= ~m;
    if (!this.trackingOn) {
      if (this.notReceived !== null && (this.notReceived.words[w] & m) === 0) this.writtenOnDestination(w, m, isZero);
      return false;
    }
    // After a non-zero write the page is populated, non-zero, stale, defined and (below)
    // logged or snapped: the next such write changes nothing. A zero write changes `zero`.
    if (isZero) this.quietWords[w] &= ~m;
    else if (quietWritesEnabled.on) this.quietWords[w] |= m;
    if (((this.loggedWords[w] | this.snapWords[w]) & m) !== 0) return false;
    return this.logWrite(pfn);
  }

  /**
   * After a postcopy switch the destination runs the guest: the pages it has not received
   * yet (the migration bitmap, endings/postcopy.ts), else null. A write to a received page
   * is the destination's own content; one to a missing page is taken as the source's and
   * reaches the destination with it.
   */
  notReceived: Bitmap | null = null;

  private writtenOnDestination(w: number, m: number, isZero: boolean): void {
    this.staleWords[w] &= ~m;
    if (isZero) this.dstNonZero.words[w] &= ~m;
    else this.dstNonZero.words[w] |= m;
  }

  /**
   * Writes pfns[from, from + count) with non-zero data, in order, as writePage would one by
   * one: a tight loop while tracking is off (before migration), the write path otherwise.
   */
  writePages(pfns: Int32Array, from: number, count: number): void {
    const end = from + count;
    if (this.deferWrites()) {
      // The write is a bit set in `pendingWords`, applied when something reads its word.
      const pending = this.pendingWords;
      for (let i = from; i < end; i++) {
        const pfn = pfns[i];
        pending[pfn >>> 5] |= 1 << (pfn & 31);
      }
      if (count > 0) this.writesPending = true;
      return;
    }
    if (this.writesPending) this.settleAll();
    if (this.trackingOn) {
      // Two passes per batch: the first reads only `quiet` (independent loads the CPU
      // overlaps, one per write) and keeps the pfns whose write changes something; the
      // second writes those in order. Skipping a quiet page's write changes no state and no
      // counter, whatever comes before or after it in the batch.
      const quiet = this.quietWords, missed = this.missed;
      // The second pass inline when only the flags can differ from writePage's path (content
      // defined, one page per granule, the summary bit on): the same stores without
      // writePage's per-write checks, and the logs counted once per batch.
      const inline = this.undefinedContent === null && this.granulePages === 1 && quietWritesEnabled.on;
      const populated = this.populatedWords, zero = this.zeroWords, stale = this.staleWords;
      const logged = this.loggedWords, snap = this.snapWords;
      for (let batch = from; batch < end; batch += WRITE_BATCH) {
        const batchEnd = Math.min(end, batch + WRITE_BATCH);
        let misses = 0;
        for (let i = batch; i < batchEnd; i++) {
          const pfn = pfns[i];
          missed[misses] = pfn;
          misses += ((quiet[pfn >>> 5] >>> (pfn & 31)) & 1) ^ 1;
        }
        if (!inline) {
          for (let i = 0; i < misses; i++) this.writePage(missed[i], false);
          continue;
        }
        let logs = 0;
        for (let i = 0; i < misses; i++) {
          const pfn = missed[i];
          const w = pfn >>> 5;
          const m = 1 << (pfn & 31);
          // populated and zero stored only when they change (a data page's rarely do).
          const populatedWord = populated[w];
          if ((populatedWord & m) === 0) populated[w] = populatedWord | m;
          const zeroWord = zero[w];
          if ((zeroWord & m) !== 0) zero[w] = zeroWord & ~m;
          stale[w] |= m;
          quiet[w] |= m;
          // Logged unless logged or snapped already (logWrite); a pfn twice in the batch
          // logs once, as its second write would find it quiet.
          const loggedWord = logged[w];
          const fresh = m & ~(loggedWord | snap[w]);
          logged[w] = loggedWord | fresh;
          logs += (fresh >>> (pfn & 31)) & 1;
        }
        if (logs > 0) this.countLogs(logs);
      }
      return;
    }
    if (this.undefinedContent !== null || this.notReceived !== null) {
      for (let i = from; i < end; i++) this.writePage(pfns[i], false);
      return;
    }
    const populated = this.populatedWords, zero = this.zeroWords, stale = this.staleWords;
    for (let i = from; i < end; i++) {
      const pfn = pfns[i];
      const w = pfn >>> 5;
      const m = 1 << (pfn & 31);
      populated[w] |= m;
      zero[w] &= ~m;
      stale[w] |= m;
    }
  }

  /**
   * writePages of pfns[from, end) up to, not including, the first pfn in bitmap word
   * `avoidWord` (−1: none) or in [avoidFromPfn, avoidFromPfn + avoidSpanPages) (span 0:
   * none); returns where it stopped (`end` when no pfn is avoided). Deferred, the test and
   * the pending bit go in one pass over the batch, as the speed-of-light loop's one pass.
   */
  writePagesUntil(pfns: Int32Array, from: number, end: number, avoidWord: number, avoidFromPfn: number, avoidSpanPages: number): number {
    if (this.deferWrites()) {
      const pending = this.pendingWords;
      let i = from;
      for (; i < end; i++) {
        const pfn = pfns[i];
        // (pfn − from) as unsigned is below the span exactly when pfn is in the range.
        if (pfn >>> 5 === avoidWord || (pfn - avoidFromPfn) >>> 0 < avoidSpanPages) break;
        pending[pfn >>> 5] |= 1 << (pfn & 31);
      }
      if (i > from) this.writesPending = true;
      return i;
    }
    let stop = end;
    for (let i = from; i < end; i++) {
      const pfn = pfns[i];
      if (pfn >>> 5 === avoidWord || (pfn - avoidFromPfn) >>> 0 < avoidSpanPages) {
        stop = i;
        break;
      }
    }
    this.writePages(pfns, from, stop - from);
    return stop;
  }

  /**
   * Whether writePages defers its writes (`pendingWords`): with tracking off (the writes
   * before migration: each sets three flags at random), or on under write-protect (a fault
   * is a count, whichever vCPU takes it; a PML or dirty-ring entry goes to the current
   * vCPU's buffer, which a later settle would not know) with one page per granule; content
   * defined, not a postcopy destination, and the summary bit on (off, the tests' reference
   * path writes every page in full). Every change of `trackingOn` settles all first, so a
   * pending write is applied in the mode it was made in.
   */
  private deferWrites(): boolean {
    return (
      (!this.trackingOn || (this.bufferEntries === 0 && this.granulePages === 1)) &&
      this.undefinedContent === null &&
      this.notReceived === null &&
      quietWritesEnabled.on
    );
  }

  /**
   * Applies word w's pending writes. Each is what writePage does to its page (populated,
   * non-zero, stale; with tracking on also quiet, and logged with a fault unless logged or
   * snapped): the
   * flags change per page and a second write to a page changes nothing, so one word
   * operation gives the state the writes in order gave, as long as nothing read or changed
   * the word in between (what every settle call site guarantees).
   */
  settleWord(w: number): void {
    const bits = this.pendingWords[w];
    if (bits !== 0) this.applyPending(w, bits);
  }

  private applyPending(w: number, bits: number): void {
    this.pendingWords[w] = 0;
    this.populatedWords[w] |= bits;
    this.zeroWords[w] &= ~bits;
    this.staleWords[w] |= bits;
    // With tracking off a write logs nothing and no page is quiet (writePage).
    if (!this.trackingOn) return;
    this.quietWords[w] |= bits;
    const loggedWord = this.loggedWords[w];
    const fresh = bits & ~(loggedWord | this.snapWords[w]);
    if (fresh !== 0) {
      this.loggedWords[w] = loggedWord | fresh;
      this.faults += popcount32(fresh);
    }
  }

  /** settleWord for every word holding a page of [from, to). */
  settleRange(from: number, to: number): void {
    if (!this.writesPending || from >= to) return;
    for (let w = from >>> 5, last = (to - 1) >>> 5; w <= last; w++) this.settleWord(w);
  }

  /** Every pending write applied (a sync, the loss check, tracking off). A walk in word order. */
  settleAll(): void {
    if (!this.writesPending) return;
    const pending = this.pendingWords;
    for (let w = 0; w < pending.length; w++) if (pending[w] !== 0) this.applyPending(w, pending[w]);
    this.writesPending = false;
  }

  /** Whether page pfn is populated (its pending writes applied first). */
  isPopulated(pfn: number): boolean {
    if (this.writesPending) this.settleWord(pfn >>> 5);
    return (this.populatedWords[pfn >>> 5] & (1 << (pfn & 31))) !== 0;
  }

  /** Populated pages in [from, to) (their pending writes applied first). */
  populatedCount(from: number, to: number): number {
    this.settleRange(from, to);
    return this.populated.countRange(from, to);
  }

  /**
   * `logs` first writes, as logWrite counts them one by one: faults under write-protect;
   * else buffer entries on the current vCPU, an exit each time its buffer fills (n entries
   * fill it as n single entries would).
   */
  private countLogs(logs: number): void {
    if (this.bufferEntries === 0) {
      this.faults += logs;
      return;
    }
    const fill = this.bufferFill[this.currentVcpu] + logs;
    this.exits += Math.floor(fill / this.bufferEntries);
    this.bufferFill[this.currentVcpu] = fill % this.bufferEntries;
  }

  /** The first write to a page that is neither logged nor snapped: a fault or a buffer entry, and the log. */
  private logWrite(pfn: number): boolean {
    const faulted = this.bufferEntries === 0;
    if (faulted) {
      this.faults++;
    } else if (++this.bufferFill[this.currentVcpu] === this.bufferEntries) {
      this.bufferFill[this.currentVcpu] = 0;
      this.exits++;
    }
    if (this.granulePages === 1) {
      this.loggedWords[pfn >>> 5] |= 1 << (pfn & 31);
    } else {
      // Coarse trackers log the whole aligned granule; only the written page changed.
      const first = pfn - (pfn % this.granulePages);
      this.logged.setRange(first, first + this.granulePages);
    }
    return faulted;
  }

  /**
   * The host discards [from, to) (MADV_DONTNEED of reported or hinted free pages): the
   * pages read as zero and are no longer backed. Not a guest write: nothing is logged, so
   * a page already sent with data stays as it is on the destination and becomes `stale`
   * (it is free, so the loss check ignores it until the guest writes it again, which logs
   * it). Word at a time; does not allocate.
   */
  discardRange(from: number, to: number): void {
    if (from >= to) return;
    this.settleRange(from, to);
    const zero = this.zero.words, populated = this.populated.words;
    const stale = this.stale.words, dst = this.dstNonZero.words;
    const firstWord = from >>> 5, lastWord = (to - 1) >>> 5;
    for (let w = firstWord; w <= lastWord; w++) {
      let mask = 0xffffffff;
      if (w === firstWord) mask &= 0xffffffff << (from & 31);
      if (w === lastWord) mask &= 0xffffffff >>> (31 - ((to - 1) & 31));
      zero[w] |= mask;
      populated[w] &= ~mask;
      stale[w] |= dst[w] & mask;
    }
    this.quiet.clearRange(from, to);
  }

  /**
   * Pages whose content is undefined (allocated by a trace row with init_on_alloc off):
   * the loss check ignores them until they are written. Null until first needed.
   */
  undefinedContent: Bitmap | null = null;

  markUndefined(from: number, to: number): void {
    // Writes are deferred only while no content is undefined: apply them all first.
    this.settleAll();
    if (this.undefinedContent === null) this.undefinedContent = new Bitmap(this.totalPages);
    this.undefinedContent.setRange(from, to);
    this.quiet.clearRange(from, to);
  }

  /**
   * KVM_CLEAR_DIRTY_LOG over [from, to): `snap` pages are protected again, so a page that
   * was quiet only by its snap bit is no longer (its next write faults and logs it).
   */
  clearSnapRange(from: number, to: number): void {
    if (from >= to) return;
    const quiet = this.quietWords, logged = this.loggedWords, snap = this.snapWords;
    const pending = this.pendingWords, settle = this.writesPending;
    // One pass per word: its deferred writes (which read `snap`) first, then the clear.
    for (let w = from >>> 5, last = (to - 1) >>> 5; w <= last; w++) {
      if (settle && pending[w] !== 0) this.applyPending(w, pending[w]);
      let mask = 0xffffffff;
      if (w === from >>> 5) mask &= 0xffffffff << (from & 31);
      if (w === last) mask &= 0xffffffff >>> (31 - ((to - 1) & 31));
      snap[w] &= ~mask;
      quiet[w] &= logged[w] | ~mask;
    }
  }

  /** A sync harvests the PML buffers and dirty rings: they start empty again. */
  flushTrackingBuffers(): void {
    this.bufferFill.fill(0);
  }

  /** Word w of `populated` (pages 32w..32w+31, bit i = page 32w + i). */
  populatedBits(w: number): number {
    if (this.writesPending) this.settleWord(w);
    return this.populatedWords[w];
  }

  /**
   * Zero writes of the pages of `mask` in word w, as writePage(pfn, true) would in
   * ascending pfn order (init_on_alloc zeroing a hint block, hints/free-page-hint.ts): each
   * page's flags change on their own bit, so a word operation gives the same state; the
   * pages that were neither logged nor snapped are logged, and their faults or buffer
   * entries counted (n entries fill a vCPU's buffer as n single entries would). A coarse
   * granule logs its neighbours, so those pages go one by one. Returns the faults taken.
   */
  writeZeroWord(w: number, mask: number): number {
    if (this.writesPending) this.settleWord(w);
    this.populatedWords[w] |= mask;
    this.zeroWords[w] |= mask;
    this.staleWords[w] |= mask;
    if (this.undefinedContent !== null) this.undefinedContent.words[w] &= ~mask;
    if (!this.trackingOn) {
      if (this.notReceived !== null) {
        const received = mask & ~this.notReceived.words[w];
        this.staleWords[w] &= ~received;
        this.dstNonZero.words[w] &= ~received;
      }
      return 0;
    }
    this.quietWords[w] &= ~mask;
    let unlogged = mask & ~(this.loggedWords[w] | this.snapWords[w]);
    if (unlogged === 0) return 0;
    if (this.granulePages !== 1) {
      let faults = 0;
      for (; unlogged !== 0; unlogged &= unlogged - 1) {
        const bit = 31 - Math.clz32(unlogged & -unlogged);
        if (((this.loggedWords[w] | this.snapWords[w]) & (1 << bit)) === 0 && this.logWrite(w * 32 + bit)) faults++;
      }
      return faults;
    }
    this.loggedWords[w] |= unlogged;
    const entries = popcount32(unlogged);
    this.countLogs(entries);
    return this.bufferEntries === 0 ? entries : 0;
  }

  /** Writes every page of [pfn, pfn + count) with the same kind of data. */
  writeRange(pfn: number, count: number, isZero: boolean): number {
    let faults = 0;
    for (let p = pfn; p < pfn + count; p++) if (this.writePage(p, isZero)) faults++;
    return faults;
  }
}

/** Pfns a writePages batch checks against `quiet` before writing any (its first pass). */
const WRITE_BATCH = 256;

/**
 * Switch for the summary bit and the deferred writes, for tests only: off, `quiet` stays
 * clear, nothing is deferred and every write takes the full path at once, which must give
 * the same results (test/core/send-shortcuts.test.ts).
 */
export const quietWritesEnabled = { on: true };
