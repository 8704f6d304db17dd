// Request ids as etcd makes them: the member's low 16 bits, then a
// millisecond timestamp and a counter, so ids from different members and
// from earlier lives of this member do not collide.

export class RequestIdGenerator {
  private next: bigint;

  constructor(memberId: bigint, nowMs: number) {
    const prefix = (memberId & 0xffffn) << 48n;
    const suffix = (BigInt(nowMs) & 0xffffffffffn) << 8n;
    this.next = prefix | suffix;
  }

  nextId(): bigint {
    this.next = (this.next & ~0xffffffffffffn) | ((this.next + 1n) & 0xffffffffffffn);
    return this.next;
  }
}
