/**
 * The one interface every hint strategy implements, as drivers sit behind
 * page_reporting_dev_info's report(): the simulation drives it with migration events
 * (start, STOP, DONE), runs its timed work (host-side report arrivals at hint priority,
 * guest-side work such as zeroing at guest priority), and asks it to give memory back
 * under allocation pressure. A strategy changes guest state only through the allocator
 * and GuestMemory, and migration state only through Precopy.applyHint (and the
 * `unaccepted` map the sender reads at setup).
 */
import type { FreePageHintContext } from './free-page-hint.js';

/** The simulated time of the event being fired, kept current by the simulation. */
export interface SimClock {
  nowSec: number;
}

/** What every strategy may use: free-page-hint's context plus the low watermark and the clock. */
export interface StrategyContext extends FreePageHintContext {
  /** Linux's low watermark in pages (docs/model.md §1.3). */
  lowWatermarkPages: number;
  /** Strategies driven from the allocator's free path read the time here. */
  clock: SimClock;
}

/**
 * A strategy, or several combined (create-strategy.ts). Continuous strategies (merge
 * notifier, page reporting, per-page) also listen on the allocator's free path through
 * BuddyAllocator.mergeListener, installed by the factory.
 */
export interface HintStrategy {
  /** Time of the next report arriving at the host (priority HINT), or Infinity. */
  readonly nextArrivalSec: number;
  /** Time of the next guest-side step (priority GUEST, after the workload's sources), or Infinity. */
  readonly nextGuestSec: number;
  fireArrival(): void;
  fireGuest(): void;
  /**
   * The pfn the next guest step writes when that step is a plain page write that changes
   * nothing else anyone reads (init_on_alloc zeroing one page of a hint block), else −1.
   * Such a step commutes with sends of other pages, so the sender may fire it ahead.
   */
  nextStepPagePfn(): number;
  /**
   * Optional. When nextStepPagePfn() ≥ 0: the steps from it on write the pages up to this
   * pfn (exclusive), one each in pfn order, with no other step of the strategy in between
   * (the rest of a hint block's zeroing), so the engine may fire writes to other pages
   * around them in one run; −1 when that is not known (a command start is pending).
   */
  plainStepsEndPfn?(): number;
  /**
   * Optional, with plainStepsEndPfn: fires, as fireGuest would one by one, the plain page
   * steps strictly before `boundSec`, stopping before one to a page of bitmap word
   * `avoidWord`; returns the time of the last one fired, or −1 if none fired.
   */
  firePlainStepsBefore?(boundSec: number, avoidWord: number): number;
  /**
   * Optional: true when fireArrival changes only the strategy's own state, the allocator's
   * free lists and `held`, and migration state only through Precopy.applyHint (no page
   * flag, no merge listener): with hints that wait while the sender sends, the engine may
   * fire it inside the sender's run (free-page-hint's reports).
   */
  arrivalOnlyHints?(): boolean;
  /** The host sends a new command id (at setup and after each sync). */
  start(timeSec: number): void;
  /** STOP, just before a sync: reports arriving later are ignored. */
  stop(timeSec: number): void;
  /** DONE at switchover: held memory goes back to the guest. */
  done(timeSec: number): void;
  /**
   * Relieves allocation pressure by one step (docs/model.md §1.3, §4.5): gives one held block
   * back to the allocator, or accepts one chunk of unaccepted memory; false when it has
   * nothing left to give.
   */
  giveBack(): boolean;
  /** Auto-converge throttle: guest-side work slows by this factor (1 = full speed). */
  setScale(scale: number): void;
  /** With `timing: before-logging`: true once every hint of the first start was applied. */
  readonly gatheringDone: boolean;
}
