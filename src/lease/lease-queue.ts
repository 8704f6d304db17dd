// A min-heap of (lease ID, time) with at most one entry per lease, like etcd's
// LeaseExpiredNotifier: registering a lease again moves its entry. Its size is
// bounded by the number of leases. Equal times order by ID so that every run,
// and every member, sees the same order.

import type { LeaseId } from './lease-id.js';

interface QueueEntry {
  readonly id: LeaseId;
  timeMs: number;
  position: number;
}

export class LeaseQueue {
  private readonly heap: QueueEntry[] = [];
  private readonly entriesById = new Map<LeaseId, QueueEntry>();

  get size(): number {
    return this.heap.length;
  }

  /** Inserts the lease, or moves its entry to `timeMs`. O(log n). */
  registerOrUpdate(id: LeaseId, timeMs: number): void {
    const existing = this.entriesById.get(id);
    if (existing !== undefined) {
      existing.timeMs = timeMs;
      this.fix(existing.position);
      return;
    }
    const entry: QueueEntry = { id, timeMs, position: this.heap.length };
    this.heap.push(entry);
    this.entriesById.set(id, entry);
    this.siftUp(entry.position);
  }

  /** Removes the lease's entry if there is one. O(log n). */
  remove(id: LeaseId): void {
    const entry = this.entriesById.get(id);
    if (entry === undefined) return;
    this.entriesById.delete(id);
    const last = this.heap.pop()!;
    if (last === entry) return;
    this.heap[entry.position] = last;
    last.position = entry.position;
    this.fix(last.position);
  }

  /** The entry with the earliest time, if any. */
  peek(): { readonly id: LeaseId; readonly timeMs: number } | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest entry. */
  pop(): { readonly id: LeaseId; readonly timeMs: number } | undefined {
    const first = this.heap[0];
    if (first !== undefined) this.remove(first.id);
    return first;
  }

  has(id: LeaseId): boolean {
    return this.entriesById.has(id);
  }

  clear(): void {
    this.heap.length = 0;
    this.entriesById.clear();
  }

  private fix(position: number): void {
    if (!this.siftUp(position)) this.siftDown(position);
  }

  private siftUp(start: number): boolean {
    let position = start;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.less(position, parent)) break;
      this.swap(position, parent);
      position = parent;
    }
    return position !== start;
  }

  private siftDown(start: number): void {
    let position = start;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= this.heap.length) return;
      const right = left + 1;
      const child = right < this.heap.length && this.less(right, left) ? right : left;
      if (!this.less(child, position)) return;
      this.swap(position, child);
      position = child;
    }
  }

  private less(a: number, b: number): boolean {
    const first = this.heap[a]!;
    const second = this.heap[b]!;
    return first.timeMs < second.timeMs || (first.timeMs === second.timeMs && first.id < second.id);
  }

  private swap(a: number, b: number): void {
    const first = this.heap[a]!;
    const second = this.heap[b]!;
    this.heap[a] = second;
    this.heap[b] = first;
    first.position = b;
    second.position = a;
  }
}
