// etcd's guards on membership changes (its --strict-reconfig-check, on by
// default): a change is refused before it is proposed when it would leave
// the cluster without a quorum of started, reachable voters, or when it
// names members or URLs that do not fit the member table. Pure functions of
// the member table and what the caller knows about connectivity.

import type { MemberRecord } from './member-record.js';
import { membershipErrors } from './errors.js';

// etcd allows one learner at a time.
const MAX_LEARNERS = 1;
// A learner may be promoted once it holds this share of the leader's log.
const LEARNER_READY_SHARE = 0.9;

export interface ClusterView {
  members: readonly MemberRecord[];
  localMemberId: bigint;
  /** Whether the local member has a live link to this member (always true for itself). */
  isConnected(memberId: bigint): boolean;
}

function quorum(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

function voters(view: ClusterView): MemberRecord[] {
  return view.members.filter((member) => !member.isLearner);
}

/** A member has started once it published its name (etcd's IsStarted). */
function isStarted(member: MemberRecord): boolean {
  return member.name !== '';
}

export function checkAddMember(view: ClusterView, candidate: { id: bigint; peerUrls: string[]; isLearner: boolean }): void {
  if (candidate.peerUrls.length === 0) throw membershipErrors.badUrls();
  const usedUrls = new Set(view.members.flatMap((member) => member.peerUrls));
  if (candidate.peerUrls.some((url) => usedUrls.has(url))) throw membershipErrors.peerUrlExists();
  if (view.members.some((member) => member.id === candidate.id)) throw membershipErrors.idExists();
  if (candidate.isLearner) {
    if (view.members.filter((member) => member.isLearner).length + 1 > MAX_LEARNERS) throw membershipErrors.tooManyLearners();
    return;
  }
  const currentVoters = voters(view);
  // With the new (not yet started) voter, the started ones must still be a quorum.
  if (currentVoters.filter(isStarted).length < quorum(currentVoters.length + 1)) throw membershipErrors.notEnoughStartedMembers();
  if (currentVoters.filter((member) => view.isConnected(member.id)).length < quorum(currentVoters.length + 1)) throw membershipErrors.unhealthy();
}

export function checkRemoveMember(view: ClusterView, id: bigint): MemberRecord {
  const member = view.members.find((candidate) => candidate.id === id);
  if (!member) throw membershipErrors.memberNotFound();
  if (member.isLearner) return member;
  const remainingVoters = voters(view).filter((candidate) => candidate.id !== id);
  if (remainingVoters.filter(isStarted).length < quorum(remainingVoters.length)) throw membershipErrors.notEnoughStartedMembers();
  // A member that is down is not part of the active quorum: removing it is safe.
  if (id !== view.localMemberId && !view.isConnected(id)) return member;
  if (remainingVoters.filter((candidate) => view.isConnected(candidate.id)).length < quorum(remainingVoters.length)) throw membershipErrors.unhealthy();
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

/** Only the leader knows how far a learner got: `learnerMatch` and `leaderMatch` are its replication progress. */
export function checkPromoteMember(view: ClusterView, id: bigint, learnerMatch: number, leaderMatch: number): MemberRecord {
  const member = view.members.find((candidate) => candidate.id === id);
  if (!member) throw membershipErrors.memberNotFound();
  if (!member.isLearner) throw membershipErrors.notLearner();
  if (learnerMatch < leaderMatch * LEARNER_READY_SHARE) throw membershipErrors.learnerNotReady();
  const currentVoters = voters(view);
  if (currentVoters.filter(isStarted).length < quorum(currentVoters.length + 1)) throw membershipErrors.notEnoughStartedMembers();
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
