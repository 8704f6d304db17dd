// Reads a log directory back into Raft state: the metadata, the newest hard
// state, the entries after a snapshot, the newest snapshot marker. Cuts a
// torn tail off the last segment (and syncs the cut) along the way.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { RecordType } from './record-frame.js';
import { WAL_FORMAT_VERSION } from './record-payload.js';
import type { SnapshotMarker } from './record-payload.js';
import { decodeSegment } from './segment-decoder.js';
import { listSegments, removeTemporaryFiles } from './segment-files.js';
import type { SegmentName } from './segment-files.js';
import { WalCorruptionError, WalNotFoundError } from './errors.js';

export interface ReadLog {
  metadata: Uint8Array;
  /** The newest hard state saved; all zeros when none was. */
  hardState: HardState;
  /** Entries after the snapshot index, contiguous, later writes overriding earlier ones. */
  entries: Entry[];
  /** The newest snapshot marker read, if any. */
  snapshot: SnapshotMarker | undefined;
  logId: Uint8Array;
  /** Every segment in the directory, oldest first. */
  segments: SegmentName[];
  /** Where the next record goes in the last segment. */
  lastSegmentEndOffsetBytes: number;
  /** Index of the last entry written (or snapshot installed); names the next segment. */
  lastEntryIndex: number;
  /** Bytes of torn tail cut off the last segment; 0 if it ended cleanly. */
  repairedTailBytes: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * The segment a read from `index` starts in: the last one started at or
 * before it. Names are searched from the end because a leader's overwrite can
 * start a segment at a lower index than its predecessor.
 */
export function startSegmentPosition(segments: readonly SegmentName[], index: number): number | undefined {
  for (let position = segments.length - 1; position >= 0; position -= 1) {
    if (segments[position]!.firstIndex <= index) return position;
  }
  return undefined;
}

async function truncateDurably(filePath: string, lengthBytes: number): Promise<void> {
  const handle = await open(filePath, 'r+');
  try {
    await handle.truncate(lengthBytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readLog(dir: string, fromSnapshot: SnapshotMarker): Promise<ReadLog> {
  await removeTemporaryFiles(dir);
  const segments = await listSegments(dir);
  if (segments.length === 0) throw new WalNotFoundError(`no segment files in ${dir}`);
  segments.forEach((segment, position) => {
    if (segment.sequence !== segments[0]!.sequence + position) {
      throw new WalCorruptionError(join(dir, segment.fileName), 0, `segment sequence ${segment.sequence} follows ${segments[position - 1]!.sequence}`);
    }
  });
  const startPosition = startSegmentPosition(segments, fromSnapshot.index);
  if (startPosition === undefined) {
    throw new WalNotFoundError(`index ${fromSnapshot.index} was released; the oldest segment starts at ${segments[0]!.firstIndex}`);
  }

  let metadata: Uint8Array | undefined;
  let logId: Uint8Array | undefined;
  let hardState: HardState = { term: 0, vote: 0, commit: 0 };
  let snapshot: SnapshotMarker | undefined;
  let snapshotFound = fromSnapshot.index === 0;
  const entries: Entry[] = [];
  let lastEntryIndex = segments[startPosition]!.firstIndex - 1;
  let lastSegmentEndOffsetBytes = 0;
  let repairedTailBytes = 0;

  for (let position = startPosition; position < segments.length; position += 1) {
    const segment = segments[position]!;
    const filePath = join(dir, segment.fileName);
    const isLastSegment = position === segments.length - 1;
    const decoded = decodeSegment(await readFile(filePath), filePath, isLastSegment);
    const first = decoded.records[0]?.record;
    if (first?.type !== RecordType.SegmentHeader) throw new WalCorruptionError(filePath, 0, 'segment does not start with a header record');
    const header = first.header;
    if (header.formatVersion !== WAL_FORMAT_VERSION) throw new WalCorruptionError(filePath, 0, `unsupported format version ${header.formatVersion}`);
    if (header.sequence !== segment.sequence || header.firstIndex !== segment.firstIndex) {
      throw new WalCorruptionError(filePath, 0, `header says sequence ${header.sequence}, first index ${header.firstIndex}; the file name disagrees`);
    }
    if (logId === undefined) logId = header.logId;
    else if (!sameBytes(logId, header.logId)) throw new WalCorruptionError(filePath, 0, 'segment belongs to a different log');

    for (const { record, offsetBytes } of decoded.records.slice(1)) {
      switch (record.type) {
        case RecordType.SegmentHeader:
          throw new WalCorruptionError(filePath, offsetBytes, 'a second segment header');
        case RecordType.Metadata:
          if (metadata === undefined) metadata = record.metadata;
          else if (!sameBytes(metadata, record.metadata)) throw new WalCorruptionError(filePath, offsetBytes, 'metadata differs from an earlier segment');
          break;
        case RecordType.Entry: {
          const entry = record.entry;
          lastEntryIndex = entry.index;
          if (entry.index <= fromSnapshot.index) break;
          const position = entry.index - fromSnapshot.index - 1;
          if (position > entries.length) {
            throw new WalCorruptionError(filePath, offsetBytes, `entry ${entry.index} leaves a gap after entry ${fromSnapshot.index + entries.length}`);
          }
          // A new leader overwrote an uncommitted tail: the old entries from here on are void.
          entries.length = position;
          entries.push(entry);
          break;
        }
        case RecordType.HardState:
          hardState = record.hardState;
          break;
        case RecordType.Snapshot:
          if (record.snapshot.index === fromSnapshot.index) {
            if (record.snapshot.term !== fromSnapshot.term) {
              throw new WalNotFoundError(`snapshot at index ${fromSnapshot.index} has term ${record.snapshot.term} in the log, not ${fromSnapshot.term}`);
            }
            snapshotFound = true;
          }
          snapshot = record.snapshot;
          lastEntryIndex = Math.max(lastEntryIndex, record.snapshot.index);
          break;
      }
    }
    if (isLastSegment) {
      lastSegmentEndOffsetBytes = decoded.validEndOffsetBytes;
      if (decoded.tornTailBytes > 0) {
        await truncateDurably(filePath, decoded.validEndOffsetBytes);
        repairedTailBytes = decoded.tornTailBytes;
      }
    }
  }
  if (!snapshotFound) throw new WalNotFoundError(`no snapshot marker at index ${fromSnapshot.index}, term ${fromSnapshot.term}`);
  if (metadata === undefined || logId === undefined) throw new WalCorruptionError(join(dir, segments[startPosition]!.fileName), 0, 'no metadata record');
  return { metadata, hardState, entries, snapshot, logId, segments, lastSegmentEndOffsetBytes, lastEntryIndex, repairedTailBytes };
}
