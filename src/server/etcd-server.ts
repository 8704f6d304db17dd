// The member: owns the Raft node, the WAL, the backend and the MVCC store,
// and turns client requests into proposals (writes) or ReadIndex rounds
// (linearizable reads). Everything a client is told "done" has been applied
// from a committed, fsync'd log entry.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../pkg/logger.js';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION, requestTimeoutMs, type MemberConfig } from './config.js';
import type { AuthAppliedResponse, ResponseTo } from './apply-results.js';
import { peerHttpHandler } from './membership/peer-http.js';
import { ConfChangeType, ProposalDroppedError, Role, type Entry, type SoftState, type Ready, type Snapshot } from '../raft/types.js';
import { RaftLoop, memberRaftConfig } from './raft-loop.js';
import { WaitRegistry } from './wait.js';
import { RequestIdGenerator } from './request-id.js';
import { AppliedIndexWaiter } from './applied-index-waiter.js';
import { LinearizableReads } from './linearizable-reads.js';
import { serverErrors } from './errors.js';
import { MemberStorage } from './member-storage.js';
import { memberConfChange, type MemberContext } from './membership/member-context.js';
import { bootstrap, snapDirOf } from './bootstrap/index.js';
import { MemberChanges } from './membership/member-changes.js';
import { MemberTableStore } from './membership/member-table-store.js';
import { lockDataDir } from './data-dir-lock.js';
import { StateMachine } from './state-machine.js';
import { LeaseUpkeep, NotPrimaryError, leaseIdFromRequestId, minLeaseTtlSeconds, type LeaseGrantRequest, type LeaseGrantResult, type LeaseRevokeRequest, type LeaseStatus, type LeaseCheckpointRequest, type LeaseId } from '../lease/index.js';
import type { WatchableStore } from '../mvcc/watch/index.js';
import { internalRequestCodec, type InternalRaftRequest } from './internal-request.js';
import type {
  RangeRequest,
  RangeResponse,
  PutRequest,
  PutResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  TxnRequest,
  TxnResponse,
  CompactionRequest,
  CompactionResponse,
  ResponseHeader,
} from './apply/index.js';
import type { MemberRecord } from './membership/member-record.js';
import { formatId, memberIdOfRaftId, raftIdOf } from './membership/ids.js';
import { ClusterPeers } from './cluster-peers.js';
import { ProposalChannel } from './proposal-channel.js';
import { EntryApplier } from './entry-applier.js';
import { tcpSocketFactory, type SocketFactory } from '../transport/index.js';
import { decodeSnapshotData } from './snapshot-data.js';
import { importEtcdDataDirIfPresent } from '../snapshot/import.js';
import { bootstrapRestoredMember } from './restored-member.js';
import { backendFileName } from '../backend/backend.js';
import type { AuthStore } from '../auth/auth-store.js';
import { authErrors } from '../auth/errors.js';
import type { AuthInfo, TokenProvider } from '../auth/types.js';
import { newTokenProvider } from '../auth/tokens/index.js';
import { NO_METRICS, type MetricsHooks } from '../pkg/metrics-hooks.js';
import type { PeerStats } from '../transport/index.js';
import { AlarmAction, AlarmType, alarmErrors, alarmNames, formatAlarm, type AlarmMember } from './alarms.js';
import { humanizeBytes, newBackendQuota, type Quota, type QuotaRequest } from './quota.js';
import { startCompactor, type Compactor, type CompactorClock } from './compactor.js';
import { removeScratchLeftovers } from './scratch-leftovers.js';
import { formatGoDuration } from './config-file.js';

export interface ServerStartOptions {
  clock?: ServerClock;
  random?: () => number;
  /** How peer sockets are made: plain TCP unless the peer port uses TLS. */
  peerSocketFactory?: SocketFactory;
  /** Where the member's layers report for metrics (src/metrics/); default none. */
  metrics?: MetricsHooks;
  /** The automatic compactor's clock (tests); default timers. */
  compactorClock?: CompactorClock;
}

/** What a metrics scrape reads from the member, at scrape time only. */
export interface MemberMetricsSource {
  readonly memberId: bigint;
  hasLeader(): boolean;
  isLeader(): boolean;
  isLearner(): boolean;
  committedIndex(): number;
  appliedIndex(): number;
  pendingProposals(): number;
  dbSizeBytes(): number;
  dbSizeInUseBytes(): number;
  keysTotal(): number;
  currentRevision(): number;
  compactRevision(): number;
  watchers(): { synced: number; unsynced: number; victims: number };
  /** Peers by hex member id. */
  peers(): Map<string, PeerStats>;
}

export interface ServerClock {
  nowMs(): number;
}

export class EtcdServer {
  private readonly waits = new WaitRegistry();
  private readonly requestIds: RequestIdGenerator;
  private readonly applied: AppliedIndexWaiter;
  private readonly reads: LinearizableReads;
  private readonly loop: RaftLoop;
  private softState: SoftState = { leader: 0, role: Role.Follower };
  private readonly requestTimeoutMs: number;
  private readonly readyListeners: Array<() => void> = [];
  private published = false;
  private stopped = false;
  private readonly leaseUpkeep: LeaseUpkeep;
  private leaseUpkeepTimer: NodeJS.Timeout | undefined;
  private unlockDataDir: () => void = () => undefined;
  private readonly peers: ClusterPeers;
  /** Applies every committed entry: requests, conf changes, member attributes. */
  private readonly applier: EntryApplier;
  /** MemberAdd/Remove/Update/Promote and MoveLeader. */
  readonly membership: MemberChanges;
  private readonly removedListeners: Array<() => void> = [];
  private tokenProvider: TokenProvider | undefined;
  /** --quota-backend-bytes. */
  private quota!: Quota;
  /** --auto-compaction-mode/-retention; undefined when off. */
  private compactor: Compactor | undefined;

  private constructor(
    readonly config: MemberConfig,
    private readonly logger: Logger,
    private readonly storage: MemberStorage,
    /** One for the member's life: a snapshot from the leader restores it in place. */
    private readonly stateMachine: StateMachine,
    clock: ServerClock,
    peerSocketFactory: SocketFactory,
    proposals: ProposalChannel,
    private readonly metrics: MetricsHooks,
    random: () => number,
  ) {
    this.requestIds = new RequestIdGenerator(storage.memberId, clock.nowMs());
    this.applied = new AppliedIndexWaiter(stateMachine.consistentIndex());
    this.requestTimeoutMs = requestTimeoutMs(config);
    this.loop = new RaftLoop(
      memberRaftConfig(config, raftIdOf(storage.memberId), storage.raftLog, random),
      {
        persist: (ready) => this.persist(ready),
        send: (messages) => this.peers.send(messages),
        apply: (entries) => this.applyEntries(entries),
        onSoftState: (state) => this.onSoftState(state),
        onReadStates: (states) => {
          for (const state of states) this.reads.onReadState(state.requestContext, state.index);
        },
        onFatal: (error) => {
          this.logger.error('member cannot continue; exiting', { error });
          process.exit(1);
        },
      },
      logger.child('etcdserver/raft'),
    );
    this.reads = new LinearizableReads(
      {
        requestReadIndex: (context) => this.loop.readIndex(context),
        immediateReadIndex: () => this.loop.soleVoterReadIndex(),
      },
      this.applied,
      { retryIntervalMs: Math.max(100, config.electionTimeoutMs / 2), timeoutMs: this.requestTimeoutMs },
    );
    this.peers = new ClusterPeers(
      storage.memberId,
      storage.clusterId,
      config.listenPeerUrls,
      peerSocketFactory,
      {
        onMessage: (message) => {
          if (!this.stopped) this.loop.step(message);
        },
        onUnreachable: (raftId) => {
          if (!this.stopped) this.loop.reportUnreachable(raftId);
        },
        onSnapshotStatus: (raftId, delivered) => {
          if (!this.stopped) this.loop.reportSnapshot(raftId, delivered);
        },
        snapshotData: async () => ({ members: this.storage.snapshotMembers(), database: await this.stateMachine.exportDatabase() }),
        peerHttp: peerHttpHandler({
          clusterId: () => this.storage.clusterId,
          members: () => this.storage.members(),
          versions: { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION },
        }),
      },
      logger,
      { metrics, heartbeatIntervalMs: config.heartbeatIntervalMs, isLeader: () => this.isLeader },
    );
    this.membership = new MemberChanges({
      localMemberId: storage.memberId,
      clusterToken: config.initialClusterToken,
      requestTimeoutMs: this.requestTimeoutMs,
      pollIntervalMs: config.heartbeatIntervalMs,
      strictReconfigCheck: config.strictReconfigCheck,
      members: () => this.storage.members(),
      isConnected: (memberId) => memberId === this.memberId || this.peers.isConnected(raftIdOf(memberId)),
      isLeader: () => this.isLeader,
      leaderId: () => this.leaderId,
      isStopped: () => this.stopped,
      replicatedIndex: (memberId) => this.loop.matchIndexOf(raftIdOf(memberId)),
      proposeMemberChange: (type, member) => this.proposeMemberChange(type, member),
      transferLeader: (memberId) => this.loop.transferLeader(raftIdOf(memberId)),
    });
    this.applier = new EntryApplier({
      stateMachine,
      storage,
      peers: this.peers,
      logger,
      raft: this.loop,
      leadsTermOf: (entry) => this.softState.role === Role.Leader && entry.term === this.loop.term,
      onOwnLeaderEntryApplied: () => this.stateMachine.lessor.promote(config.electionTimeoutMs),
      onLocalMemberRemoved: () => {
        for (const listener of this.removedListeners.splice(0)) setImmediate(listener);
      },
      header: (revision) => this.header(revision),
      metrics,
      warningApplyDurationMs: config.warningApplyDurationMs,
    });
    this.leaseUpkeep = new LeaseUpkeep({
      lessor: stateMachine.lessor,
      proposeRevoke: (id) => proposals.propose({ lease_revoke: { ID: id } }),
      ...(config.enableLeaseCheckpoint ? { proposeCheckpoint: (request: LeaseCheckpointRequest) => proposals.propose({ lease_checkpoint: request }) } : {}),
      onError: (error) => this.logger.child('etcdserver/server.go').warn('failed to revoke lease', { error }),
    });
  }

  static async start(config: MemberConfig, logger: Logger, options: ServerStartOptions = {}): Promise<EtcdServer> {
    const clock = options.clock ?? { nowMs: () => Date.now() };
    const random = options.random ?? Math.random;
    const peerSocketFactory = options.peerSocketFactory ?? tcpSocketFactory;
    mkdirSync(join(config.dataDir, 'member'), { recursive: true });
    const unlockDataDir = lockDataDir(join(config.dataDir, 'member'));
    // What a crash during a snapshot or defrag left (the lock says no one else uses it).
    removeScratchLeftovers(join(config.dataDir, 'member', 'snap'), logger);
    // A data dir made by etcd (member/snap/db): import its backend first (snapshot/import.ts).
    const imported = await importEtcdDataDirIfPresent(join(config.dataDir, 'member'), backendFileName);
    if (imported !== undefined) {
      logger.child('etcdserver/backend.go').info('imported the bbolt backend of an etcd data dir; bootstrapping a new Raft log from the flags', {
        path: join(config.dataDir, 'member', 'snap', 'db'),
        'imported-entries': imported.entries,
        revision: imported.revision,
        'etcd-files-moved-to': imported.movedTo,
      });
      await bootstrapRestoredMember(config, logger);
    }
    const metrics = options.metrics ?? NO_METRICS;
    const bootstrapped = await bootstrap(config, logger, peerSocketFactory, {
      onWrite: (_fileName, _offsetBytes, lengthBytes) => metrics.walWrite(lengthBytes),
      onSynced: (seconds) => {
        metrics.walFsync(seconds);
        // etcd's warning for a disk that cannot keep up (wal.go: warnSyncDuration).
        if (seconds > SLOW_FDATASYNC_SECONDS) {
          logger.child('wal/wal.go').warn('slow fdatasync', { took: `${(seconds * 1000).toFixed(3)}ms`, 'expected-duration': '1s' });
        }
      },
    });
    const requestTimeout = requestTimeoutMs(config);
    // The lessor proposes checkpoints, and is made before the member: it gets the channel the member binds.
    const proposals = new ProposalChannel();
    const tokenProvider = newTokenProvider(config.authToken, { ttlSeconds: config.authTokenTtlSeconds, logger: logger.child('auth/simple_token.go') });
    const proposeLeaseCheckpoint = config.enableLeaseCheckpoint
      ? (request: LeaseCheckpointRequest) => proposals.propose({ lease_checkpoint: request }).then(() => undefined)
      : undefined;
    const stateMachine = StateMachine.open({
      directory: join(config.dataDir, 'member', 'snap'),
      logger,
      clock: monotonicClock(),
      minLeaseTtlSeconds: minLeaseTtlSeconds(config.electionTimeoutMs, config.heartbeatIntervalMs),
      expiredLeaseRetryIntervalMs: requestTimeout,
      proposeLeaseCheckpoint,
      leaseCheckpointIntervalMs: config.leaseCheckpointIntervalMs,
      backendBatchIntervalMs: config.backendBatchIntervalMs,
      backendBatchLimit: config.backendBatchLimit,
      onCommitFailure: (error) => {
        logger.error('backend commit failed; exiting', { error });
        process.exit(1);
      },
      auth: { tokenProvider, bcryptCost: config.bcryptCost },
      metrics,
    });
    // The member table lives in the state machine's backend (membership/member-table-store.ts).
    const storage = new MemberStorage(bootstrapped, new MemberTableStore(stateMachine.backend), snapDirOf(config), config.snapshotCatchUpEntries, logger);
    const server = new EtcdServer(config, logger, storage, stateMachine, clock, peerSocketFactory, proposals, metrics, random);
    server.tokenProvider = tokenProvider;
    proposals.bind((request) => server.propose(request, MEMBER_AS_ROOT));
    server.unlockDataDir = unlockDataDir;
    server.quota = newBackendQuota(config.quotaBackendBytes, () => stateMachine.sizeBytes(), logger);
    server.compactor = startCompactor(
      config.autoCompactionMode,
      config.autoCompactionRetention,
      {
        logger,
        ...(options.compactorClock ? { clock: options.compactorClock } : {}),
        revision: () => stateMachine.currentRevision(),
        compact: (revision) => server.propose({ compaction: { revision, physical: false } }, MEMBER_AS_ROOT),
        isPaused: () => !server.isLeader,
      },
      process.env['ETCDTS_TEST_REVISION_COMPACTION_INTERVAL_MS'] ? { revisionIntervalMs: Number(process.env['ETCDTS_TEST_REVISION_COMPACTION_INTERVAL_MS']) } : {},
    );
    await server.peers.start();
    server.peers.syncMembers(storage.members());
    // A member joining a running cluster learns the membership from the log;
    // until then it answers the members the cluster told it of.
    if (storage.members().length === 0) {
      for (const member of storage.joinedClusterMembers) server.peers.addOrUpdate(member.id, member.peerUrls);
    }
    server.loop.startTicking(config.heartbeatIntervalMs);
    // etcd's lessor checks for expired leases every 500 ms; only the leader acts.
    server.leaseUpkeepTimer = setInterval(() => server.leaseUpkeep.tick(), 500);
    server.loop.schedule();
    return server;
  }

  get memberId(): bigint {
    return this.storage.memberId;
  }

  get clusterId(): bigint {
    return this.storage.clusterId;
  }

  get leaderId(): bigint {
    return memberIdOfRaftId(this.softState.leader);
  }

  /** Resolves once this member has published itself through Raft and can serve. */
  whenReady(): Promise<void> {
    if (this.published) return Promise.resolve();
    return new Promise((resolve) => this.readyListeners.push(resolve));
  }

  header(revision: number): ResponseHeader {
    return {
      cluster_id: this.storage.clusterId.toString(),
      member_id: this.storage.memberId.toString(),
      revision,
      raft_term: this.loop.term,
    };
  }

  // ---- client requests: `caller` is who the request runs as (undefined: nobody) ----

  async range(request: RangeRequest, caller?: AuthInfo): Promise<RangeResponse> {
    if (!request.serializable) await this.reads.waitUntilLinearizable();
    // As etcd's doSerialize: check, read, then make sure the auth state did not move under the read.
    this.auth.isRangePermitted(caller, request.key, request.range_end);
    const response = this.stateMachine.range(request);
    if (caller !== undefined && caller.revision !== 0 && caller.revision !== this.auth.revision) throw authErrors.authOldRevision();
    response.header = this.header(response.header?.revision ?? this.stateMachine.currentRevision());
    return response;
  }

  async put(request: PutRequest, caller?: AuthInfo): Promise<PutResponse> {
    await this.checkQuota({ put: request });
    return this.propose({ put: request }, caller);
  }

  deleteRange(request: DeleteRangeRequest, caller?: AuthInfo): Promise<DeleteRangeResponse> {
    return this.propose({ delete_range: request }, caller);
  }

  async txn(request: TxnRequest, caller?: AuthInfo): Promise<TxnResponse> {
    await this.checkQuota({ txn: request });
    return this.propose({ txn: request }, caller);
  }

  // ---- quota and alarms ----

  /**
   * etcd's quotaKVServer/quotaLeaseServer check: a write that would take the
   * backend past the quota raises NOSPACE for this member (through Raft) and
   * is refused with "etcdserver: mvcc: database space exceeded".
   */
  private async checkQuota(request: QuotaRequest): Promise<void> {
    if (this.quota === undefined || this.quota.available(request)) return;
    try {
      await this.alarm({ action: AlarmAction.ACTIVATE, memberID: this.memberId.toString(), alarm: AlarmType.NOSPACE });
    } catch {
      // As etcd: the write is refused whether or not the alarm got through.
    }
    throw alarmErrors.noSpace();
  }

  /** Maintenance.Alarm: every action goes through Raft, as in etcd. */
  alarm(request: { action: number; memberID: string; alarm: number }, caller?: AuthInfo): Promise<{ alarms: AlarmMember[] }> {
    return this.propose({ alarm: request }, caller ?? MEMBER_AS_ROOT);
  }

  /**
   * Maintenance.Defragment: LMDB's compacting copy swapped in (see
   * Backend.defrag: reads and applies go on meanwhile), logged as etcd's
   * backend logs it.
   */
  async defragment(): Promise<void> {
    const backend = this.stateMachine.backend;
    const log = this.logger.child('backend/backend.go');
    const path = join(backend.directory, 'data.mdb');
    const size = backend.sizeBytes();
    const inUse = backend.sizeInUseBytes();
    log.info('defragmenting', {
      path,
      'current-db-size-bytes': size,
      'current-db-size': humanizeBytes(size),
      'current-db-size-in-use-bytes': inUse,
      'current-db-size-in-use': humanizeBytes(inUse),
    });
    const rpcLog = this.logger.child('v3rpc/maintenance.go');
    rpcLog.info('starting defragment');
    const startedMs = performance.now();
    try {
      await backend.defrag();
    } catch (error) {
      rpcLog.warn('failed to defragment', { error: (error as Error).message });
      throw error;
    }
    const newSize = backend.sizeBytes();
    const newInUse = backend.sizeInUseBytes();
    log.info('finished defragmenting directory', {
      path,
      'current-db-size-bytes-diff': newSize - size,
      'current-db-size-bytes': newSize,
      'current-db-size': humanizeBytes(newSize),
      'current-db-size-in-use-bytes-diff': newInUse - inUse,
      'current-db-size-in-use-bytes': newInUse,
      'current-db-size-in-use': humanizeBytes(newInUse),
      took: formatGoDuration(BigInt(Math.round((performance.now() - startedMs) * 1e6))),
    });
    rpcLog.info('finished defragment');
  }

  compact(request: CompactionRequest, caller?: AuthInfo): Promise<CompactionResponse> {
    return this.propose({ compaction: request }, caller);
  }

  // ---- auth: every change and read goes through Raft, as in etcd ----

  /** Users, roles, permissions and whether auth is on (the member's one store; a snapshot restores it in place). */
  get auth(): AuthStore {
    return this.stateMachine.auth;
  }

  /**
   * etcd's Authenticate: the password is checked here (bcrypt, off the event
   * loop), then only the name and a token prefix go through Raft; if the auth
   * state moved meanwhile, the password is checked again.
   */
  async authenticate(name: string, password: string): Promise<{ header: ResponseHeader; token: string }> {
    await this.reads.waitUntilLinearizable();
    for (;;) {
      const checkedRevision = await this.auth.checkPassword(name, password);
      const simpleToken = this.tokenProvider?.genTokenPrefix() ?? '';
      const response = await this.propose({ authenticate: { name, simple_token: simpleToken } });
      if (checkedRevision === this.auth.revision) return response;
      this.logger.child('etcdserver/v3_server.go').info('revision when password checked became stale; retrying');
    }
  }

  /** An Auth service request other than Authenticate; passwords are hashed here, before they reach the log. */
  async authRequest(request: InternalRaftRequest, caller?: AuthInfo): Promise<AuthAppliedResponse> {
    const userAdd = request.auth_user_add;
    if (userAdd && !userAdd.options?.no_password && !userAdd.hashedPassword) {
      userAdd.hashedPassword = await this.auth.hashPassword(userAdd.password ?? '');
    }
    if (userAdd) userAdd.password = '';
    const change = request.auth_user_change_password;
    if (change && !change.hashedPassword) change.hashedPassword = await this.auth.hashPassword(change.password ?? '');
    if (change) change.password = '';
    return this.propose(request, caller);
  }

  get appliedIndex(): number {
    return this.applied.applied;
  }

  /** Resolves once entries up to `index` are applied, or after the request timeout (whichever is first). */
  waitApplied(index: number): Promise<void> {
    if (index <= this.applied.applied) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.requestTimeoutMs)));
    return Promise.race([this.applied.waitFor(index), timeout]).finally(() => clearTimeout(timer));
  }

  /** etcd's requireAuthInfo: with auth on, a request must name a user. */
  requireCaller(caller: AuthInfo | undefined): void {
    if (this.auth.enabled && caller === undefined) throw authErrors.userEmpty();
  }

  /** Admin operations (members, defrag, hashes, snapshots, leader moves): root only, once auth is on. */
  requireAdmin(caller: AuthInfo | undefined): void {
    this.auth.isAdminPermitted(caller);
  }

  currentRevision(): number {
    return this.stateMachine.currentRevision();
  }

  get watchableStore(): WatchableStore {
    return this.stateMachine.watchableStore;
  }

  // ---- leases: grant and revoke go through Raft; renewals and TTLs are the leader's ----

  /** A server-chosen lease id (63 bits); 0 means "ask again". */
  newLeaseId(): LeaseId {
    return leaseIdFromRequestId(this.requestIds.nextId());
  }

  async grantLease(request: LeaseGrantRequest, caller?: AuthInfo): Promise<LeaseGrantResult & { header: ResponseHeader }> {
    this.requireCaller(caller);
    await this.checkQuota({ leaseGrant: true });
    return this.propose({ lease_grant: request }, caller);
  }

  revokeLease(request: LeaseRevokeRequest, caller?: AuthInfo): Promise<{ header: ResponseHeader }> {
    this.requireCaller(caller);
    return this.propose({ lease_revoke: request }, caller);
  }

  /** Renewing keeps the lease's keys alive: the caller must be able to write them (etcd's checkLeaseRenew). */
  checkLeaseRenew(id: LeaseId, caller: AuthInfo | undefined): void {
    if (!this.auth.enabled) return;
    this.requireCaller(caller);
    this.stateMachine.authGuard.checkLeaseKeysWritable(caller, id);
  }

  /** Time-to-live with keys, and the lease list, show keys: the caller must be able to read them. */
  checkLeaseKeysReadable(ids: readonly LeaseId[], caller: AuthInfo | undefined): void {
    if (!this.auth.enabled) return;
    this.requireCaller(caller);
    for (const id of ids) this.stateMachine.authGuard.checkLeaseKeysReadable(caller, id);
  }

  async renewLease(id: LeaseId): Promise<number> {
    await this.waitUntilAppliedCommitted();
    try {
      return await this.stateMachine.lessor.renew(id);
    } catch (error) {
      throw error instanceof NotPrimaryError ? serverErrors.notLeader() : error;
    }
  }

  async leaseTimeToLive(id: LeaseId, withKeys: boolean): Promise<LeaseStatus> {
    await this.waitUntilAppliedCommitted();
    try {
      return this.stateMachine.lessor.timeToLive(id, withKeys);
    } catch (error) {
      throw error instanceof NotPrimaryError ? serverErrors.leaderChanged() : error;
    }
  }

  leaseIds(): LeaseId[] {
    return this.stateMachine.lessor.leaseIds();
  }

  /**
   * So that a lease granted just before is found: applied up to the commit
   * index, or on a sole voter up to the same point as a linearizable read
   * (it applies what it acknowledges, and its commit index also counts
   * proposals still being written).
   */
  private waitUntilAppliedCommitted(): Promise<void> {
    return this.applied.waitFor(this.loop.soleVoterReadIndex() ?? this.loop.committedIndex);
  }

  members(): MemberRecord[] {
    return this.storage.members();
  }

  /**
   * For Maintenance.Snapshot: a consistent copy of the backend (LMDB's copy)
   * in `directory` (created fresh; a scratch directory next to the backend
   * when omitted). Returns the directory; the caller removes it.
   */
  async snapshotBackendCopy(directory?: string): Promise<string> {
    const backend = this.stateMachine.backend;
    const target = directory ?? join(backend.directory, `snapshot-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.tmp`);
    await backend.snapshotCopyInto(target);
    return target;
  }

  // ---- membership: changes go through Raft as ConfChange entries ----

  get isLearner(): boolean {
    return this.storage.isLearner();
  }

  get isLeader(): boolean {
    return this.softState.role === Role.Leader;
  }

  /** The leader's client URLs, for requests only the leader can answer; empty while there is none. */
  leaderClientUrls(): string[] {
    const leaderId = this.leaderId;
    return this.storage.members().find((member) => member.id === leaderId)?.clientUrls ?? [];
  }

  hasLeader(): boolean {
    return this.softState.leader !== 0;
  }

  /** Names of the raised alarms (etcd's NOSPACE, CORRUPT), one per raising member. */
  activeAlarms(): string[] {
    return this.stateMachine.alarms.get(AlarmType.NONE).map((member) => alarmNames[member.alarm] ?? String(member.alarm));
  }

  /** etcd's linearizableReadNotify: resolves once applied up to a ReadIndex (the periodic corruption check). */
  linearizableReadNotify(): Promise<void> {
    return this.reads.waitUntilLinearizable();
  }

  /** etcd's health read: a keys-only range of one key as root (WithRoot), linearizable unless `serializable`. */
  async healthRead(serializable: boolean): Promise<void> {
    await this.range(
      {
        key: Buffer.alloc(0),
        range_end: Buffer.alloc(0),
        limit: 1,
        revision: 0,
        sort_order: 0,
        sort_target: 0,
        serializable,
        keys_only: true,
        count_only: false,
        min_mod_revision: 0,
        max_mod_revision: 0,
        min_create_revision: 0,
        max_create_revision: 0,
      },
      this.auth.enabled ? HEALTH_CHECK_CALLER : undefined,
    );
  }

  /** Getters a metrics scrape reads (nothing is updated per request for these). */
  metricsSource(): MemberMetricsSource {
    return {
      memberId: this.memberId,
      hasLeader: () => this.softState.leader !== 0,
      isLeader: () => this.isLeader,
      isLearner: () => this.storage.isLearner(),
      committedIndex: () => this.loop.committedIndex,
      appliedIndex: () => this.applied.applied,
      pendingProposals: () => this.waits.size,
      dbSizeBytes: () => this.stateMachine.sizeBytes(),
      dbSizeInUseBytes: () => this.stateMachine.sizeInUseBytes(),
      keysTotal: () => this.stateMachine.store.liveKeyCount,
      currentRevision: () => this.stateMachine.currentRevision(),
      compactRevision: () => this.stateMachine.store.compactRevision,
      watchers: () => this.stateMachine.watchableStore.watcherCounts,
      peers: () => this.peers.peerStats(),
    };
  }

  status() {
    const raftStatus = this.loop.status();
    return {
      header: this.header(this.stateMachine.currentRevision()),
      leader: this.leaderId.toString(),
      raftIndex: raftStatus.commit,
      raftTerm: raftStatus.term,
      raftAppliedIndex: this.applied.applied,
      dbSize: this.stateMachine.sizeBytes(),
      dbSizeInUse: this.stateMachine.sizeInUseBytes(),
      isLearner: this.storage.isLearner(),
      errors: this.stateMachine.alarms.get(AlarmType.NONE).map(formatAlarm),
    };
  }

  /** Test partitions (src/embed): Raft messages to and from these members are dropped; [] heals. */
  setBlockedPeers(memberIds: readonly bigint[]): void {
    this.peers.setBlockedPeers(memberIds);
  }

  /**
   * Stops as a kill -9 would leave the data dir (src/embed's kill()): the Raft
   * loop stops between Readys, so what the WAL had written stays (the page
   * cache outlives a killed process), but applied writes the backend has not
   * committed yet are dropped rather than committed: a restart replays them
   * from the WAL. Sockets close without a goodbye; the data-dir lock is released.
   */
  async kill(): Promise<void> {
    this.dropUncommitted = true;
    await this.stop();
  }

  private dropUncommitted = false;

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.compactor?.stop();
    clearInterval(this.leaseUpkeepTimer);
    this.reads.stop();
    this.waits.rejectAll(serverErrors.stopped());
    await this.loop.stop();
    await this.peers.stop();
    await this.storage.close();
    if (this.dropUncommitted) this.stateMachine.backend.batchTx().clear();
    await this.stateMachine.close();
    this.tokenProvider?.close();
    this.unlockDataDir();
  }

  // ---- proposals ----

  /** Proposes `request` and resolves with what applying it answers (ResponseTo: typed by the request's kind). */
  private propose<R extends InternalRaftRequest>(request: R, caller?: AuthInfo): Promise<ResponseTo<R>> {
    // The wait is keyed by this request's id, so what resolves it is the answer to this request.
    return this.proposeAndWait<ResponseTo<R>>((id) => {
      request.header = caller === undefined ? { ID: id.toString() } : { ID: id.toString(), username: caller.username, auth_revision: caller.revision };
      const data = internalRequestCodec.encode(request);
      if (data.length > this.config.maxRequestBytes) throw serverErrors.requestTooLarge();
      this.loop.propose(data);
    });
  }

  /** A ConfChange whose context carries the request id, resolved when it is applied. */
  private proposeMemberChange(type: ConfChangeType, member: MemberContext): Promise<void> {
    return this.proposeAndWait<void>((id) => this.loop.proposeConfChange(memberConfChange(type, { ...member, requestId: id.toString() })));
  }

  /** Registers a wait under a fresh request id, submits, and resolves with what the apply loop answers. */
  private async proposeAndWait<T>(submit: (requestId: bigint) => void): Promise<T> {
    if (this.stopped) throw serverErrors.stopped();
    const id = this.requestIds.nextId();
    const result = this.waits.register<T | Error>(id, this.requestTimeoutMs, () => {
      this.metrics.proposalFailed();
      return serverErrors.timeout();
    });
    try {
      submit(id);
    } catch (error) {
      this.metrics.proposalFailed();
      this.waits.reject(id, error instanceof ProposalDroppedError ? (this.softState.leader === 0 ? serverErrors.noLeader() : serverErrors.leaderChanged()) : (error as Error));
    }
    const outcome = await result;
    if (outcome instanceof Error) throw outcome;
    return outcome as T;
  }

  private async persist(ready: Ready): Promise<void> {
    // The snapshot first, so the log that follows it has a base (as etcd's raft node does).
    if (ready.snapshot) await this.restoreFromSnapshot(ready.snapshot);
    await this.storage.persist(ready);
  }

  /**
   * A follower behind the leader's compacted log: restore the state machine
   * in place from the leader's database copy (open watch streams stay and
   * catch up), then record the snapshot; the member table is read from the
   * copy's buckets. The applied index comes from the new backend: the copy
   * may hold entries past the snapshot's index.
   */
  private async restoreFromSnapshot(snapshot: Snapshot): Promise<void> {
    const { members, database } = decodeSnapshotData(snapshot.data);
    const logger = this.logger.child('etcdserver/server.go');
    logger.info('applying snapshot', { 'incoming-leader-snapshot-index': snapshot.metadata.index, 'database-bytes': database.length });
    await this.stateMachine.restore(database);
    await this.storage.saveReceivedSnapshot(snapshot.metadata, members);
    this.applied.advanceTo(Math.max(snapshot.metadata.index, this.stateMachine.consistentIndex()));
    this.peers.syncMembers(this.storage.members());
    logger.info('applied snapshot', {
      'applied-index': this.applied.applied,
      'current-revision': this.stateMachine.currentRevision(),
      'consistent-index': this.stateMachine.consistentIndex(),
    });
  }

  private async applyEntries(entries: Entry[]): Promise<void> {
    // After a restart Raft re-delivers the whole log; the backend already
    // holds everything up to its consistent index.
    const outcomes = this.applier.apply(entries, this.stateMachine.consistentIndex());
    const last = entries[entries.length - 1]!;
    this.stateMachine.endApplySection(last.index, last.term);
    this.applied.advanceTo(last.index);
    for (const [id, outcome] of outcomes) if (this.waits.isPending(id)) this.waits.resolve(id, outcome);
    this.campaignIfSoleVoter();
    // --snapshot-count: bound the in-memory Raft log and the WAL on disk.
    if (this.config.snapshotCount > 0 && this.storage.entriesSinceSnapshot(last.index) >= this.config.snapshotCount) {
      await this.storage.snapshot(last.index, this.loop.status().confState, () => this.stateMachine.backend.forceSync());
    }
  }

  /** Calls `listener` once this member has been removed from the cluster (it then stops serving). */
  onRemoved(listener: () => void): void {
    this.removedListeners.push(listener);
  }

  /** A lone voter need not wait out an election timeout to lead. */
  private campaignIfSoleVoter(): void {
    if (this.softState.role === Role.Follower && this.softState.leader === 0 && this.loop.isSoleVoter()) this.loop.campaign();
  }

  private onSoftState(state: SoftState): void {
    const previousLeader = this.softState.leader;
    if (this.softState.role === Role.Leader && state.role !== Role.Leader) this.stateMachine.lessor.demote();
    if (this.softState.role !== state.role) this.peers.resetHeartbeats();
    this.softState = state;
    if (state.leader !== previousLeader && state.leader !== 0) this.metrics.leaderChanged();
    if (state.leader !== previousLeader) {
      const raftLogger = this.logger.child('raft/raft.go');
      const local = formatId(this.memberId);
      if (state.leader === 0) raftLogger.info(`raft.node: ${local} lost leader ${formatId(memberIdOfRaftId(previousLeader))} at term ${this.loop.term}`);
      else raftLogger.info(`raft.node: ${local} elected leader ${formatId(this.leaderId)} at term ${this.loop.term}`);
      if (state.leader !== 0 && !this.published) void this.publishLocalMember();
    }
  }

  /** etcd's publish step: record this member's name and client URLs through Raft. */
  private async publishLocalMember(): Promise<void> {
    try {
      await this.propose({
        cluster_member_attr_set: {
          member_ID: formatId(this.memberId),
          member_attributes: {
            name: this.config.name,
            client_urls: this.config.advertiseClientUrls.map((url) => url.href.replace(/\/$/, '')),
          },
        },
      });
      this.logger.child('etcdserver/server.go').info('published local member to cluster through raft', {
        'local-member-id': formatId(this.memberId),
        'local-member-attributes': `{Name:${this.config.name} ClientURLs:[${this.config.advertiseClientUrls.map((url) => url.href.replace(/\/$/, '')).join(' ')}]}`,
        'cluster-id': formatId(this.clusterId),
        'publish-timeout': '7s',
      });
      this.markReady();
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn('failed to publish local member to cluster through raft', { error });
      setTimeout(() => void this.publishLocalMember(), 500);
    }
  }

  private markReady(): void {
    if (this.published) return;
    this.published = true;
    for (const listener of this.readyListeners.splice(0)) listener();
  }
}

/** etcd warns of an fdatasync slower than this. */
const SLOW_FDATASYNC_SECONDS = 1;

/**
 * Who the member's own proposals (revoking an expired lease) run as once
 * auth is on: root, as etcd's WithRoot, at a revision no auth change can
 * make stale.
 */
const MEMBER_AS_ROOT: AuthInfo = { username: 'root', revision: Number.MAX_SAFE_INTEGER };

/** Health checks read as root (etcd's AuthStore().WithRoot); revision 0: no stale-revision check. */
const HEALTH_CHECK_CALLER: AuthInfo = { username: 'root', revision: 0 };

/** Lease expiry uses a clock that never jumps with wall-clock changes. */
function monotonicClock(): { nowMs(): number } {
  return { nowMs: () => performance.now() };
}
