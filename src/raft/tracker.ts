// The cluster configuration as the state machine sees it (voters and
// learners), each member's replication progress, and the votes of the
// current election.

import { compareNodeIds, type ConfState, type NodeId } from './types.js';
import { Progress } from './progress.js';
import { committedIndex, voteResult, VoteResult } from './quorum.js';

export class ProgressTracker {
  /** Sorted, so that iteration (and hence message order) is deterministic. */
  voters: NodeId[] = [];
  learners: NodeId[] = [];
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  constructor(readonly maxInflightMsgs: number) {}

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id);
  }

  /** Every member id, voters first, each group sorted. */
  memberIds(): NodeId[] {
    return [...this.voters, ...this.learners];
  }

  addVoter(id: NodeId, nextIndex: number): void {
    const existing = this.progress.get(id);
    if (existing) {
      if (!existing.isLearner) return;
      existing.isLearner = false; // promotion keeps the replication state
      this.learners = this.learners.filter((learner) => learner !== id);
    } else {
      this.progress.set(id, new Progress(nextIndex, this.maxInflightMsgs, false));
    }
    this.voters = sortedWith(this.voters, id);
  }

  addLearner(id: NodeId, nextIndex: number): void {
    // Demoting a voter is not supported: it is left a voter.
    if (this.progress.has(id)) return;
    this.progress.set(id, new Progress(nextIndex, this.maxInflightMsgs, true));
    this.learners = sortedWith(this.learners, id);
  }

  remove(id: NodeId): void {
    this.progress.delete(id);
    this.voters = this.voters.filter((voter) => voter !== id);
    this.learners = this.learners.filter((learner) => learner !== id);
  }

  /** Replaces the whole configuration, e.g. from a snapshot. */
  restore(confState: ConfState, nextIndex: number): void {
    this.progress.clear();
    this.voters = [];
    this.learners = [];
    for (const id of confState.voters) this.addVoter(id, nextIndex);
    for (const id of confState.learners) this.addLearner(id, nextIndex);
  }

  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  /** True when a majority of voters were heard from recently (the leader counts itself). */
  quorumActive(selfId: NodeId): boolean {
    return (
      voteResult(this.voters, (id) => {
        const progress = this.progress.get(id);
        return progress === undefined ? undefined : id === selfId || progress.recentActive;
      }) === VoteResult.Won
    );
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const vote = this.votes.get(id);
      if (vote === true) granted++;
      else if (vote === false) rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, (id) => this.votes.get(id)) };
  }
}

function sortedWith(ids: NodeId[], id: NodeId): NodeId[] {
  if (ids.includes(id)) return ids;
  return [...ids, id].sort(compareNodeIds);
}
