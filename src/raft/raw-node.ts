// The caller-facing wrapper: feeds ticks, proposals and messages into the
// state machine and hands its output out as Ready batches. Not thread-safe
// and never blocks: the caller drives it from one loop:
//
//   while (node.hasReady()) {
//     const ready = node.ready();
//     persist ready.hardState, ready.snapshot, ready.entries (fsync if mustSync)
//     send ready.messages
//     apply ready.snapshot, then ready.committedEntries (calling applyConfChange for conf changes)
//     node.advance(ready);
//   }

import {
  EntryType,
  MessageType,
  ProposalDroppedError,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type Role,
  type SoftState,
} from './types.js';
import type { RaftConfig } from './config.js';
import { Raft } from './raft.js';
import { encodeConfChange } from './codec.js';
import { isLocalMessageType, isResponseMessageType, newMessage } from './messages.js';

export interface ProgressStatus {
  match: number;
  next: number;
  isLearner: boolean;
  state: string;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  leader: NodeId;
  role: Role;
  /** Replication progress of every member; only on the leader. */
  progress?: Map<NodeId, ProgressStatus>;
  leadTransferee: NodeId;
  confState: ConfState;
}

export class RawNode {
  private readonly raft: Raft;
  private previousSoftState: SoftState;
  private previousHardState: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.previousSoftState = this.raft.softState();
    this.previousHardState = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with PreVote first when enabled). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** Proposes data to be appended to the log; throws ProposalDroppedError when it cannot be. */
  propose(data: Uint8Array): void {
    this.raft.step(
      newMessage({ type: MessageType.Prop, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data }] }),
    );
  }

  /** Proposes a membership change; throws ProposalDroppedError e.g. while another one is pending. */
  proposeConfChange(change: ConfChange): void {
    const data = encodeConfChange(change);
    this.raft.step(
      newMessage({ type: MessageType.Prop, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data }] }),
    );
  }

  /**
   * Delivers a message from a peer. Local-only types and responses from
   * non-members are ignored; a forwarded proposal the leader cannot take
   * is dropped (its proposer learns through its own timeout).
   */
  step(message: Message): void {
    if (isLocalMessageType(message.type)) return;
    if (isResponseMessageType(message.type) && !this.raft.tracker.progress.has(message.from)) return;
    try {
      this.raft.step(message);
    } catch (error) {
      if (error instanceof ProposalDroppedError) return;
      throw error;
    }
  }

  /**
   * Requests a linearizable read point. The answer is a ReadState with the
   * same requestContext (which must be non-empty and unique) in a later
   * Ready; the caller may serve the read once it applied up to its index.
   */
  readIndex(requestContext: Uint8Array): void {
    if (requestContext.length === 0) throw new Error('readIndex needs a non-empty request context');
    this.raft.step(newMessage({ type: MessageType.ReadIndex, context: requestContext }));
  }

  /** The current term; cheaper than status() on hot paths. */
  get term(): number {
    return this.raft.term;
  }

  /** The commit index; cheaper than status() on hot paths. */
  get committedIndex(): number {
    return this.raft.log.committed;
  }

  /** A read index that needs no quorum round (see Raft.soleVoterReadIndex), or undefined. */
  soleVoterReadIndex(): number | undefined {
    return this.raft.soleVoterReadIndex();
  }

  /** Asks the leader to hand over to `transferee` (which catches up first). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: transferee }));
  }

  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  reportSnapshot(id: NodeId, success: boolean): void {
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: !success }));
  }

  hasReady(): boolean {
    const raft = this.raft;
    if (!softStateEqual(raft.softState(), this.previousSoftState)) return true;
    if (!hardStateEqual(raft.hardState(), this.previousHardState)) return true;
    if (raft.log.unstable.snapshot !== undefined) return true;
    if (raft.log.unstable.entries.length > 0) return true;
    if (raft.messages.length > 0 || raft.readStates.length > 0) return true;
    return raft.log.hasNextCommittedEntries();
  }

  ready(): Ready {
    const raft = this.raft;
    const softState = raft.softState();
    const hardState = raft.hardState();
    const ready: Ready = {
      readStates: raft.readStates,
      entries: raft.log.unstableEntries(),
      committedEntries: raft.log.nextCommittedEntries(),
      messages: raft.messages,
      mustSync: false,
    };
    if (!softStateEqual(softState, this.previousSoftState)) {
      ready.softState = softState;
      this.previousSoftState = softState;
    }
    if (!hardStateEqual(hardState, this.previousHardState)) ready.hardState = hardState;
    if (raft.log.unstable.snapshot) ready.snapshot = raft.log.unstable.snapshot;
    // A commit index change alone can be written lazily: it is recoverable.
    ready.mustSync =
      ready.entries.length > 0 ||
      (hardState.term !== this.previousHardState.term || hardState.vote !== this.previousHardState.vote);
    raft.messages = [];
    raft.readStates = [];
    return ready;
  }

  /** The caller finished with `ready`: its entries are persisted and its committed entries applied. */
  advance(ready: Ready): void {
    if (ready.hardState) this.previousHardState = ready.hardState;
    const lastEntry = ready.entries.length > 0 ? ready.entries[ready.entries.length - 1] : undefined;
    this.raft.advance(lastEntry, ready.snapshot?.metadata.index, ready.committedEntries);
  }

  status(): Status {
    const raft = this.raft;
    const status: Status = {
      id: raft.id,
      term: raft.term,
      vote: raft.vote,
      commit: raft.log.committed,
      applied: raft.log.applied,
      leader: raft.lead,
      role: raft.role,
      leadTransferee: raft.leadTransferee,
      confState: raft.confState(),
    };
    if (raft.role === 'leader') {
      status.progress = new Map();
      for (const [id, progress] of raft.tracker.progress) {
        status.progress.set(id, { match: progress.match, next: progress.next, isLearner: progress.isLearner, state: progress.state });
      }
    }
    return status;
  }

  /** The state machine itself, for tests and the simulator's checkers. Do not mutate. */
  raftForTesting(): Raft {
    return this.raft;
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
