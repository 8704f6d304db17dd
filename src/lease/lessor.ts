// etcd's lessor (server/lease/lessor.go), without threads, timers or a clock of
// its own: the server passes a clock in and calls `expiredLeases` and
// `checkpointsDue` on its own schedule. Every member applies grant, revoke and
// checkpoint from the Raft log in the same order, so every member holds the same
// leases. Only the primary (the Raft leader's lessor) tracks time: it renews
// leases and finds expired ones, whose revocation it then proposes through Raft.

import type { Backend } from '../backend/index.js';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError, NotPrimaryError } from './errors.js';
import { foreverMs, Lease } from './lease.js';
import { decodeLeaseKey, decodeLeaseRecord, encodeLeaseKey, encodeLeaseRecord } from './lease-record.js';
import { LeaseQueue } from './lease-queue.js';
import { maxLeaseTtlSeconds } from './limits.js';
import { compareLeaseIds, type LeaseId } from './lease-id.js';
import type { MetricsHooks } from '../pkg/metrics-hooks.js';

/** One checkpoint of a LeaseCheckpointRequest, in the wire's field names. */
export interface LeaseCheckpoint {
  ID: LeaseId;
  remaining_TTL: number;
}

export interface LeaseCheckpointRequest {
  checkpoints: LeaseCheckpoint[];
}

/** What a revoke needs from MVCC: a write transaction that deletes keys (mvcc's WriteTxn). */
export interface KeyDeleteTxn {
  deleteRange(key: Buffer, rangeEnd: Buffer | undefined): number;
  end(): void;
}

export interface LessorClock {
  nowMs(): number;
}

export interface LessorOptions {
  /** Where leases persist (bucket `lease`); writes go into its current batch. */
  readonly backend: Backend;
  readonly clock: LessorClock;
  /** Shorter grants are raised to this; see minLeaseTtlSeconds(). */
  readonly minTtlSeconds: number;
  /**
   * Enables checkpoints (etcd's --experimental-enable-lease-checkpoint): proposes a
   * LeaseCheckpointRequest through Raft and resolves once it is applied. Used by
   * `renew` to clear a checkpointed remainder; `checkpointsDue` finds the others.
   */
  readonly proposeCheckpoint?: (request: LeaseCheckpointRequest) => Promise<void>;
  /** Time between checkpoints of a lease (etcd's default: 5 minutes). */
  readonly checkpointIntervalMs?: number;
  /** Persist checkpointed remainders in the lease bucket (etcd 3.6 always does; 3.4 never). Default true. */
  readonly persistCheckpoints?: boolean;
  /** When an expired lease is reported again if its revoke has not been applied (etcd: the request timeout). */
  readonly expiredLeaseRetryIntervalMs?: number;
  /** Revokes per second the server performs; promote spreads expiries so none pile up above it. */
  readonly leaseRevokeRatePerSecond?: number;
  /** Grants, revokes and renewals (etcd_debugging_lease_*). */
  readonly metrics?: Pick<MetricsHooks, 'leaseGranted' | 'leaseRevoked' | 'leaseRenewed'>;
}

export const defaultCheckpointIntervalMs = 5 * 60 * 1000;
export const defaultExpiredLeaseRetryIntervalMs = 3000;
export const defaultLeaseRevokeRatePerSecond = 1000;
/** etcd's maxLeaseCheckpointBatchSize: checkpoints per LeaseCheckpointRequest. */
export const maxCheckpointBatchSize = 1000;

/** A lease as listed or inspected. */
export interface LeaseStatus {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
  /** Whole seconds left, truncated as etcd does (may be 0 or negative once expired). */
  readonly remainingSeconds: number;
  readonly keys: Buffer[];
}

export class Lessor {
  private readonly leasesById = new Map<LeaseId, Lease>();
  /** The lease each leased key is attached to, by the key's latin1 string. */
  private readonly leaseIdByKey = new Map<string, LeaseId>();
  private readonly expiryQueue = new LeaseQueue();
  private readonly checkpointQueue = new LeaseQueue();
  private demotedSignal: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly checkpointIntervalMs: number;
  private readonly expiredLeaseRetryIntervalMs: number;
  private readonly leaseRevokeRatePerSecond: number;

  private constructor(private readonly options: LessorOptions) {
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? defaultCheckpointIntervalMs;
    this.expiredLeaseRetryIntervalMs = options.expiredLeaseRetryIntervalMs ?? defaultExpiredLeaseRetryIntervalMs;
    this.leaseRevokeRatePerSecond = options.leaseRevokeRatePerSecond ?? defaultLeaseRevokeRatePerSecond;
    this.recoverFromBackend();
  }

  /**
   * Opens the lessor on the leases stored in the backend, all with no expiry until
   * `promote`. Open it BEFORE the KVStore: the store's open re-attaches every leased key
   * through `onKeyLeaseChange`.
   */
  static open(options: LessorOptions): Lessor {
    return new Lessor(options);
  }

  /**
   * Forgets every lease and loads them again from the backend, whose contents
   * were replaced (a snapshot from the leader), as etcd's lessor.Recover. Keys
   * are attached again by the KVStore's restore, which must come after this. A
   * primary lessor (not expected: only followers receive snapshots) tracks the
   * recovered leases from now, as a renewal would (checkpointed remainders kept).
   */
  recover(): void {
    this.leasesById.clear();
    this.leaseIdByKey.clear();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    this.recoverFromBackend();
    if (!this.isPrimary) return;
    const nowMs = this.nowMs();
    for (const lease of this.leasesById.values()) {
      lease.refresh(nowMs, 0);
      this.expiryQueue.registerOrUpdate(lease.id, lease.expiresAtMs);
      this.scheduleCheckpointIfNeeded(lease);
    }
  }

  get isPrimary(): boolean {
    return this.demotedSignal !== undefined;
  }

  get leaseCount(): number {
    return this.leasesById.size;
  }

  get checkpointsEnabled(): boolean {
    return this.options.proposeCheckpoint !== undefined;
  }

  lookup(id: LeaseId): Lease | undefined {
    return this.leasesById.get(id);
  }

  /** The lease `key` is attached to; 0 if none. */
  leaseOfKey(key: Buffer): LeaseId {
    return this.leaseIdByKey.get(key.toString('latin1')) ?? 0;
  }

  // ---- applied from the Raft log (every member, same order) ----

  /** Grants a lease; the record goes into the backend's current batch. */
  grant(id: LeaseId, ttlSeconds: number): Lease {
    // etcd answers a grant of ID 0 with "not found"; the server picks an ID before proposing.
    if (id === 0) throw new LeaseNotFoundError();
    if (ttlSeconds > maxLeaseTtlSeconds) throw new LeaseTtlTooLargeError();
    if (this.leasesById.has(id)) throw new LeaseExistsError();
    const lease = new Lease(id, Math.max(ttlSeconds, this.options.minTtlSeconds));
    this.leasesById.set(id, lease);
    this.persist(lease);
    this.options.metrics?.leaseGranted(lease.ttlSeconds);
    if (this.isPrimary) {
      lease.refresh(this.nowMs(), 0);
      this.expiryQueue.registerOrUpdate(id, lease.expiresAtMs);
      this.scheduleCheckpointIfNeeded(lease);
    }
    return lease;
  }

  /**
   * Revokes a lease: deletes its keys, in byte order, in ONE write transaction (one
   * revision) opened by `openTxn`, and removes the lease from the backend in the same
   * batch. Returns the deleted keys.
   */
  revoke(id: LeaseId, openTxn: () => KeyDeleteTxn): Buffer[] {
    const lease = this.leasesById.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const keys = lease.sortedKeys();
    const txn = openTxn();
    try {
      for (const key of keys) txn.deleteRange(key, undefined);
    } finally {
      this.leasesById.delete(id);
      for (const keyString of lease.keyStringsUnordered()) this.leaseIdByKey.delete(keyString);
      this.expiryQueue.remove(id);
      this.checkpointQueue.remove(id);
      this.options.backend.batchTx().delete('lease', encodeLeaseKey(id));
      txn.end();
      lease.markRevoked();
      this.options.metrics?.leaseRevoked();
    }
    return keys;
  }

  /**
   * Records a lease's remaining TTL (a LeaseCheckpoint entry); `promote` starts from it.
   * Unknown leases are ignored, as in etcd.
   */
  checkpoint(id: LeaseId, remainingTtlSeconds: number): void {
    const lease = this.leasesById.get(id);
    if (lease === undefined) return;
    lease.remainingTtlSeconds = remainingTtlSeconds;
    if (this.options.persistCheckpoints !== false) this.persist(lease);
    if (this.isPrimary) this.scheduleCheckpointIfNeeded(lease);
  }

  /**
   * Follows a key's lease as MVCC changes it: pass as KVStore's `onKeyLeaseChange`.
   * Leases that do not exist are skipped (the apply layer refuses puts with unknown
   * leases; on recovery a key may still name a lease revoked before a crash).
   * `keyString` is the key's bytes as a latin1 string.
   */
  onKeyLeaseChange(keyString: string, oldLeaseId: LeaseId, newLeaseId: LeaseId): void {
    if (oldLeaseId !== 0) {
      this.leasesById.get(oldLeaseId)?.detach(keyString);
      if (this.leaseIdByKey.get(keyString) === oldLeaseId) this.leaseIdByKey.delete(keyString);
    }
    if (newLeaseId !== 0) {
      const lease = this.leasesById.get(newLeaseId);
      if (lease === undefined) return;
      // Both maps share the index's string of the key.
      lease.attach(keyString);
      this.leaseIdByKey.set(keyString, newLeaseId);
    }
  }

  // ---- leader only ----

  /**
   * Makes this the primary lessor (on becoming leader, once the entries of earlier
   * terms are applied). Every lease expires `extendMs` (etcd: the election timeout)
   * after its TTL from now, so clients have time to find the new leader.
   */
  promote(extendMs: number): void {
    const nowMs = this.nowMs();
    if (this.demotedSignal === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((resolvePromise) => (resolve = resolvePromise));
      this.demotedSignal = { promise, resolve };
    }
    for (const lease of this.leasesById.values()) {
      lease.refresh(nowMs, extendMs);
      this.expiryQueue.registerOrUpdate(lease.id, lease.expiresAtMs);
      this.scheduleCheckpointIfNeeded(lease);
    }
    if (this.leasesById.size >= this.leaseRevokeRatePerSecond) this.spreadExpiries(nowMs, extendMs);
  }

  /** Stops tracking time (on losing leadership): no lease expires until the next promote. */
  demote(): void {
    for (const lease of this.leasesById.values()) lease.expiresAtMs = foreverMs;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    const signal = this.demotedSignal;
    this.demotedSignal = undefined;
    signal?.resolve();
  }

  /**
   * Renews a lease to its full TTL and returns that TTL. Only on the primary
   * (NotPrimaryError otherwise: forward to the leader). An expired lease is not
   * renewed: this waits for its revoke (then LeaseNotFoundError) or for demotion
   * (NotPrimaryError). The server must first wait until its applied index caught up
   * with its commit index, so a just-granted lease is found.
   */
  async renew(id: LeaseId): Promise<number> {
    const demoted = this.demotedSignal;
    if (demoted === undefined) throw new NotPrimaryError();
    const lease = this.leasesById.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const clearCheckpoint = this.options.proposeCheckpoint !== undefined && lease.remainingTtlSeconds > 0;
    if (lease.isExpired(this.nowMs())) {
      const outcome = await Promise.race([lease.whenRevoked().then(() => 'revoked' as const), demoted.promise.then(() => 'demoted' as const)]);
      throw outcome === 'revoked' ? new LeaseNotFoundError() : new NotPrimaryError();
    }
    // A renewed lease starts from its full TTL again: clear the checkpointed
    // remainder through Raft first (at most one such entry per checkpoint).
    if (clearCheckpoint) await this.options.proposeCheckpoint!({ checkpoints: [{ ID: id, remaining_TTL: 0 }] });
    const current = this.leasesById.get(id);
    if (current === undefined) throw new LeaseNotFoundError();
    if (!this.isPrimary) throw new NotPrimaryError();
    current.refresh(this.nowMs(), 0);
    this.expiryQueue.registerOrUpdate(id, current.expiresAtMs);
    this.options.metrics?.leaseRenewed();
    return current.ttlSeconds;
  }

  /**
   * A lease's remaining and granted TTL, and its keys when asked. Only the primary
   * knows the remaining time: NotPrimaryError elsewhere (forward to the leader).
   */
  timeToLive(id: LeaseId, withKeys: boolean): LeaseStatus {
    const lease = this.leasesById.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    if (!this.isPrimary) throw new NotPrimaryError();
    return {
      id,
      ttlSeconds: lease.ttlSeconds,
      remainingSeconds: Math.trunc(lease.remainingMs(this.nowMs()) / 1000),
      keys: withKeys ? lease.sortedKeys() : [],
    };
  }

  /** IDs of all leases, soonest expiry first (ties and non-primary: by ID). */
  leaseIds(): LeaseId[] {
    return [...this.leasesById.values()]
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs || compareLeaseIds(a.id, b.id))
      .map((lease) => lease.id);
  }

  /**
   * Up to `limit` expired leases whose revoke the server should propose (LeaseRevoke
   * through Raft). A reported lease is reported again after the retry interval if its
   * revoke has not been applied by then (e.g. the proposal was lost). etcd calls this
   * every 500 ms with limit 500 (half its revoke rate of 1000/s). Empty unless primary.
   */
  expiredLeases(limit: number): LeaseId[] {
    const expired: LeaseId[] = [];
    if (!this.isPrimary) return expired;
    const nowMs = this.nowMs();
    // Each turn either pops an entry or re-registers one past now, so this ends
    // within queue-size turns.
    for (let turns = this.expiryQueue.size; turns > 0 && expired.length < limit; turns--) {
      const next = this.expiryQueue.peek();
      if (next === undefined || next.timeMs > nowMs) break;
      const lease = this.leasesById.get(next.id);
      if (lease === undefined) {
        this.expiryQueue.pop();
        continue;
      }
      this.expiryQueue.registerOrUpdate(next.id, nowMs + this.expiredLeaseRetryIntervalMs);
      if (lease.isExpired(nowMs)) expired.push(lease.id);
    }
    return expired;
  }

  /**
   * The checkpoints due now, at most `limit`, to propose as one LeaseCheckpointRequest
   * (their apply schedules the next ones). Empty unless primary with checkpoints enabled.
   */
  checkpointsDue(limit = maxCheckpointBatchSize): LeaseCheckpoint[] {
    const due: LeaseCheckpoint[] = [];
    if (!this.isPrimary || !this.checkpointsEnabled) return due;
    const nowMs = this.nowMs();
    while (due.length < limit) {
      const next = this.checkpointQueue.peek();
      if (next === undefined || next.timeMs > nowMs) break;
      this.checkpointQueue.pop();
      const lease = this.leasesById.get(next.id);
      if (lease === undefined || lease.expiresAtMs <= nowMs) continue;
      const remainingTtlSeconds = Math.ceil(lease.remainingMs(nowMs) / 1000);
      if (remainingTtlSeconds >= lease.ttlSeconds) {
        // Nothing to record yet (intervals under a second round up to the full
        // TTL); look again next interval rather than never.
        this.scheduleCheckpointIfNeeded(lease);
        continue;
      }
      due.push({ ID: lease.id, remaining_TTL: remainingTtlSeconds });
    }
    return due;
  }

  // ---- internals ----

  private nowMs(): number {
    return this.options.clock.nowMs();
  }

  private persist(lease: Lease): void {
    const record = { id: lease.id, ttlSeconds: lease.ttlSeconds, remainingTtlSeconds: lease.remainingTtlSeconds };
    this.options.backend.batchTx().put('lease', encodeLeaseKey(lease.id), encodeLeaseRecord(record));
  }

  private scheduleCheckpointIfNeeded(lease: Lease): void {
    if (!this.checkpointsEnabled) return;
    if (lease.refreshTtlSeconds * 1000 > this.checkpointIntervalMs) {
      this.checkpointQueue.registerOrUpdate(lease.id, this.nowMs() + this.checkpointIntervalMs);
    }
  }

  /**
   * etcd's guard against a revoke storm after promote: when many leases would expire
   * within the same second, later ones are pushed back so that about 3/4 of the revoke
   * rate expire per second.
   */
  private spreadExpiries(nowMs: number, extendMs: number): void {
    const leases = [...this.leasesById.values()].sort((a, b) => a.expiresAtMs - b.expiresAtMs || compareLeaseIds(a.id, b.id));
    const targetExpiriesPerSecond = Math.floor((3 * this.leaseRevokeRatePerSecond) / 4);
    let baseWindowMs = leases[0]!.remainingMs(nowMs);
    let nextWindowMs = baseWindowMs + 1000;
    let expiries = 0;
    for (const lease of leases) {
      const remainingMs = lease.remainingMs(nowMs);
      if (remainingMs > nextWindowMs) {
        baseWindowMs = remainingMs;
        nextWindowMs = baseWindowMs + 1000;
        expiries = 1;
        continue;
      }
      expiries++;
      if (expiries <= targetExpiriesPerSecond) continue;
      // Leases already n seconds past the window's start need n seconds less delay.
      const delayMs = (1000 * expiries) / targetExpiriesPerSecond - (remainingMs - baseWindowMs);
      nextWindowMs = baseWindowMs + delayMs;
      lease.refresh(nowMs, delayMs + extendMs);
      this.expiryQueue.registerOrUpdate(lease.id, lease.expiresAtMs);
      this.scheduleCheckpointIfNeeded(lease);
    }
  }

  private recoverFromBackend(): void {
    for (const { key, value } of this.options.backend.range('lease', Buffer.alloc(0), undefined)) {
      const record = decodeLeaseRecord(value);
      const id = record.id !== 0 ? record.id : decodeLeaseKey(key);
      const ttlSeconds = Math.max(record.ttlSeconds, this.options.minTtlSeconds);
      this.leasesById.set(id, new Lease(id, ttlSeconds, record.remainingTtlSeconds));
    }
  }
}
