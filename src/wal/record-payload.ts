// The payload of each record type, in fixed-width little-endian fields.
// Numbers are u64 on disk but must be safe integers in memory (Raft indexes
// and terms never approach 2^53); the vote is a node id and uses all 64 bits.
import { nodeIdOf, type Entry, type EntryType, type HardState, type NodeId } from '../raft/types.js';
import { RecordType, frameBytes, sealFrame, FRAME_HEADER_BYTES } from './record-frame.js';

export const WAL_FORMAT_VERSION = 1;
export const LOG_ID_BYTES = 8;

export interface SnapshotMarker {
  index: number;
  term: number;
}

export interface SegmentHeader {
  formatVersion: number;
  /** Random bytes chosen at create time; every segment of one log carries the same. */
  logId: Uint8Array;
  sequence: number;
  /** Index of the first entry this segment was opened for (the name's second number). */
  firstIndex: number;
}

export type WalRecord =
  | { type: RecordType.SegmentHeader; header: SegmentHeader }
  | { type: RecordType.Metadata; metadata: Uint8Array }
  | { type: RecordType.Entry; entry: Entry }
  | { type: RecordType.HardState; hardState: HardState }
  | { type: RecordType.Snapshot; snapshot: SnapshotMarker };

const ENTRY_FIXED_BYTES = 20;
const HARD_STATE_BYTES = 24;
const SNAPSHOT_BYTES = 16;
const SEGMENT_HEADER_BYTES = 16 + LOG_ID_BYTES + 8;
const TWO_TO_32 = 0x1_0000_0000;

function writeU64(buffer: Buffer, value: number, offset: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`wal: ${value} is not a non-negative safe integer`);
  buffer.writeUInt32LE(value % TWO_TO_32, offset);
  buffer.writeUInt32LE(Math.floor(value / TWO_TO_32), offset + 4);
}

/** A node id (the hard state's vote): all 64 bits, in raft's NodeId form. */
function writeNodeId(buffer: Buffer, value: NodeId, offset: number): void {
  buffer.writeBigUInt64LE(BigInt(value), offset);
}

function readNodeId(buffer: Buffer, offset: number): NodeId {
  return nodeIdOf(buffer.readBigUInt64LE(offset));
}

function readU64(buffer: Buffer, offset: number): number {
  const high = buffer.readUInt32LE(offset + 4);
  if (high >= 0x20_0000) throw new RangeError('u64 field exceeds 2^53');
  return high * TWO_TO_32 + buffer.readUInt32LE(offset);
}

function payloadBytes(record: WalRecord): number {
  switch (record.type) {
    case RecordType.SegmentHeader:
      return SEGMENT_HEADER_BYTES;
    case RecordType.Metadata:
      return record.metadata.length;
    case RecordType.Entry:
      return ENTRY_FIXED_BYTES + record.entry.data.length;
    case RecordType.HardState:
      return HARD_STATE_BYTES;
    case RecordType.Snapshot:
      return SNAPSHOT_BYTES;
  }
}

function writePayload(buffer: Buffer, offset: number, record: WalRecord): void {
  switch (record.type) {
    case RecordType.SegmentHeader: {
      const header = record.header;
      buffer.writeUInt32LE(header.formatVersion, offset);
      buffer.writeUInt32LE(0, offset + 4);
      buffer.set(header.logId, offset + 8);
      writeU64(buffer, header.sequence, offset + 8 + LOG_ID_BYTES);
      writeU64(buffer, header.firstIndex, offset + 16 + LOG_ID_BYTES);
      return;
    }
    case RecordType.Metadata:
      buffer.set(record.metadata, offset);
      return;
    case RecordType.Entry: {
      const entry = record.entry;
      writeU64(buffer, entry.index, offset);
      writeU64(buffer, entry.term, offset + 8);
      buffer.writeUInt32LE(entry.type, offset + 16);
      buffer.set(entry.data, offset + ENTRY_FIXED_BYTES);
      return;
    }
    case RecordType.HardState:
      writeU64(buffer, record.hardState.term, offset);
      writeNodeId(buffer, record.hardState.vote, offset + 8);
      writeU64(buffer, record.hardState.commit, offset + 16);
      return;
    case RecordType.Snapshot:
      writeU64(buffer, record.snapshot.index, offset);
      writeU64(buffer, record.snapshot.term, offset + 8);
      return;
  }
}

/** Frames records back to back into one buffer, ready for a single write. */
export function encodeRecords(records: readonly WalRecord[]): Buffer {
  let totalBytes = 0;
  for (const record of records) totalBytes += frameBytes(payloadBytes(record));
  const buffer = Buffer.allocUnsafe(totalBytes);
  let offset = 0;
  for (const record of records) {
    const bytes = payloadBytes(record);
    writePayload(buffer, offset + FRAME_HEADER_BYTES, record);
    offset = sealFrame(buffer, offset, record.type, bytes);
  }
  return buffer;
}

/** Decodes a payload whose frame checksum already passed; throws a RangeError on a malformed one. */
export function decodePayload(type: RecordType, payload: Buffer): WalRecord {
  const expectLength = (bytes: number, exact: boolean): void => {
    if (exact ? payload.length !== bytes : payload.length < bytes) {
      throw new RangeError(`payload of ${payload.length} bytes is malformed for record type ${RecordType[type]}`);
    }
  };
  switch (type) {
    case RecordType.SegmentHeader:
      expectLength(SEGMENT_HEADER_BYTES, true);
      return {
        type,
        header: {
          formatVersion: payload.readUInt32LE(0),
          logId: new Uint8Array(payload.subarray(8, 8 + LOG_ID_BYTES)),
          sequence: readU64(payload, 8 + LOG_ID_BYTES),
          firstIndex: readU64(payload, 16 + LOG_ID_BYTES),
        },
      };
    case RecordType.Metadata:
      return { type, metadata: new Uint8Array(payload) };
    case RecordType.Entry:
      expectLength(ENTRY_FIXED_BYTES, false);
      return {
        type,
        entry: {
          index: readU64(payload, 0),
          term: readU64(payload, 8),
          type: payload.readUInt32LE(16) as EntryType,
          // A copy, so a retained entry does not pin the whole segment buffer.
          data: new Uint8Array(payload.subarray(ENTRY_FIXED_BYTES)),
        },
      };
    case RecordType.HardState:
      expectLength(HARD_STATE_BYTES, true);
      return { type, hardState: { term: readU64(payload, 0), vote: readNodeId(payload, 8), commit: readU64(payload, 16) } };
    case RecordType.Snapshot:
      expectLength(SNAPSHOT_BYTES, true);
      return { type, snapshot: { index: readU64(payload, 0), term: readU64(payload, 8) } };
  }
}
