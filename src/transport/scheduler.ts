// Timers go through this interface so tests can drive time themselves or
// run with real, short intervals. Nothing in the transport reads the clock
// directly.

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Calls `callback` once after `delayMs`, unless cancelled first. */
  schedule(delayMs: number, callback: () => void): TimerHandle;
}

export const systemScheduler: Scheduler = {
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    // Pending reconnects or timeouts must not keep a finished process alive.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
