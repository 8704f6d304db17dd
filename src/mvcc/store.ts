import type { Backend } from '../backend/index.js';
import { CompactedError, FutureRevisionError } from './errors.js';
import type { Event, EventListener, EventListenerOptions } from './events.js';
import { decodeKeyValue, type KeyValue } from './key-value.js';
import { KeyIndex } from './key-index.js';
import { restoreIndex } from './restore.js';
import { encodeRevisionKey, type Revision } from './revision.js';
import { TreeIndex, type RangeEnd } from './tree-index.js';
import { CompactionRunner, type Compaction } from './compaction.js';
import type { MetricsHooks } from '../pkg/metrics-hooks.js';
import { WriteTxn } from './write-txn.js';
import type { Int64 } from '../pkg/int64.js';

export interface RangeOptions {
  /** Revision to read at; 0 or absent: the current revision. */
  readonly revision?: number;
  /** Maximum number of kvs returned; 0 or absent: no limit. */
  readonly limit?: number;
  /** Return only the count, no kvs. */
  readonly countOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Number of keys in the range at the read revision (ignores limit). */
  count: number;
  /** The store's revision when the read happened (for the response header). */
  revision: number;
}

export interface KVStoreOptions {
  /** Revisions deleted per step of a physical compaction (etcd's default: 1000). */
  readonly compactionBatchSize?: number;
  /**
   * Runs the next step of a physical compaction later. Default: setImmediate. Tests
   * and the simulator pass their own scheduler.
   */
  readonly scheduleCompactionStep?: (step: () => void) => void;
  /**
   * Called when a key's lease changes (old or new may be 0: none); for the lessor. The
   * key comes as the latin1 string of its bytes, the string the index holds (a lessor
   * that keeps it shares it instead of holding another copy per leased key).
   */
  readonly onKeyLeaseChange?: (keyString: string, oldLease: Int64, newLease: Int64) => void;
  /** Counts of each write transaction's operations, and compaction progress, for metrics. */
  readonly metrics?: Pick<MetricsHooks, 'mvccTxn' | 'compactionStep' | 'compactionDone'>;
}

interface ListenerEntry {
  listener: EventListener;
  withPrevKv: boolean;
}

/**
 * etcd's MVCC key-value store: an in-memory index of every key's revisions over the
 * backend's key bucket (revision → encoded KeyValue).
 *
 * Writes: `write()` opens a WriteTxn that writes into the backend's current batch
 * (`backend.batchTx()`); its `end()` makes the revision current and notifies listeners.
 * The server decides when the batch is committed (with the consistent index).
 */
export class KVStore {
  /** @internal Replaced by restore(). */ index: TreeIndex;
  /** @internal */ currentRevisionValue: number;
  /** @internal */ compactMainRevision: number;
  /** @internal */ activeWriteTxn: WriteTxn | undefined;
  /** @internal Keys whose latest revision is not a tombstone (etcd_debugging_mvcc_keys_total). */ liveKeys = 0;
  /** @internal */ readonly options: KVStoreOptions;
  private readonly listeners: ListenerEntry[] = [];
  private prevKvListenerCount = 0;
  private compactions: CompactionRunner;

  private constructor(
    readonly backend: Backend,
    options: KVStoreOptions,
  ) {
    this.options = options;
    const restored = restoreIndex(backend);
    this.index = restored.index;
    this.currentRevisionValue = restored.currentRevision;
    this.compactMainRevision = restored.compactRevision;
    this.compactions = this.newCompactionRunner();
    this.finishLoading(restored.unfinishedCompactRevision);
  }

  /** Opens the store on `backend`, rebuilding the key index from its key bucket. */
  static open(backend: Backend, options: KVStoreOptions = {}): KVStore {
    return new KVStore(backend, options);
  }

  /**
   * Rebuilds the key index, the current and the compacted revision from the
   * backend, whose contents were replaced (Backend.restore), as etcd's
   * store.Restore does; the same object goes on serving, and event listeners
   * stay subscribed (they get no events for the restored revisions). A
   * physical compaction in progress stops (its `done` rejects): it was for the
   * old contents; one left unfinished in the new contents runs again. Leased
   * keys are attached again through `onKeyLeaseChange` (recover the lessor
   * first). Call it between write transactions.
   */
  restore(): void {
    if (this.activeWriteTxn !== undefined) throw new Error('mvcc: cannot restore during a write transaction');
    this.compactions.stop();
    const restored = restoreIndex(this.backend);
    this.index = restored.index;
    this.currentRevisionValue = restored.currentRevision;
    this.compactMainRevision = restored.compactRevision;
    this.compactions = this.newCompactionRunner();
    this.finishLoading(restored.unfinishedCompactRevision);
  }

  private newCompactionRunner(): CompactionRunner {
    return new CompactionRunner(this.backend, this.options.compactionBatchSize ?? 1000, this.options.scheduleCompactionStep, this.options.metrics);
  }

  private finishLoading(unfinishedCompactRevision: number | undefined): void {
    let liveKeys = 0;
    for (const keyIndex of this.index.keyIndexes()) if (keyIndex.isLive()) liveKeys++;
    this.liveKeys = liveKeys;
    const onKeyLeaseChange = this.options.onKeyLeaseChange;
    if (onKeyLeaseChange !== undefined) {
      for (const keyIndex of this.index.keyIndexes()) {
        if (keyIndex.lease !== 0 && keyIndex.isLive()) onKeyLeaseChange(keyIndex.keyString, 0, keyIndex.lease);
      }
    }
    if (unfinishedCompactRevision !== undefined) {
      // A compaction was scheduled before a crash or shutdown: finish it.
      this.compact(unfinishedCompactRevision);
    }
  }

  /** Revision of the last write transaction that changed something (1 on a new store). */
  get currentRevision(): number {
    return this.currentRevisionValue;
  }

  /** Revision of the last compaction (-1 if never compacted, as in etcd). */
  get compactRevision(): number {
    return this.compactMainRevision;
  }

  /** Number of keys that exist at the current revision. */
  get liveKeyCount(): number {
    return this.liveKeys;
  }

  /** Number of keys with history in the index (live or not yet compacted away). */
  get indexedKeyCount(): number {
    return this.index.keyCount;
  }

  /**
   * Reads keys at a revision. `rangeEnd` empty or absent: the single key `key`;
   * `rangeEnd` = [0x00]: every key >= `key`; else keys in [key, rangeEnd).
   */
  range(key: Buffer, rangeEnd: Buffer | undefined, options: RangeOptions = {}): RangeResult {
    return this.rangeAt(key, rangeEnd, this.currentRevisionValue, options);
  }

  /** Starts a write transaction. Only one may be open; call `end()` on it. */
  write(): WriteTxn {
    if (this.activeWriteTxn !== undefined) throw new Error('a write transaction is already open');
    this.activeWriteTxn = new WriteTxn(this);
    return this.activeWriteTxn;
  }

  /**
   * Compacts history below `revision`: reads below it fail from now on; the deletion of
   * old revisions from the backend proceeds in steps, `done` settles when it finished.
   * The scheduled revision is written into the current batch (commit it with the
   * consistent index of the compaction request).
   */
  compact(revision: number): Compaction {
    if (revision <= this.compactMainRevision) throw new CompactedError();
    if (revision > this.currentRevisionValue) throw new FutureRevisionError();
    this.compactMainRevision = revision;
    const dropped = this.index.compact(revision);
    return this.compactions.schedule(revision, dropped);
  }

  /**
   * Stops background compaction steps (an unfinished one resumes at the next open).
   * The backend belongs to the caller and stays open.
   */
  close(): void {
    this.compactions.stop();
  }

  /** Resolves when every scheduled physical compaction has finished. */
  compactionsFinished(): Promise<void> {
    return this.compactions.idle();
  }

  /**
   * Subscribes to the events of every write transaction that changes something.
   * Returns a function that unsubscribes.
   */
  onEvents(listener: EventListener, options: EventListenerOptions = {}): () => void {
    const entry: ListenerEntry = { listener, withPrevKv: options.withPrevKv === true };
    this.listeners.push(entry);
    if (entry.withPrevKv) this.prevKvListenerCount++;
    return () => {
      const position = this.listeners.indexOf(entry);
      if (position < 0) return;
      this.listeners.splice(position, 1);
      if (entry.withPrevKv) this.prevKvListenerCount--;
    };
  }

  /** Revisions of `key` changed at or after `fromRevision` (for watchers catching up). */
  revisionsSince(key: Buffer, fromRevision: number): Revision[] {
    return this.index.keyIndex(key)?.since(fromRevision) ?? [];
  }

  /** The key index of `key`, if it has history (read-only use; for watch and lease). */
  keyIndex(key: Buffer): KeyIndex | undefined {
    return this.index.keyIndex(key);
  }

  /** Reads the stored KeyValue of a revision (a put or, with `tombstone`, a delete marker). */
  readRevision(revision: Revision, tombstone = false): KeyValue | undefined {
    const bytes = this.backend.get('key', encodeRevisionKey(revision, tombstone));
    return bytes === undefined ? undefined : decodeKeyValue(bytes);
  }

  /** @internal */
  get wantsPrevKv(): boolean {
    return this.prevKvListenerCount > 0;
  }

  /** @internal Called by WriteTxn.end(). */
  finishWrite(txn: WriteTxn, events: Event[]): void {
    if (this.activeWriteTxn !== txn) throw new Error('write transaction is not the active one');
    this.activeWriteTxn = undefined;
    if (events.length === 0) return;
    this.currentRevisionValue++;
    const revision = this.currentRevisionValue;
    for (const entry of [...this.listeners]) entry.listener(events, revision);
  }

  /** @internal Shared by reads and write transactions; `currentRevision` bounds the read. */
  rangeAt(key: Buffer, rangeEnd: Buffer | undefined, currentRevision: number, options: RangeOptions): RangeResult {
    let revision = options.revision ?? 0;
    if (revision > currentRevision) throw new FutureRevisionError();
    if (revision <= 0) revision = currentRevision;
    if (revision < this.compactMainRevision) throw new CompactedError();
    const end = toRangeEnd(rangeEnd);
    if (end === undefined) {
      const state = this.index.get(key, revision);
      if (state === undefined) return { kvs: [], count: 0, revision: currentRevision };
      return {
        kvs: options.countOnly === true ? [] : [this.readKeyValue(state.modified)],
        count: 1,
        revision: currentRevision,
      };
    }
    if (options.countOnly === true) {
      return { kvs: [], count: this.index.count(key, end, revision), revision: currentRevision };
    }
    const { keys, total } = this.index.range(key, end, revision, options.limit ?? 0, true);
    const kvs = new Array<KeyValue>(keys.length);
    for (let position = 0; position < keys.length; position++) kvs[position] = this.readKeyValue(keys[position]!.modified);
    return { kvs, count: total, revision: currentRevision };
  }

  /** @internal */
  readKeyValue(revision: Revision): KeyValue {
    const keyValue = this.readRevision(revision);
    if (keyValue === undefined) {
      throw new Error(`mvcc: revision ${revision.main}_${revision.sub} is in the index but not in the backend`);
    }
    return keyValue;
  }
}

/** undefined: single key; 'unbounded': no upper bound (etcd's "\0"); else the exclusive end. */
export function toRangeEnd(rangeEnd: Buffer | undefined): RangeEnd | undefined {
  if (rangeEnd === undefined || rangeEnd.length === 0) return undefined;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return 'unbounded';
  return rangeEnd;
}
