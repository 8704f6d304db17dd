// The window of append messages sent to one follower and not yet
// acknowledged. A full window pauses replication to that follower: this is
// the leader's flow control.

export class Inflights {
  /** Last entry index of each in-flight append, oldest first (a ring buffer). */
  private readonly lastIndexes: number[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`inflight capacity must be a positive integer, got ${capacity}`);
    this.lastIndexes = new Array<number>(capacity).fill(0);
  }

  get size(): number {
    return this.count;
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  /** Records an append whose last entry is `lastIndex`; indexes must grow. */
  add(lastIndex: number): void {
    if (this.full()) throw new Error('cannot add to a full inflight window');
    this.lastIndexes[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** Frees every append whose last index is at most `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.lastIndexes[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** Frees the oldest append: a heartbeat response proves the follower is alive. */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}
