// The Cluster service's changes (MemberAdd, MemberRemove, MemberUpdate,
// MemberPromote) and MoveLeader: etcd's guards first, then a ConfChange
// through Raft, answered once it is applied.

import { ConfChangeType } from '../../raft/types.js';
import { serverErrors } from '../errors.js';
import type { MemberContext } from './member-context.js';
import { membershipErrors } from './errors.js';
import { computeMemberId, formatId } from './ids.js';
import type { MemberRecord } from './member-record.js';
import { checkAddMember, checkPromoteMember, checkRemoveMember, checkUpdateMember, normalizePeerUrls, type ClusterView } from './reconfiguration.js';

/** What the member lends this module. */
export interface MemberChangesDeps {
  readonly localMemberId: bigint;
  readonly clusterToken: string;
  readonly requestTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** etcd's --strict-reconfig-check: refuse changes that would risk the quorum. */
  readonly strictReconfigCheck: boolean;
  members(): MemberRecord[];
  isConnected(memberId: bigint): boolean;
  isLeader(): boolean;
  leaderId(): bigint;
  isStopped(): boolean;
  /** On the leader: how much of the log the member holds (Raft's match index). */
  replicatedIndex(memberId: bigint): number;
  /** Proposes the change and resolves once it is applied. */
  proposeMemberChange(type: ConfChangeType, member: MemberContext): Promise<void>;
  transferLeader(memberId: bigint): void;
}

export class MemberChanges {
  constructor(private readonly deps: MemberChangesDeps) {}

  /**
   * MemberAdd. Unlike etcd, the new member's id is derived from its peer URLs
   * and the cluster token alone (etcd mixes in the time), so the new member
   * derives the same id itself when it starts with --initial-cluster-state=existing.
   */
  async add(peerUrls: string[], isLearner: boolean): Promise<{ member: MemberRecord; members: MemberRecord[] }> {
    const urls = normalizePeerUrls(peerUrls);
    const id = computeMemberId(urls, this.deps.clusterToken);
    checkAddMember(this.view(), { id, peerUrls: urls, isLearner });
    await this.deps.proposeMemberChange(isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, { id: formatId(id), name: '', peerUrls: urls, isLearner });
    const members = this.deps.members();
    return { member: members.find((member) => member.id === id) ?? { id, name: '', peerUrls: urls, clientUrls: [], isLearner }, members };
  }

  async remove(id: bigint): Promise<MemberRecord[]> {
    const member = checkRemoveMember(this.view(), id);
    await this.deps.proposeMemberChange(ConfChangeType.RemoveNode, contextOf(member));
    return this.deps.members();
  }

  async update(id: bigint, peerUrls: string[]): Promise<MemberRecord[]> {
    const urls = normalizePeerUrls(peerUrls);
    const member = checkUpdateMember(this.view(), id, urls);
    await this.deps.proposeMemberChange(ConfChangeType.UpdateNode, { ...contextOf(member), peerUrls: urls });
    return this.deps.members();
  }

  /** Only the leader knows whether the learner caught up; others get "not leader" (the API forwards). */
  async promote(id: bigint): Promise<MemberRecord[]> {
    if (!this.deps.isLeader()) throw serverErrors.notLeader();
    const member = checkPromoteMember(this.view(), id, this.deps.replicatedIndex(id), this.deps.replicatedIndex(this.deps.localMemberId));
    await this.deps.proposeMemberChange(ConfChangeType.AddNode, { ...contextOf(member), isLearner: false });
    return this.deps.members();
  }

  /** Maintenance.MoveLeader: only the leader hands over, to a voter, and waits until it has. */
  async moveLeader(targetId: bigint): Promise<void> {
    if (!this.deps.isLeader()) throw serverErrors.notLeader();
    const target = this.deps.members().find((member) => member.id === targetId);
    if (!target || target.isLearner) throw membershipErrors.badLeaderTransferee();
    if (targetId === this.deps.localMemberId) return;
    const deadline = Date.now() + this.deps.requestTimeoutMs;
    this.deps.transferLeader(targetId);
    while (this.deps.leaderId() !== targetId) {
      if (this.deps.isStopped()) throw serverErrors.stopped();
      if (Date.now() > deadline) throw membershipErrors.leaderTransferTimeout();
      await new Promise((resolve) => setTimeout(resolve, this.deps.pollIntervalMs));
    }
  }

  private view(): ClusterView {
    return {
      members: this.deps.members(),
      localMemberId: this.deps.localMemberId,
      isConnected: (memberId) => this.deps.isConnected(memberId),
      strictReconfigCheck: this.deps.strictReconfigCheck,
    };
  }
}

function contextOf(member: MemberRecord): MemberContext {
  return { id: formatId(member.id), name: member.name, peerUrls: member.peerUrls, isLearner: member.isLearner };
}
