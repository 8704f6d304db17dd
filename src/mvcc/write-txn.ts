import { CompactedError } from './errors.js';
import { EventType, type Event } from './events.js';
import { encodeKeyValue, type KeyValue } from './key-value.js';
import type { KeyIndex } from './key-index.js';
import { encodeRevisionKey, type Revision } from './revision.js';
import type { KVStore, RangeOptions, RangeResult } from './store.js';
import { toRangeEnd } from './store.js';
import type { Int64 } from '../pkg/int64.js';

const emptyBuffer = Buffer.alloc(0);

/**
 * A write transaction: every put and delete gets main revision `beginRevision + 1`
 * and increasing sub revisions. Reads see the transaction's own earlier writes.
 * Writes go to the backend's current batch; `end()` publishes the revision (only if
 * something changed, like etcd) and hands the events to the store's listeners.
 */
export class WriteTxn {
  readonly beginRevision: number;
  private readonly events: Event[] = [];
  private ended = false;
  // Operation counts for metrics (etcd's metricsTxnWrite): reported once, at end().
  private ranges = 0;
  private puts = 0;
  private deletes = 0;
  private putBytes = 0;

  /** @internal Use KVStore.write(). */
  constructor(private readonly store: KVStore) {
    this.beginRevision = store.currentRevisionValue;
  }

  /** The revision a reader sees after this transaction: beginRevision + 1 once it changed something. */
  get revision(): number {
    return this.events.length > 0 ? this.beginRevision + 1 : this.beginRevision;
  }

  /** Number of changes so far. */
  get changeCount(): number {
    return this.events.length;
  }

  /** Like KVStore.range, but includes this transaction's writes. */
  range(key: Buffer, rangeEnd: Buffer | undefined, options: RangeOptions = {}): RangeResult {
    this.assertOpen();
    this.ranges++;
    return this.store.rangeAt(key, rangeEnd, this.revision, options);
  }

  /** Puts `value` at `key` with `lease` (0: none); returns the revision of the change. */
  put(key: Buffer, value: Buffer, lease: Int64): number {
    this.assertOpen();
    this.puts++;
    this.putBytes += key.length + value.length;
    const store = this.store;
    const mainRevision = this.beginRevision + 1;
    const keyIndex = store.index.keyIndex(key);
    const previous = keyIndex?.get(mainRevision);
    const oldLease = previous !== undefined ? keyIndex!.lease : 0;
    if (previous === undefined) store.liveKeys++;
    const keyValue: KeyValue = {
      key,
      create_revision: previous !== undefined ? previous.created.main : mainRevision,
      mod_revision: mainRevision,
      version: (previous?.version ?? 0) + 1,
      value,
      lease,
    };
    const revision: Revision = { main: mainRevision, sub: this.events.length };
    const event: Event = { type: EventType.PUT, kv: keyValue };
    if (previous !== undefined && store.wantsPrevKv) event.prev_kv = store.readKeyValue(previous.modified);
    store.backend.batchTx().put('key', encodeRevisionKey(revision), encodeKeyValue(keyValue));
    // The index keeps its own copy of the key (a latin1 string), not the request's buffer.
    const indexed = store.index.put(key, revision, lease);
    this.events.push(event);
    if (oldLease !== lease) store.options.onKeyLeaseChange?.(indexed.keyString, oldLease, lease);
    return mainRevision;
  }

  /**
   * Deletes the key (rangeEnd empty/absent), the keys in [key, rangeEnd), or every key
   * >= key (rangeEnd [0x00]). Returns how many keys were deleted.
   */
  deleteRange(key: Buffer, rangeEnd: Buffer | undefined): number {
    this.assertOpen();
    this.deletes++;
    const store = this.store;
    const readRevision = this.revision;
    if (readRevision < store.compactMainRevision) throw new CompactedError();
    const end = toRangeEnd(rangeEnd);
    const doomed: KeyIndex[] = [];
    if (end === undefined) {
      const keyIndex = store.index.keyIndex(key);
      if (keyIndex !== undefined && keyIndex.get(readRevision) !== undefined) doomed.push(keyIndex);
    } else {
      store.index.visit(key, end, (keyIndex) => {
        if (keyIndex.get(readRevision) !== undefined) doomed.push(keyIndex);
      });
    }
    for (const keyIndex of doomed) this.deleteKey(keyIndex, readRevision);
    return doomed.length;
  }

  /** Ends the transaction. Must be called exactly once, also after errors. */
  end(): void {
    this.assertOpen();
    this.ended = true;
    this.store.options.metrics?.mvccTxn(this.ranges, this.puts, this.deletes, this.putBytes);
    this.store.finishWrite(this, this.events);
  }

  private deleteKey(keyIndex: KeyIndex, readRevision: number): void {
    const store = this.store;
    const mainRevision = this.beginRevision + 1;
    const revision: Revision = { main: mainRevision, sub: this.events.length };
    // The index holds the key as a string: one Buffer for the event and the tombstone.
    const key = keyIndex.key;
    const event: Event = {
      type: EventType.DELETE,
      kv: { key, create_revision: 0, mod_revision: mainRevision, version: 0, value: emptyBuffer, lease: 0 },
    };
    if (store.wantsPrevKv) event.prev_kv = store.readKeyValue(keyIndex.get(readRevision)!.modified);
    const oldLease = keyIndex.lease;
    // The stored tombstone holds only the key, as etcd's does.
    const tombstoneValue = encodeKeyValue({ key, create_revision: 0, mod_revision: 0, version: 0, value: emptyBuffer, lease: 0 });
    store.backend.batchTx().put('key', encodeRevisionKey(revision, true), tombstoneValue);
    keyIndex.tombstone(revision);
    store.liveKeys--;
    this.events.push(event);
    if (oldLease !== 0) store.options.onKeyLeaseChange?.(keyIndex.keyString, oldLease, 0);
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('write transaction already ended');
  }
}
