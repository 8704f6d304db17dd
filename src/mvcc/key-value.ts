import { int64FromBigInt, int64ToUint64, type Int64 } from '../pkg/int64.js';

/**
 * A key's value at one revision. Field names follow etcd's mvccpb.KeyValue as
 * @grpc/proto-loader presents it (keepCase, longs as numbers, bytes as Buffer), so the
 * objects can be placed in gRPC responses as they are. Treat them as immutable.
 */
export interface KeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  /** Exact over 64 bits: a bigint beyond 2^53 (pkg/int64.ts). */
  lease: Int64;
}

// The stored value of a revision is the protobuf encoding of mvccpb.KeyValue, as in
// etcd's key bucket, so the backend can later be exported to (and read from) a bbolt
// file etcd understands. Field numbers: key 1, create_revision 2, mod_revision 3,
// version 4, value 5, lease 6. Zero and empty fields are omitted (proto3).
const keyTag = 0x0a;
const createRevisionTag = 0x10;
const modRevisionTag = 0x18;
const versionTag = 0x20;
const valueTag = 0x2a;
const leaseTag = 0x30;

const emptyBuffer = Buffer.alloc(0);

export function encodeKeyValue(keyValue: KeyValue): Buffer {
  const size =
    lengthDelimitedSize(keyValue.key.length) +
    varintFieldSize(keyValue.create_revision) +
    varintFieldSize(keyValue.mod_revision) +
    varintFieldSize(keyValue.version) +
    lengthDelimitedSize(keyValue.value.length) +
    int64FieldSize(keyValue.lease);
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  offset = writeBytesField(out, offset, keyTag, keyValue.key);
  offset = writeVarintField(out, offset, createRevisionTag, keyValue.create_revision);
  offset = writeVarintField(out, offset, modRevisionTag, keyValue.mod_revision);
  offset = writeVarintField(out, offset, versionTag, keyValue.version);
  offset = writeBytesField(out, offset, valueTag, keyValue.value);
  offset = writeInt64Field(out, offset, leaseTag, keyValue.lease);
  if (offset !== size) throw new Error(`KeyValue encoding size mismatch ${offset} != ${size}`);
  return out;
}

/** Decodes a stored KeyValue. The result's key and value are views into `bytes`. */
export function decodeKeyValue(bytes: Buffer): KeyValue {
  const keyValue: KeyValue = { key: emptyBuffer, create_revision: 0, mod_revision: 0, version: 0, value: emptyBuffer, lease: 0 };
  let offset = 0;
  while (offset < bytes.length) {
    const [tag, afterTag] = readSmallVarint(bytes, offset);
    offset = afterTag;
    const wireType = tag & 7;
    if (wireType === 2) {
      const [length, afterLength] = readSmallVarint(bytes, offset);
      const end = afterLength + length;
      if (end > bytes.length) throw new Error('truncated KeyValue');
      const field = bytes.subarray(afterLength, end);
      if (tag === keyTag) keyValue.key = field;
      else if (tag === valueTag) keyValue.value = field;
      offset = end;
    } else if (wireType === 0) {
      const [value, afterValue] = readVarint(bytes, offset);
      if (tag === leaseTag) keyValue.lease = value;
      // Revisions and versions stay far below 2^53.
      else if (tag === createRevisionTag) keyValue.create_revision = Number(value);
      else if (tag === modRevisionTag) keyValue.mod_revision = Number(value);
      else if (tag === versionTag) keyValue.version = Number(value);
      offset = afterValue;
    } else if (wireType === 1) {
      offset += 8;
    } else if (wireType === 5) {
      offset += 4;
    } else {
      throw new Error(`unsupported wire type ${wireType} in KeyValue`);
    }
  }
  return keyValue;
}

function varintSize(value: number): number {
  if (value < 0) return 10; // int64 two's complement
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function varintFieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function lengthDelimitedSize(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  if (value < 0) {
    let remaining = BigInt.asUintN(64, BigInt(value));
    for (let index = 0; index < 9; index++) {
      out[offset++] = Number(remaining & 0x7fn) | 0x80;
      remaining >>= 7n;
    }
    out[offset++] = Number(remaining);
    return offset;
  }
  while (value >= 128) {
    out[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

function int64FieldSize(value: Int64): number {
  if (typeof value === 'number') return varintFieldSize(value);
  let remaining = int64ToUint64(value);
  let size = 2;
  while (remaining >= 128n) {
    remaining >>= 7n;
    size++;
  }
  return size;
}

function writeInt64Field(out: Buffer, offset: number, tag: number, value: Int64): number {
  if (typeof value === 'number') return writeVarintField(out, offset, tag, value);
  out[offset++] = tag;
  let remaining = int64ToUint64(value);
  while (remaining >= 128n) {
    out[offset++] = Number(remaining & 0x7fn) | 0x80;
    remaining >>= 7n;
  }
  out[offset++] = Number(remaining);
  return offset;
}

function writeVarintField(out: Buffer, offset: number, tag: number, value: number): number {
  if (value === 0) return offset;
  out[offset++] = tag;
  return writeVarint(out, offset, value);
}

function writeBytesField(out: Buffer, offset: number, tag: number, bytes: Buffer): number {
  if (bytes.length === 0) return offset;
  out[offset++] = tag;
  offset = writeVarint(out, offset, bytes.length);
  bytes.copy(out, offset);
  return offset + bytes.length;
}

/** A tag or a length: never beyond 2^53 in a valid record. */
function readSmallVarint(bytes: Buffer, offset: number): [number, number] {
  const [value, after] = readVarint(bytes, offset);
  if (typeof value !== 'number' || value < 0) throw new Error('invalid tag or length in KeyValue');
  return [value, after];
}

function readVarint(bytes: Buffer, offset: number): [Int64, number] {
  let value = 0;
  let multiplier = 1;
  for (let index = 0; index < 10; index++) {
    if (offset >= bytes.length) throw new Error('truncated varint in KeyValue');
    const byte = bytes[offset++]!;
    if (index === 9 || (index >= 7 && multiplier * (byte & 0x7f) >= 2 ** 53)) {
      return readBigVarint(bytes, offset - index - 1);
    }
    value += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return [value, offset];
    multiplier *= 128;
  }
  throw new Error('varint too long in KeyValue');
}

// Varints beyond 2^53: lease ids (any int64, negative ones in ten bytes).
function readBigVarint(bytes: Buffer, offset: number): [Int64, number] {
  let value = 0n;
  let shift = 0n;
  for (let index = 0; index < 10; index++) {
    const byte = bytes[offset++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [int64FromBigInt(value), offset];
    shift += 7n;
  }
  throw new Error('varint too long in KeyValue');
}
