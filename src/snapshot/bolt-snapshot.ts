// A point-in-time snapshot of a member as a bbolt file with etcd's bucket
// layout: LMDB's compacting copy of the committed backend (taken off the event
// loop), converted page by page into `snapshot.db` in a scratch directory.
// Maintenance.Snapshot streams it; the backup scheduler writes it to a file.
// Both add etcd's sha256 trailer (snapshotWithSha256Trailer) themselves.

import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backendFileName } from '../backend/backend.js';
import { exportLmdbCopyToBolt, type ExportedMember } from './export.js';

/** What a snapshot is made from (EtcdServer fits). */
export interface BoltSnapshotSource {
  /** LMDB's copy of the committed backend in `directory` (or a fresh scratch directory); returns the directory. */
  snapshotBackendCopy(directory?: string): Promise<string>;
  members(): readonly ExportedMember[];
}

export interface BoltSnapshot {
  /** The bbolt file (without the sha256 trailer). */
  readonly path: string;
  readonly size: number;
  /** Removes the scratch directory. */
  dispose(): void;
}

/** Makes the bbolt file; `scratchDirectory` (created fresh, removed by dispose) defaults to one next to the backend. */
export async function makeBoltSnapshot(source: BoltSnapshotSource, scratchDirectory?: string): Promise<BoltSnapshot> {
  let scratch = scratchDirectory;
  const dispose = (): void => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  };
  try {
    scratch = await source.snapshotBackendCopy(scratchDirectory);
    const path = join(scratch, 'snapshot.db');
    const lmdbCopy = join(scratch, backendFileName);
    const size = await exportLmdbCopyToBolt(lmdbCopy, path, { members: source.members() });
    // The LMDB copy is no longer needed: free its space before the file is streamed.
    rmSync(lmdbCopy, { force: true });
    return { path, size, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * The bytes `etcdctl snapshot save` writes: the bbolt file in chunks of at
 * most `chunkBytes`, then the sha256 of it as a last chunk of its own.
 */
export async function* snapshotWithSha256Trailer(snapshot: Pick<BoltSnapshot, 'path' | 'size'>, chunkBytes = 256 * 1024): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let read = 0;
  for await (const chunk of createReadStream(snapshot.path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    read += chunk.length;
    hash.update(chunk);
    yield chunk;
  }
  if (read !== snapshot.size) throw new Error(`snapshot file is ${read} bytes, expected ${snapshot.size}`);
  yield hash.digest();
}
