// etcd's guards on membership changes. With --strict-reconfig-check (on by
// default) a change is refused before it is proposed when it would leave the
// cluster without a quorum of started voters, or while the local member has
// not been connected to the voters it needs for longer than HealthInterval;
// then the change is validated against the member table (etcd does that when
// the ConfChange is applied, so a strict-check error wins over a validation
// error). Pure functions of the member table and of what the caller knows
// about connectivity. References are to etcd 3.4.23.

import type { MemberRecord } from './member-record.js';
import { membershipErrors } from './errors.js';

// etcd allows one learner at a time (membership/cluster.go maxLearners).
const MAX_LEARNERS = 1;
// A learner may be promoted once it holds this share of the leader's log (server.go readyPercent).
const LEARNER_READY_SHARE = 0.9;
/** etcd's HealthInterval (server.go): how long links must have been up before a reconfiguration. */
export const HEALTH_INTERVAL_MS = 5_000;

export interface ClusterView {
  members: readonly MemberRecord[];
  localMemberId: bigint;
  /** Whether the local member has a live link to this member (always true for itself). */
  isConnected(memberId: bigint): boolean;
  /**
   * etcd's Transport.ActiveSince: when (ms, same clock as `nowMs`) the link to
   * this member last became active, undefined while it is not. Without it,
   * a live link (`isConnected`) counts as active for longer than HealthInterval.
   */
  activeSince?(memberId: bigint): number | undefined;
  /** The current time for `activeSince` (defaults to Date.now()). */
  nowMs?: number;
  /** etcd's --strict-reconfig-check; default true. When false only the validation remains. */
  strictReconfigCheck?: boolean;
}

function voters(view: ClusterView): MemberRecord[] {
  return view.members.filter((member) => !member.isLearner);
}

/**
 * etcd's Member.IsStarted (membership/member.go:124): the member has a name.
 * Members of the initial cluster carry theirs from --initial-cluster (as
 * etcd's NewClusterFromURLsMap does); members added at runtime get one when
 * they publish.
 */
function isStarted(member: MemberRecord): boolean {
  return member.name !== '';
}

function strict(view: ClusterView): boolean {
  return view.strictReconfigCheck ?? true;
}

/**
 * etcd's numConnectedSince(transport, now - HealthInterval, self, members)
 * (util.go:53): the local member, plus those whose link has been active since
 * strictly before now - HealthInterval (isConnectedSince, util.go:40).
 */
function numConnectedForHealthInterval(view: ClusterView, members: readonly MemberRecord[]): number {
  const since = (view.nowMs ?? Date.now()) - HEALTH_INTERVAL_MS;
  return members.filter((member) => member.id === view.localMemberId || isConnectedSince(view, member.id, since)).length;
}

function isConnectedSince(view: ClusterView, memberId: bigint, sinceMs: number): boolean {
  if (!view.activeSince) return view.isConnected(memberId);
  const activeSince = view.activeSince(memberId);
  return activeSince !== undefined && activeSince < sinceMs;
}

/** etcd's Transport.ActiveSince(id).IsZero(): no live link at all, however recent. */
function isInactive(view: ClusterView, memberId: bigint): boolean {
  return view.activeSince ? view.activeSince(memberId) === undefined : !view.isConnected(memberId);
}

/** etcd's RaftCluster.IsReadyToAddVotingMember (membership/cluster.go:584). */
function isReadyToAddVotingMember(view: ClusterView): boolean {
  const currentVoters = voters(view);
  const members = currentVoters.length + 1;
  const started = currentVoters.filter(isStarted).length;
  // Adding a second member to a one-member cluster (e.g. one restored from a backup).
  if (started === 1 && members === 2) return true;
  return started >= Math.floor(members / 2) + 1;
}

/** etcd's RaftCluster.IsReadyToRemoveVotingMember (membership/cluster.go:625). */
function isReadyToRemoveVotingMember(view: ClusterView, id: bigint): boolean {
  const remaining = voters(view).filter((member) => member.id !== id);
  return remaining.filter(isStarted).length >= Math.floor(remaining.length / 2) + 1;
}

/** etcd's RaftCluster.IsReadyToPromoteMember (membership/cluster.go:659): the learner counts as a started voter. */
function isReadyToPromoteMember(view: ClusterView): boolean {
  const currentVoters = voters(view);
  const members = currentVoters.length + 1;
  const started = currentVoters.filter(isStarted).length + 1;
  return started >= Math.floor(members / 2) + 1;
}

/** MemberAdd: etcd's mayAddMember (server.go:1638), then ValidateConfigurationChange (membership/cluster.go:281). */
export function checkAddMember(view: ClusterView, candidate: { id: bigint; peerUrls: string[]; isLearner: boolean }): void {
  // The API layer's check (v3rpc/member.go: types.NewURLs), before anything else.
  if (candidate.peerUrls.length === 0) throw membershipErrors.badUrls();
  if (strict(view)) {
    if (!candidate.isLearner && !isReadyToAddVotingMember(view)) throw membershipErrors.notEnoughStartedMembers();
    // isConnectedFullySince: every voter, learner candidate or not.
    const currentVoters = voters(view);
    if (numConnectedForHealthInterval(view, currentVoters) !== currentVoters.length) throw membershipErrors.unhealthy();
  }
  // etcd checks the id before the URLs; here the id derives from the URLs
  // (etcd mixes in the time), so an URL already in use is reported as such.
  const usedUrls = new Set(view.members.flatMap((member) => member.peerUrls));
  if (candidate.peerUrls.some((url) => usedUrls.has(url))) throw membershipErrors.peerUrlExists();
  if (view.members.some((member) => member.id === candidate.id)) throw membershipErrors.idExists();
  if (candidate.isLearner && view.members.filter((member) => member.isLearner).length + 1 > MAX_LEARNERS) throw membershipErrors.tooManyLearners();
}

/** MemberRemove: etcd's mayRemoveMember (server.go:1831), then ValidateConfigurationChange. */
export function checkRemoveMember(view: ClusterView, id: bigint): MemberRecord {
  const member = view.members.find((candidate) => candidate.id === id);
  if (strict(view) && !member?.isLearner) {
    if (!isReadyToRemoveVotingMember(view, id)) throw membershipErrors.notEnoughStartedMembers();
    // A member that is down is not part of the active quorum: removing it is safe.
    const down = id !== view.localMemberId && isInactive(view, id);
    if (!down) {
      const currentVoters = voters(view);
      const active = numConnectedForHealthInterval(view, currentVoters);
      if (active - 1 < 1 + Math.floor((currentVoters.length - 1) / 2)) throw membershipErrors.unhealthy();
    }
  }
  if (!member) throw membershipErrors.memberNotFound();
  return member;
}

export function checkUpdateMember(view: ClusterView, id: bigint, peerUrls: string[]): MemberRecord {
  if (peerUrls.length === 0) throw membershipErrors.badUrls();
  const member = view.members.find((candidate) => candidate.id === id);
  if (!member) throw membershipErrors.memberNotFound();
  const usedByOthers = new Set(view.members.filter((candidate) => candidate.id !== id).flatMap((candidate) => candidate.peerUrls));
  if (peerUrls.some((url) => usedByOthers.has(url))) throw membershipErrors.peerUrlExists();
  return member;
}

/**
 * MemberPromote on the leader: etcd's mayPromoteMember (server.go:1771), then
 * ValidateConfigurationChange. Only the leader knows how far a learner got:
 * `learnerMatch` and `leaderMatch` are its replication progress.
 */
export function checkPromoteMember(view: ClusterView, id: bigint, learnerMatch: number, leaderMatch: number): MemberRecord {
  const member = view.members.find((candidate) => candidate.id === id);
  // isLearnerReady (server.go:1800) looks at the member's Raft progress, if
  // it has one (every member in the table does), whatever the strict flag says.
  if (member && learnerMatch < leaderMatch * LEARNER_READY_SHARE) throw membershipErrors.learnerNotReady();
  if (strict(view) && !isReadyToPromoteMember(view)) throw membershipErrors.notEnoughStartedMembers();
  if (!member) throw membershipErrors.memberNotFound();
  if (!member.isLearner) throw membershipErrors.notLearner();
  return member;
}

/** Peer URLs as etcd accepts them in MemberAdd and MemberUpdate: absolute http(s) URLs. */
export function normalizePeerUrls(urls: readonly string[]): string[] {
  return urls.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw membershipErrors.badUrls();
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.port === '') throw membershipErrors.badUrls();
    return url.href.replace(/\/$/, '');
  });
}
