// The member's consensus state on disk and in memory: the WAL, the Raft log
// mirror (MemoryStorage), the Raft node itself and the member table. A new
// member bootstraps its cluster the way etcd does — one ConfChange entry per
// initial member at term 1 — and a restarting member replays its WAL.

import { join } from 'node:path';
import type { Logger } from '../pkg/logger.js';
import type { MemberConfig } from './config.js';
import { mkdir } from 'node:fs/promises';
import { WriteAheadLog, WalNotFoundError, type OpenedLog, type WalObserver } from '../wal/index.js';
import { forceNewClusterLog } from './force-new-cluster.js';
import type { SocketFactory } from '../transport/index.js';
import { findSelf, getClusterFromRemotePeers } from './membership/remote-cluster.js';
import { readSnapshots, writeSnapshot, type SnapshotRecord, type SnapshotMember } from './snapshot-files.js';
import { RawNode, MemoryStorage, decodeConfChange, encodeConfChange } from '../raft/index.js';
import { ConfChangeType, type Entry, type Ready, type SnapshotMetadata } from '../raft/types.js';
import { computeClusterId, computeMemberId, formatId, parseId, raftIdOf, urlString } from './membership/ids.js';
import type { MemberRecord } from './membership/member-record.js';
import type { MemberAttributesRequest } from './internal-request.js';

const EMPTY = new Uint8Array(0);
/** How long a joining member keeps asking the others for the member table before it gives up. */
const JOIN_GIVE_UP_MS = 60_000;

interface WalMetadata {
  memberId: string;
  clusterId: string;
}

/** What a ConfChange carries in its context: the member it is about, and the proposer's request id. */
export interface MemberContext {
  id: string;
  name: string;
  peerUrls: string[];
  isLearner: boolean;
  requestId?: string;
}

/** What applying one ConfChange did: the member it was about, as the table now holds it (none once removed). */
export interface AppliedMemberChange {
  type: ConfChangeType;
  memberId: bigint;
  member: MemberRecord | undefined;
  context: MemberContext | undefined;
}

export class MemberStorage {
  private readonly memberTable = new Map<bigint, MemberRecord>();
  private readonly raftIdToMemberId = new Map<number, bigint>();

  /**
   * The members a joining member was told of (GET /members), to reach until
   * the log brings the member table; empty otherwise.
   */
  joinedClusterMembers: readonly MemberRecord[] = [];

  private constructor(
    readonly memberId: bigint,
    readonly clusterId: bigint,
    readonly wal: WriteAheadLog,
    readonly raftLog: MemoryStorage,
    readonly raftNode: RawNode,
    private readonly snapDir: string,
    private snapshotIndex: number,
    private readonly snapshotCatchUpEntries: number,
    private readonly logger: Logger,
  ) {}

  static async open(config: MemberConfig, logger: Logger, random: () => number, peerSocketFactory: SocketFactory, walObserver: WalObserver = {}): Promise<MemberStorage> {
    const walDir = config.walDir || join(config.dataDir, 'member', 'wal');
    const snapDir = join(config.dataDir, 'member', 'snap');
    await mkdir(snapDir, { recursive: true });
    const electionTick = Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs));
    const raftConfig = (id: number, storage: MemoryStorage) => ({
      id,
      electionTick,
      heartbeatTick: 1,
      storage,
      checkQuorum: true,
      preVote: true,
      random,
      maxSizePerMsgBytes: 1024 * 1024,
      maxInflightMsgs: 4096 / 8,
    });
    const walLogger = logger.child('etcdserver/storage.go');

    if (await WriteAheadLog.exists(walDir)) {
      // Start from the newest snapshot record whose marker the WAL holds (a
      // crash can leave a record written but its WAL marker not).
      const snapshots = await readSnapshots(snapDir);
      let opened: OpenedLog | undefined;
      let snapshot: SnapshotRecord | undefined;
      for (const candidate of [...snapshots, undefined]) {
        try {
          opened = await WriteAheadLog.open(walDir, candidate ? { fromSnapshot: { index: candidate.index, term: candidate.term }, observer: walObserver } : { observer: walObserver });
          snapshot = candidate;
          break;
        } catch (error) {
          if (!(error instanceof WalNotFoundError)) throw error;
        }
      }
      if (!opened) throw new Error(`no snapshot in ${snapDir} matches the WAL in ${walDir}`);
      if (opened.repairedTailBytes > 0) walLogger.warn('repaired torn tail of WAL', { 'wal-dir': walDir, 'removed-bytes': opened.repairedTailBytes });
      const metadata = JSON.parse(Buffer.from(opened.metadata).toString()) as WalMetadata;
      const memberId = parseId(metadata.memberId);
      const clusterId = parseId(metadata.clusterId);
      // Membership comes from the snapshot, then from re-applying the
      // ConfChange entries the log replays after it.
      const raftLog = MemoryStorage.withConfState({ voters: [], learners: [] });
      if (snapshot) raftLog.applySnapshot({ metadata: { index: snapshot.index, term: snapshot.term, confState: snapshot.confState }, data: EMPTY });
      // A crash between the snapshot marker and the next hard state can leave
      // a commit index below the snapshot's; a snapshot only holds committed entries.
      let hardState = { ...opened.hardState, commit: Math.max(opened.hardState.commit, snapshot?.index ?? 0) };
      let entries = opened.entries;
      if (config.forceNewCluster) {
        const forced = forceNewClusterLog({
          snapshotIndex: snapshot?.index ?? 0,
          snapshotTerm: snapshot?.term ?? 0,
          snapshotMembers: snapshot?.members ?? [],
          entries,
          hardState,
          localMemberId: memberId,
          localMember: { name: config.name, peerUrls: config.initialAdvertisePeerUrls.map(urlString) },
        });
        await opened.wal.save(forced.hardState, forced.appended, true);
        ({ entries, hardState } = forced);
        walLogger.info('forcing restart member', {
          'cluster-id': formatId(clusterId),
          'local-member-id': formatId(memberId),
          'commit-index': hardState.commit,
          'removed-member-ids': forced.removedMemberIds.map(formatId),
        });
      }
      raftLog.setHardState(hardState);
      if (entries.length > 0) raftLog.append(entries);
      walLogger.info('restarting local member', {
        'cluster-id': formatId(clusterId),
        'local-member-id': formatId(memberId),
        'commit-index': opened.hardState.commit,
        'snapshot-index': snapshot?.index ?? 0,
        'replayed-entries': opened.entries.length,
      });
      const node = new RawNode(raftConfig(raftIdOf(memberId), raftLog));
      const storage = new MemberStorage(memberId, clusterId, opened.wal, raftLog, node, snapDir, snapshot?.index ?? 0, config.snapshotCatchUpEntries, logger);
      for (const member of snapshot?.members ?? []) storage.restoreMember(member);
      return storage;
    }

    if (config.initialClusterState === 'existing') return MemberStorage.join(config, logger, walDir, snapDir, raftConfig, peerSocketFactory, walObserver);
    const initialMembers: MemberContext[] = [...config.initialCluster.entries()].map(([name, urls]) => {
      const peerUrls = urls.map(urlString);
      return { id: formatId(computeMemberId(peerUrls, config.initialClusterToken)), name, peerUrls, isLearner: false };
    });
    const ownPeerUrls = config.initialCluster.get(config.name)!.map(urlString);
    const memberId = computeMemberId(ownPeerUrls, config.initialClusterToken);
    const clusterId = computeClusterId(initialMembers.map((member) => parseId(member.id)));
    const metadata: WalMetadata = { memberId: formatId(memberId), clusterId: formatId(clusterId) };
    const wal = await WriteAheadLog.create(walDir, Buffer.from(JSON.stringify(metadata)), { observer: walObserver });

    const raftLog = MemoryStorage.bootstrap(initialMembers.map((member) => raftIdOf(parseId(member.id))));
    // Attach each member's record to its bootstrap ConfChange, so a restart
    // can rebuild the member table from the log alone.
    const bootstrapEntries = raftLog.entries(1, raftLog.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((entry, position) => ({
      ...entry,
      data: encodeMemberConfChange(initialMembers[position]!),
    }));
    const bootstrapHardState = raftLog.initialState().hardState;
    const rebuiltLog = MemoryStorage.withConfState({ voters: [], learners: [] });
    rebuiltLog.append(bootstrapEntries);
    rebuiltLog.setHardState(bootstrapHardState);
    await wal.save(bootstrapHardState, bootstrapEntries, true);
    walLogger.info('starting local member', {
      'local-member-id': formatId(memberId),
      'cluster-id': formatId(clusterId),
      'initial-cluster': initialMembers.map((member) => `${member.name}=${member.peerUrls.join(',')}`).join(','),
    });
    const node = new RawNode(raftConfig(raftIdOf(memberId), rebuiltLog));
    return new MemberStorage(memberId, clusterId, wal, rebuiltLog, node, snapDir, 0, config.snapshotCatchUpEntries, logger);
  }

  /**
   * A member added to a running cluster starts with an empty log; the leader
   * sends it the log (or a snapshot), membership included. It learns its id
   * and the cluster id from the other members (GET /members on their peer
   * URLs), since whoever ran MemberAdd chose the id.
   */
  private static async join(
    config: MemberConfig,
    logger: Logger,
    walDir: string,
    snapDir: string,
    raftConfig: (id: number, storage: MemoryStorage) => ConstructorParameters<typeof RawNode>[0],
    peerSocketFactory: SocketFactory,
    walObserver: WalObserver,
  ): Promise<MemberStorage> {
    const ownPeerUrls = config.initialCluster.get(config.name)!.map(urlString);
    const otherPeerUrls = [...config.initialCluster.entries()].filter(([name]) => name !== config.name).flatMap(([, urls]) => urls.map(urlString));
    const walLogger = logger.child('etcdserver/storage.go');
    const cluster = await getClusterFromRemotePeers({
      peerUrls: otherPeerUrls,
      socketFactory: peerSocketFactory,
      requestTimeoutMs: 1000 + 2 * config.electionTimeoutMs,
      giveUpAfterMs: JOIN_GIVE_UP_MS,
      logger: logger.child('etcdserver/cluster_util.go'),
    });
    const self = findSelf(cluster, ownPeerUrls);
    if (self === undefined) {
      throw new Error(
        `error validating peerURLs ${JSON.stringify({ 'local-member-peer-urls': ownPeerUrls, members: cluster.members.map((member) => ({ id: formatId(member.id), peerURLs: member.peerUrls })) })}: PeerURLs: no match found for existing member`,
      );
    }
    const memberId = self.id;
    const clusterId = cluster.clusterId;
    const metadata: WalMetadata = { memberId: formatId(memberId), clusterId: formatId(clusterId) };
    const wal = await WriteAheadLog.create(walDir, Buffer.from(JSON.stringify(metadata)), { observer: walObserver });
    walLogger.info('starting local member', { 'local-member-id': formatId(memberId), 'cluster-id': formatId(clusterId), 'initial-cluster-state': 'existing' });
    const raftLog = MemoryStorage.withConfState({ voters: [], learners: [] });
    const node = new RawNode(raftConfig(raftIdOf(memberId), raftLog));
    const storage = new MemberStorage(memberId, clusterId, wal, raftLog, node, snapDir, 0, config.snapshotCatchUpEntries, logger);
    storage.joinedClusterMembers = cluster.members;
    return storage;
  }

  /** Writes a Ready's hard state and entries; durable before resolving when mustSync. */
  persist(ready: Ready): Promise<void> {
    if (!ready.hardState && ready.entries.length === 0) return Promise.resolve();
    const saved = this.wal.save(ready.hardState, ready.entries, ready.mustSync);
    if (ready.mustSync) return saved;
    // Only the commit index moved: it is recoverable, so nothing waits for it
    // (the WAL still writes it in order). A failed write fails every later save.
    saved.catch((error: unknown) => this.logger.error('failed to write the hard state to the WAL', { error }));
    return Promise.resolve();
  }

  /** Applies a committed ConfChange to Raft and to the member table; says what changed. */
  applyConfChangeEntry(entry: Entry): AppliedMemberChange {
    const change = decodeConfChange(entry.data);
    this.raftNode.applyConfChange(change);
    const context = change.context.length > 0 ? (JSON.parse(Buffer.from(change.context).toString()) as MemberContext) : undefined;
    const memberId = context ? parseId(context.id) : this.memberIdOfRaftId(change.nodeId);
    switch (change.type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearnerNode: {
        const existing = this.memberTable.get(memberId);
        const record: MemberRecord = {
          id: memberId,
          name: existing?.name ?? context?.name ?? '',
          peerUrls: context?.peerUrls ?? existing?.peerUrls ?? [],
          clientUrls: existing?.clientUrls ?? [],
          isLearner: change.type === ConfChangeType.AddLearnerNode,
        };
        this.memberTable.set(memberId, record);
        this.raftIdToMemberId.set(change.nodeId, memberId);
        this.logger.child('membership/cluster.go').info('added member', {
          'cluster-id': formatId(this.clusterId),
          'local-member-id': formatId(this.memberId),
          'added-peer-id': formatId(memberId),
          'added-peer-peer-urls': record.peerUrls,
        });
        break;
      }
      case ConfChangeType.RemoveNode:
        this.memberTable.delete(memberId);
        this.logger.child('membership/cluster.go').info('removed member', {
          'cluster-id': formatId(this.clusterId),
          'local-member-id': formatId(this.memberId),
          'removed-remote-peer-id': formatId(memberId),
        });
        break;
      case ConfChangeType.UpdateNode: {
        const existing = this.memberTable.get(memberId);
        if (existing && context) existing.peerUrls = [...context.peerUrls];
        this.logger.child('membership/cluster.go').info('updated member', {
          'cluster-id': formatId(this.clusterId),
          'local-member-id': formatId(this.memberId),
          'updated-remote-peer-id': formatId(memberId),
          'updated-remote-peer-peer-urls': context?.peerUrls ?? [],
        });
        break;
      }
    }
    return { type: change.type, memberId, member: this.memberTable.get(memberId), context };
  }

  /** Proposes a membership change whose context names the member (throws ProposalDroppedError). */
  proposeMemberChange(type: ConfChangeType, member: MemberContext): void {
    this.raftNode.proposeConfChange({ type, nodeId: raftIdOf(parseId(member.id)), context: Buffer.from(JSON.stringify(member)) });
  }

  isLearner(): boolean {
    return this.memberTable.get(this.memberId)?.isLearner ?? false;
  }

  setMemberAttributes(request: MemberAttributesRequest): void {
    const memberId = parseId(request.member_ID);
    const record = this.memberTable.get(memberId);
    if (!record) return;
    record.name = request.member_attributes.name;
    record.clientUrls = [...request.member_attributes.client_urls];
  }

  members(): MemberRecord[] {
    return [...this.memberTable.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  memberIdOfRaftId(raftId: number): bigint {
    if (raftId === 0) return 0n;
    return this.raftIdToMemberId.get(raftId) ?? BigInt(raftId);
  }

  isSoleVoter(): boolean {
    const { voters } = this.raftNode.status().confState;
    return voters.length === 1 && voters[0] === raftIdOf(this.memberId);
  }

  /** Entries applied since the last snapshot. */
  entriesSinceSnapshot(appliedIndex: number): number {
    return appliedIndex - this.snapshotIndex;
  }

  /**
   * Takes a Raft snapshot at `appliedIndex` and releases the log before it:
   * the backend is synced first (it becomes the only copy of what the
   * released WAL segments held), then the snapshot record, then the WAL
   * marker; then memory and WAL segments are released.
   */
  async snapshot(appliedIndex: number, syncBackend: () => Promise<void>): Promise<void> {
    if (appliedIndex <= this.snapshotIndex) return;
    await syncBackend();
    const { confState } = this.raftNode.status();
    const snapshot = this.raftLog.createSnapshot(appliedIndex, confState, EMPTY);
    await writeSnapshot(this.snapDir, {
      index: appliedIndex,
      term: snapshot.metadata.term,
      confState: snapshot.metadata.confState,
      members: this.snapshotMembers(),
    });
    await this.wal.saveSnapshot({ index: appliedIndex, term: snapshot.metadata.term });
    // Entries kept behind the snapshot let a slow follower catch up from the log rather than by a snapshot.
    const compactTo = appliedIndex - this.snapshotCatchUpEntries;
    if (compactTo >= this.raftLog.firstIndex()) this.raftLog.compact(compactTo);
    const released = await this.wal.releaseLockTo(appliedIndex);
    this.snapshotIndex = appliedIndex;
    this.logger.child('etcdserver/server.go').info('saved snapshot', {
      'snapshot-index': appliedIndex,
      'compacted-raft-log-index': Math.max(compactTo, 0),
      'released-wal-segments': released.length,
    });
  }

  /**
   * Records a snapshot received from the leader (after the state machine was
   * restored from it): the snapshot record, the WAL marker, the membership.
   */
  async saveReceivedSnapshot(metadata: SnapshotMetadata, members: SnapshotMember[]): Promise<void> {
    await writeSnapshot(this.snapDir, { index: metadata.index, term: metadata.term, confState: metadata.confState, members });
    await this.wal.saveSnapshot({ index: metadata.index, term: metadata.term });
    this.memberTable.clear();
    for (const member of members) this.restoreMember(member);
    this.snapshotIndex = metadata.index;
  }

  /** The member table in the form snapshots carry it. */
  snapshotMembers(): SnapshotMember[] {
    return this.members().map((member) => ({
      id: formatId(member.id),
      name: member.name,
      peerUrls: member.peerUrls,
      clientUrls: member.clientUrls,
      isLearner: member.isLearner,
    }));
  }

  private restoreMember(member: SnapshotMember): void {
    const id = parseId(member.id);
    this.memberTable.set(id, { id, name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls, isLearner: member.isLearner });
    this.raftIdToMemberId.set(raftIdOf(id), id);
  }

  async close(): Promise<void> {
    await this.wal.close();
  }
}

function encodeMemberConfChange(member: MemberContext): Uint8Array {
  return encodeConfChange({
    type: member.isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode,
    nodeId: raftIdOf(parseId(member.id)),
    context: Buffer.from(JSON.stringify(member)),
  });
}
