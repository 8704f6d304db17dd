// How this code base holds a protobuf int64: a JS number while it is exact
// (|v| ≤ 2^53 − 1), a bigint beyond. Each value has exactly one form, so `===`,
// Map keys and `id === 0` work without conversions, and the common case (small
// revisions, counts, TTLs) costs nothing. Lease ids are where the bigint form
// shows up: etcd picks them from 63 bits and clients may choose any int64.

export type Int64 = number | bigint;

const maxExact = BigInt(Number.MAX_SAFE_INTEGER);
const minExact = -maxExact;

/** The one form of a 64-bit signed value (wrapped into int64 range first). */
export function int64FromBigInt(value: bigint): Int64 {
  const wrapped = BigInt.asIntN(64, value);
  return wrapped >= minExact && wrapped <= maxExact ? Number(wrapped) : wrapped;
}

export function int64ToBigInt(value: Int64): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

/** A decimal int64 (as JSON and logs carry it); throws on anything else or out of range. */
export function parseInt64(text: string): Int64 {
  if (!/^-?\d+$/.test(text)) throw new RangeError(`not an integer: ${JSON.stringify(text)}`);
  const value = BigInt(text);
  if (BigInt.asIntN(64, value) !== value) throw new RangeError(`out of int64 range: ${text}`);
  return int64FromBigInt(value);
}

/** The value's two's-complement bits as an unsigned 64-bit bigint (for varints and big-endian keys). */
export function int64ToUint64(value: Int64): bigint {
  return BigInt.asUintN(64, int64ToBigInt(value));
}

/** Lowercase hex of the unsigned 64-bit pattern, as etcd prints ids (`%x` of a uint64 cast). */
export function int64ToHex(value: Int64): string {
  return int64ToUint64(value).toString(16);
}

/** -1, 0 or 1 by numeric order; number and bigint forms compare exactly. */
export function compareInt64(a: Int64, b: Int64): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}
