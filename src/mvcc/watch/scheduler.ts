/**
 * Runs deferred work for the watch machinery. Production uses timers; tests pass a
 * virtual clock so catch-up, victim retries and progress ticks run deterministically.
 */
export interface WatchScheduler {
  /** Milliseconds on the scheduler's clock (any origin). */
  nowMs(): number;
  /** Runs `task` once after `delayMs` (0: as soon as the event loop is free). Returns a cancel function. */
  schedule(task: () => void, delayMs: number): () => void;
}

/** The real-time scheduler: setImmediate for 0 ms, otherwise an unref'd timer. */
export const timerScheduler: WatchScheduler = {
  nowMs: () => performance.now(),
  schedule(task, delayMs) {
    if (delayMs <= 0) {
      const immediate = setImmediate(task);
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(task, delayMs);
    // Watch timers alone must not keep a process alive (the server's sockets do).
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * One pending run of a task that may be requested many times: a request for an
 * earlier time replaces a later one; requests for a later time are dropped.
 */
export class CoalescedTask {
  private cancelPending: (() => void) | undefined;
  private pendingDueMs = Infinity;
  private requestSequence = 0;

  constructor(
    private readonly scheduler: WatchScheduler,
    private readonly task: () => void,
  ) {}

  /** Makes sure the task runs within `delayMs`. */
  request(delayMs: number): void {
    const dueMs = this.scheduler.nowMs() + delayMs;
    if (this.cancelPending !== undefined && this.pendingDueMs <= dueMs) return;
    this.cancel();
    const sequence = ++this.requestSequence;
    this.pendingDueMs = dueMs;
    this.cancelPending = this.scheduler.schedule(() => {
      if (sequence !== this.requestSequence) return;
      this.cancelPending = undefined;
      this.pendingDueMs = Infinity;
      this.task();
    }, delayMs);
  }

  cancel(): void {
    this.requestSequence++;
    this.cancelPending?.();
    this.cancelPending = undefined;
    this.pendingDueMs = Infinity;
  }
}
