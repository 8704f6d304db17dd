// Capped exponential backoff between reconnect attempts: initial, then
// doubling up to the cap; reset after a connection is accepted.

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

export class Backoff {
  private nextDelayMs: number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.initialDelayMs >= 0) || !(options.maxDelayMs >= options.initialDelayMs)) {
      throw new Error(`backoff: need 0 ≤ initialDelayMs ≤ maxDelayMs, got ${options.initialDelayMs} and ${options.maxDelayMs}`);
    }
    this.nextDelayMs = options.initialDelayMs;
  }

  /** The delay before the next attempt; each call doubles the following one, up to the cap. */
  next(): number {
    const delayMs = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.options.maxDelayMs, Math.max(1, delayMs * 2));
    return delayMs;
  }

  reset(): void {
    this.nextDelayMs = this.options.initialDelayMs;
  }
}
