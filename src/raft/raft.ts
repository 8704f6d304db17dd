// The Raft state machine (Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm", and Ongaro's thesis). Pure and
// deterministic: input is tick() and step(message); output accumulates in
// `messages`, `readStates` and the log, which RawNode hands out as a Ready.
// Section numbers in comments refer to the paper.

import {
  CompactedError,
  ConfChangeType,
  EntryType,
  MessageType,
  ProposalDroppedError,
  Role,
  UnavailableError,
  isValidNodeId,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
} from './types.js';
import { validateConfig, type RaftConfig, type ValidatedRaftConfig } from './config.js';
import { RaftLog } from './raft-log.js';
import { ProgressTracker } from './tracker.js';
import { ProgressState } from './progress.js';
import { ReadOnlyQueue } from './read-only.js';
import { VoteResult, voteResult } from './quorum.js';
import { payloadSizeBytes } from './entry-size.js';
import { decodeConfChange } from './codec.js';
import { CAMPAIGN_TRANSFER_CONTEXT, bytesEqual, newMessage, voteResponseType } from './messages.js';

enum CampaignType {
  /** PreVote: ask whether we could win before disturbing anyone's term. */
  PreElection = 'pre-election',
  Election = 'election',
  /** Forced by TimeoutNow during a leader transfer: voters skip the lease check. */
  Transfer = 'transfer',
}

/** Bound on ReadIndex requests parked until the leader commits in its term. */
const MAX_POSTPONED_READ_INDEX_REQUESTS = 65536;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = 0;
  lead: NodeId = 0;
  role = Role.Follower;
  isLearner = false;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  /** Output for the caller: messages to send after persisting. */
  messages: Message[] = [];
  /** Output for the caller: confirmed read points. */
  readStates: ReadState[] = [];
  leadTransferee: NodeId = 0;
  /** Index of the latest conf change proposed by this leader; a new one waits until it is applied. */
  pendingConfIndex = 0;
  /** Index of the empty entry this leader appended when its term began. */
  private termStartIndex = 0;
  private uncommittedSizeBytes = 0;
  private readOnly = new ReadOnlyQueue();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  private postponedReadIndexRequests: Message[] = [];
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly config: ValidatedRaftConfig;

  constructor(rawConfig: RaftConfig) {
    this.config = validateConfig(rawConfig);
    this.id = this.config.id;
    const storage = this.config.storage;
    this.log = new RaftLog(storage, this.config.maxCommittedSizePerReadyBytes);
    this.tracker = new ProgressTracker(this.config.maxInflightMsgs);
    const { hardState, confState } = storage.initialState();
    this.tracker.restore(confState, this.log.lastIndex() + 1);
    if (hardState.term !== 0 || hardState.vote !== 0 || hardState.commit !== 0) this.loadHardState(hardState);
    if (this.config.applied > this.log.applied) {
      this.replayConfChanges(this.log.applied + 1, this.config.applied);
      this.log.appliedTo(this.config.applied);
    }
    this.isLearner = this.tracker.progress.get(this.id)?.isLearner ?? false;
    this.becomeFollower(this.term, 0);
  }

  private loadHardState(hardState: HardState): void {
    if (hardState.commit < this.log.committed || hardState.commit > this.log.lastIndex()) {
      throw new Error(`hard state commit ${hardState.commit} is outside [${this.log.committed}, ${this.log.lastIndex()}]`);
    }
    this.log.committed = hardState.commit;
    this.term = hardState.term;
    this.vote = hardState.vote;
  }

  /**
   * Storage's ConfState is the configuration at its snapshot; conf changes
   * after it and already applied before a restart are re-applied here.
   */
  private replayConfChanges(fromIndex: number, toIndex: number): void {
    for (const entry of this.log.slice(fromIndex, toIndex + 1, Number.POSITIVE_INFINITY)) {
      if (entry.type === EntryType.ConfChange) this.applyChangeToTracker(decodeConfChange(entry.data));
    }
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  confState(): ConfState {
    return this.tracker.confState();
  }

  // ---------------------------------------------------------------- roles

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.config.electionTick + Math.floor(this.config.random() * this.config.electionTick);
    this.abortLeaderTransfer();
    this.tracker.resetVotes();
    const nextIndex = this.log.lastIndex() + 1;
    for (const [id, progress] of this.tracker.progress) {
      progress.resetTo(nextIndex);
      // Our own entries count toward commit only once the caller persisted them.
      if (id === this.id) progress.match = this.log.stableLastIndex();
    }
    this.pendingConfIndex = 0;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnlyQueue();
    this.postponedReadIndexRequests = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  private becomePreCandidate(): void {
    if (this.role === Role.Leader) throw new Error('invalid transition leader -> pre-candidate');
    // Neither the term nor the vote changes: that is the point of PreVote.
    this.tracker.resetVotes();
    this.lead = 0;
    this.role = Role.PreCandidate;
  }

  private becomeCandidate(): void {
    if (this.role === Role.Leader) throw new Error('invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    if (this.role === Role.Follower) throw new Error('invalid transition follower -> leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    this.tracker.progress.get(this.id)?.becomeReplicate();
    // Conf changes already in the log may be unapplied; a new one must wait for them.
    this.pendingConfIndex = this.log.lastIndex();
    // An entry of the new term lets earlier entries commit (§5.4.2) and
    // unblocks ReadIndex.
    if (!this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }])) {
      throw new Error('the empty entry of a new leader was refused');
    }
    this.termStartIndex = this.log.lastIndex();
  }

  private promotable(): boolean {
    const self = this.tracker.progress.get(this.id);
    return self !== undefined && !self.isLearner && this.log.unstable.snapshot === undefined;
  }

  // ---------------------------------------------------------------- ticks

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTick) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) this.step(newMessage({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === Role.Leader && this.leadTransferee !== 0) this.abortLeaderTransfer();
    }
    if (this.role !== Role.Leader) return;
    if (this.heartbeatElapsed >= this.config.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---------------------------------------------------------------- sending

  private send(message: Message): void {
    if (message.from === 0) message.from = this.id;
    const type = message.type;
    if (type === MessageType.Vote || type === MessageType.VoteResp || type === MessageType.PreVote || type === MessageType.PreVoteResp) {
      // Vote messages carry the term they are about, which may be a future one.
      if (message.term === 0) throw new Error(`${MessageType[type]} must carry a term`);
    } else if (type !== MessageType.Prop && type !== MessageType.ReadIndex) {
      // Proposals and read requests are forwarded without a term: they are not tied to one.
      message.term = this.term;
    }
    this.messages.push(message);
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** Sends entries (or a snapshot) to `to` if its progress allows; returns whether a message went out. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = this.tracker.progress.get(to);
    if (!progress || progress.isPaused()) return false;
    let previousTerm: number;
    let entries: Entry[];
    try {
      previousTerm = this.log.term(progress.next - 1);
      entries = this.log.entriesFrom(progress.next, this.config.maxSizePerMsgBytes);
    } catch (error) {
      if (error instanceof CompactedError || error instanceof UnavailableError) return this.maybeSendSnapshot(to);
      throw error;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(
      newMessage({
        type: MessageType.App,
        to,
        index: progress.next - 1,
        logTerm: previousTerm,
        entries,
        commit: this.log.committed,
      }),
    );
    if (entries.length > 0) {
      const lastIndex = entries[entries.length - 1]!.index;
      if (progress.state === ProgressState.Replicate) {
        progress.optimisticUpdate(lastIndex);
        progress.inflights.add(lastIndex);
      } else if (progress.state === ProgressState.Probe) {
        progress.probeSent = true;
      } else {
        throw new Error(`sending entries to ${to} in state ${progress.state}`);
      }
    }
    return true;
  }

  private maybeSendSnapshot(to: NodeId): boolean {
    const progress = this.tracker.progress.get(to)!;
    // Only an active follower is worth a (large) snapshot.
    if (!progress.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (error) {
      if (error instanceof UnavailableError) return false; // the caller is still producing one
      throw error;
    }
    if (snapshot.metadata.index === 0) throw new Error('need a snapshot but storage has none');
    progress.becomeSnapshot(snapshot.metadata.index);
    this.send(newMessage({ type: MessageType.Snap, to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: NodeId, context: Uint8Array): void {
    const progress = this.tracker.progress.get(to)!;
    // Never tell a follower to commit beyond what it is known to hold.
    const commit = Math.min(progress.match, this.log.committed);
    this.send(newMessage({ type: MessageType.Heartbeat, to, commit, context }));
  }

  private broadcastAppend(): void {
    for (const id of this.tracker.memberIds()) if (id !== this.id) this.sendAppend(id);
  }

  private broadcastHeartbeat(context: Uint8Array = this.readOnly.lastPendingRequestContext()): void {
    for (const id of this.tracker.memberIds()) if (id !== this.id) this.sendHeartbeat(id, context);
  }

  // ---------------------------------------------------------------- log

  private appendEntries(proposed: readonly Entry[]): boolean {
    const lastIndex = this.log.lastIndex();
    const entries = proposed.map((entry, offset) => ({
      term: this.term,
      index: lastIndex + 1 + offset,
      type: entry.type,
      data: entry.data,
    }));
    const sizeBytes = payloadSizeBytes(entries);
    // The first proposal always fits, so that a huge entry cannot wedge the leader.
    if (this.uncommittedSizeBytes > 0 && sizeBytes > 0 && this.uncommittedSizeBytes + sizeBytes > this.config.maxUncommittedEntriesSizeBytes) {
      return false;
    }
    this.uncommittedSizeBytes += sizeBytes;
    this.log.append(entries);
    this.commitIfSoleMember();
    return true;
  }

  /**
   * A leader alone in its configuration (one voter, no learners) commits what
   * it appends at once: the Ready that hands out the entries also hands them
   * out as committed, and the caller persists a Ready's entries before it
   * applies any. With any other member this would be unsafe, since messages
   * carrying the commit index could leave before the leader's own write.
   */
  private commitIfSoleMember(): void {
    if (!this.isSoleVoterLeader() || this.tracker.learners.length !== 0) return;
    const self = this.tracker.progress.get(this.id);
    if (self?.maybeUpdate(this.log.lastIndex()) && this.maybeCommit()) this.onCommitAdvanced();
  }

  /** Advances the commit index to what a majority of voters hold, if it is of this term. */
  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term, this.config.unsafeCommitPreviousTermEntries);
  }

  /**
   * The read index a leader that is its configuration's only voter can give
   * at once, or undefined. No other leader can exist, so every write a
   * client saw acknowledged is either from an earlier term (at or below the
   * first entry of this term, once that has committed) or was applied here
   * before its acknowledgement. So it is the index of this term's first
   * entry, not the commit index: with commit on append (commitIfSoleMember)
   * that also counts proposals still being written, which no client has
   * seen, and a read would wait for their fdatasync for nothing.
   */
  soleVoterReadIndex(): number | undefined {
    return this.isSoleVoterLeader() && this.committedEntryInCurrentTerm() ? this.termStartIndex : undefined;
  }

  /** Leader, and the only voter: no other member can be elected. */
  private isSoleVoterLeader(): boolean {
    return this.role === Role.Leader && this.tracker.voters.length === 1 && this.tracker.voters[0] === this.id;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.matchTerm(this.log.committed, this.term);
  }

  private onCommitAdvanced(): void {
    if (!this.committedEntryInCurrentTerm() || this.postponedReadIndexRequests.length === 0) return;
    const postponed = this.postponedReadIndexRequests;
    this.postponedReadIndexRequests = [];
    for (const request of postponed) this.serveReadIndex(request);
  }

  /** The caller persisted entries up to the stable index: the leader counts its own copy now. */
  onEntriesPersisted(): void {
    if (this.role !== Role.Leader) return;
    const self = this.tracker.progress.get(this.id);
    if (!self) return;
    if (self.maybeUpdate(this.log.stableLastIndex()) && this.maybeCommit()) {
      this.onCommitAdvanced();
      this.broadcastAppend();
    }
  }

  /**
   * True when committed but unapplied conf changes would change the
   * configuration: until they are applied, our view of the voters is stale.
   * Changes that leave it as is (e.g. a bootstrap's AddNode entries for the
   * voters already known) do not count.
   */
  private hasUnappliedConfChanges(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    let entries: Entry[];
    try {
      entries = this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.POSITIVE_INFINITY);
    } catch (error) {
      if (error instanceof CompactedError) return false;
      throw error;
    }
    const voters = new Set(this.tracker.voters);
    const learners = new Set(this.tracker.learners);
    for (const entry of entries) {
      if (entry.type !== EntryType.ConfChange) continue;
      const change = decodeConfChange(entry.data);
      if (change.type === ConfChangeType.AddNode) {
        learners.delete(change.nodeId);
        voters.add(change.nodeId);
      } else if (change.type === ConfChangeType.AddLearnerNode) {
        if (!voters.has(change.nodeId)) learners.add(change.nodeId);
      } else if (change.type === ConfChangeType.RemoveNode) {
        voters.delete(change.nodeId);
        learners.delete(change.nodeId);
      }
    }
    const sameSet = (set: Set<NodeId>, ids: NodeId[]): boolean => set.size === ids.length && ids.every((id) => set.has(id));
    return !sameSet(voters, this.tracker.voters) || !sameSet(learners, this.tracker.learners);
  }

  // ---------------------------------------------------------------- elections

  private hup(type: CampaignType): void {
    if (this.role === Role.Leader || !this.promotable()) return;
    // A configuration change is committed but not applied: our view of the
    // voters is stale, so counting votes with it could be wrong.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(type);
  }

  private campaign(type: CampaignType): void {
    if (!this.promotable()) return;
    let voteType: MessageType;
    let term: number;
    if (type === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1; // the term we would campaign in
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // A single voter wins at once.
      if (type === CampaignType.PreElection) this.campaign(CampaignType.Election);
      else this.becomeLeader();
      return;
    }
    const context = type === CampaignType.Transfer ? CAMPAIGN_TRANSFER_CONTEXT : new Uint8Array(0);
    for (const id of this.tracker.voters) {
      if (id === this.id) continue;
      this.send(
        newMessage({ type: voteType, to: id, term, index: this.log.lastIndex(), logTerm: this.log.lastTerm(), context }),
      );
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  // ---------------------------------------------------------------- step

  step(message: Message): void {
    if (message.term === 0) {
      // Local message, or a forwarded proposal / read request.
    } else if (message.term > this.term) {
      if (message.type === MessageType.Vote || message.type === MessageType.PreVote) {
        const forced = bytesEqual(message.context, CAMPAIGN_TRANSFER_CONTEXT);
        const inLease = this.config.checkQuorum && this.lead !== 0 && this.electionElapsed < this.config.electionTick;
        // We heard from a leader within the minimum election timeout: the
        // candidate is probably a member that was cut off, so do not let it
        // disrupt us (thesis §4.2.3).
        if (!forced && inLease) return;
      }
      if (message.type === MessageType.PreVote) {
        // A PreVote never changes our term.
      } else if (message.type === MessageType.PreVoteResp && !message.reject) {
        // Granted pre-votes carry the term we will campaign in; we bump it ourselves when we win.
      } else {
        const isFromLeader =
          message.type === MessageType.App || message.type === MessageType.Heartbeat || message.type === MessageType.Snap;
        this.becomeFollower(message.term, isFromLeader ? message.from : 0);
      }
    } else if (message.term < this.term) {
      if (
        (this.config.checkQuorum || this.config.preVote) &&
        (message.type === MessageType.Heartbeat || message.type === MessageType.App)
      ) {
        // A stale leader (e.g. after a partition healed) would otherwise never
        // learn the new term, since our PreVotes do not raise anyone's term.
        this.send(newMessage({ type: MessageType.AppResp, to: message.from }));
      } else if (message.type === MessageType.PreVote) {
        // Tell the pre-candidate our term so it does not wait forever.
        this.send(newMessage({ type: MessageType.PreVoteResp, to: message.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (message.type) {
      case MessageType.Hup:
        this.hup(this.config.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(message);
        return;
      default:
        switch (this.role) {
          case Role.Leader:
            this.stepLeader(message);
            return;
          case Role.Candidate:
          case Role.PreCandidate:
            this.stepCandidate(message);
            return;
          case Role.Follower:
            this.stepFollower(message);
            return;
        }
    }
  }

  private handleVoteRequest(message: Message): void {
    const canVote =
      this.vote === message.from ||
      // Not voted yet in this term, and no leader known in it.
      (this.vote === 0 && this.lead === 0) ||
      // A PreVote for a future term.
      (message.type === MessageType.PreVote && message.term > this.term);
    const responseType = voteResponseType(message.type);
    if (canVote && this.log.isUpToDate(message.index, message.logTerm)) {
      this.send(newMessage({ type: responseType, to: message.from, term: message.term }));
      if (message.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = message.from;
      }
    } else {
      this.send(newMessage({ type: responseType, to: message.from, term: this.term, reject: true }));
    }
  }

  private stepLeader(message: Message): void {
    switch (message.type) {
      case MessageType.Beat:
        this.broadcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.tracker.quorumActive(this.id)) this.becomeFollower(this.term, 0);
        for (const [id, progress] of this.tracker.progress) if (id !== this.id) progress.recentActive = false;
        return;
      case MessageType.Prop:
        this.handleProposal(message);
        return;
      case MessageType.ReadIndex:
        if (!this.committedEntryInCurrentTerm()) {
          // Our commit index may lag the previous leader's until an entry of
          // our term commits, so it is not yet a safe read point.
          if (this.postponedReadIndexRequests.length >= MAX_POSTPONED_READ_INDEX_REQUESTS) {
            throw new ProposalDroppedError('too many read requests waiting for the new leader to commit');
          }
          this.postponedReadIndexRequests.push(message);
          return;
        }
        this.serveReadIndex(message);
        return;
      default:
        break;
    }

    const progress = this.tracker.progress.get(message.from);
    if (!progress) return;
    switch (message.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(message);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(message);
        return;
      case MessageType.SnapStatus:
        if (progress.state !== ProgressState.Snapshot) return;
        if (message.reject) progress.pendingSnapshot = 0;
        progress.becomeProbe();
        // Wait for a heartbeat response before probing again.
        progress.probeSent = true;
        return;
      case MessageType.Unreachable:
        if (progress.state === ProgressState.Replicate) progress.becomeProbe();
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(message.from);
        return;
      default:
        return;
    }
  }

  private handleProposal(message: Message): void {
    if (message.entries.length === 0) throw new Error('empty proposal');
    const self = this.tracker.progress.get(this.id);
    if (!self || self.isLearner) throw new ProposalDroppedError('this member is not a voter of the cluster');
    if (this.leadTransferee !== 0) throw new ProposalDroppedError('leadership transfer in progress');
    let pendingConfIndex = this.pendingConfIndex;
    message.entries.forEach((entry, offset) => {
      if (entry.type !== EntryType.ConfChange) return;
      if (pendingConfIndex > this.log.applied) {
        throw new ProposalDroppedError('a configuration change is already pending');
      }
      pendingConfIndex = this.log.lastIndex() + 1 + offset;
    });
    if (!this.appendEntries(message.entries)) throw new ProposalDroppedError('too many uncommitted entries');
    this.pendingConfIndex = pendingConfIndex;
    this.broadcastAppend();
  }

  private handleAppendResponse(message: Message): void {
    const progress = this.tracker.progress.get(message.from)!;
    progress.recentActive = true;
    if (message.reject) {
      // The follower's hint lets us skip every entry of a conflicting term at once.
      let nextProbeIndex = message.rejectHint;
      if (message.logTerm > 0) nextProbeIndex = this.log.findConflictByTerm(message.rejectHint, message.logTerm);
      if (progress.maybeDecrTo(message.index, nextProbeIndex)) {
        if (progress.state === ProgressState.Replicate) progress.becomeProbe();
        this.sendAppend(message.from);
      }
      return;
    }
    const wasPaused = progress.isPaused();
    if (!progress.maybeUpdate(message.index)) return;
    if (progress.state === ProgressState.Probe) {
      progress.becomeReplicate();
    } else if (progress.state === ProgressState.Snapshot && progress.match >= progress.pendingSnapshot) {
      progress.becomeProbe();
      progress.becomeReplicate();
    } else if (progress.state === ProgressState.Replicate) {
      progress.inflights.freeLE(message.index);
    }
    if (this.maybeCommit()) {
      this.onCommitAdvanced();
      this.broadcastAppend();
    } else if (wasPaused) {
      this.sendAppend(message.from);
    }
    // Stream what the window allows; bounded by the window and the log's end.
    while (this.maybeSendAppend(message.from, false)) {
      // keep sending
    }
    if (message.from === this.leadTransferee && progress.match === this.log.lastIndex()) {
      this.sendTimeoutNow(message.from);
    }
  }

  private handleHeartbeatResponse(message: Message): void {
    const progress = this.tracker.progress.get(message.from)!;
    progress.recentActive = true;
    progress.probeSent = false;
    // The follower is alive: make room so that streaming can resume.
    if (progress.state === ProgressState.Replicate && progress.inflights.full()) progress.inflights.freeFirstOne();
    if (progress.match < this.log.lastIndex()) this.sendAppend(message.from);
    if (message.context.length === 0) return;
    const acks = this.readOnly.recvAck(message.from, message.context);
    if (!acks) return;
    if (voteResult(this.tracker.voters, (id) => (acks.has(id) ? true : undefined)) !== VoteResult.Won) return;
    for (const status of this.readOnly.advance(message.context)) this.respondToReadIndex(status.request, status.index);
  }

  private handleTransferLeader(transferee: NodeId): void {
    const progress = this.tracker.progress.get(transferee)!;
    if (progress.isLearner) return;
    if (this.leadTransferee !== 0) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    // The transfer must finish within an election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (progress.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(newMessage({ type: MessageType.TimeoutNow, to }));
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = 0;
  }

  /** Records the read point and confirms leadership with a heartbeat round (thesis §6.4). */
  private serveReadIndex(request: Message): void {
    const index = this.log.committed;
    if (this.tracker.voters.length === 1 && this.tracker.voters[0] === this.id) {
      this.respondToReadIndex(request, index);
      return;
    }
    this.readOnly.addRequest(index, request);
    this.readOnly.recvAck(this.id, request.context);
    this.broadcastHeartbeat(request.context);
  }

  private respondToReadIndex(request: Message, index: number): void {
    if (request.from === 0 || request.from === this.id) {
      this.readStates.push({ index, requestContext: request.context });
    } else {
      this.send(newMessage({ type: MessageType.ReadIndexResp, to: request.from, index, context: request.context }));
    }
  }

  private stepCandidate(message: Message): void {
    const myVoteResponseType = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (message.type) {
      case MessageType.Prop:
        throw new ProposalDroppedError('no leader (election in progress)');
      case MessageType.ReadIndex:
        throw new ProposalDroppedError('no leader (election in progress), cannot serve a read index');
      case MessageType.App:
        this.becomeFollower(message.term, message.from);
        this.handleAppendEntries(message);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(message.term, message.from);
        this.handleHeartbeat(message);
        return;
      case MessageType.Snap:
        this.becomeFollower(message.term, message.from);
        this.handleSnapshot(message);
        return;
      case myVoteResponseType: {
        const result = this.poll(message.from, !message.reject);
        if (result === VoteResult.Won) {
          if (this.role === Role.PreCandidate) {
            this.campaign(CampaignType.Election);
          } else {
            this.becomeLeader();
            this.broadcastAppend();
          }
        } else if (result === VoteResult.Lost) {
          this.becomeFollower(this.term, 0);
        }
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(message: Message): void {
    switch (message.type) {
      case MessageType.Prop:
        if (this.lead === 0) throw new ProposalDroppedError('no leader');
        // Sent as this node's own: a proposal relayed from a member that took
        // us for the leader travels on our link to the leader, not on its own.
        this.send({ ...message, from: this.id, to: this.lead });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = message.from;
        this.handleAppendEntries(message);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = message.from;
        this.handleHeartbeat(message);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = message.from;
        this.handleSnapshot(message);
        return;
      case MessageType.TransferLeader:
        if (this.lead === 0) return;
        this.send({ ...message, to: this.lead });
        return;
      case MessageType.TimeoutNow:
        this.hup(CampaignType.Transfer);
        return;
      case MessageType.ReadIndex:
        if (this.lead === 0) throw new ProposalDroppedError('no leader, cannot serve a read index');
        // Only our own requests go to the leader: the answer goes back to the
        // sender, and a request relayed for a member that took us for the
        // leader would travel on our link under its name. Its sender retries.
        if (message.from !== 0 && message.from !== this.id) return;
        this.send({ ...message, to: this.lead });
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: message.index, requestContext: message.context });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(message: Message): void {
    if (message.index < this.log.committed) {
      // Already have everything up to our commit index; tell the leader.
      this.send(newMessage({ type: MessageType.AppResp, to: message.from, index: this.log.committed }));
      return;
    }
    const lastNewIndex = this.log.maybeAppend(message.index, message.logTerm, message.commit, message.entries);
    if (lastNewIndex !== undefined) {
      this.send(newMessage({ type: MessageType.AppResp, to: message.from, index: lastNewIndex }));
      return;
    }
    // Log Matching check failed (§5.3). Hint the leader to the last entry
    // that could possibly match, skipping our entries of newer terms.
    const hintIndex = this.log.findConflictByTerm(Math.min(message.index, this.log.lastIndex()), message.logTerm);
    let hintTerm = 0;
    try {
      hintTerm = this.log.term(hintIndex);
    } catch (error) {
      if (!(error instanceof CompactedError || error instanceof UnavailableError)) throw error;
    }
    this.send(
      newMessage({
        type: MessageType.AppResp,
        to: message.from,
        index: message.index,
        reject: true,
        rejectHint: hintIndex,
        logTerm: hintTerm,
      }),
    );
  }

  private handleHeartbeat(message: Message): void {
    this.log.commitTo(message.commit);
    this.send(newMessage({ type: MessageType.HeartbeatResp, to: message.from, context: message.context }));
  }

  private handleSnapshot(message: Message): void {
    if (!message.snapshot) return;
    if (this.restore(message.snapshot)) {
      this.send(newMessage({ type: MessageType.AppResp, to: message.from, index: this.log.lastIndex() }));
    } else {
      this.send(newMessage({ type: MessageType.AppResp, to: message.from, index: this.log.committed }));
    }
  }

  /** Installs a leader's snapshot; false when it brings nothing new. */
  private restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.role !== Role.Follower) {
      // Only a follower receives snapshots; be defensive and start over.
      this.becomeFollower(this.term + 1, 0);
      return false;
    }
    // A snapshot whose configuration lacks us is still accepted: a member
    // that joins catches up from an older snapshot and then applies its own
    // AddNode from the log.
    if (this.log.matchTerm(index, term)) {
      // We already hold the snapshot's last entry: just commit up to it.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.tracker.restore(confState, this.log.lastIndex() + 1);
    this.isLearner = this.tracker.progress.get(this.id)?.isLearner ?? false;
    return true;
  }

  // ---------------------------------------------------------------- membership

  private applyChangeToTracker(change: ConfChange): void {
    const nextIndex = this.log.lastIndex() + 1;
    switch (change.type) {
      case ConfChangeType.AddNode:
        this.tracker.addVoter(change.nodeId, nextIndex);
        return;
      case ConfChangeType.AddLearnerNode:
        this.tracker.addLearner(change.nodeId, nextIndex);
        return;
      case ConfChangeType.RemoveNode:
        this.tracker.remove(change.nodeId);
        return;
      case ConfChangeType.UpdateNode:
        return;
    }
  }

  /** Applies a committed conf change (the caller calls this when it applies the entry). */
  applyConfChange(change: ConfChange): ConfState {
    if (!isValidNodeId(change.nodeId)) throw new Error(`invalid conf change node id ${change.nodeId}`);
    this.applyChangeToTracker(change);
    const confState = this.tracker.confState();
    const self = this.tracker.progress.get(this.id);
    this.isLearner = self?.isLearner ?? false;
    if (this.role === Role.Leader && (!self || self.isLearner)) {
      this.stepDownAfterRemoval();
      return confState;
    }
    if (this.role !== Role.Leader || confState.voters.length === 0) return confState;
    // The quorum changed: the commit index may move, and new members need the log.
    if (this.maybeCommit()) {
      this.onCommitAdvanced();
      this.broadcastAppend();
    } else {
      for (const id of this.tracker.memberIds()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
    if (this.leadTransferee !== 0 && !this.tracker.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    return confState;
  }

  /**
   * This leader applied its own removal. Rather than leave the cluster
   * without a leader for an election timeout, hand over to an up-to-date
   * voter with TimeoutNow, then step down.
   */
  private stepDownAfterRemoval(): void {
    let successor: NodeId = 0;
    let successorMatch = -1;
    for (const id of this.tracker.voters) {
      const match = this.tracker.progress.get(id)!.match;
      if (match > successorMatch) {
        successor = id;
        successorMatch = match;
      }
    }
    if (successor !== 0 && successorMatch === this.log.lastIndex()) this.sendTimeoutNow(successor);
    this.becomeFollower(this.term, 0);
  }

  // ---------------------------------------------------------------- ready

  /** The caller persisted/applied what a Ready held. */
  advance(lastEntry: { index: number; term: number } | undefined, snapshotIndex: number | undefined, committed: readonly Entry[]): void {
    if (snapshotIndex !== undefined) {
      this.log.stableSnapTo(snapshotIndex);
      if (snapshotIndex > this.log.applied) this.log.appliedTo(snapshotIndex);
    }
    if (committed.length > 0) {
      this.log.appliedTo(committed[committed.length - 1]!.index);
      this.uncommittedSizeBytes = Math.max(0, this.uncommittedSizeBytes - payloadSizeBytes(committed));
    }
    if (lastEntry) {
      this.log.stableTo(lastEntry.index, lastEntry.term);
      this.onEntriesPersisted();
    }
  }
}
