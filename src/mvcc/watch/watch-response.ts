import type { Event } from '../events.js';

/** The watch id etcd uses for "no watcher" (errors, stream-wide progress). */
export const invalidWatchId = -1;
/** A create request with this id asks the stream to choose one. */
export const autoWatchId = 0;

/**
 * What a watch stream hands to its consumer, like etcd's mvcc.WatchResponse.
 * Events: one or more whole revisions, in order (none: a progress notification).
 */
export interface WatchResponse {
  readonly watchId: number;
  readonly events: readonly Event[];
  /** The store revision the response reflects (the header revision). 0 on a compaction notice. */
  readonly revision: number;
  /** Set (> 0) when the watcher was canceled because its start revision was compacted. */
  readonly compactRevision: number;
}

/** Which events a watcher drops (etcd's NOPUT / NODELETE filters). */
export interface WatchFilters {
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
}

export interface WatchRequest {
  /** 0 (autoWatchId): the stream picks the lowest free id. */
  readonly id?: number;
  readonly key: Buffer;
  /** undefined: the single key; 'unbounded': every key >= key; else the exclusive end. */
  readonly end?: Buffer | 'unbounded';
  /** First revision to deliver; 0: the next one (current + 1). */
  readonly startRevision?: number;
  readonly filters?: WatchFilters;
  /** Fill each event's prev_kv with the key's value before it. */
  readonly prevKv?: boolean;
  /** Send progress notifications when nothing else was sent for an interval. */
  readonly progressNotify?: boolean;
}
