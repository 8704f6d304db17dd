// The member's consensus state on disk and in memory, apart from the Raft
// node (which the Raft loop owns): the WAL, the Raft log mirror
// (MemoryStorage), snapshots of the log, and the member table. How they come
// to exist (new cluster, restart, join) is bootstrap/'s business.
//
// The member table is kept in the backend's `members` and `members_removed`
// buckets (membership/member-table-store.ts), written in the same batch as
// the applied index of the entry that changed it; on restart and after a
// snapshot from the leader it is read back from there. A backend whose
// buckets are empty (a data dir written before this, or a snapshot from a
// member that did not keep them) starts from the old reconstruction: the
// snapshot record's members, then every ConfChange and member-attributes
// entry Raft delivers after it. The whole table is then written once, in the
// first apply section that goes past the backend's applied index: until then
// the table in memory is behind the backend, and writing part of it would let
// a crash leave buckets that claim to match an index they do not.

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
import type { MemberTableStore } from './membership/member-table-store.js';

const EMPTY = new Uint8Array(0);

/**
 * What applying one ConfChange did: the member it was about, as the table now
 * holds it (none once removed). `replayed`: the entry's effect was already in
 * the table loaded from the backend, which was left as it was.
 */
export interface AppliedMemberChange {
  type: ConfChangeType;
  memberId: bigint;
  member: MemberRecord | undefined;
  context: MemberContext | undefined;
  replayed?: boolean;
}

export class MemberStorage {
  private readonly memberTable = new Map<bigint, MemberRecord>();
  private readonly removedIds = new Set<bigint>();
  /**
   * Whether the backend's buckets hold this table as of the backend's applied
   * index; false while it is rebuilt from an old layout (see the top of the file).
   */
  private tableInBackend = false;
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
    private readonly tableStore: MemberTableStore,
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
    this.loadTable(state.snapshot?.members ?? []);
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

  /**
   * Applies a committed ConfChange to the member table (Raft applies it too,
   * in the loop) and to the backend's pending batch; says what changed.
   * `alreadyInBackend`: the entry is at or below the backend's applied index,
   * so a table read from the backend has it already.
   */
  applyMemberChange(change: ConfChange, alreadyInBackend = false): AppliedMemberChange {
    const context = decodeMemberContext(change.context);
    const memberId = context ? parseId(context.id) : memberIdOfRaftId(change.nodeId);
    if (alreadyInBackend && this.tableInBackend) return { type: change.type, memberId, member: this.memberTable.get(memberId), context, replayed: true };
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
        this.removedIds.delete(memberId);
        if (this.tableInBackend) this.tableStore.saveMember(record);
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
        this.removedIds.add(memberId);
        if (this.tableInBackend) this.tableStore.removeMember(memberId);
        this.logger.child('membership/cluster.go').info('removed member', {
          'cluster-id': formatId(this.clusterId),
          'local-member-id': formatId(this.memberId),
          'removed-remote-peer-id': formatId(memberId),
        });
        break;
      case ConfChangeType.UpdateNode: {
        const existing = this.memberTable.get(memberId);
        if (existing && context) {
          existing.peerUrls = [...context.peerUrls];
          if (this.tableInBackend) this.tableStore.saveMember(existing);
        }
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

  /** A member's name and client URLs (etcd's publish); `alreadyInBackend` as for applyMemberChange. */
  setMemberAttributes(request: MemberAttributesRequest, alreadyInBackend = false): void {
    if (alreadyInBackend && this.tableInBackend) return;
    const memberId = parseId(request.member_ID);
    const record = this.memberTable.get(memberId);
    if (!record) return;
    record.name = request.member_attributes.name;
    record.clientUrls = [...request.member_attributes.client_urls];
    if (this.tableInBackend) this.tableStore.saveMember(record);
  }

  /**
   * Called at the end of every apply section, before its applied index is
   * recorded: a table rebuilt from an old layout goes into the backend whole,
   * in the first section that takes the backend past the index it had.
   */
  endApplySection(lastIndex: number, backendAppliedIndex: number): void {
    if (this.tableInBackend || lastIndex <= backendAppliedIndex) return;
    this.tableStore.writeAll({ members: this.members(), removedIds: [...this.removedIds] });
    this.tableInBackend = true;
    this.logger.child('membership/cluster.go').info('wrote the member table to the backend', {
      'applied-index': lastIndex,
      members: this.memberTable.size,
      'removed-members': this.removedIds.size,
    });
  }

  members(): MemberRecord[] {
    return [...this.memberTable.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Ids of the members removed from the cluster (as far as this table's history reaches). */
  removedMemberIds(): bigint[] {
    return [...this.removedIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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
    // The record keeps a copy of the table: --force-new-cluster reads it
    // before the backend is open, and so do builds that kept no table there.
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
   * Records a snapshot received from the leader, once the state machine was
   * restored from it: the member table is read again from the restored
   * backend (the leader's buckets); `senderMembers`, the list the snapshot
   * carries besides, serves only a backend without them. Then the snapshot
   * record and the WAL marker.
   */
  async saveReceivedSnapshot(metadata: SnapshotMetadata, senderMembers: SnapshotMember[]): Promise<void> {
    this.loadTable(senderMembers);
    await writeSnapshot(this.snapDir, { index: metadata.index, term: metadata.term, confState: metadata.confState, members: this.snapshotMembers() });
    await this.wal.saveSnapshot({ index: metadata.index, term: metadata.term });
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

  /** The table from the backend's buckets, else (old layout) from `fallback`, a snapshot's member list. */
  private loadTable(fallback: readonly SnapshotMember[]): void {
    this.memberTable.clear();
    this.removedIds.clear();
    const stored = this.tableStore.read();
    this.tableInBackend = stored !== undefined;
    if (stored) {
      for (const member of stored.members) this.memberTable.set(member.id, member);
      for (const id of stored.removedIds) if (!this.memberTable.has(id)) this.removedIds.add(id);
    } else {
      for (const member of fallback) this.restoreMember(member);
    }
    this.logger.child('membership/cluster.go').info(stored ? 'recovered the member table from the backend' : 'no member table in the backend; rebuilding it from the snapshot record and the log', {
      'local-member-id': formatId(this.memberId),
      members: this.members().map((member) => formatId(member.id)),
    });
  }

  private restoreMember(member: SnapshotMember): void {
    const id = parseId(member.id);
    this.memberTable.set(id, { id, name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls, isLearner: member.isLearner });
  }

  async close(): Promise<void> {
    await this.wal.close();
  }
}
