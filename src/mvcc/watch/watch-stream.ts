import { DuplicateWatchIdError, WatcherRangeEmptyError } from './errors.js';
import { rangeIsEmpty } from './key-range.js';
import { CoalescedTask } from './scheduler.js';
import { autoWatchId, invalidWatchId, type WatchRequest, type WatchResponse } from './watch-response.js';
import { Watcher } from './watcher.js';
import type { WatchableStore } from './watchable-store.js';

/**
 * Many watchers sharing one bounded queue of responses, like etcd's mvcc.watchStream
 * and its channel. The store offers responses; when the queue is full the offer fails
 * and the watcher becomes a victim (it catches up later), so a slow consumer never
 * blocks writers or other streams, and the queue never holds more than its capacity.
 *
 * The consumer calls `take()` until it returns undefined, then waits for `onReadable`.
 */
export class WatchStream {
  /** Called from the scheduler (never inside a write) when responses wait in the queue. */
  onReadable: (() => void) | undefined;
  private readonly watchers = new Map<number, Watcher>();
  private nextWatchId = 0;
  private queue: WatchResponse[] = [];
  private closed = false;
  /** A progress request for all watchers waits until they are all synced. */
  private progressAllDeferred = false;
  private progressWatcherCount = 0;
  private readonly readableTask: CoalescedTask;
  private readonly progressTask: CoalescedTask;

  /** @internal Use WatchableStore.newStream(). */
  constructor(
    private readonly store: WatchableStore,
    private readonly queueCapacity: number,
    private readonly progressNotifyIntervalMs: number,
  ) {
    this.readableTask = new CoalescedTask(store.scheduler, () => {
      if (!this.closed && this.queue.length > 0) this.onReadable?.();
    });
    this.progressTask = new CoalescedTask(store.scheduler, () => this.progressTick());
  }

  /** The store's current revision (for response headers). */
  get currentRevision(): number {
    return this.store.currentRevision;
  }

  /** Responses waiting to be taken. */
  get queuedResponseCount(): number {
    return this.queue.length;
  }

  /** Ids of the watchers on this stream (including compacted ones not yet canceled). */
  watchIds(): number[] {
    return [...this.watchers.keys()];
  }

  /**
   * Creates a watcher and returns its id. Throws WatcherRangeEmptyError for a range
   * with end <= key (or a closed stream, as etcd) and DuplicateWatchIdError for an id in use.
   */
  watch(request: WatchRequest): number {
    const range = { key: request.key, end: request.end };
    if (rangeIsEmpty(range) || this.closed) throw new WatcherRangeEmptyError();
    let id = request.id ?? autoWatchId;
    if (id === autoWatchId) {
      while (this.watchers.has(this.nextWatchId)) this.nextWatchId++;
      id = this.nextWatchId++;
    } else if (this.watchers.has(id)) {
      throw new DuplicateWatchIdError();
    }
    const watcher = new Watcher(
      id,
      range,
      request.startRevision ?? 0,
      request.filters ?? {},
      request.prevKv === true,
      request.progressNotify === true,
      this,
    );
    this.watchers.set(id, watcher);
    if (watcher.progressNotify && this.progressWatcherCount++ === 0) this.progressTask.request(this.progressNotifyIntervalMs);
    this.store.addWatcher(watcher);
    return id;
  }

  /** Cancels a watcher; false if the stream has no watcher with this id. Drops its queued responses. */
  cancel(id: number): boolean {
    const watcher = this.watchers.get(id);
    if (watcher === undefined || this.closed) return false;
    this.store.removeWatcher(watcher);
    this.watchers.delete(id);
    if (watcher.progressNotify && --this.progressWatcherCount === 0) this.progressTask.cancel();
    this.queue = this.queue.filter((response) => response.watchId !== id);
    return true;
  }

  /** Queues a progress notification for one watcher if it is synced (else nothing). */
  requestProgress(id: number): void {
    const watcher = this.watchers.get(id);
    if (watcher !== undefined) this.store.progressIfSynced([watcher], id, this);
  }

  /**
   * Queues a progress notification (watch id -1, the current revision) once every
   * watcher of the stream is synced, so that every event up to that revision was queued
   * before it (etcd 3.5's RequestProgressAll with its deferred retry).
   */
  requestProgressAll(): void {
    if (this.progressAllDeferred) return;
    if (!this.store.progressIfSynced(this.watchers.values(), invalidWatchId, this)) this.progressAllDeferred = true;
  }

  /** The next response, or undefined when the queue is empty. */
  take(): WatchResponse | undefined {
    const wasFull = this.queue.length >= this.queueCapacity;
    const response = this.queue.shift();
    if (response === undefined) return undefined;
    if (wasFull) this.store.retryVictimsSoon();
    if (response.events.length > 0) {
      const watcher = this.watchers.get(response.watchId);
      if (watcher !== undefined) watcher.progressDue = false;
      this.retryDeferredProgress();
    }
    return response;
  }

  /** Cancels every watcher and drops queued responses. */
  close(): void {
    if (this.closed) return;
    for (const watcher of this.watchers.values()) this.store.removeWatcher(watcher);
    this.watchers.clear();
    this.queue = [];
    this.closed = true;
    this.readableTask.cancel();
    this.progressTask.cancel();
    this.store.streamClosed(this);
  }

  /** @internal Queues a response unless the queue is full. */
  offer(response: WatchResponse): boolean {
    if (this.closed) return true; // nobody listens any more: nothing to hold back
    if (this.queue.length >= this.queueCapacity) return false;
    this.queue.push(response);
    if (this.queue.length === 1) this.readableTask.request(0);
    return true;
  }

  /** @internal A watcher of this stream became synced. */
  watcherSynced(): void {
    this.retryDeferredProgress();
  }

  private retryDeferredProgress(): void {
    if (!this.progressAllDeferred) return;
    if (this.store.progressIfSynced(this.watchers.values(), invalidWatchId, this)) this.progressAllDeferred = false;
  }

  // etcd's progress ticker: a watcher that got no event response since the last tick
  // is told the current revision (if synced).
  private progressTick(): void {
    if (this.closed || this.progressWatcherCount === 0) return;
    for (const watcher of this.watchers.values()) {
      if (!watcher.progressNotify) continue;
      if (watcher.progressDue) this.store.progressIfSynced([watcher], watcher.id, this);
      watcher.progressDue = true;
    }
    this.progressTask.request(this.progressNotifyIntervalMs);
  }
}
