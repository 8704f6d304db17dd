// The member's replicated state machine: the backend, the MVCC store, the
// lessor, the watchable store and the deterministic apply logic. The member
// applies each batch of committed entries inside one synchronous section
// and records the applied (consistent) index in the same backend batch.
// Like etcd's backend, the batch reaches LMDB every --backend-batch-interval
// or once it holds --backend-batch-limit writes, never in the middle of a
// section; reads see it at once. A restart resumes after the last entry whose
// effects were committed, and replays the rest from the WAL, which keeps
// every entry the backend has not been synced past. A snapshot from the
// leader restores all of it in place (restore()): the objects live as long as
// the member, so whoever holds them (watch streams included) keeps them.

import type { Logger } from '../pkg/logger.js';
import { NO_METRICS, type MetricsHooks } from '../pkg/metrics-hooks.js';
import { Backend } from '../backend/index.js';
import { EtcdError, KVStore } from '../mvcc/index.js';
import { WatchableStore, type WatchScheduler } from '../mvcc/watch/index.js';
import { LeaseError, Lessor, applyLeaseCheckpoint, applyLeaseGrant, applyLeaseRevoke, type LessorClock, type LeaseCheckpointRequest } from '../lease/index.js';
import { KVApplier, type RangeRequest, type RangeResponse, type ResponseHeader } from './apply/index.js';
import type { InternalRaftRequest } from './internal-request.js';
import type { ApplyResult } from './apply-results.js';
import { AuthStore } from '../auth/auth-store.js';
import { AuthError } from '../auth/errors.js';
import type { AuthInfo, TokenProvider } from '../auth/types.js';
import { AuthGuard } from './apply/auth-guard.js';
import { applyAuthRequest, isAuthRequest } from './apply/auth-requests.js';
import { AlarmAction, AlarmStore, AlarmType, alarmErrors, alarmNames, type AlarmMember, type AlarmRequest } from './alarms.js';
import { txnHasPut } from './quota.js';
import { formatId } from './membership/ids.js';

export interface StateMachineOptions {
  directory: string;
  logger: Logger;
  clock: LessorClock;
  minLeaseTtlSeconds: number;
  expiredLeaseRetryIntervalMs: number;
  /** With --experimental-enable-lease-checkpoint: proposes a LeaseCheckpoint through Raft. */
  proposeLeaseCheckpoint?: (request: LeaseCheckpointRequest) => Promise<void>;
  leaseCheckpointIntervalMs?: number;
  /** The longest applied writes wait before their backend commit. */
  backendBatchIntervalMs: number;
  /** A batch with this many writes commits at the end of its apply section. */
  backendBatchLimit: number;
  /** A scheduled commit failed: the member cannot go on. */
  onCommitFailure(error: unknown): void;
  /** Runs the watchable store's deferred work (tests pass a virtual clock); default timers. */
  watchScheduler?: WatchScheduler;
  /** Tokens (--auth-token) and password hashing cost (--bcrypt-cost) of the auth store. */
  auth: { tokenProvider: TokenProvider; bcryptCost: number };
  /** Where the backend, MVCC store and lessor report for metrics; default none. */
  metrics?: MetricsHooks;
}

export class StateMachine {
  private commitTimer: NodeJS.Timeout | undefined;
  /** Raised alarms (the `alarm` bucket); NOSPACE caps writes, CORRUPT refuses requests (etcd's cappedApplier, corruptApplier). */
  alarms!: AlarmStore;

  private constructor(
    private readonly options: StateMachineOptions,
    readonly backend: Backend,
    readonly lessor: Lessor,
    readonly store: KVStore,
    readonly watchableStore: WatchableStore,
    private readonly applier: KVApplier,
    /** Users, roles and permissions; lives as long as the member, like the store. */
    readonly auth: AuthStore,
    readonly authGuard: AuthGuard,
  ) {}

  static open(options: StateMachineOptions): StateMachine {
    const metrics = options.metrics ?? NO_METRICS;
    const backend = Backend.open(options.directory, { metrics });
    // The lessor first: opening the store re-attaches leased keys to it.
    const lessor = Lessor.open({
      backend,
      clock: options.clock,
      minTtlSeconds: options.minLeaseTtlSeconds,
      expiredLeaseRetryIntervalMs: options.expiredLeaseRetryIntervalMs,
      metrics,
      ...(options.proposeLeaseCheckpoint
        ? { proposeCheckpoint: options.proposeLeaseCheckpoint, checkpointIntervalMs: options.leaseCheckpointIntervalMs }
        : {}),
    });
    const store = KVStore.open(backend, { onKeyLeaseChange: (key, oldLease, newLease) => lessor.onKeyLeaseChange(key, oldLease, newLease), metrics });
    const applier = new KVApplier(store, { leaseExists: (id) => lessor.lookup(id) !== undefined });
    const { index, term } = backend.consistentIndex();
    options.logger.child('mvcc/kvstore.go').info('restored last compact revision', {
      'meta-bucket-name-key': 'finishedCompactRev',
      'restored-compact-revision': store.compactRevision,
      'current-revision': store.currentRevision,
      'consistent-index': index,
      'consistent-term': term,
      'restored-leases': lessor.leaseCount,
    });
    const watchableStore = new WatchableStore(store, options.watchScheduler ? { scheduler: options.watchScheduler } : {});
    const auth = AuthStore.open(backend, { logger: options.logger.child('auth/store.go'), ...options.auth });
    const machine = new StateMachine(options, backend, lessor, store, watchableStore, applier, auth, new AuthGuard(auth, lessor));
    machine.alarms = new AlarmStore(backend, options.logger.child('etcdserver/apply.go'));
    return machine;
  }

  /** A consistent copy of the backend, for a member restored from a snapshot. */
  exportDatabase(): Promise<Buffer> {
    return this.backend.snapshotBytes();
  }

  /**
   * Restores this state machine in place from a leader's database copy, as
   * etcd's applySnapshot: the backend takes the new contents, the lessor
   * recovers its leases, the MVCC store rebuilds its index and revisions (and
   * attaches leased keys again), and every synced watcher goes back to catching
   * up from its next revision. The consistent index is the new backend's.
   * Call it between apply sections.
   */
  async restore(database: Uint8Array): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    const logger = this.options.logger.child('etcdserver/server.go');
    await this.backend.restore(database, () => {
      // The lessor before the store: the store's restore attaches keys to leases.
      this.lessor.recover();
      this.store.restore();
      this.watchableStore.restore();
      this.auth.recover();
      this.alarms.recover();
    });
    const { index, term } = this.backend.consistentIndex();
    logger.info('restored lease store', { 'restored-leases': this.lessor.leaseCount });
    logger.info('restored mvcc store', {
      'current-revision': this.store.currentRevision,
      'compact-revision': this.store.compactRevision,
      'consistent-index': index,
      'consistent-term': term,
      'watchers-to-catch-up': this.watchableStore.watcherCounts.unsynced,
    });
  }

  /** Index of the last Raft entry whose effects the backend holds. */
  consistentIndex(): number {
    return this.backend.consistentIndex().index;
  }

  currentRevision(): number {
    return this.store.currentRevision;
  }

  range(request: RangeRequest): RangeResponse {
    this.options.metrics?.mvccRange();
    return this.applier.range(request);
  }

  /**
   * Applies one request. Returns the response (or a promise of it, for a
   * physical compaction), or the error the client must receive; a request
   * that fails has changed nothing.
   */
  apply(request: InternalRaftRequest, header: (revision: number) => ResponseHeader, index = 0): ApplyResult {
    try {
      // As the user the proposer named; without auth enabled every check passes.
      const caller = callerOf(request);
      const guard = this.auth.enabled ? this.authGuard : undefined;
      // As etcd's AlarmResponse: no header.
      if (request.alarm) return { alarms: this.applyAlarm(request.alarm) };
      const refusal = this.alarmRefusal(request);
      if (refusal !== undefined) return refusal;
      if (request.put) {
        guard?.checkPut(caller, request.put);
        return this.withHeader(this.applier.put(request.put), header);
      }
      if (request.delete_range) {
        guard?.checkDeleteRange(caller, request.delete_range);
        return this.withHeader(this.applier.deleteRange(request.delete_range), header);
      }
      if (request.txn) {
        guard?.checkTxn(caller, request.txn);
        return this.withHeader(this.applier.txn(request.txn), header);
      }
      if (isAuthRequest(request)) return applyAuthRequest(this.auth, caller, request, { index, header: header(this.store.currentRevision) });
      if (request.compaction) {
        const outcome = this.applier.compaction(request.compaction);
        const response = this.withHeader(outcome.response, header);
        if (!outcome.physical) return response;
        const answered = outcome.done.then(() => response);
        // Only a proposer waits for it; a restore from a snapshot stops the
        // compaction (its rejection must not go unhandled where nobody waits).
        answered.catch(() => undefined);
        return answered;
      }
      if (request.lease_grant) return { ...applyLeaseGrant(this.lessor, request.lease_grant), header: header(this.store.currentRevision) };
      if (request.lease_revoke) {
        guard?.checkLeaseKeysWritable(caller, request.lease_revoke.ID);
        applyLeaseRevoke(this.lessor, () => this.store.write(), request.lease_revoke);
        return { header: header(this.store.currentRevision) };
      }
      if (request.lease_checkpoint) {
        applyLeaseCheckpoint(this.lessor, request.lease_checkpoint);
        return { header: header(this.store.currentRevision) };
      }
      // A request kind this member does not know (a newer member proposed it): refused, as before.
      return new EtcdError('etcdserver: unknown request in raft entry', 'Unknown');
    } catch (error) {
      // A request etcd refuses is the client's answer; anything else (a bug,
      // a broken disk) must stop the member: skipping the entry would make
      // this member's state differ from the others' for good.
      if (error instanceof EtcdError || error instanceof LeaseError || error instanceof AuthError) return error;
      throw error;
    }
  }

  /** etcd's applierV3backend.Alarm: GET lists, ACTIVATE raises (and caps), DEACTIVATE clears. */
  private applyAlarm(request: AlarmRequest): AlarmMember[] {
    const memberId = String(request.memberID ?? '0');
    const alarm = Number(request.alarm ?? 0);
    const log = this.alarms.log;
    const oldCount = this.alarms.get(alarm).length;
    switch (Number(request.action ?? 0)) {
      case AlarmAction.GET:
        return this.alarms.get(alarm);
      case AlarmAction.ACTIVATE: {
        if (alarm === AlarmType.NONE) return [];
        const member = this.alarms.activate(memberId, alarm);
        if (oldCount === 0 && this.alarms.get(alarm).length === 1) log.warn('alarm raised', { alarm: alarmNames[alarm], from: formatId(BigInt(memberId)) });
        return [member];
      }
      case AlarmAction.DEACTIVATE: {
        const member = this.alarms.deactivate(memberId, alarm);
        if (member === undefined) return [];
        if (oldCount > 0 && this.alarms.get(alarm).length === 0) log.info('alarm disarmed', { alarm: alarmNames[alarm], from: formatId(BigInt(memberId)) });
        return [member];
      }
      default:
        return [];
    }
  }

  /** While CORRUPT is raised every request is refused; while NOSPACE is, puts, txns with puts and lease grants. */
  private alarmRefusal(request: InternalRaftRequest): EtcdError | undefined {
    if (this.alarms.has(AlarmType.CORRUPT)) {
      if (request.put || request.delete_range || request.txn || request.compaction || request.lease_grant || request.lease_revoke) return alarmErrors.corrupt();
    }
    if (this.alarms.has(AlarmType.NOSPACE)) {
      if (request.put || request.lease_grant || (request.txn && txnHasPut(request.txn))) return alarmErrors.noSpace();
    }
    return undefined;
  }

  /**
   * Ends an apply section: records the applied index with its writes, and
   * commits the batch now if it is full, else within the batch interval.
   */
  endApplySection(appliedIndex: number, appliedTerm: number): void {
    const batch = this.backend.batchTx();
    if (appliedIndex > this.consistentIndex()) batch.setConsistentIndex(appliedIndex, appliedTerm);
    if (batch.pendingWrites >= this.options.backendBatchLimit) this.commitNow();
    else if (this.commitTimer === undefined && !batch.isEmpty()) {
      this.commitTimer = setTimeout(() => {
        try {
          this.commitNow();
        } catch (error) {
          this.options.onCommitFailure(error);
        }
      }, this.options.backendBatchIntervalMs);
    }
  }

  /** Commits the pending batch to LMDB (between apply sections only). */
  commitNow(): void {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    this.backend.commit();
  }

  sizeBytes(): number {
    return this.backend.sizeBytes();
  }

  sizeInUseBytes(): number {
    return this.backend.sizeInUseBytes();
  }

  async close(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    this.watchableStore.close();
    this.store.close();
    await this.backend.close();
  }

  private withHeader<T extends { header: ResponseHeader }>(response: T, header: (revision: number) => ResponseHeader): T {
    response.header = header(response.header.revision);
    return response;
  }
}

function callerOf(request: InternalRaftRequest): AuthInfo | undefined {
  const username = request.header?.username;
  if (!username) return undefined;
  return { username, revision: Number(request.header?.auth_revision ?? 0) };
}
