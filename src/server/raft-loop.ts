// The member's Ready loop: the only place where Raft's decisions meet the
// disk, the network and the state machine. For each Ready, in order:
//   1. persist hard state and entries to the WAL (one fdatasync per batch),
//      and mirror them into the in-memory Raft log;
//   2. send messages (never before what they promise is on disk; a leader's
//      go out first, in parallel with its own write);
//   3. apply committed entries;
//   4. advance.
// Proposals and ticks that arrive while a batch is being persisted join the
// next Ready, which is what makes group commit happen.
//
// The loop is the only owner of the Raft node: everything else steps,
// proposes and asks through it, and each input schedules a turn.

import { Role, type ConfChange, type ConfState, type Entry, type Message, type NodeId, type ReadState, type Ready, type SoftState } from '../raft/types.js';
import { RawNode, type MemoryStorage, type RaftConfig, type Status } from '../raft/index.js';
import type { Logger } from '../pkg/logger.js';
import type { MemberConfig } from './config.js';

/** The Raft settings etcd's server uses, for this member's id and log. */
export function memberRaftConfig(
  config: Pick<MemberConfig, 'electionTimeoutMs' | 'heartbeatIntervalMs'>,
  id: NodeId,
  storage: MemoryStorage,
  random: () => number,
): RaftConfig & { storage: MemoryStorage } {
  return {
    id,
    electionTick: Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs)),
    heartbeatTick: 1,
    storage,
    checkQuorum: true,
    preVote: true,
    random,
    maxSizePerMsgBytes: 1024 * 1024,
    maxInflightMsgs: 4096 / 8,
  };
}

export interface RaftLoopHooks {
  persist(ready: Ready): Promise<void>;
  send(messages: Message[]): void;
  apply(entries: Entry[]): Promise<void> | void;
  onSoftState(state: SoftState): void;
  onReadStates(states: ReadState[]): void;
  onFatal(error: unknown): void;
}

export class RaftLoop {
  private running = false;
  private role: Role = Role.Follower;
  private scheduled = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private idlePromise: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | undefined;

  private readonly node: RawNode;
  private readonly storage: MemoryStorage;

  constructor(
    config: RaftConfig & { storage: MemoryStorage },
    private readonly hooks: RaftLoopHooks,
    private readonly logger: Logger,
  ) {
    this.node = new RawNode(config);
    this.storage = config.storage;
  }

  // ---- inputs: each one schedules a turn of the loop ----

  step(message: Message): void {
    this.node.step(message);
    this.schedule();
  }

  /** Throws ProposalDroppedError when Raft cannot take it (no leader, a transfer under way). */
  propose(data: Uint8Array): void {
    this.node.propose(data);
    this.schedule();
  }

  proposeConfChange(change: ConfChange): void {
    this.node.proposeConfChange(change);
    this.schedule();
  }

  readIndex(requestContext: Uint8Array): void {
    this.node.readIndex(requestContext);
    this.schedule();
  }

  reportUnreachable(raftId: NodeId): void {
    this.node.reportUnreachable(raftId);
    this.schedule();
  }

  reportSnapshot(raftId: NodeId, delivered: boolean): void {
    this.node.reportSnapshot(raftId, delivered);
    this.schedule();
  }

  transferLeader(raftId: NodeId): void {
    this.node.transferLeader(raftId);
    this.schedule();
  }

  campaign(): void {
    this.node.campaign();
    this.schedule();
  }

  /** Called while applying a committed ConfChange entry, in log order. */
  applyConfChange(change: ConfChange): ConfState {
    return this.node.applyConfChange(change);
  }

  // ---- what the node knows ----

  get term(): number {
    return this.node.term;
  }

  get committedIndex(): number {
    return this.node.committedIndex;
  }

  /** The read index a sole voter may answer at once (undefined otherwise). */
  soleVoterReadIndex(): number | undefined {
    return this.node.soleVoterReadIndex();
  }

  status(): Status {
    return this.node.status();
  }

  /** Whether this member is the only voter of its configuration. */
  isSoleVoter(): boolean {
    const { id, confState } = this.node.status();
    return confState.voters.length === 1 && confState.voters[0] === id;
  }

  /** How far the leader knows `raftId`'s log to match its own (0 when not leader or unknown). */
  matchIndexOf(raftId: NodeId): number {
    return this.node.status().progress?.get(raftId)?.match ?? 0;
  }

  startTicking(tickIntervalMs: number): void {
    this.tickTimer = setInterval(() => {
      this.node.tick();
      this.schedule();
    }, tickIntervalMs);
  }

  /** Run the loop soon; calls made while it runs fold into its next turn. */
  schedule(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    if (!this.running) {
      this.idlePromise = new Promise((resolve) => (this.idleResolve = resolve));
      setImmediate(() => void this.run());
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tickTimer);
    await this.idlePromise;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.scheduled && !this.stopped) {
        this.scheduled = false;
        while (this.node.hasReady() && !this.stopped) await this.processReady();
      }
    } catch (error) {
      this.logger.error('raft loop failed', { error });
      this.hooks.onFatal(error);
    } finally {
      this.running = false;
      this.idleResolve?.();
      if (this.scheduled && !this.stopped) {
        this.scheduled = false;
        this.schedule();
      }
    }
  }

  private async processReady(): Promise<void> {
    const ready = this.node.ready();
    if (ready.softState) {
      this.role = ready.softState.role;
      this.hooks.onSoftState(ready.softState);
    }
    if (ready.readStates.length > 0) this.hooks.onReadStates(ready.readStates);

    // A leader may write its log in parallel with sending it (Raft thesis
    // 10.2.1, as etcd's server does): an entry commits only once a quorum,
    // which counts the leader's own copy only after this persist, holds it.
    // The exception is a leader that was alone in its configuration, which
    // commits what it appends: while its messages carry a commit index
    // beyond what it has written, they wait for the write.
    const persistedLastIndex = this.storage.lastIndex();
    const sendFirst =
      this.role === Role.Leader && ready.messages.length > 0 && ready.messages.every((message) => message.commit <= persistedLastIndex);
    if (sendFirst) this.hooks.send(ready.messages);
    await this.hooks.persist(ready);
    // The state machine was restored from the data in persist(); the log keeps only the metadata.
    if (ready.snapshot) this.storage.applySnapshot({ metadata: ready.snapshot.metadata, data: new Uint8Array(0) });
    if (ready.hardState) this.storage.setHardState(ready.hardState);
    if (ready.entries.length > 0) this.storage.append(ready.entries);

    if (!sendFirst && ready.messages.length > 0) this.hooks.send(ready.messages);
    if (ready.committedEntries.length > 0) await this.hooks.apply(ready.committedEntries);
    this.node.advance(ready);
  }
}
