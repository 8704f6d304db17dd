// Maintenance.Hash and Maintenance.HashKV as etcd computes them (mvcc/kvstore.go
// Hash/HashByRev in 3.4; mvcc/hash.go unsafeHashByRev in 3.5): CRC-32C
// (Castagnoli) over backend bytes, so members can compare their data.
//
// HashKV(rev): the bucket name "key", then for every key-bucket entry in key order
// (= revision order) whose main revision is <= rev: its key (the 17-byte revision,
// plus the 't' marker for a tombstone) and its value (the stored mvccpb.KeyValue
// protobuf, which our key bucket holds byte for byte as etcd does). Entries at or
// below the compact revision count only if a compaction at rev would keep them
// (etcd's kvindex.Keep(rev)), unless that keep set is empty: this skips revisions
// a compaction still has to delete, so the hash does not depend on how far the
// physical compaction has come. One addition for etcd 3.4.23's bytes: a tombstone
// at or below the compact revision is never hashed (see below).

import type { Backend } from '../backend/index.js';
import { bucketNames, metaConsistentIndexKey, metaTermKey } from '../backend/buckets.js';
import { readUint64BigEndian } from '../backend/uint64.js';
import { Crc32c } from './crc32c.js';
import { CompactedError, FutureRevisionError } from './errors.js';
import { encodeRevisionKey, revisionKeyBytes } from './revision.js';
import type { KVStore } from './store.js';

const keyBucketName = Buffer.from('key');
const emptyKey = Buffer.alloc(0);

/** The answer of HashKV: what etcd's HashByRev returns. */
export interface KeyValueHash {
  /** CRC-32C of the key bucket up to `hashRevision`. */
  hash: number;
  /** The store's compact revision (-1: never compacted). */
  compactRevision: number;
  /** The revision the hash covers (the requested one, or the current one for 0). */
  hashRevision: number;
  /** The store's current revision (HashKV's response header carries it). */
  currentRevision: number;
}

/**
 * etcd's HashByRev: the hash of all MVCC revisions up to `revision` (0 or
 * less: the current revision). Throws CompactedError for a revision at or
 * below the compact revision and FutureRevisionError above the current one
 * (both OutOfRange on the wire). Synchronous, so it sees one consistent state,
 * uncommitted backend writes included.
 */
export function hashKv(store: KVStore, revision = 0): KeyValueHash {
  const compactRevision = store.compactRevision;
  const currentRevision = store.currentRevision;
  if (revision > 0 && revision <= compactRevision) throw new CompactedError();
  if (revision > 0 && revision > currentRevision) throw new FutureRevisionError();
  const hashRevision = revision > 0 ? revision : currentRevision;

  // etcd's keep map, reduced to what the filter asks: is it empty, and which of its
  // revisions are at or below the compact revision (sorted, for a merge walk).
  let keepIsEmpty = true;
  const keptMains: number[] = [];
  const keptSubs: number[] = [];
  for (const keyIndex of store.index.keyIndexes()) {
    keyIndex.keep(hashRevision, (main, sub) => {
      keepIsEmpty = false;
      if (main <= compactRevision) {
        keptMains.push(main);
        keptSubs.push(sub);
      }
    });
  }
  const order = keptMains.map((_, position) => position);
  order.sort((a, b) => keptMains[a]! - keptMains[b]! || keptSubs[a]! - keptSubs[b]!);
  let next = 0;

  const hasher = new Crc32c().write(keyBucketName);
  // Keys sort by (main, sub): stop before the first revision above hashRevision.
  const end = encodeRevisionKey({ main: hashRevision + 1, sub: 0 });
  store.backend.forEachInRange('key', emptyKey, end, (key, value) => {
    const main = readUint64BigEndian(key, 0);
    if (main <= compactRevision && keepIsEmpty) {
      // A tombstone at or below the compact revision is in our key bucket only
      // because our compaction keeps a tombstone at exactly the compaction revision
      // (as etcd >= 3.4.34 / 3.5.15 do). etcd 3.4.23 deletes it, and keep sets never
      // hold tombstones, so etcd's rule skips it whenever the keep set is not empty;
      // skipping it here too gives 3.4.23's hash when no key is live at the hash
      // revision (newer etcd, whose bucket keeps it, hashes it then).
      if (key.length > revisionKeyBytes) return;
    } else if (main <= compactRevision) {
      const sub = readUint64BigEndian(key, 9);
      while (next < order.length) {
        const position = order[next]!;
        const keptMain = keptMains[position]!;
        if (keptMain > main || (keptMain === main && keptSubs[position]! >= sub)) break;
        next++;
      }
      if (next >= order.length) return;
      const position = order[next]!;
      if (keptMains[position] !== main || keptSubs[position] !== sub) return;
    }
    hasher.write(key);
    hasher.write(value);
  });
  return { hash: hasher.sum(), compactRevision, hashRevision, currentRevision };
}

/**
 * etcd's backend Hash (Maintenance.Hash): every bucket in name order, each as its
 * name and then its keys and values in key order, skipping the meta keys that
 * legitimately differ between members (consistent_index in 3.4, term too in 3.5).
 * Only comparable between members of this implementation: the membership and
 * meta buckets do not hold etcd's bytes.
 */
export function hashBackend(backend: Backend): number {
  const hasher = new Crc32c();
  const names = [...bucketNames].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    hasher.write(Buffer.from(name));
    backend.forEachInRange(name, emptyKey, undefined, (key, value) => {
      if (name === 'meta' && (key.equals(metaConsistentIndexKey) || key.equals(metaTermKey))) return;
      hasher.write(key);
      hasher.write(value);
    });
  }
  return hasher.sum();
}
