// Migration in: builds our LMDB backend from a bbolt file (a snapshot from
// etcd or etcd-ts, or the member/snap/db of a data dir made by etcd). The
// buckets hold etcd's formats already, so keys, revisions, compaction state,
// leases, alarms and auth records are copied as they are. The membership
// buckets are not: the member table comes from the new member's own
// bootstrap. The consistent index and term are left out, so the bootstrap
// entries of the new Raft log apply on top of the imported data (etcd's
// restore likewise rewrites membership and the consistent index).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Backend } from '../backend/index.js';
import { bucketNames, metaConsistentIndexKey, metaTermKey, type BucketName } from '../backend/buckets.js';
import { BoltReader } from './bbolt-reader.js';

const sha256Size = 32;
const entriesPerCommit = 10_000;
const skippedBuckets: ReadonlySet<string> = new Set(['members', 'members_removed', 'cluster']);

export class SnapshotHashError extends Error {}

/**
 * etcd's integrity check of a snapshot file (etcdctl snapshot restore): a
 * file whose size is 32 more than a multiple of 512 ends with the sha256 of
 * the rest. Returns the size of the database part.
 */
export function checkSnapshotHash(path: string, skipHashCheck: boolean): number {
  const size = statSync(path).size;
  const hasHash = size % 512 === sha256Size;
  if (!hasHash) {
    if (!skipHashCheck) throw new SnapshotHashError('snapshot missing hash but --skip-hash-check=false');
    return size;
  }
  const databaseSize = size - sha256Size;
  if (skipHashCheck) return databaseSize;
  const hash = createHash('sha256');
  const descriptor = openSync(path, 'r');
  const trailer = Buffer.alloc(sha256Size);
  try {
    const chunk = Buffer.alloc(1024 * 1024);
    for (let offset = 0; offset < databaseSize; ) {
      const read = readSync(descriptor, chunk, 0, Math.min(chunk.length, databaseSize - offset), offset);
      if (read === 0) throw new SnapshotHashError('unexpected end of snapshot file');
      hash.update(chunk.subarray(0, read));
      offset += read;
    }
    readSync(descriptor, trailer, 0, sha256Size, databaseSize);
  } finally {
    closeSync(descriptor);
  }
  const computed = hash.digest();
  // Go's %v of a []byte.
  if (!computed.equals(trailer)) throw new SnapshotHashError(`expected sha256 [${[...trailer].join(' ')}], got [${[...computed].join(' ')}]`);
  return databaseSize;
}

export interface ImportResult {
  readonly entries: number;
  readonly revision: number;
}

/** Copies the etcd buckets of the bbolt file (its first `size` bytes) into a new backend in `backendDirectory`. */
export async function importBoltIntoBackend(boltPath: string, size: number | undefined, backendDirectory: string): Promise<ImportResult> {
  const reader = new BoltReader(boltPath, size);
  const backend = Backend.open(backendDirectory);
  let entries = 0;
  let revision = 0;
  try {
    const known = new Set<string>(bucketNames);
    for (const nameBytes of reader.bucketNames()) {
      const name = nameBytes.toString();
      if (!known.has(name) || skippedBuckets.has(name)) continue;
      const bucket = name as BucketName;
      reader.forEach(nameBytes, (key, value) => {
        if (bucket === 'meta' && (key.equals(metaConsistentIndexKey) || key.equals(metaTermKey))) return;
        backend.batchTx().put(bucket, Buffer.from(key), Buffer.from(value));
        if (bucket === 'key' && key.length >= 8) revision = Number(key.readBigUInt64BE(0));
        if (++entries % entriesPerCommit === 0) backend.commit();
      });
    }
    backend.commit();
  } finally {
    reader.close();
    await backend.close();
  }
  return { entries, revision };
}

/**
 * A data dir made by etcd (e.g. by `etcdctl snapshot restore`) has its
 * backend in member/snap/db (bbolt) and etcd's WAL in member/wal. When
 * `memberDirectory` holds such a backend and no backend of ours, the etcd
 * files are moved aside into member/etcd-import (kept, not deleted), and the
 * keys, leases, compaction state and auth are imported into a new backend in
 * member/snap; the member then bootstraps a fresh Raft log from its flags
 * (--initial-cluster and the rest), as after our own `snapshot restore`.
 * Returns what was imported, or undefined when there was nothing to import.
 */
export async function importEtcdDataDirIfPresent(memberDirectory: string, backendFileName: string): Promise<(ImportResult & { movedTo: string }) | undefined> {
  const snapDirectory = join(memberDirectory, 'snap');
  const boltPath = join(snapDirectory, 'db');
  if (!existsSync(boltPath) || existsSync(join(snapDirectory, backendFileName))) return undefined;
  // No extension in the name: lmdb-js takes a path with one for the data file itself.
  const staging = join(memberDirectory, 'snap_import_staging');
  rmSync(staging, { recursive: true, force: true });
  const result = await importBoltIntoBackend(boltPath, undefined, staging);
  const movedTo = join(memberDirectory, 'etcd-import');
  mkdirSync(movedTo, { recursive: true });
  const walDirectory = join(memberDirectory, 'wal');
  if (existsSync(walDirectory)) renameSync(walDirectory, join(movedTo, 'wal'));
  renameSync(snapDirectory, join(movedTo, 'snap'));
  renameSync(staging, snapDirectory);
  return { ...result, movedTo };
}
