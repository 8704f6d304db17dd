import { EventType, type Event } from '../events.js';
import type { WatchKeyRange } from './key-range.js';
import type { WatchFilters } from './watch-response.js';
import type { WatchStream } from './watch-stream.js';

/**
 * Where a watcher is in the watchable store:
 * - synced: receives each new revision's events as it is written;
 * - unsynced: behind the store; catches up by reading history in batches;
 * - victim: its stream's queue was full; holds one undelivered batch and gets nothing new;
 * - compacted: told its start revision is compacted; waits for the stream to drop it;
 * - canceled: gone.
 */
export type WatcherState = 'synced' | 'unsynced' | 'victim' | 'compacted' | 'canceled';

export class Watcher {
  state: WatcherState = 'unsynced';
  /** The lowest revision whose events the watcher has not been given yet. */
  minRevision: number;
  /** No event response was taken for it since the last progress tick (etcd's progress map). */
  progressDue = true;

  constructor(
    readonly id: number,
    readonly range: WatchKeyRange,
    /** The revision asked for (0: "from now"); progress is only reported once the store reached it. */
    readonly startRevision: number,
    readonly filters: WatchFilters,
    readonly prevKv: boolean,
    readonly progressNotify: boolean,
    readonly stream: WatchStream,
  ) {
    this.minRevision = startRevision;
  }

  /** The events the watcher's filters let through (the same array when none drop anything). */
  filter(events: readonly Event[]): readonly Event[] {
    const { noPut, noDelete } = this.filters;
    if (noPut !== true && noDelete !== true) return events;
    return events.filter((event) => (event.type === EventType.PUT ? noPut !== true : noDelete !== true));
  }
}
