// The write-ahead log: Raft entries, hard state and snapshot markers appended
// to segment files, made durable by group commit. Every save encodes its
// records at once (so the log keeps call order), queues them, and one writer
// loop drains the queue: all saves queued while the previous write or
// fdatasync was in flight go out in one writev and are covered by one
// fdatasync. A save's promise resolves only after its bytes are written and,
// when it asked for it, synced.
import { fdatasyncSync, ftruncateSync } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { RecordType } from './record-frame.js';
import { encodeRecords, LOG_ID_BYTES, WAL_FORMAT_VERSION } from './record-payload.js';
import type { SnapshotMarker, WalRecord } from './record-payload.js';
import { readLog, startSegmentPosition } from './read-log.js';
import { createFileDurably, listSegments, removeTemporaryFiles, segmentFileName, writeAllAt, writeAllAtSync } from './segment-files.js';
import { syncDirectory } from '../pkg/durable-files.js';
import type { SegmentName } from './segment-files.js';
import { WalStateError } from './errors.js';
import { INLINE_SYNC_DEFAULTS, InlineSyncPolicy } from './inline-sync-policy.js';

export const SEGMENT_SIZE_BYTES_DEFAULT = 64 * 1024 * 1024;

// Batches up to this size are written with writev(2) on the event loop.
const SYNCHRONOUS_WRITE_BYTES_MAX = 64 * 1024;

/**
 * How far ahead of the last record the segment file is extended. Not the
 * whole segment at once: a restart reads the last segment whole, and 64 MB
 * of preallocated zeros cost it ~150 ms here.
 */
const PREALLOCATION_AHEAD_BYTES = 4 * 1024 * 1024;

/** The size to give a segment whose records end at `endBytes`: some room ahead, within the segment size. */
function preallocatedSize(endBytes: number, segmentSizeBytes: number): number {
  return Math.max(endBytes, Math.min(segmentSizeBytes, endBytes + PREALLOCATION_AHEAD_BYTES));
}

/**
 * Hooks for tests and metrics, called synchronously around the I/O calls. A
 * throw counts as a failure of that I/O call, which is how tests inject faults.
 */
export interface WalObserver {
  onWrite?(fileName: string, offsetBytes: number, lengthBytes: number): void;
  onSyncStart?(): void;
  onSyncEnd?(): void;
  /** An fdatasync succeeded after `seconds` (etcd_disk_wal_fsync_duration_seconds). */
  onSynced?(seconds: number): void;
}

export interface WalOptions {
  /** Start a new segment once the current one reaches this size. */
  segmentSizeBytes?: number;
  /**
   * Extend segment files ahead of their records, as etcd preallocates its
   * segments, so that an fdatasync does not also have to commit a change of
   * the file's size (a fifth of its cost here). Default true.
   */
  preallocate?: boolean;
  observer?: WalObserver;
}

export interface OpenOptions extends WalOptions {
  /** Read entries after this snapshot; its marker must be in the log (unless index 0). */
  fromSnapshot?: SnapshotMarker;
}

export interface OpenedLog {
  wal: WriteAheadLog;
  metadata: Uint8Array;
  /** The newest hard state saved; all zeros when none was. */
  hardState: HardState;
  /** Entries after fromSnapshot.index, contiguous; a later write at an index overrides earlier ones. */
  entries: Entry[];
  /** The newest snapshot marker in the segments read, if any. */
  snapshot: SnapshotMarker | undefined;
  /** Bytes of torn tail cut off the last segment on open; 0 if it ended cleanly. */
  repairedTailBytes: number;
}

interface PendingSave {
  buffer: Buffer;
  mustSync: boolean;
  /** Last entry index and hard state once this save is written: the state a cut copies. */
  lastEntryIndex: number;
  hardState: HardState | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface WalState {
  dir: string;
  metadata: Uint8Array;
  logId: Uint8Array;
  segments: SegmentName[];
  file: FileHandle;
  fileEndOffsetBytes: number;
  /** The file's size: fileEndOffsetBytes plus any preallocated space. */
  fileSizeBytes: number;
  lastEntryIndex: number;
  hardState: HardState | undefined;
  options: WalOptions;
}

export class WriteAheadLog {
  private readonly dir: string;
  private readonly metadata: Uint8Array;
  private readonly logId: Uint8Array;
  private readonly segmentSizeBytes: number;
  private readonly preallocate: boolean;
  private readonly observer: WalObserver;
  /** Every segment in the directory, oldest first; the last one is being appended to. */
  private readonly segments: SegmentName[];
  private file: FileHandle;
  private fileEndOffsetBytes: number;
  private fileSizeBytes: number;
  private hasUnsyncedWrites = false;
  /** State as of the queued saves (for the next save) and as written (for a cut). */
  private queuedLastEntryIndex: number;
  private queuedHardState: HardState | undefined;
  private writtenLastEntryIndex: number;
  private writtenHardState: HardState | undefined;
  private queue: PendingSave[] = [];
  private writeLoop: Promise<void> = Promise.resolve();
  private draining = false;
  private failure: Error | undefined;
  private closed = false;
  private syncs = 0;
  // "Small" means the same for the write and the sync that follows it.
  private readonly inlineSync = new InlineSyncPolicy({ ...INLINE_SYNC_DEFAULTS, maxBatchBytes: SYNCHRONOUS_WRITE_BYTES_MAX });
  /** Bytes written since the last sync: what the next one has to flush. */
  private unsyncedBytes = 0;
  private writes = 0;

  private constructor(state: WalState) {
    this.dir = state.dir;
    this.metadata = new Uint8Array(state.metadata);
    this.logId = state.logId;
    this.segments = state.segments;
    this.file = state.file;
    this.fileEndOffsetBytes = state.fileEndOffsetBytes;
    this.fileSizeBytes = state.fileSizeBytes;
    this.queuedLastEntryIndex = this.writtenLastEntryIndex = state.lastEntryIndex;
    this.queuedHardState = this.writtenHardState = state.hardState;
    this.segmentSizeBytes = state.options.segmentSizeBytes ?? SEGMENT_SIZE_BYTES_DEFAULT;
    this.preallocate = state.options.preallocate !== false;
    this.observer = state.options.observer ?? {};
  }

  /** Whether `dir` holds a log (at least one segment file). */
  static async exists(dir: string): Promise<boolean> {
    return (await listSegments(dir)).length > 0;
  }

  /** Starts a new log in `dir` (created if missing) with the server's metadata. */
  static async create(dir: string, metadata: Uint8Array, options: WalOptions = {}): Promise<WriteAheadLog> {
    if (await WriteAheadLog.exists(dir)) throw new WalStateError(`${dir} already holds a log`);
    await makeDirectoryDurably(dir);
    await removeTemporaryFiles(dir);
    const logId = new Uint8Array(randomBytes(LOG_ID_BYTES));
    const segment: SegmentName = { sequence: 0, firstIndex: 0, fileName: segmentFileName(0, 0) };
    const content = segmentPrologue(segment, logId, metadata, undefined);
    const fileSizeBytes = options.preallocate === false ? content.length : preallocatedSize(content.length, options.segmentSizeBytes ?? SEGMENT_SIZE_BYTES_DEFAULT);
    await createFileDurably(dir, segment.fileName, content, fileSizeBytes);
    const file = await open(join(dir, segment.fileName), 'r+');
    return new WriteAheadLog({
      dir, metadata, logId, segments: [segment], file, fileEndOffsetBytes: content.length, fileSizeBytes, lastEntryIndex: 0, hardState: undefined, options,
    });
  }

  /** Reads the log in `dir`, repairing a torn tail, and opens it for appending. */
  static async open(dir: string, options: OpenOptions = {}): Promise<OpenedLog> {
    const read = await readLog(dir, options.fromSnapshot ?? { index: 0, term: 0 });
    const lastSegment = read.segments[read.segments.length - 1]!;
    const file = await open(join(dir, lastSegment.fileName), 'r+');
    // Extending a file that is short (a cut-off torn tail, or an older log) keeps appends cheap to sync.
    let fileSizeBytes = (await file.stat()).size;
    const wantedSizeBytes = preallocatedSize(read.lastSegmentEndOffsetBytes, options.segmentSizeBytes ?? SEGMENT_SIZE_BYTES_DEFAULT);
    if (options.preallocate !== false && fileSizeBytes < wantedSizeBytes) {
      await file.truncate(wantedSizeBytes);
      await file.datasync();
      fileSizeBytes = wantedSizeBytes;
    }
    const wal = new WriteAheadLog({
      dir,
      metadata: read.metadata,
      logId: read.logId,
      segments: read.segments,
      file,
      fileEndOffsetBytes: read.lastSegmentEndOffsetBytes,
      fileSizeBytes,
      lastEntryIndex: read.lastEntryIndex,
      hardState: read.hardState,
      options,
    });
    return {
      wal, metadata: read.metadata, hardState: read.hardState, entries: read.entries, snapshot: read.snapshot, repairedTailBytes: read.repairedTailBytes,
    };
  }

  /** fdatasync calls made so far (group commit makes this smaller than the number of saves). */
  get syncCount(): number {
    return this.syncs;
  }

  /** Batched writes made so far. */
  get writeCount(): number {
    return this.writes;
  }

  /** File names of the segments in the log, oldest first. */
  get segmentFileNames(): string[] {
    return this.segments.map((segment) => segment.fileName);
  }

  /**
   * Appends entries, then the hard state. Resolves once written and, if
   * mustSync, durable. Entries must follow on from the log (or overwrite its
   * tail from some index on, as a new leader does).
   */
  save(hardState: HardState | undefined, entries: readonly Entry[], mustSync: boolean): Promise<void> {
    for (let position = 1; position < entries.length; position += 1) {
      if (entries[position]!.index !== entries[position - 1]!.index + 1) {
        return Promise.reject(new RangeError(`wal: entries to save are not contiguous at index ${entries[position]!.index}`));
      }
    }
    const records: WalRecord[] = entries.map((entry) => ({ type: RecordType.Entry, entry }));
    if (hardState !== undefined) records.push({ type: RecordType.HardState, hardState });
    const lastEntry = entries[entries.length - 1];
    return this.enqueue(records, mustSync, lastEntry?.index ?? this.queuedLastEntryIndex, hardState ?? this.queuedHardState);
  }

  /** Records that the log is compacted up to a snapshot; durable before resolving. */
  saveSnapshot(marker: SnapshotMarker): Promise<void> {
    const record: WalRecord = { type: RecordType.Snapshot, snapshot: { index: marker.index, term: marker.term } };
    // After installing a snapshot the log continues at marker.index + 1.
    return this.enqueue([record], true, Math.max(this.queuedLastEntryIndex, marker.index), this.queuedHardState);
  }

  /**
   * Deletes the segments a read from `index` (a snapshot index, once the
   * snapshot is durable elsewhere) no longer needs: all before the one that
   * contains it. Returns the deleted file names.
   */
  async releaseLockTo(index: number): Promise<string[]> {
    const keepFrom = startSegmentPosition(this.segments, index) ?? 0;
    // Removed from the list first so a concurrent call does not delete them twice.
    const released = this.segments.splice(0, keepFrom);
    // Oldest first: a crash part way leaves a contiguous run of segments.
    for (const segment of released) await unlink(join(this.dir, segment.fileName));
    if (released.length > 0) await syncDirectory(this.dir);
    return released.map((segment) => segment.fileName);
  }

  /** Waits for queued saves, syncs what is unsynced, and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeLoop;
    try {
      if (this.failure === undefined && this.hasUnsyncedWrites) await this.sync();
    } finally {
      await this.file.close();
    }
  }

  private enqueue(records: WalRecord[], mustSync: boolean, lastEntryIndex: number, hardState: HardState | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new WalStateError('save after close'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (records.length === 0 && !mustSync) return Promise.resolve();
    const buffer = encodeRecords(records);
    this.queuedLastEntryIndex = lastEntryIndex;
    this.queuedHardState = hardState;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ buffer, mustSync, lastEntryIndex, hardState, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.writeLoop = this.drainQueue();
      }
    });
  }

  private async drainQueue(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.writeBatch(batch);
        } catch (error) {
          // After a failed write or fdatasync the file's state is unknown
          // (a retried fsync can report success for lost data): stop for good.
          this.failure = error instanceof Error ? error : new Error(String(error));
          const failed = [...batch, ...this.queue];
          this.queue = [];
          for (const save of failed) save.reject(this.failure);
          return;
        }
      }
    } finally {
      // Cleared in the same step as the empty-queue check, so a save queued
      // from here on starts a new loop rather than waiting for this one.
      this.draining = false;
    }
  }

  private async writeBatch(batch: PendingSave[]): Promise<void> {
    const buffers = batch.map((save) => save.buffer);
    const lengthBytes = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    if (lengthBytes > 0) {
      this.observer.onWrite?.(this.currentSegment().fileName, this.fileEndOffsetBytes, lengthBytes);
      this.preallocateFor(this.fileEndOffsetBytes + lengthBytes);
      // A small batch goes to the page cache synchronously (microseconds),
      // which saves a thread-pool round trip before the fdatasync.
      if (lengthBytes <= SYNCHRONOUS_WRITE_BYTES_MAX) writeAllAtSync(this.file.fd, buffers, this.fileEndOffsetBytes);
      else await writeAllAt(this.file, buffers, this.fileEndOffsetBytes);
      this.fileEndOffsetBytes += lengthBytes;
      this.unsyncedBytes += lengthBytes;
      this.hasUnsyncedWrites = true;
      this.writes += 1;
    }
    if (this.hasUnsyncedWrites && batch.some((save) => save.mustSync)) await this.sync();
    const last = batch[batch.length - 1]!;
    this.writtenLastEntryIndex = last.lastEntryIndex;
    this.writtenHardState = last.hardState;
    for (const save of batch) save.resolve();
    if (this.fileEndOffsetBytes >= this.segmentSizeBytes) await this.cutSegment();
  }

  /** Extends the file ahead once records would reach its end (the next fdatasync commits the new size once). */
  private preallocateFor(endBytes: number): void {
    if (!this.preallocate || endBytes <= this.fileSizeBytes) return;
    const sizeBytes = preallocatedSize(endBytes, this.segmentSizeBytes);
    ftruncateSync(this.file.fd, sizeBytes);
    this.fileSizeBytes = sizeBytes;
  }

  private async sync(): Promise<void> {
    this.observer.onSyncStart?.();
    const startedMs = performance.now();
    if (this.inlineSync.shouldSyncInline(this.unsyncedBytes)) fdatasyncSync(this.file.fd);
    else await this.file.datasync();
    const tookMs = performance.now() - startedMs;
    this.inlineSync.recordSync(tookMs);
    this.observer.onSynced?.(tookMs / 1000);
    this.unsyncedBytes = 0;
    this.hasUnsyncedWrites = false;
    this.syncs += 1;
    this.observer.onSyncEnd?.();
  }

  private currentSegment(): SegmentName {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Starts the next segment. The current one is synced first: only the last
   * segment may have a torn tail. The new one starts with the metadata and
   * the hard state so older segments can be deleted without losing either.
   */
  private async cutSegment(): Promise<void> {
    if (this.hasUnsyncedWrites) await this.sync();
    const sequence = this.currentSegment().sequence + 1;
    const segment: SegmentName = { sequence, firstIndex: this.writtenLastEntryIndex + 1, fileName: segmentFileName(sequence, this.writtenLastEntryIndex + 1) };
    const content = segmentPrologue(segment, this.logId, this.metadata, this.writtenHardState);
    const fileSizeBytes = this.preallocate ? preallocatedSize(content.length, this.segmentSizeBytes) : content.length;
    await createFileDurably(this.dir, segment.fileName, content, fileSizeBytes);
    const file = await open(join(this.dir, segment.fileName), 'r+');
    const previousFile = this.file;
    // The finished segment gives back its unused preallocation. Not synced:
    // if the trim is lost, readers take zeros after the last record as its end.
    if (this.preallocate && this.fileSizeBytes > this.fileEndOffsetBytes) await previousFile.truncate(this.fileEndOffsetBytes);
    this.file = file;
    this.fileEndOffsetBytes = content.length;
    this.fileSizeBytes = fileSizeBytes;
    this.segments.push(segment);
    await previousFile.close();
  }
}

/** Creates `dir` and any missing parents, syncing each parent so the new entries survive a power loss. */
async function makeDirectoryDurably(dir: string): Promise<void> {
  const absoluteDir = resolve(dir);
  const firstCreated = await mkdir(absoluteDir, { recursive: true });
  if (firstCreated === undefined) return;
  for (let created = absoluteDir; created !== dirname(created); created = dirname(created)) {
    await syncDirectory(dirname(created));
    if (created === resolve(firstCreated)) return;
  }
}

function segmentPrologue(segment: SegmentName, logId: Uint8Array, metadata: Uint8Array, hardState: HardState | undefined): Buffer {
  const records: WalRecord[] = [
    { type: RecordType.SegmentHeader, header: { formatVersion: WAL_FORMAT_VERSION, logId, sequence: segment.sequence, firstIndex: segment.firstIndex } },
    { type: RecordType.Metadata, metadata },
  ];
  if (hardState !== undefined) records.push({ type: RecordType.HardState, hardState });
  return encodeRecords(records);
}
