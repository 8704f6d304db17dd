// bcrypt runs on libuv's thread pool, which the WAL's fdatasync of large
// batches also uses (4 threads by default). A flood of Authenticate calls
// (a password guesser, or a thousand clients starting at once) must not hold
// every thread and stall the member's writes: at most this many bcrypt
// operations run at a time, the rest wait in arrival order. Each costs about
// 60 ms at the default cost of 10, which also bounds how fast passwords can
// be tried against one member.

const MAX_CONCURRENT_BCRYPT = 2;

export class BcryptLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly maxConcurrent = MAX_CONCURRENT_BCRYPT) {}

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await operation();
    } finally {
      // The slot passes straight to the next waiter, so `running` stays counted.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Operations waiting for a slot (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }
}
