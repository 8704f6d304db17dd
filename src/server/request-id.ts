// Request ids, made as etcd makes them — a member prefix, then a
// millisecond timestamp and a counter — so ids from different members and
// from earlier lives of this member do not collide. Unlike etcd's 64 bits,
// ours fit in 53 so they survive the protobuf codec's JS-number int64s:
// 13 bits of member id, then 40 bits of (timestamp << 8 | counter).

const LOW_BITS = 40n;
const LOW_MASK = (1n << LOW_BITS) - 1n;

export class RequestIdGenerator {
  private readonly prefix: bigint;
  private low: bigint;

  constructor(memberId: bigint, nowMs: number) {
    this.prefix = (memberId & 0x1fffn) << LOW_BITS;
    this.low = ((BigInt(nowMs) & 0xffffffffn) << 8n) & LOW_MASK;
  }

  nextId(): bigint {
    this.low = (this.low + 1n) & LOW_MASK;
    return this.prefix | this.low;
  }
}
