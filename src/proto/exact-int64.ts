// Makes protobufjs (and so grpc-js through proto-loader) carry 64-bit integers
// exactly, in the form src/pkg/int64.ts defines: a number while exact, a
// bigint beyond. With `longs: Number`, protobufjs turns every int64 into a
// possibly rounded double through LongBits#toNumber; a lease id such as
// 7587870123987654321 would come out as ...654000. Both hooks sit at the one
// place each direction passes through, so no message type needs its own code.
//
// Decoding: LongBits#toNumber answers a bigint when the double would round.
// Encoding: LongBits.from accepts a bigint (it would otherwise encode 0, as it
// does for any object without low/high). `fromObject` already takes bigints:
// it goes through long's Long.fromValue, which accepts them since long 5.
// test/proto/exact-int64.test.ts fails if a protobufjs upgrade moves either.

import protobuf from 'protobufjs';
import { int64FromBigInt } from '../pkg/int64.js';

interface LongBitsLike {
  lo: number;
  hi: number;
}

interface LongBitsClass {
  new (lo: number, hi: number): LongBitsLike;
  from(value: unknown): LongBitsLike;
  prototype: { toNumber(this: LongBitsLike, unsigned?: boolean): number | bigint };
}

const LongBits = (protobuf.util as unknown as { LongBits: LongBitsClass }).LongBits;
const marker = Symbol.for('etcd-ts.exact-int64');

if (!(LongBits.prototype as Record<symbol, unknown>)[marker]) {
  const roundingToNumber = LongBits.prototype.toNumber;
  LongBits.prototype.toNumber = function exactToNumber(this: LongBitsLike, unsigned?: boolean): number | bigint {
    const approximate = roundingToNumber.call(this, unsigned) as number;
    if (Number.isSafeInteger(approximate)) return approximate;
    const bits = (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
    // An unsigned value past int64 has no Int64 form; keep its exact bigint.
    return unsigned ? (bits > BigInt(Number.MAX_SAFE_INTEGER) ? bits : Number(bits)) : int64FromBigInt(bits);
  };
  const looseFrom = LongBits.from;
  LongBits.from = function exactFrom(value: unknown): LongBitsLike {
    if (typeof value === 'bigint') {
      const bits = BigInt.asUintN(64, value);
      return new LongBits(Number(bits & 0xffff_ffffn), Number(bits >> 32n));
    }
    return looseFrom(value);
  };
  (LongBits.prototype as Record<symbol, unknown>)[marker] = true;
}
