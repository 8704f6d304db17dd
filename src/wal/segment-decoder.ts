// Decodes the records of one segment file and decides what a damaged record
// means. In any segment but the last, damage is corruption. In the last one,
// damage is a torn tail (the unsynced end of an interrupted write, to be cut
// off) unless an intact record follows it: data after the damage was written
// later, and acknowledged data would have been synced together with
// everything before it, so an intact successor means the damage hit synced
// data. One exception keeps a torn write with reordered sectors repairable: if
// a whole 512-byte sector in the damaged stretch reads as zeros, the device
// never wrote it, which is how torn writes look and bit rot does not. Zeros
// from a record boundary to the end of a file are no damage at all: segments
// are preallocated, so that is where the writer has not yet been.
import { decodeFrame, FRAME_ALIGNMENT_BYTES } from './record-frame.js';
import { decodePayload } from './record-payload.js';
import type { WalRecord } from './record-payload.js';
import { WalCorruptionError } from './errors.js';

const SECTOR_BYTES = 512;

export interface PositionedRecord {
  record: WalRecord;
  offsetBytes: number;
}

export interface DecodedSegment {
  records: PositionedRecord[];
  /** The end of the last intact record: where the torn tail (if any) starts. */
  validEndOffsetBytes: number;
  /** Bytes after validEndOffsetBytes that the caller must truncate. 0 when the file ends cleanly. */
  tornTailBytes: number;
}

function findIntactFrame(buffer: Buffer, fromOffset: number): number | undefined {
  for (let offset = fromOffset; offset < buffer.length; offset += FRAME_ALIGNMENT_BYTES) {
    if (typeof decodeFrame(buffer, offset) !== 'string') return offset;
  }
  return undefined;
}

function isAllZero(buffer: Buffer, start: number, end: number): boolean {
  for (let offset = start; offset < end; offset += 1) if (buffer[offset] !== 0) return false;
  return true;
}

const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/** Whether every byte from `start` to the end is zero (compared a chunk at a time, in native code). */
function isZeroFrom(buffer: Buffer, start: number): boolean {
  for (let offset = start; offset < buffer.length; offset += ZERO_CHUNK.length) {
    const end = Math.min(offset + ZERO_CHUNK.length, buffer.length);
    if (buffer.compare(ZERO_CHUNK, 0, end - offset, offset, end) !== 0) return false;
  }
  return true;
}

/** Whether a whole sector overlapping [start, end) is zero. */
function hasZeroedSector(buffer: Buffer, start: number, end: number): boolean {
  for (let sector = start - (start % SECTOR_BYTES); sector < end; sector += SECTOR_BYTES) {
    const sectorEnd = sector + SECTOR_BYTES;
    if (sectorEnd <= buffer.length && isAllZero(buffer, sector, sectorEnd)) return true;
  }
  return false;
}

export function decodeSegment(buffer: Buffer, filePath: string, isLastSegment: boolean): DecodedSegment {
  const records: PositionedRecord[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const frame = decodeFrame(buffer, offset);
    if (typeof frame === 'string') {
      // Zeros to the end: space preallocated for records never written.
      if (isZeroFrom(buffer, offset)) return { records, validEndOffsetBytes: offset, tornTailBytes: 0 };
      if (!isLastSegment) throw new WalCorruptionError(filePath, offset, frame);
      const intactOffset = findIntactFrame(buffer, offset + FRAME_ALIGNMENT_BYTES);
      if (intactOffset !== undefined && !hasZeroedSector(buffer, offset, intactOffset)) {
        throw new WalCorruptionError(filePath, offset, `${frame}, yet an intact record follows at offset ${intactOffset}`);
      }
      return { records, validEndOffsetBytes: offset, tornTailBytes: buffer.length - offset };
    }
    let record: WalRecord;
    try {
      record = decodePayload(frame.type, frame.payload);
    } catch (error) {
      // The checksum matched, so the writer produced this: not a torn write.
      throw new WalCorruptionError(filePath, offset, (error as Error).message);
    }
    records.push({ record, offsetBytes: offset });
    offset = frame.endOffset;
  }
  return { records, validEndOffsetBytes: offset, tornTailBytes: 0 };
}
