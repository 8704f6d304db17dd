import type { BucketName } from './buckets.js';
import { metaConsistentIndexKey, metaTermKey } from './buckets.js';
import { encodeUint64BigEndian } from './uint64.js';

/** A buffered write: a value, or null for a deletion. */
export interface PendingWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * The writes not yet handed to LMDB. The server applies many Raft entries into
 * this one buffer and commits it as a single LMDB transaction (see Backend.commit).
 * Reads through the Backend see these writes at once, like etcd's read buffer.
 *
 * Buffers passed in are kept by reference: callers must not reuse them.
 */
export class BatchTx {
  // Per bucket, pending writes keyed by the latin1 string of the key bytes
  // (a cheap, order-preserving, hashable form of a byte string).
  private readonly pendingByBucket = new Map<BucketName, Map<string, PendingWrite>>();
  private pendingWriteCount = 0;
  private appliedIndex: number | undefined;
  private appliedTerm = 0;

  put(bucket: BucketName, key: Buffer, value: Buffer): void {
    this.bucketWrites(bucket).set(key.toString('latin1'), { key, value });
    this.pendingWriteCount++;
  }

  delete(bucket: BucketName, key: Buffer): void {
    this.bucketWrites(bucket).set(key.toString('latin1'), { key, value: null });
    this.pendingWriteCount++;
  }

  /**
   * Records the Raft index and term of the last entry applied into this batch. It is
   * written in the same LMDB transaction as the data, so on disk the two always agree.
   */
  setConsistentIndex(index: number, term: number): void {
    if (this.appliedIndex !== undefined && index < this.appliedIndex) {
      throw new Error(`consistent index must not decrease: ${index} < ${this.appliedIndex}`);
    }
    this.appliedIndex = index;
    this.appliedTerm = term;
  }

  /** The consistent index set in this batch, if any. */
  pendingConsistentIndex(): { index: number; term: number } | undefined {
    return this.appliedIndex === undefined ? undefined : { index: this.appliedIndex, term: this.appliedTerm };
  }

  /** Number of put/delete calls since the last commit (an upper bound of distinct keys). */
  get pendingWrites(): number {
    return this.pendingWriteCount;
  }

  /** The pending write for a key: undefined if none, value null if deleted. */
  lookup(bucket: BucketName, key: Buffer): PendingWrite | undefined {
    return this.pendingByBucket.get(bucket)?.get(key.toString('latin1'));
  }

  /** Pending writes of a bucket with start <= key < end (end undefined: no upper bound), sorted by key. */
  sortedWritesInRange(bucket: BucketName, start: Buffer, end: Buffer | undefined): PendingWrite[] {
    const writes = this.pendingByBucket.get(bucket);
    if (writes === undefined || writes.size === 0) return [];
    const startString = start.toString('latin1');
    const endString = end?.toString('latin1');
    const found: [string, PendingWrite][] = [];
    for (const entry of writes) {
      const keyString = entry[0];
      if (keyString >= startString && (endString === undefined || keyString < endString)) found.push(entry);
    }
    // latin1 strings compare like the bytes they stand for.
    found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return found.map((entry) => entry[1]);
  }

  /** All pending writes per bucket, including the consistent index in meta. */
  *drain(): Generator<[BucketName, PendingWrite]> {
    for (const [bucket, writes] of this.pendingByBucket) {
      for (const write of writes.values()) yield [bucket, write];
    }
    if (this.appliedIndex !== undefined) {
      yield ['meta', { key: metaConsistentIndexKey, value: encodeUint64BigEndian(this.appliedIndex) }];
      yield ['meta', { key: metaTermKey, value: encodeUint64BigEndian(this.appliedTerm) }];
    }
  }

  isEmpty(): boolean {
    return this.pendingWriteCount === 0 && this.appliedIndex === undefined;
  }

  clear(): void {
    this.pendingByBucket.clear();
    this.pendingWriteCount = 0;
    this.appliedIndex = undefined;
    this.appliedTerm = 0;
  }

  private bucketWrites(bucket: BucketName): Map<string, PendingWrite> {
    let writes = this.pendingByBucket.get(bucket);
    if (writes === undefined) {
      writes = new Map();
      this.pendingByBucket.set(bucket, writes);
    }
    return writes;
  }
}
