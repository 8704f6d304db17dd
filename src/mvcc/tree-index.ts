import sortedBtree from 'sorted-btree';
import { KeyIndex, type DroppedRevision, type KeyAtRevision } from './key-index.js';
import type { Revision } from './revision.js';
import type { Int64 } from '../pkg/int64.js';

// sorted-btree is CommonJS; under Node's ESM its class is the `default` export's `default`.
const BTree = sortedBtree.default;

/** A key (its bytes as a latin1 string) and its state at the revision a range asked for. */
export interface IndexedKey extends KeyAtRevision {
  keyString: string;
}

/**
 * Upper bound of a key range: a key (exclusive), or `unbounded` for "every key from
 * start on" (etcd's range_end "\0").
 */
export type RangeEnd = Buffer | 'unbounded';

/**
 * The in-memory index of all keys, ordered by key bytes (a B+ tree keyed by the latin1
 * string of the key, whose string order equals the byte order; the KeyIndex holds the
 * same string, so the key is stored once). Single-key operations are O(log n); ranges
 * cost O(log n + keys visited).
 */
export class TreeIndex {
  private readonly tree = new BTree<string, KeyIndex>(undefined, compareStrings);

  get keyCount(): number {
    return this.tree.size;
  }

  keyIndex(key: Buffer): KeyIndex | undefined {
    return this.tree.get(key.toString('latin1'));
  }

  get(key: Buffer, atRevision: number): KeyAtRevision | undefined {
    return this.keyIndex(key)?.get(atRevision);
  }

  /** Records a put of `key` at `revision`; returns the key's index. */
  put(key: Buffer, revision: Revision, lease: Int64): KeyIndex {
    const keyString = key.toString('latin1');
    let keyIndex = this.tree.get(keyString);
    if (keyIndex === undefined) {
      keyIndex = new KeyIndex(keyString);
      this.tree.set(keyString, keyIndex);
    }
    keyIndex.put(revision);
    keyIndex.lease = lease;
    return keyIndex;
  }

  /** Marks `key` deleted at `revision`; false if it is not live. */
  tombstone(key: Buffer, revision: Revision): boolean {
    return this.keyIndex(key)?.tombstone(revision) ?? false;
  }

  /** Adds a key index built elsewhere (restore). */
  insert(keyIndex: KeyIndex): void {
    this.tree.set(keyIndex.keyString, keyIndex);
  }

  /** Visits key indexes with start <= key < end in order until `visit` returns false. */
  visit(start: Buffer, end: RangeEnd, visit: (keyIndex: KeyIndex) => boolean | void): void {
    const endString = end === 'unbounded' ? undefined : end.toString('latin1');
    for (const [keyString, keyIndex] of this.tree.entries(start.toString('latin1'))) {
      if (endString !== undefined && keyString >= endString) return;
      if (visit(keyIndex) === false) return;
    }
  }

  /**
   * Keys in [start, end) that exist at `atRevision`, in key order; at most `limit`
   * (0: all). `total` counts all matches when `withTotalCount`, else only those returned.
   */
  range(start: Buffer, end: RangeEnd, atRevision: number, limit: number, withTotalCount: boolean): { keys: IndexedKey[]; total: number } {
    const keys: IndexedKey[] = [];
    let total = 0;
    this.visit(start, end, (keyIndex) => {
      const reachedLimit = limit > 0 && keys.length >= limit;
      if (reachedLimit && !withTotalCount) return false;
      const state = keyIndex.get(atRevision);
      if (state === undefined) return true;
      if (!reachedLimit) keys.push({ keyString: keyIndex.keyString, modified: state.modified, created: state.created, version: state.version });
      total++;
      return true;
    });
    return { keys, total };
  }

  count(start: Buffer, end: RangeEnd, atRevision: number): number {
    let total = 0;
    this.visit(start, end, (keyIndex) => {
      if (keyIndex.get(atRevision) !== undefined) total++;
    });
    return total;
  }

  /** Compacts every key's history at `atRevision`, removes emptied keys, returns the dropped revisions. */
  compact(atRevision: number): DroppedRevision[] {
    const dropped: DroppedRevision[] = [];
    const emptied: string[] = [];
    for (const [keyString, keyIndex] of this.tree.entries()) {
      keyIndex.compact(atRevision, dropped);
      if (keyIndex.isEmpty()) emptied.push(keyString);
    }
    for (const keyString of emptied) this.tree.delete(keyString);
    return dropped;
  }

  /** All key indexes in key order (tests, debugging). */
  *keyIndexes(): Generator<KeyIndex> {
    for (const [, keyIndex] of this.tree.entries()) yield keyIndex;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
