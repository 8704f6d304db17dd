// The lease bucket's format, as etcd writes it (server/storage/schema/lease.go):
// key = the lease ID as 8 big-endian bytes (int64, two's complement), value = a
// leasepb.Lease protobuf {ID = 1, TTL = 2, RemainingTTL = 3}, all int64 varints.
// Keeping etcd's format keeps backend snapshots exchangeable with real etcd.

import { int64FromBigInt, int64ToUint64, type Int64 } from '../pkg/int64.js';
import type { LeaseId } from './lease-id.js';

export interface LeaseRecord {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
  /** Last checkpointed remaining TTL; 0 means none (the full TTL applies). */
  readonly remainingTtlSeconds: number;
}

export function encodeLeaseKey(id: LeaseId): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeBigUInt64BE(int64ToUint64(id));
  return key;
}

export function decodeLeaseKey(key: Buffer): LeaseId {
  return int64FromBigInt(key.readBigUInt64BE(0));
}

export function encodeLeaseRecord(record: LeaseRecord): Buffer {
  const bytes: number[] = [];
  // proto3 leaves zero-valued scalar fields out.
  appendInt64Field(bytes, 1, record.id);
  appendInt64Field(bytes, 2, record.ttlSeconds);
  appendInt64Field(bytes, 3, record.remainingTtlSeconds);
  return Buffer.from(bytes);
}

export function decodeLeaseRecord(value: Buffer): LeaseRecord {
  let id: LeaseId = 0;
  let ttlSeconds = 0;
  let remainingTtlSeconds = 0;
  let offset = 0;
  while (offset < value.length) {
    const [tag, afterTag] = readVarint(value, offset);
    offset = afterTag;
    const fieldNumber = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (wireType === 0) {
      const [raw, afterValue] = readVarint(value, offset);
      offset = afterValue;
      const signed = int64FromBigInt(raw);
      if (fieldNumber === 1) id = signed;
      else if (fieldNumber === 2) ttlSeconds = Number(signed);
      else if (fieldNumber === 3) remainingTtlSeconds = Number(signed);
    } else {
      offset = skipField(value, offset, wireType);
    }
  }
  return { id, ttlSeconds, remainingTtlSeconds };
}

function appendInt64Field(bytes: number[], fieldNumber: number, value: Int64): void {
  if (value === 0) return;
  appendVarint(bytes, BigInt(fieldNumber << 3));
  appendVarint(bytes, int64ToUint64(value));
}

function appendVarint(bytes: number[], value: bigint): void {
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
}

// A varint has at most 10 bytes; a longer one means corrupt data.
const maxVarintBytes = 10;

function readVarint(bytes: Buffer, start: number): [bigint, number] {
  let value = 0n;
  for (let position = 0; position < maxVarintBytes; position++) {
    const offset = start + position;
    if (offset >= bytes.length) throw new Error('lease record: truncated varint');
    const byte = bytes[offset]!;
    value |= BigInt(byte & 0x7f) << BigInt(7 * position);
    if ((byte & 0x80) === 0) return [value, offset + 1];
  }
  throw new Error('lease record: varint too long');
}

function skipField(bytes: Buffer, offset: number, wireType: number): number {
  switch (wireType) {
    case 1:
      return offset + 8;
    case 2: {
      const [length, afterLength] = readVarint(bytes, offset);
      return afterLength + Number(length);
    }
    case 5:
      return offset + 4;
    default:
      throw new Error(`lease record: unsupported wire type ${wireType}`);
  }
}
