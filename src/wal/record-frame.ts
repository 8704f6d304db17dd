// The framing of one record on disk:
//
//   offset 0  u32 LE  crc: CRC-32 (IEEE, zlib.crc32) of bytes [4, frame end)
//   offset 4  u32 LE  payload length in bytes
//   offset 8  u8      record type (RecordType)
//   offset 9  3 bytes reserved, zero
//   offset 12 payload, then zero padding so the frame is a multiple of 8 bytes
//
// The checksum covers the length, type, payload and padding, so a flipped
// length or type is caught like a flipped payload byte. Each record carries
// its own checksum (not chained to the previous one) so a reader can look for
// intact records past a damaged one: that is how it tells a torn tail (nothing
// intact after it) from damage in the middle of the log. Frames start at
// 8-byte offsets, which bounds that search.
import { crc32 } from 'node:zlib';

export enum RecordType {
  /** First record of every segment: format version, log identity, sequence, first index. */
  SegmentHeader = 1,
  /** The server's opaque metadata (node id, cluster id); repeated in every segment. */
  Metadata = 2,
  Entry = 3,
  HardState = 4,
  /** Snapshot marker: the log is compacted up to (index, term). */
  Snapshot = 5,
}

export const FRAME_HEADER_BYTES = 12;
export const FRAME_ALIGNMENT_BYTES = 8;
/** A bound that keeps a corrupt length from looking plausible; entries are far smaller. */
export const PAYLOAD_BYTES_MAX = 512 * 1024 * 1024;

export function frameBytes(payloadBytes: number): number {
  const unpadded = FRAME_HEADER_BYTES + payloadBytes;
  return unpadded + ((FRAME_ALIGNMENT_BYTES - (unpadded % FRAME_ALIGNMENT_BYTES)) % FRAME_ALIGNMENT_BYTES);
}

/**
 * Writes the frame header and padding around a payload already written at
 * `frameOffset + FRAME_HEADER_BYTES`, then the checksum. Returns the frame end.
 */
export function sealFrame(buffer: Buffer, frameOffset: number, type: RecordType, payloadBytes: number): number {
  const end = frameOffset + frameBytes(payloadBytes);
  buffer.writeUInt32LE(payloadBytes, frameOffset + 4);
  buffer.writeUInt8(type, frameOffset + 8);
  buffer.fill(0, frameOffset + 9, frameOffset + FRAME_HEADER_BYTES);
  buffer.fill(0, frameOffset + FRAME_HEADER_BYTES + payloadBytes, end);
  buffer.writeUInt32LE(crc32(buffer.subarray(frameOffset + 4, end)), frameOffset);
  return end;
}

export interface DecodedFrame {
  type: RecordType;
  /** A view into the source buffer. */
  payload: Buffer;
  endOffset: number;
}

/** Decodes the frame at `offset`, or returns why it is not an intact frame. */
export function decodeFrame(buffer: Buffer, offset: number): DecodedFrame | string {
  const remaining = buffer.length - offset;
  if (remaining < FRAME_HEADER_BYTES) return `only ${remaining} bytes left, less than a record header`;
  const payloadBytes = buffer.readUInt32LE(offset + 4);
  const type = buffer.readUInt8(offset + 8);
  if (buffer[offset + 9] !== 0 || buffer[offset + 10] !== 0 || buffer[offset + 11] !== 0) {
    return 'reserved header bytes are not zero';
  }
  if (type < RecordType.SegmentHeader || type > RecordType.Snapshot) return `unknown record type ${type}`;
  if (payloadBytes > PAYLOAD_BYTES_MAX) return `payload length ${payloadBytes} is implausible`;
  const end = offset + frameBytes(payloadBytes);
  if (end > buffer.length) return `record of ${end - offset} bytes runs past the end of the file`;
  const storedCrc = buffer.readUInt32LE(offset);
  if (crc32(buffer.subarray(offset + 4, end)) !== storedCrc) return 'checksum mismatch';
  return {
    type: type as RecordType,
    payload: buffer.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + payloadBytes),
    endOffset: end,
  };
}
