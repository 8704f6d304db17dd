import { EventType, type Event } from '../events.js';
import { decodeKeyValue, type KeyValue } from '../key-value.js';
import { decodeRevisionKey, encodeRevisionKey } from '../revision.js';
import type { KVStore } from '../store.js';

export interface HistoryBatchLimits {
  /** Stop before a revision once this many revisions were read. */
  readonly revisionsMax: number;
  /** Stop before a revision once this many stored changes were scanned. */
  readonly changesMax: number;
  /** Stop before a revision once the events kept hold this many key and value bytes. */
  readonly bytesMax: number;
}

export interface HistoryBatch {
  /** Events of the wanted keys, in revision order. */
  readonly events: Event[];
  /** Every revision up to and including this one was read (whole revisions only). */
  readonly throughRevision: number;
}

const emptyBuffer = Buffer.alloc(0);

/**
 * Reads the changes of revisions fromRevision..toRevision from the store's key bucket
 * (which is ordered by revision), keeping those whose key `wanted` accepts. Stops at a
 * revision boundary once a limit is reached, so memory per batch is bounded (except for
 * a single revision larger than the limit, which is never split).
 */
export function readHistory(
  store: KVStore,
  fromRevision: number,
  toRevision: number,
  wanted: (key: Buffer) => boolean,
  limits: HistoryBatchLimits,
): HistoryBatch {
  const events: Event[] = [];
  if (fromRevision > toRevision) return { events, throughRevision: toRevision };
  let throughRevision = toRevision;
  let revisionCount = 0;
  let changeCount = 0;
  let keptBytes = 0;
  let lastRevision = -1;
  const start = encodeRevisionKey({ main: Math.max(fromRevision, 0), sub: 0 });
  const end = encodeRevisionKey({ main: toRevision + 1, sub: 0 });
  store.backend.forEachInRange('key', start, end, (revisionKey, value) => {
    const { revision, tombstone } = decodeRevisionKey(revisionKey);
    if (revision.main !== lastRevision) {
      if (revisionCount >= limits.revisionsMax || changeCount >= limits.changesMax || keptBytes >= limits.bytesMax) {
        throughRevision = lastRevision;
        return false;
      }
      revisionCount++;
      lastRevision = revision.main;
    }
    changeCount++;
    const stored = decodeKeyValue(value);
    if (!wanted(stored.key)) return true;
    // The stored bytes may belong to the database's read buffers: keep copies.
    const key = Buffer.from(stored.key);
    keptBytes += stored.key.length + stored.value.length;
    if (tombstone) {
      // A tombstone stores only the key; its revision is the delete's (as etcd patches in).
      const kv: KeyValue = { key, create_revision: 0, mod_revision: revision.main, version: 0, value: emptyBuffer, lease: 0 };
      events.push({ type: EventType.DELETE, kv });
    } else {
      events.push({ type: EventType.PUT, kv: { ...stored, key, value: Buffer.from(stored.value) } });
    }
    return true;
  });
  return { events, throughRevision };
}
