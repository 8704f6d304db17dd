// A clock with timers that fire only when a test advances it: what the
// member's periodic jobs (compactor, corruption check, backups) take as their
// clock, so a test runs hours of their schedule in milliseconds.

import type { CompactorClock } from '../../src/server/compactor.js';

interface VirtualTimer {
  at: number;
  callback: () => void;
  id: number;
}

/** One macrotask turn: enough for the promises a fired timer starts to settle. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualTimers implements CompactorClock {
  private timers: VirtualTimer[] = [];
  private nextId = 1;

  constructor(public now = 0) {}

  nowMs(): number {
    return this.now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Fires the timers due now without waiting for what they start. */
  fireDue(): void {
    const due = this.timers.filter((timer) => timer.at <= this.now);
    this.timers = this.timers.filter((timer) => timer.at > this.now);
    for (const timer of due) timer.callback();
  }

  /**
   * Runs the timers due within `ms` in time order, each followed by `settle`
   * (by default one macrotask turn, so what it started can finish and re-arm),
   * then sets the time to the end.
   */
  async advance(ms: number, settle: () => Promise<unknown> = nextTurn): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.now = next.at;
      next.callback();
      await settle();
    }
    this.now = end;
  }
}
