// The member's consensus state on disk and in memory, apart from the Raft
// node (which the Raft loop owns): the WAL, the Raft log mirror
// (MemoryStorage), snapshots of the log, and the member table. How they come
// to exist (new cluster, restart, join) is bootstrap/'s business.

import type { Logger } from '../pkg/logger.js';
import type { WriteAheadLog } from '../wal/index.js';
import { writeSnapshot, type SnapshotMember } from './snapshot-files.js';
import type { MemoryStorage } from '../raft/index.js';
import { ConfChangeType, type ConfChange, type ConfState, type Ready, type SnapshotMetadata } from '../raft/types.js';
import { formatId, memberIdOfRaftId, parseId } from './membership/ids.js';
import type { MemberRecord } from './membership/member-record.js';
import { decodeMemberContext, type MemberContext } from './membership/member-context.js';
import type { MemberAttributesRequest } from './internal-request.js';
import type { BootstrappedState } from './bootstrap/index.js';

const EMPTY = new Uint8Array(0);

/** What applying one ConfChange did: the member it was about, as the table now holds it (none once removed). */
export interface AppliedMemberChange {
  type: ConfChangeType;
  memberId: bigint;
  member: MemberRecord | undefined;
  context: MemberContext | undefined;
}

export class MemberStorage {
  private readonly memberTable = new Map<bigint, MemberRecord>();
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly wal: WriteAheadLog;
  readonly raftLog: MemoryStorage;
  /**
   * The members a joining member was told of (GET /members), to reach until
   * the log brings the member table; empty otherwise.
   */
  readonly joinedClusterMembers: readonly MemberRecord[];
  private snapshotIndex: number;

  constructor(
    state: BootstrappedState,
    private readonly snapDir: string,
    private readonly snapshotCatchUpEntries: number,
    private readonly logger: Logger,
  ) {
    this.memberId = state.memberId;
    this.clusterId = state.clusterId;
    this.wal = state.wal;
    this.raftLog = state.raftLog;
    this.joinedClusterMembers = state.joinedClusterMembers;
    this.snapshotIndex = state.snapshot?.index ?? 0;
    for (const member of state.snapshot?.members ?? []) this.restoreMember(member);
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

  /** Applies a committed ConfChange to the member table (Raft applies it too, in the loop); says what changed. */
  applyMemberChange(change: ConfChange): AppliedMemberChange {
    const context = decodeMemberContext(change.context);
    const memberId = context ? parseId(context.id) : memberIdOfRaftId(change.nodeId);
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
  async snapshot(appliedIndex: number, confState: ConfState, syncBackend: () => Promise<void>): Promise<void> {
    if (appliedIndex <= this.snapshotIndex) return;
    await syncBackend();
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
  }

  async close(): Promise<void> {
    await this.wal.close();
  }
}
