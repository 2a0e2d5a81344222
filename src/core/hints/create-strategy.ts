/**
 * Builds the strategy of one hint entry (docs/model.md §4): one class per strategy, or several
 * behind CombinedStrategy (`strategy: [unaccepted, page-reporting]`). The factory also
 * installs the allocator listener of the continuous strategies (one, or a fan-out in
 * declaration order) and shares one HostDiscard between them, so redundant pages are
 * counted across strategies. `unaccepted` is built first, before any listener exists, so
 * taking its chunks off the free lists is not seen as frees; under allocation pressure it
 * is asked first too, as get_page_from_freelist accepts memory before reclaim would
 * release a balloon's held pages.
 */
import type { MergeListener } from '../buddy-allocator.js';
import type { HintConfig } from '../types.js';
import { FreePageHint } from './free-page-hint.js';
import type { HintStrategy, StrategyContext } from './hint-strategy.js';
import { HostDiscard } from './host-discard.js';
import { MergeNotifier } from './merge-notifier.js';
import { PageReporting } from './page-reporting.js';
import { PerPage } from './per-page.js';
import { Unaccepted } from './unaccepted.js';

/** The strategies of `hint`, in one object; null if the entry names none. */
export function createStrategy(hint: HintConfig, context: StrategyContext): HintStrategy | null {
  const strategies: HintStrategy[] = [];
  const listeners: MergeListener[] = [];
  if (hint.unaccepted !== null) strategies.push(new Unaccepted(hint.unaccepted, context));
  let discard: HostDiscard | null = null;
  const sharedDiscard = (): HostDiscard => (discard ??= new HostDiscard(context.memory));
  for (const name of hint.strategies) {
    if (name === 'free-page-hint' && hint.freePageHint !== null) {
      strategies.push(new FreePageHint(hint.freePageHint, context));
    } else if (name === 'merge-notifier' && hint.mergeNotifier !== null) {
      const notifier = new MergeNotifier(hint.mergeNotifier, context, sharedDiscard());
      strategies.push(notifier);
      listeners.push(notifier);
    } else if (name === 'page-reporting' && hint.pageReporting !== null) {
      const reporting = new PageReporting(hint.pageReporting, context, sharedDiscard());
      strategies.push(reporting);
      listeners.push(reporting);
    } else if (name === 'per-page' && hint.perPage !== null) {
      const perPage = new PerPage(hint.perPage, context, sharedDiscard());
      strategies.push(perPage);
      listeners.push(perPage);
    }
  }
  if (strategies.length === 0) return null;
  if (strategies.length === 1) {
    if (listeners.length === 1) context.buddy.mergeListener = listeners[0];
    return strategies[0];
  }
  const fanOut = listeners.length > 0 ? new FanOutListener(listeners) : null;
  context.buddy.mergeListener = fanOut;
  return new CombinedStrategy(strategies, fanOut);
}

/** Passes each allocator notification to every listener, in order, until muted. */
class FanOutListener implements MergeListener {
  /** False from DONE on: frees then happen on the destination, after the guest resumes. */
  enabled = true;
  private readonly listeners: MergeListener[];

  constructor(listeners: MergeListener[]) {
    this.listeners = listeners;
  }

  onFree(pfn: number, order: number): void {
    if (!this.enabled) return;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i];
      if (listener.onFree !== undefined) listener.onFree(pfn, order);
    }
  }

  onMerge(pfn: number, order: number): void {
    if (!this.enabled) return;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i].onMerge(pfn, order);
  }

  onFreed(pfn: number, order: number): void {
    if (!this.enabled) return;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i].onFreed(pfn, order);
  }

  onAlloc(pfn: number, order: number): void {
    if (!this.enabled) return;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i];
      if (listener.onAlloc !== undefined) listener.onAlloc(pfn, order);
    }
  }
}

/**
 * Several strategies as one: events go to the strategy whose event is earliest (the
 * first in order at equal times), migration commands and the throttle to all, pressure
 * to the first that can give something back.
 */
class CombinedStrategy implements HintStrategy {
  private readonly strategies: HintStrategy[];
  private readonly listener: FanOutListener | null;

  constructor(strategies: HintStrategy[], listener: FanOutListener | null) {
    this.strategies = strategies;
    this.listener = listener;
  }

  get nextArrivalSec(): number {
    let earliest = Infinity;
    for (let i = 0; i < this.strategies.length; i++) earliest = Math.min(earliest, this.strategies[i].nextArrivalSec);
    return earliest;
  }

  get nextGuestSec(): number {
    let earliest = Infinity;
    for (let i = 0; i < this.strategies.length; i++) earliest = Math.min(earliest, this.strategies[i].nextGuestSec);
    return earliest;
  }

  get gatheringDone(): boolean {
    for (let i = 0; i < this.strategies.length; i++) if (!this.strategies[i].gatheringDone) return false;
    return true;
  }

  fireArrival(): void {
    let first = 0;
    for (let i = 1; i < this.strategies.length; i++) {
      if (this.strategies[i].nextArrivalSec < this.strategies[first].nextArrivalSec) first = i;
    }
    this.strategies[first].fireArrival();
  }

  /** Combined strategies are never fired ahead of sends (which one steps next is not checked). */
  nextStepPagePfn(): number {
    return -1;
  }

  fireGuest(): void {
    let first = 0;
    for (let i = 1; i < this.strategies.length; i++) {
      if (this.strategies[i].nextGuestSec < this.strategies[first].nextGuestSec) first = i;
    }
    this.strategies[first].fireGuest();
  }

  start(timeSec: number): void {
    for (const strategy of this.strategies) strategy.start(timeSec);
  }

  stop(timeSec: number): void {
    for (const strategy of this.strategies) strategy.stop(timeSec);
  }

  /** Blocks one strategy gives back at DONE are not seen by another (the guest is paused). */
  done(timeSec: number): void {
    if (this.listener !== null) this.listener.enabled = false;
    for (const strategy of this.strategies) strategy.done(timeSec);
  }

  giveBack(): boolean {
    for (const strategy of this.strategies) if (strategy.giveBack()) return true;
    return false;
  }

  setScale(scale: number): void {
    for (const strategy of this.strategies) strategy.setScale(scale);
  }
}
