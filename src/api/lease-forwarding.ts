// A follower's lease renewals and TTL queries, answered by the leader's
// lessor: renewals travel on one LeaseKeepAlive stream to the leader
// (answers matched by lease id, in order), TTL queries as unary calls.

import type { ClientDuplexStream } from '@grpc/grpc-js';
import { LeaseNotFoundError, type LeaseStatus } from '../lease/index.js';
import { serverErrors } from '../server/errors.js';
import type { LeaderForwarding } from './leader-forwarding.js';

interface PendingRenewal {
  resolve(ttlSeconds: number): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class LeaseForwarding {
  private stream: ClientDuplexStream<object, object> | undefined;
  private readonly pending = new Map<string, PendingRenewal[]>();

  constructor(
    private readonly forwarding: LeaderForwarding,
    private readonly timeoutMs: number,
  ) {}

  /** The leader's answer: the new TTL, or LeaseNotFoundError for a lease it does not hold. */
  renew(id: number): Promise<number> {
    const stream = this.stream ?? this.open();
    if (!stream) return Promise.reject(serverErrors.noLeader());
    return new Promise((resolve, reject) => {
      const key = String(id);
      const timer = setTimeout(() => this.settle(key, (renewal) => renewal.reject(serverErrors.timeout()), renewal), this.timeoutMs);
      const renewal: PendingRenewal = { resolve, reject, timer };
      const queue = this.pending.get(key) ?? [];
      queue.push(renewal);
      this.pending.set(key, queue);
      stream.write({ ID: key });
    });
  }

  async timeToLive(id: number, withKeys: boolean): Promise<LeaseStatus> {
    const response = await this.forwarding.unary<{ ID: string; TTL: string; grantedTTL: string; keys: Buffer[] }>(
      'Lease',
      'LeaseTimeToLive',
      { ID: String(id), keys: withKeys },
      this.timeoutMs,
    );
    if (Number(response.TTL) === -1) throw new LeaseNotFoundError();
    return { id, ttlSeconds: Number(response.grantedTTL), remainingSeconds: Number(response.TTL), keys: response.keys };
  }

  close(): void {
    this.stream?.cancel();
    this.failAll(serverErrors.stopped());
  }

  private open(): ClientDuplexStream<object, object> | undefined {
    const stream = this.forwarding.duplex('Lease', 'LeaseKeepAlive');
    if (!stream) return undefined;
    this.stream = stream;
    stream.on('data', (response: { ID: string; TTL: string }) => {
      const ttlSeconds = Number(response.TTL);
      this.settle(String(response.ID), (renewal) => (ttlSeconds > 0 ? renewal.resolve(ttlSeconds) : renewal.reject(new LeaseNotFoundError())));
    });
    const broken = () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.failAll(serverErrors.leaderChanged());
    };
    stream.on('error', broken);
    stream.on('end', broken);
    stream.on('close', broken);
    return stream;
  }

  /** Settles the oldest renewal of `key` (or the given one). */
  private settle(key: string, outcome: (renewal: PendingRenewal) => void, which?: PendingRenewal): void {
    const queue = this.pending.get(key);
    if (!queue || queue.length === 0) return;
    const position = which ? queue.indexOf(which) : 0;
    if (position < 0) return;
    const [renewal] = queue.splice(position, 1);
    if (queue.length === 0) this.pending.delete(key);
    clearTimeout(renewal!.timer);
    outcome(renewal!);
  }

  private failAll(error: Error): void {
    for (const queue of this.pending.values()) {
      for (const renewal of queue) {
        clearTimeout(renewal.timer);
        renewal.reject(error);
      }
    }
    this.pending.clear();
  }
}
