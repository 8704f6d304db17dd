// Unsigned 64-bit big-endian integers as etcd stores them. Values stay below 2^53
// (JS numbers); that bound is far above any reachable revision or Raft index.

export function encodeUint64BigEndian(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  writeUint64BigEndian(bytes, 0, value);
  return bytes;
}

export function writeUint64BigEndian(target: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a uint64 in safe range: ${value}`);
  const high = Math.floor(value / 0x1_0000_0000);
  target.writeUInt32BE(high, offset);
  target.writeUInt32BE(value - high * 0x1_0000_0000, offset + 4);
}

export function readUint64BigEndian(source: Uint8Array, offset: number): number {
  const view = Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const high = view.readUInt32BE(offset);
  if (high >= 0x20_0000) throw new RangeError('uint64 above 2^53 cannot be represented');
  return high * 0x1_0000_0000 + view.readUInt32BE(offset + 4);
}
