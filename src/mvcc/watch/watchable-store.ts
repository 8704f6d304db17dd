import { EventType, type Event } from '../events.js';
import type { KeyValue } from '../key-value.js';
import type { KVStore } from '../store.js';
import { readHistory } from './history-reader.js';
import { CoalescedTask, timerScheduler, type WatchScheduler } from './scheduler.js';
import type { WatchResponse } from './watch-response.js';
import { WatchStream } from './watch-stream.js';
import type { Watcher } from './watcher.js';
import { WatcherGroup } from './watcher-group.js';

export interface WatchableStoreOptions {
  /** Runs catch-up passes, victim retries, progress ticks and consumer wake-ups. */
  readonly scheduler?: WatchScheduler;
  /** Pause between catch-up passes that made no progress (etcd: 100 ms). */
  readonly resyncIntervalMs?: number;
  /** Pause between retries of victims whose stream is still full (etcd: 10 ms). */
  readonly victimRetryIntervalMs?: number;
  /** Unsynced watchers served per catch-up pass (etcd: 512). */
  readonly watchersPerSyncMax?: number;
  /** Revisions read from history per catch-up pass (etcd: 1000 per watcher). */
  readonly syncBatchRevisionsMax?: number;
  /** Stored changes scanned per catch-up pass (bounds its memory). */
  readonly syncBatchChangesMax?: number;
  /**
   * Key and value bytes of the events read per catch-up pass. Keeps catch-up responses
   * well below gRPC's usual 4 MiB receive limit of clients (prev_kv can double them).
   */
  readonly syncBatchBytesMax?: number;
  /** Responses a stream holds before its watchers become victims (etcd: 128). */
  readonly streamQueueCapacity?: number;
}

export interface WatchStreamOptions {
  /** Interval of progress notifications for watchers created with progressNotify (etcd: 10 minutes). */
  readonly progressNotifyIntervalMs?: number;
}

/** A batch a victim could not deliver; it is retried before the watcher moves on. */
interface VictimBatch {
  readonly events: readonly Event[];
}

const defaultProgressNotifyIntervalMs = 10 * 60 * 1000;

/**
 * etcd's watchable store: watchers over a KVStore in three groups.
 *
 * - synced watchers get each revision's events (one response per revision) from the
 *   store's event listener, as part of the write;
 * - unsynced watchers (start revision in the past, or back from being a victim) are
 *   served by catch-up passes that read history from the backend in bounded batches at
 *   revisions [min over watchers, current]; a watcher that reached the current
 *   revision joins the synced group in the same synchronous step, so no revision is
 *   missed or repeated while writes continue;
 * - victims: watchers whose stream queue was full; each holds its one undelivered
 *   batch (and gets nothing new) until the stream has room, then continues as
 *   unsynced or synced. Writers never wait and memory stays bounded.
 *
 * A watcher whose next revision was compacted gets one response with compactRevision
 * set and is dropped from the store (its stream keeps the id until it is canceled).
 */
export class WatchableStore {
  readonly scheduler: WatchScheduler;
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new WatcherGroup();
  private readonly victims = new Map<Watcher, VictimBatch>();
  private readonly streams = new Set<WatchStream>();
  private readonly syncTask: CoalescedTask;
  private readonly victimTask: CoalescedTask;
  private readonly unsubscribe: () => void;
  private readonly resyncIntervalMs: number;
  private readonly victimRetryIntervalMs: number;
  private readonly watchersPerSyncMax: number;
  private readonly batchLimits: { revisionsMax: number; changesMax: number; bytesMax: number };
  private readonly streamQueueCapacity: number;
  private closed = false;

  constructor(
    readonly kv: KVStore,
    options: WatchableStoreOptions = {},
  ) {
    this.scheduler = options.scheduler ?? timerScheduler;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 100;
    this.victimRetryIntervalMs = options.victimRetryIntervalMs ?? 10;
    this.watchersPerSyncMax = options.watchersPerSyncMax ?? 512;
    this.batchLimits = {
      revisionsMax: options.syncBatchRevisionsMax ?? 1000,
      changesMax: options.syncBatchChangesMax ?? 10_000,
      bytesMax: options.syncBatchBytesMax ?? 1024 * 1024,
    };
    this.streamQueueCapacity = options.streamQueueCapacity ?? 128;
    this.syncTask = new CoalescedTask(this.scheduler, () => this.syncUnsyncedWatchers());
    this.victimTask = new CoalescedTask(this.scheduler, () => this.retryVictims());
    this.unsubscribe = kv.onEvents((events, revision) => this.notify(events, revision));
  }

  get currentRevision(): number {
    return this.kv.currentRevision;
  }

  /** Watcher counts per group (for metrics and tests). */
  get watcherCounts(): { synced: number; unsynced: number; victims: number } {
    return { synced: this.synced.size, unsynced: this.unsynced.size, victims: this.victims.size };
  }

  newStream(options: WatchStreamOptions = {}): WatchStream {
    if (this.closed) throw new Error('watchable store is closed');
    const stream = new WatchStream(this, this.streamQueueCapacity, options.progressNotifyIntervalMs ?? defaultProgressNotifyIntervalMs);
    this.streams.add(stream);
    return stream;
  }

  /** Closes every stream and stops listening to the store. */
  close(): void {
    if (this.closed) return;
    for (const stream of [...this.streams]) stream.close();
    this.closed = true;
    this.unsubscribe();
    this.syncTask.cancel();
    this.victimTask.cancel();
  }

  /**
   * After the KVStore was restored from a snapshot (KVStore.restore), as etcd's
   * watchableStore.Restore: every synced watcher becomes unsynced, so the next
   * catch-up pass serves it from its next revision against the new history
   * (each event once, in order) or, if that revision is now compacted, sends
   * it the compacted response. Unsynced watchers and victims go on as they
   * were; a watcher whose next revision is still ahead of the store goes back
   * to the synced group at that pass. Streams stay open.
   */
  restore(): void {
    if (this.closed) return;
    for (const watcher of [...this.synced.values()]) {
      this.synced.delete(watcher);
      watcher.state = 'unsynced';
      this.unsynced.add(watcher);
    }
    if (this.unsynced.size > 0) this.syncTask.request(0);
  }

  /** @internal */
  addWatcher(watcher: Watcher): void {
    const currentRevision = this.kv.currentRevision;
    if (watcher.startRevision === 0 || watcher.startRevision > currentRevision) {
      watcher.minRevision = Math.max(currentRevision + 1, watcher.startRevision);
      this.moveToSynced(watcher);
    } else {
      watcher.minRevision = watcher.startRevision;
      watcher.state = 'unsynced';
      this.unsynced.add(watcher);
      this.syncTask.request(0);
    }
  }

  /** @internal */
  removeWatcher(watcher: Watcher): void {
    if (watcher.state === 'synced') this.synced.delete(watcher);
    else if (watcher.state === 'unsynced') this.unsynced.delete(watcher);
    else if (watcher.state === 'victim') this.victims.delete(watcher);
    watcher.state = 'canceled';
  }

  /** @internal */
  streamClosed(stream: WatchStream): void {
    this.streams.delete(stream);
  }

  /** @internal A stream has room again: retry its victims now rather than at the next tick. */
  retryVictimsSoon(): void {
    if (this.victims.size > 0) this.victimTask.request(0);
  }

  /**
   * @internal Queues a progress response (no events, the current revision) on `stream`
   * if every watcher given is synced and the store reached its start revision. With no
   * watchers it is sent as well (etcd 3.4 always answered). False if not sent.
   */
  progressIfSynced(watchers: Iterable<Watcher>, responseWatchId: number, stream: WatchStream): boolean {
    const currentRevision = this.kv.currentRevision;
    for (const watcher of watchers) {
      if (watcher.state !== 'synced' || currentRevision < watcher.startRevision) return false;
    }
    return stream.offer({ watchId: responseWatchId, events: [], revision: currentRevision, compactRevision: 0 });
  }

  // Called by the KVStore at the end of every write transaction that changed something.
  private notify(events: readonly Event[], revision: number): void {
    if (this.synced.size === 0) return;
    const batches = new Map<Watcher, Event[]>();
    const previousValues = new Map<Event, KeyValue | undefined>();
    for (const event of events) {
      this.synced.forEachWatching(event.kv.key, (watcher) => {
        if (revision < watcher.minRevision) return; // a future start revision
        let batch = batches.get(watcher);
        if (batch === undefined) {
          batch = [];
          batches.set(watcher, batch);
        }
        batch.push(this.eventFor(watcher, event, previousValues));
      });
    }
    for (const [watcher, batch] of batches) {
      watcher.minRevision = revision + 1;
      if (!this.deliver(watcher, batch, revision)) {
        this.synced.delete(watcher);
        this.makeVictim(watcher, batch);
      }
    }
  }

  // One catch-up pass over (up to watchersPerSyncMax) unsynced watchers.
  private syncUnsyncedWatchers(): void {
    if (this.closed || this.unsynced.size === 0) return;
    const currentRevision = this.kv.currentRevision;
    const compactRevision = this.kv.compactRevision;
    const chosen = new WatcherGroup();
    let fromRevision = Infinity;
    let moreWork = false;
    for (const watcher of this.unsynced.values()) {
      if (chosen.size >= this.watchersPerSyncMax) {
        moreWork = true;
        break;
      }
      if (watcher.minRevision < compactRevision) {
        // Its history is gone: say so once (a full queue retries at the next pass).
        const notice: WatchResponse = { watchId: watcher.id, events: [], revision: 0, compactRevision };
        if (watcher.stream.offer(notice)) {
          this.unsynced.delete(watcher);
          watcher.state = 'compacted';
        }
        continue;
      }
      if (watcher.minRevision > currentRevision) {
        // Nothing to catch up (moved here by restore with a next revision the
        // store has not reached): wait for it among the synced.
        this.unsynced.delete(watcher);
        this.moveToSynced(watcher);
        continue;
      }
      chosen.add(watcher);
      fromRevision = Math.min(fromRevision, watcher.minRevision);
    }
    if (chosen.size > 0) {
      const batch = readHistory(this.kv, fromRevision, currentRevision, (key) => chosen.watches(key), this.batchLimits);
      const perWatcher = new Map<Watcher, Event[]>();
      const previousValues = new Map<Event, KeyValue | undefined>();
      for (const event of batch.events) {
        chosen.forEachWatching(event.kv.key, (watcher) => {
          if (event.kv.mod_revision < watcher.minRevision) return; // already delivered
          let events = perWatcher.get(watcher);
          if (events === undefined) {
            events = [];
            perWatcher.set(watcher, events);
          }
          events.push(this.eventFor(watcher, event, previousValues));
        });
      }
      const caughtUp = batch.throughRevision >= currentRevision;
      for (const watcher of chosen.values()) {
        if (watcher.minRevision > batch.throughRevision) {
          moreWork = true; // the batch ended before this watcher's next revision
          continue;
        }
        watcher.minRevision = batch.throughRevision + 1;
        const events = perWatcher.get(watcher);
        this.unsynced.delete(watcher);
        if (events !== undefined && !this.deliver(watcher, events, batch.throughRevision)) {
          this.makeVictim(watcher, events);
        } else if (caughtUp) {
          this.moveToSynced(watcher);
        } else {
          this.unsynced.add(watcher); // to the back: others get their turn
          moreWork = true;
        }
      }
    }
    if (this.unsynced.size > 0) this.syncTask.request(moreWork ? 0 : this.resyncIntervalMs);
  }

  // Offers each victim's batch again; delivered ones continue as unsynced or synced.
  private retryVictims(): void {
    if (this.closed) return;
    const currentRevision = this.kv.currentRevision;
    for (const [watcher, batch] of [...this.victims]) {
      const response: WatchResponse = { watchId: watcher.id, events: batch.events, revision: watcher.minRevision - 1, compactRevision: 0 };
      if (!watcher.stream.offer(response)) continue;
      this.victims.delete(watcher);
      if (watcher.minRevision <= currentRevision) {
        watcher.state = 'unsynced';
        this.unsynced.add(watcher);
        this.syncTask.request(0);
      } else {
        this.moveToSynced(watcher);
      }
    }
    if (this.victims.size > 0) this.victimTask.request(this.victimRetryIntervalMs);
  }

  private moveToSynced(watcher: Watcher): void {
    watcher.state = 'synced';
    this.synced.add(watcher);
    watcher.stream.watcherSynced();
  }

  private makeVictim(watcher: Watcher, events: readonly Event[]): void {
    watcher.state = 'victim';
    this.victims.set(watcher, { events: watcher.filter(events) });
    this.victimTask.request(this.victimRetryIntervalMs);
  }

  /** Offers the watcher's (filtered) events; true if queued or nothing was left to send. */
  private deliver(watcher: Watcher, events: readonly Event[], revision: number): boolean {
    const filtered = watcher.filter(events);
    if (filtered.length === 0) return true;
    return watcher.stream.offer({ watchId: watcher.id, events: filtered, revision, compactRevision: 0 });
  }

  /**
   * The event as this watcher sees it: with prev_kv (the key's value at the revision
   * before) only if it asked; shared events are never modified.
   */
  private eventFor(watcher: Watcher, event: Event, previousValues: Map<Event, KeyValue | undefined>): Event {
    if (!watcher.prevKv) return event.prev_kv === undefined ? event : { type: event.type, kv: event.kv };
    if (event.prev_kv !== undefined) return event;
    // A creation has no previous value (etcd's IsCreateEvent).
    if (event.type === EventType.PUT && event.kv.create_revision === event.kv.mod_revision) return event;
    let previous: KeyValue | undefined;
    if (previousValues.has(event)) {
      previous = previousValues.get(event);
    } else {
      previous = this.readPreviousValue(event);
      previousValues.set(event, previous);
    }
    return previous === undefined ? event : { type: event.type, kv: event.kv, prev_kv: previous };
  }

  private readPreviousValue(event: Event): KeyValue | undefined {
    try {
      return this.kv.range(event.kv.key, undefined, { revision: event.kv.mod_revision - 1 }).kvs[0];
    } catch {
      return undefined; // compacted away: etcd also leaves prev_kv empty then
    }
  }
}
