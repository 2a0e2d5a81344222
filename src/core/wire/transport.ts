/**
 * How pages go on the wire. The sender (precopy.ts) walks the migration bitmap and decides
 * which page goes next and when the iteration ends; a transport decides what a page costs:
 * the bytes it puts on the wire, when the rate limit sees them, and how long the sender
 * spends on it. The single migration stream (single-stream.ts) is one; multifd and the
 * encoders (XBZRLE, multifd compression) are others, each in a file of its own.
 *
 * The sender calls `sendPage` once per page, in send order, whether it goes page by page
 * or tries a bitmap word at once (`sendWord`, which takes the word back when it does
 * not fit); so a transport
 * sees every page it sends exactly once and in QEMU's order.
 */
/** What a transport counts beyond bytes, cumulative (QEMU's query-migrate counters). */
export interface TransportCounters {
  /** multifd-bytes: everything the multifd channels sent. */
  multifdBytes: number;
  /** Multifd packets carrying pages, and multifd syncs. */
  multifdPackets: number;
  multifdSyncs: number;
  /** With multifd compression: the packets' compressed payload (next_packet_size), part of multifdBytes. */
  multifdCompressedBytes: number;
  /** xbzrle-cache's bytes (XBZRLE pages with their headers, and overflowed pages), pages, cache-miss, overflow. */
  xbzrleBytes: number;
  xbzrlePages: number;
  xbzrleCacheMiss: number;
  xbzrleOverflow: number;
  /** XBZRLE pages x page size: QEMU's unencoded_size, the numerator of encoding-rate (migration_update_rates). */
  xbzrleUnencodedBytes: number;
}

export function newTransportCounters(): TransportCounters {
  return { multifdBytes: 0, multifdPackets: 0, multifdSyncs: 0, multifdCompressedBytes: 0, xbzrleBytes: 0, xbzrlePages: 0, xbzrleCacheMiss: 0, xbzrleOverflow: 0, xbzrleUnencodedBytes: 0 };
}

export interface Transport {
  /** Every byte put on the wire so far (pages, headers, EOS, packets): totals read it. */
  readonly wireBytes: number;
  readonly counters: TransportCounters;
  /**
   * The sender's time per page by kind, and per end-of-section marker: its clock is an
   * anchor plus counts times these (docs/model.md §3.1), never a running sum.
   */
  readonly normalPageSec: number;
  readonly zeroPageSec: number;
  readonly eosSec: number;
  /**
   * The destination's load per normal and zero page (its CPU). With `socketBufferBytes` 0
   * (lockstep) the sender's per-page times above already include them; otherwise the
   * destination loads behind the socket buffers, apart from the sender's clock
   * (socket-pipeline.ts).
   */
  readonly normalLoadSec: number;
  readonly zeroLoadSec: number;
  /** How far the source may run ahead of the destination's loads (socket buffers); 0: lockstep. */
  readonly socketBufferBytes: number;
  /** The link time of the end-of-stream marker and the device state after stop-copy's pages. */
  readonly finalTailSec: number;
  /**
   * Sends one page (`zero`: its content is all zeros; whether it goes as a zero page is
   * the transport's business). Returns the bytes that reached the rate limit's counter
   * with it (mig_stats as migration_rate_exceeded reads it).
   */
  sendPage(pfn: number, zero: boolean): number;
  /**
   * Sends the pages of bitmap word `wordIndex` whose bits are set in `bits`, lowest first,
   * as `sendPage` would one by one (`zeroBits`: which have zero content), adding what
   * reaches the rate limit's counter to `slotBytes`. Returns the new count, or −1 as soon
   * as it exceeds `budgetBytes` (then the word is taken back: nothing is sent).
   */
  sendWord(wordIndex: number, bits: number, zeroBits: number, slotBytes: number, budgetBytes: number): number;
  /** Takes back the word the last `sendWord` sent (an event touched it first after all). */
  takeBackWord(): void;
  /** Remembers the state before a group of `sendWord` calls, for `takeBackWords`. */
  markWords(): void;
  /** Takes back every word sent since `markWords` (an event touched the group after all). */
  takeBackWords(): void;
  /** Whether the page `sendPage` would send as a zero page (counted as `duplicate`). */
  sendsAsZero(zero: boolean): boolean;
  /** Whether `slotBytes` counted in a rate slot exceed its budget. */
  overBudget(slotBytes: number, budgetBytes: number): boolean;
  /**
   * The bitmap walk passed the end of memory and starts again at pfn 0 (find_dirty_block's
   * complete_round). Returns the bytes that reached the rate limit's counter.
   */
  wrap(): number;
  /**
   * The iteration ends (ram_save_iterate returns): the end-of-section marker and a flush.
   * Returns the bytes that reached the rate limit's counter.
   */
  endIteration(): number;
  /**
   * Stop-and-copy, before `sendFinal`: the pages of bitmap word `wordIndex` set in `bits`
   * (`zeroBits`: zero content), in pfn order, while the guest's `stale` bits still say
   * which changed since sent. Only a transport that treats pages one by one (XBZRLE) needs it.
   */
  finalWord?(wordIndex: number, bits: number, zeroBits: number): void;
  /**
   * Stop-and-copy: the rest of the pages, the EOS and the device state at link speed,
   * uncapped. Adds them to `wireBytes`; returns the seconds they take.
   */
  sendFinal(normalPages: number, zeroPages: number): number;
}
