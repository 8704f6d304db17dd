import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { BatchTx, type PendingWrite } from './batch-tx.js';
import { bucketNames, metaConsistentIndexKey, metaTermKey, type BucketName } from './buckets.js';
import { readUint64BigEndian } from './uint64.js';

import type { MetricsHooks } from '../pkg/metrics-hooks.js';
import { syncDirectorySync } from '../pkg/durable-files.js';
/** One key/value pair read from a bucket. */
export interface BucketEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface BackendOptions {
  /**
   * fsync on every commit. Off by default: the WAL is the source of durability
   * (see the durability note on Backend).
   */
  readonly syncEveryCommit?: boolean;
  /** Commit, snapshot and defrag durations (etcd_disk_backend_*_duration_seconds). */
  readonly metrics?: Pick<MetricsHooks, 'backendCommit' | 'backendSnapshot' | 'backendDefrag'>;
}

/** Raft position of the last entry whose effects are in the backend. */
export interface ConsistentIndex {
  readonly index: number;
  readonly term: number;
}

const environmentFileName = 'data.mdb';
const lockFileName = 'lock.mdb';
/** Defrag's scratch directory beside the environment file (a crash may leave it: see server/scratch-leftovers.ts). */
export const defragDirectoryName = 'defrag.tmp';
// Room for etcd's buckets plus a few that other modules may add later.
const maxBucketCount = 24;

/**
 * Durable ordered buckets on LMDB (one environment, one named sub-database per bucket).
 *
 * Writes go into an in-memory BatchTx (`batchTx()`) that reads see at once; `commit()`
 * writes the whole batch, with the consistent index, as ONE synchronous LMDB transaction.
 *
 * Durability choice. The environment is opened with `noSync`: a commit writes the
 * changed pages and then the meta page with write(2) but does not fsync. LMDB never
 * overwrites pages that the last committed meta page still refers to, and the meta
 * page is switched last, so the file on disk always holds one complete committed
 * transaction. A kill -9 of the process cannot undo write(2)s already done (they are
 * in the kernel's page cache), so after kill -9 the file holds exactly the last
 * committed batch: data and consistent index together, never one without the other.
 * What noSync gives up is durability against a kernel crash or power loss between
 * fsyncs; the WAL covers that: the server keeps WAL segments until `forceSync()` has
 * flushed the backend past them, and on restart replays the WAL from the consistent
 * index found here. (LMDB's async, overlapping-sync commit path would also cover
 * power loss without blocking, but it hangs in lmdb-js 3.5 under Node 20 here; the
 * synchronous commit without fsync costs ~30-50 µs plus the writes.)
 * `syncEveryCommit: true` trades speed for per-commit fsync.
 *
 * Commits are synchronous, so the server must apply each batch of entries and set the
 * consistent index within one synchronous section; anyone (e.g. a compaction step)
 * may then commit between sections without splitting an entry's effects.
 */
export class Backend {
  private environment: RootDatabase<Buffer, Buffer>;
  private buckets: Map<BucketName, Database<Buffer, Buffer>>;
  /** The file's size as last read; undefined once a commit or swap may have changed it. */
  private fileSizeBytes: number | undefined;
  private readonly pending = new BatchTx();
  private committedIndex: ConsistentIndex;
  private closed = false;
  /** Between closing the old file and opening the new one in a restore that had to wait. */
  private swapping = false;
  /** LMDB work running off the main thread (syncs, copies); a restore waits for it. */
  private readonly asyncOperations = new Set<Promise<unknown>>();
  /** The defrag running, if any; commits wait for its swap (commitsDeferred). */
  private defragging: Promise<void> | undefined;
  private commitsDeferred = false;

  private constructor(
    readonly directory: string,
    private readonly options: BackendOptions,
  ) {
    [this.environment, this.buckets] = openEnvironment(directory, options);
    this.committedIndex = this.readCommittedConsistentIndex();
  }

  /** Opens (creating if needed) the backend stored in `directory`. */
  static open(directory: string, options: BackendOptions = {}): Backend {
    mkdirSync(directory, { recursive: true });
    return new Backend(directory, options);
  }

  /** The write buffer of the next commit. It is the same object until the backend closes. */
  batchTx(): BatchTx {
    this.assertOpen();
    return this.pending;
  }

  /** The consistent index including uncommitted writes; {0, 0} on a new backend. */
  consistentIndex(): ConsistentIndex {
    return this.pending.pendingConsistentIndex() ?? this.committedIndex;
  }

  /** The consistent index as last committed to LMDB. */
  committedConsistentIndex(): ConsistentIndex {
    return this.committedIndex;
  }

  /** Value of `key` in `bucket`, including uncommitted writes. */
  get(bucket: BucketName, key: Buffer): Buffer | undefined {
    this.assertOpen();
    const pendingWrite = this.pending.lookup(bucket, key);
    if (pendingWrite !== undefined) return pendingWrite.value ?? undefined;
    return this.bucket(bucket).getBinary(key);
  }

  /**
   * Entries with start <= key < end in key order (end undefined: to the last key),
   * at most `limit` of them (0: no limit), including uncommitted writes.
   */
  range(bucket: BucketName, start: Buffer, end: Buffer | undefined, limit = 0): BucketEntry[] {
    const entries: BucketEntry[] = [];
    this.forEachInRange(bucket, start, end, (key, value) => {
      entries.push({ key, value });
      return limit <= 0 || entries.length < limit;
    });
    return entries;
  }

  /**
   * Visits entries with start <= key < end in key order until `visit` returns false.
   * `visit` must not write to this backend or commit it.
   */
  forEachInRange(
    bucket: BucketName,
    start: Buffer,
    end: Buffer | undefined,
    visit: (key: Buffer, value: Buffer) => boolean | void,
  ): void {
    this.assertOpen();
    const pendingWrites = this.pending.sortedWritesInRange(bucket, start, end);
    let pendingPosition = 0;
    // Emits pending writes ordered before `key` (or all when key is undefined);
    // returns false when the visitor asked to stop.
    const emitPendingBefore = (key: Buffer | undefined): boolean => {
      while (pendingPosition < pendingWrites.length) {
        const write: PendingWrite = pendingWrites[pendingPosition]!;
        if (key !== undefined && Buffer.compare(write.key, key) >= 0) break;
        pendingPosition++;
        if (write.value !== null && visit(write.key, write.value) === false) return false;
      }
      return true;
    };
    const rangeOptions = end === undefined ? { start } : { start, end };
    for (const { key, value } of this.bucket(bucket).getRange(rangeOptions)) {
      if (!emitPendingBefore(key)) return;
      const next = pendingWrites[pendingPosition];
      if (next !== undefined && next.key.equals(key)) continue; // shadowed; emitted next round
      if (visit(key, value) === false) return;
    }
    emitPendingBefore(undefined);
  }

  /** Writes the batch (data and consistent index) as one LMDB transaction; during a defrag, once it is done. */
  commit(): void {
    this.assertOpen();
    if (this.pending.isEmpty() || this.commitsDeferred) return;
    const pendingIndex = this.pending.pendingConsistentIndex();
    const startedMs = performance.now();
    this.environment.transactionSync(() => {
      for (const [bucket, write] of this.pending.drain()) {
        const database = this.bucket(bucket);
        if (write.value === null) database.removeSync(write.key);
        else database.putSync(write.key, write.value);
      }
    });
    this.fileSizeBytes = undefined;
    this.options.metrics?.backendCommit((performance.now() - startedMs) / 1000);
    if (pendingIndex !== undefined) this.committedIndex = pendingIndex;
    this.pending.clear();
  }

  /** Commits and then flushes everything committed to stable storage (fsync, off the main thread). */
  async forceSync(): Promise<void> {
    while (this.defragging !== undefined) await this.defragging.catch(() => undefined);
    this.commit();
    // `sync` exists on lmdb-js root databases but is missing from its type declarations.
    const environment = this.environment as unknown as { sync(callback: (error?: Error) => void): void };
    await this.tracked(
      new Promise<void>((resolve, reject) => {
        environment.sync((error) => (error ? reject(error) : resolve()));
      }),
    );
  }

  /** Size of the database file in bytes. */
  sizeBytes(): number {
    // Every write request asks (the quota check); the file only changes at a commit or a swap.
    this.fileSizeBytes ??= statSync(join(this.directory, environmentFileName)).size;
    return this.fileSizeBytes;
  }

  /** Approximate bytes used by live pages (file size minus free pages). */
  sizeInUseBytes(): number {
    this.assertOpen();
    const rootStats = this.environment.getStats() as LmdbStats;
    let pageCount = 2 + pageCountOf(rootStats) + pageCountOf(rootStats.free); // 2 meta pages
    for (const database of this.buckets.values()) pageCount += pageCountOf(database.getStats() as LmdbStats);
    return Math.min(pageCount * rootStats.pageSize, this.sizeBytes());
  }

  /**
   * Rewrites the file without free pages (LMDB's compacting copy), then swaps it in.
   * Reads and writes go on meanwhile: the copy runs in an LMDB read transaction
   * off the main thread, and commits wait in the pending batch (which reads see)
   * until the compacted file is in place; the swap itself is one synchronous step,
   * so it falls between apply sections. One defrag at a time.
   */
  async defrag(): Promise<void> {
    this.assertOpen();
    while (this.defragging !== undefined) await this.defragging.catch(() => undefined);
    const running = this.runDefrag();
    this.defragging = running;
    try {
      await running;
    } finally {
      this.defragging = undefined;
    }
  }

  /**
   * Replaces the environment file with `sourcePath` (defrag's compacted copy,
   * a leader's database): waits for LMDB's asynchronous work, closes, renames
   * (atomic: a crash leaves the old file or the new one) and reopens.
   * `beforeClose` runs once nothing else touches the environment.
   */
  private async swapEnvironmentFile(sourcePath: string, beforeClose: () => void = () => undefined): Promise<void> {
    while (this.asyncOperations.size > 0) await Promise.allSettled([...this.asyncOperations]);
    this.assertOpen();
    beforeClose();
    const closing = this.environment.close();
    // With no asynchronous LMDB work left the close is immediate; otherwise
    // the backend refuses use until the new file is open.
    if ((this.environment as unknown as { status?: string }).status !== 'closed') {
      this.swapping = true;
      try {
        await closing;
      } finally {
        this.swapping = false;
      }
    }
    renameSync(sourcePath, join(this.directory, environmentFileName));
    syncDirectorySync(this.directory);
    [this.environment, this.buckets] = openEnvironment(this.directory, this.options);
    this.fileSizeBytes = undefined;
  }

  private async runDefrag(): Promise<void> {
    const startedMs = performance.now();
    const temporaryDirectory = join(this.directory, defragDirectoryName);
    try {
      const copyPath = await this.compactingCopyInto(temporaryDirectory, () => (this.commitsDeferred = true));
      await this.swapEnvironmentFile(copyPath);
    } finally {
      this.commitsDeferred = false;
      rmSync(temporaryDirectory, { recursive: true, force: true });
    }
    // What was applied during the copy goes into the compacted file now.
    this.commit();
    this.options.metrics?.backendDefrag((performance.now() - startedMs) / 1000);
  }

  /**
   * A consistent copy of the whole database (committed state, consistent
   * index included), for a member that must be restored from a snapshot.
   * LMDB's copy runs in a read transaction, so commits may continue meanwhile.
   */
  async snapshotBytes(): Promise<Buffer> {
    const temporaryDirectory = join(this.directory, `snapshot-${process.pid}-${Date.now()}.tmp`);
    const startedMs = performance.now();
    try {
      const bytes = readFileSync(await this.compactingCopyInto(temporaryDirectory));
      this.options.metrics?.backendSnapshot((performance.now() - startedMs) / 1000);
      return bytes;
    } finally {
      rmSync(temporaryDirectory, { recursive: true, force: true });
    }
  }

  /**
   * Writes a consistent copy of the committed database into a fresh
   * `directory` (LMDB's compacting copy, off the main thread); returns the
   * copied file's path. For Maintenance.Snapshot, which converts it to bbolt.
   */
  async snapshotCopyInto(directory: string): Promise<string> {
    this.assertOpen();
    while (this.defragging !== undefined) await this.defragging.catch(() => undefined);
    const startedMs = performance.now();
    const path = await this.compactingCopyInto(directory);
    this.options.metrics?.backendSnapshot((performance.now() - startedMs) / 1000);
    return path;
  }

  /**
   * Replaces the whole database with `bytes` from snapshotBytes() in place: this
   * Backend and its BatchTx stay the objects everyone holds. The copy is written
   * aside and fsync'd first, then LMDB work still running off the main thread
   * (copies, syncs) finishes on the old file; then, in one synchronous step, the
   * pending batch is dropped (the snapshot is ahead of it), the old file is
   * closed, the copy renamed in (a crash leaves the old database or the new one,
   * never a mix) and opened, and `afterSwap` runs, so that nothing reads the new
   * file with an index built from the old one (etcd's applySnapshot followed by
   * mvcc's Restore and the lessor's Recover).
   */
  async restore(bytes: Uint8Array, afterSwap: () => void = () => undefined): Promise<void> {
    this.assertOpen();
    while (this.defragging !== undefined) await this.defragging.catch(() => undefined);
    const temporaryPath = join(this.directory, `${environmentFileName}.restore.tmp`);
    writeFileDurably(temporaryPath, bytes);
    await this.swapEnvironmentFile(temporaryPath, () => this.pending.clear());
    this.committedIndex = this.readCommittedConsistentIndex();
    afterSwap();
  }

  /** Commits, then writes LMDB's compacting copy of the file into a fresh `temporaryDirectory`; returns the copy's path. */
  private async compactingCopyInto(temporaryDirectory: string, afterCommit: () => void = () => undefined): Promise<string> {
    this.commit();
    afterCommit();
    rmSync(temporaryDirectory, { recursive: true, force: true });
    mkdirSync(temporaryDirectory);
    // With a directory path, LMDB writes data.mdb inside it.
    await this.tracked(this.environment.backup(temporaryDirectory, true));
    return join(temporaryDirectory, environmentFileName);
  }

  private async tracked<T>(operation: Promise<T>): Promise<T> {
    this.asyncOperations.add(operation);
    try {
      return await operation;
    } finally {
      this.asyncOperations.delete(operation);
    }
  }

  /** Commits pending writes and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.defragging !== undefined) await this.defragging.catch(() => undefined);
    this.commit();
    this.closed = true;
    // A copy still running off the main thread (a snapshot being prepared) reads
    // the environment: closing under it crashes the process (as bbolt's Close
    // waits for open read transactions, this waits for the copy).
    while (this.asyncOperations.size > 0) await Promise.allSettled([...this.asyncOperations]);
    await this.environment.close();
  }

  private bucket(name: BucketName): Database<Buffer, Buffer> {
    const database = this.buckets.get(name);
    if (database === undefined) throw new Error(`unknown bucket ${name}`);
    return database;
  }

  private readCommittedConsistentIndex(): ConsistentIndex {
    const meta = this.bucket('meta');
    const indexBytes = meta.getBinary(metaConsistentIndexKey);
    const termBytes = meta.getBinary(metaTermKey);
    return {
      index: indexBytes === undefined ? 0 : readUint64BigEndian(indexBytes, 0),
      term: termBytes === undefined ? 0 : readUint64BigEndian(termBytes, 0),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('backend is closed');
    if (this.swapping) throw new Error('backend is being restored from a snapshot');
  }
}

interface LmdbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  free?: LmdbStats;
}

function pageCountOf(stats: LmdbStats | undefined): number {
  if (stats === undefined) return 0;
  return stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
}

function openEnvironment(
  directory: string,
  options: BackendOptions,
): [RootDatabase<Buffer, Buffer>, Map<BucketName, Database<Buffer, Buffer>>] {
  const databaseOptions = { encoding: 'binary', keyEncoding: 'binary' } as const;
  const environment = open<Buffer, Buffer>({
    path: directory,
    maxDbs: maxBucketCount,
    noSync: options.syncEveryCommit !== true,
    overlappingSync: false,
    ...databaseOptions,
  });
  const buckets = new Map<BucketName, Database<Buffer, Buffer>>();
  for (const name of bucketNames) buckets.set(name, environment.openDB<Buffer, Buffer>(name, databaseOptions));
  return [environment, buckets];
}

/** Writes `bytes` to `path` and fsyncs it. */
function writeFileDurably(path: string, bytes: Uint8Array): void {
  const descriptor = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(descriptor, bytes, written, bytes.length - written);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

export { lockFileName as backendLockFileName, environmentFileName as backendFileName };
