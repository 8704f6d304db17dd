// A follower's lease renewals and TTL queries, answered by the leader's
// lessor: renewals travel on LeaseKeepAlive streams to the leader (answers
// matched by lease id, in order), TTL queries as unary calls. With auth on,
// the leader checks the caller again: each call carries the caller's token
// (tokens, simple ones included, are valid on every member), and renewals
// of different tokens travel on different streams.

import type { LeaseId } from '../lease/index.js';
import * as grpc from '@grpc/grpc-js';
import { LeaseNotFoundError, type LeaseStatus } from '../lease/index.js';
import { serverErrors } from '../server/errors.js';
import type { LeaderForwarding } from './leader-forwarding.js';

interface PendingRenewal {
  resolve(ttlSeconds: number): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class LeaseForwarding {
  /** One keep-alive stream per token ('' for none). */
  private readonly streams = new Map<string, ForwardedKeepAlives>();

  constructor(
    private readonly forwarding: LeaderForwarding,
    private readonly timeoutMs: number,
  ) {}

  /** The leader's answer: the new TTL, or LeaseNotFoundError for a lease it does not hold. */
  renew(id: LeaseId, token = ''): Promise<number> {
    let stream = this.streams.get(token);
    if (stream === undefined || stream.broken) {
      const opened = this.forwarding.duplex('Lease', 'LeaseKeepAlive', metadataWithToken(token));
      if (!opened) return Promise.reject(serverErrors.noLeader());
      stream = new ForwardedKeepAlives(opened, this.timeoutMs, () => {
        if (this.streams.get(token) === stream) this.streams.delete(token);
      });
      this.streams.set(token, stream);
    }
    return stream.renew(id);
  }

  async timeToLive(id: LeaseId, withKeys: boolean, token = ''): Promise<LeaseStatus> {
    const response = await this.forwarding.unary<{ ID: string; TTL: string; grantedTTL: string; keys: Buffer[] }>(
      'Lease',
      'LeaseTimeToLive',
      { ID: String(id), keys: withKeys },
      this.timeoutMs,
      metadataWithToken(token),
    );
    if (Number(response.TTL) === -1) throw new LeaseNotFoundError();
    return { id, ttlSeconds: Number(response.grantedTTL), remainingSeconds: Number(response.TTL), keys: response.keys };
  }

  close(): void {
    for (const stream of [...this.streams.values()]) stream.close(serverErrors.stopped());
    this.streams.clear();
  }
}

function metadataWithToken(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== '') metadata.set('token', token);
  return metadata;
}

/** One LeaseKeepAlive stream to the leader and the renewals waiting on it. */
class ForwardedKeepAlives {
  broken = false;
  private readonly pending = new Map<string, PendingRenewal[]>();

  constructor(
    private readonly stream: grpc.ClientDuplexStream<object, object>,
    private readonly timeoutMs: number,
    private readonly onBroken: () => void,
  ) {
    stream.on('data', (response: { ID: string; TTL: string }) => {
      const ttlSeconds = Number(response.TTL);
      this.settle(String(response.ID), (renewal) => (ttlSeconds > 0 ? renewal.resolve(ttlSeconds) : renewal.reject(new LeaseNotFoundError())));
    });
    const broken = (error?: Error) => {
      if (this.broken) return;
      this.broken = true;
      this.onBroken();
      // The leader's refusal (a permission error) reaches the caller as it is.
      this.failAll(error && (error as Partial<grpc.ServiceError>).code === grpc.status.PERMISSION_DENIED ? error : serverErrors.leaderChanged());
    };
    stream.on('error', broken);
    stream.on('end', () => broken());
    stream.on('close', () => broken());
  }

  renew(id: LeaseId): Promise<number> {
    return new Promise((resolve, reject) => {
      const key = String(id);
      const timer = setTimeout(() => this.settle(key, (renewal) => renewal.reject(serverErrors.timeout()), renewal), this.timeoutMs);
      const renewal: PendingRenewal = { resolve, reject, timer };
      const queue = this.pending.get(key) ?? [];
      queue.push(renewal);
      this.pending.set(key, queue);
      this.stream.write({ ID: key });
    });
  }

  close(error: Error): void {
    this.broken = true;
    this.stream.cancel();
    this.failAll(error);
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
