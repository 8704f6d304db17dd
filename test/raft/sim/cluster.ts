// A cluster of simulated members on one virtual network and one virtual
// clock. Each member's Ready is processed exactly as a real server must:
// persist to its disk, send, apply, advance; crashes lose everything that
// was not persisted. The safety checker sees every persisted entry, commit
// index, applied entry, leader and read point.

import {
  ConfChangeType,
  EntryType,
  MemoryStorage,
  MessageType,
  ProposalDroppedError,
  RawNode,
  Role,
  decodeConfChange,
  decodeMessage,
  encodeMessage,
  type ConfState,
  type Message,
  type Ready,
} from '../../../src/raft/index.js';
import { SafetyChecker, InvariantViolation, bytesToKey, entryKey } from './checker.js';
import { copyStorage } from './disk.js';
import { VirtualNetwork } from './network.js';
import { Prng } from './prng.js';

/** Virtual time units per tick; message delays are in units, so a tick spans several deliveries. */
export const TICK_UNITS = 10;

export interface SimClusterOptions {
  electionTick: number;
  heartbeatTick: number;
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  checkQuorum: boolean;
  preVote: boolean;
  /** A member snapshots its state machine after applying this many entries. */
  snapshotIntervalEntries: number;
  /** Log entries kept below a new snapshot (so some followers catch up from the log). */
  snapshotKeepEntries: number;
  /** Probability, per Ready, of crashing just before persisting or just before sending. */
  crashInReadyProbability: number;
  /**
   * Probability of crashing a leader at a telling moment, after persisting
   * and before sending: as it takes office, or as its commit index advances.
   */
  crashLeaderAtMomentProbability: number;
  /** Round-trip every message through the binary codec. */
  encodeMessages: boolean;
  unsafeCommitPreviousTermEntries: boolean;
}

export class SimMember {
  node: RawNode | undefined;
  /** This member applied its own removal and stopped for good. */
  removed = false;
  /** The state machine: key of the entry applied at each index. */
  history: (string | null)[] = [];
  appliedIndex = 0;
  confState: ConfState = { voters: [], learners: [] };
  recordedCommit = 0;
  lastLeaderTerm = 0;
  restartAtUnits = Number.POSITIVE_INFINITY;
  readonly pendingReads = new Map<string, number>();

  constructor(
    readonly id: number,
    public disk: MemoryStorage,
    readonly tickOffsetUnits: number,
    readonly random: Prng,
  ) {}

  get up(): boolean {
    return this.node !== undefined;
  }
}

export class SimCluster {
  readonly members = new Map<number, SimMember>();
  readonly network: VirtualNetwork;
  readonly checker = new SafetyChecker();
  nowUnits = 0;
  /** Keys of every proposal some member applied. */
  readonly appliedProposals = new Set<string>();
  private readonly scheduled = new Map<number, (() => void)[]>();
  readonly stats = { crashes: 0, restarts: 0, snapshotsSent: 0, readsConfirmed: 0, leaderChanges: 0 };

  constructor(
    private readonly prng: Prng,
    readonly options: SimClusterOptions,
  ) {
    this.network = new VirtualNetwork(prng.fork());
  }

  /** Adds a member with the given disk and starts it. */
  addMember(id: number, disk: MemoryStorage): SimMember {
    if (this.members.has(id)) throw new Error(`member ${id} exists`);
    const member = new SimMember(id, disk, this.prng.int(TICK_UNITS), this.prng.fork());
    this.members.set(id, member);
    this.start(member);
    return member;
  }

  member(id: number): SimMember {
    const member = this.members.get(id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }

  private start(member: SimMember): void {
    member.disk = copyStorage(member.disk);
    const snapshot = member.disk.snapshot();
    member.history = decodeHistory(snapshot.data);
    member.appliedIndex = snapshot.metadata.index;
    member.confState = snapshot.metadata.confState;
    member.recordedCommit = Math.max(snapshot.metadata.index, member.disk.hardStateForTesting().commit);
    member.lastLeaderTerm = 0;
    member.pendingReads.clear();
    member.restartAtUnits = Number.POSITIVE_INFINITY;
    const random = member.random.fork();
    member.node = new RawNode({
      id: member.id,
      electionTick: this.options.electionTick,
      heartbeatTick: this.options.heartbeatTick,
      storage: member.disk,
      maxSizePerMsgBytes: this.options.maxSizePerMsgBytes,
      maxInflightMsgs: this.options.maxInflightMsgs,
      checkQuorum: this.options.checkQuorum,
      preVote: this.options.preVote,
      random: () => random.next(),
      unsafeCommitPreviousTermEntries: this.options.unsafeCommitPreviousTermEntries,
    });
  }

  crash(id: number, downForUnits: number): void {
    const member = this.member(id);
    if (!member.up) return;
    member.node = undefined;
    member.restartAtUnits = this.nowUnits + downForUnits;
    this.stats.crashes++;
  }

  restart(id: number): void {
    const member = this.member(id);
    if (member.up || member.removed) return;
    this.start(member);
    this.stats.restarts++;
    this.processReady(member);
  }

  upMembers(): SimMember[] {
    return [...this.members.values()].filter((member) => member.up);
  }

  /** The up member that believes it leads the highest term, if any. */
  leader(): SimMember | undefined {
    let best: SimMember | undefined;
    let bestTerm = -1;
    for (const member of this.members.values()) {
      if (!member.node) continue;
      const status = member.node.status();
      if (status.role === Role.Leader && status.term > bestTerm) {
        best = member;
        bestTerm = status.term;
      }
    }
    return best;
  }

  private schedule(atUnits: number, action: () => void): void {
    let actions = this.scheduled.get(atUnits);
    if (!actions) this.scheduled.set(atUnits, (actions = []));
    actions.push(action);
  }

  /** Advances virtual time by one unit: scheduled reports, message deliveries, then ticks. */
  stepUnit(): void {
    this.nowUnits++;
    const now = this.nowUnits;
    const actions = this.scheduled.get(now);
    if (actions) {
      this.scheduled.delete(now);
      for (const action of actions) action();
    }
    const { delivered, lost } = this.network.takeDue(now);
    for (const message of lost) {
      // The transport tells the sender that a snapshot did not make it.
      if (message.type === MessageType.Snap) this.report(Number(message.from), (node) => node.reportSnapshot(message.to, false));
    }
    for (const message of delivered) this.deliver(message);
    for (const member of this.members.values()) {
      if (!member.up && !member.removed && member.restartAtUnits <= now) this.restart(member.id);
      if (member.node && now % TICK_UNITS === member.tickOffsetUnits) {
        member.node.tick();
        this.processReady(member);
      }
    }
  }

  runTicks(ticks: number, eachTick?: () => void): void {
    for (let tick = 0; tick < ticks; tick++) {
      for (let unit = 0; unit < TICK_UNITS; unit++) this.stepUnit();
      eachTick?.();
    }
  }

  private deliver(message: Message): void {
    const target = this.members.get(Number(message.to));
    if (message.type === MessageType.Snap) {
      this.stats.snapshotsSent++;
      const delivered = target?.node !== undefined;
      this.schedule(this.nowUnits + 1, () => this.report(Number(message.from), (node) => node.reportSnapshot(message.to, delivered)));
    }
    if (!target?.node) return;
    target.node.step(message);
    this.processReady(target);
  }

  private report(from: number, action: (node: RawNode) => void): void {
    const sender = this.members.get(from);
    if (!sender?.node) return;
    action(sender.node);
    this.processReady(sender);
  }

  private send(message: Message): void {
    const wire = this.options.encodeMessages ? decodeMessage(encodeMessage(message)) : message;
    const outcome = this.network.send(wire, this.nowUnits);
    if (outcome === 'queued') return;
    if (message.type === MessageType.Snap) {
      this.schedule(this.nowUnits + 1, () => this.report(Number(message.from), (node) => node.reportSnapshot(message.to, false)));
    } else if (outcome === 'blocked' && this.prng.chance(0.2)) {
      // The transport notices a broken connection now and then.
      this.schedule(this.nowUnits + 1, () => this.report(Number(message.from), (node) => node.reportUnreachable(message.to)));
    }
  }

  propose(id: number, key: string): boolean {
    const member = this.member(id);
    if (!member.node) return false;
    try {
      member.node.propose(new TextEncoder().encode(key));
    } catch (error) {
      if (error instanceof ProposalDroppedError) return false;
      throw error;
    }
    this.processReady(member);
    return true;
  }

  proposeConfChange(id: number, type: ConfChangeType, nodeId: number): boolean {
    const member = this.member(id);
    if (!member.node) return false;
    try {
      member.node.proposeConfChange({ type, nodeId, context: new Uint8Array(0) });
    } catch (error) {
      if (error instanceof ProposalDroppedError) return false;
      throw error;
    }
    this.processReady(member);
    return true;
  }

  readIndex(id: number, context: string): boolean {
    const member = this.member(id);
    if (!member.node) return false;
    try {
      member.node.readIndex(new TextEncoder().encode(context));
    } catch (error) {
      if (error instanceof ProposalDroppedError) return false;
      throw error;
    }
    member.pendingReads.set(context, this.checker.highestAppliedIndex);
    this.processReady(member);
    return true;
  }

  transferLeader(leaderId: number, transferee: number): void {
    const member = this.member(leaderId);
    if (!member.node) return;
    member.node.transferLeader(transferee);
    this.processReady(member);
  }

  processReady(member: SimMember): void {
    for (let round = 0; member.node?.hasReady(); round++) {
      if (round > 10_000) throw new Error(`member ${member.id}: Ready loop does not settle`);
      const node = member.node;
      const ready = node.ready();
      if (this.prng.chance(this.options.crashInReadyProbability)) {
        this.crash(member.id, this.prng.range(1, 30) * TICK_UNITS); // before persisting: all of it is lost
        return;
      }
      const moment = this.persist(member, node, ready);
      const crashNow =
        this.prng.chance(this.options.crashInReadyProbability) ||
        ((moment.becameLeader || moment.leaderCommitAdvanced) && this.prng.chance(this.options.crashLeaderAtMomentProbability));
      if (crashNow) {
        this.crash(member.id, this.prng.range(1, 30) * TICK_UNITS); // persisted, but never sent or applied
        return;
      }
      for (const message of ready.messages) this.send(message);
      const removedSelf = this.apply(member, node, ready);
      node.advance(ready);
      this.maybeSnapshot(member);
      if (removedSelf) {
        // Like etcd, a member that applied its own removal shuts down.
        member.node = undefined;
        member.removed = true;
        return;
      }
    }
  }

  private persist(member: SimMember, node: RawNode, ready: Ready): { becameLeader: boolean; leaderCommitAdvanced: boolean } {
    const disk = member.disk;
    const previousCommit = disk.hardStateForTesting().commit;
    if (ready.snapshot) disk.applySnapshot(ready.snapshot);
    if (ready.entries.length > 0) {
      disk.append(ready.entries);
      for (const entry of ready.entries) this.checker.onPersistedEntry(member.id, entry, termOnDisk(disk, entry.index - 1) ?? -1);
    }
    if (ready.hardState) disk.setHardState(ready.hardState);
    const commit = disk.hardStateForTesting().commit;
    const from = Math.max(member.recordedCommit, disk.firstIndex() - 1) + 1;
    if (commit >= from) {
      for (const entry of disk.entries(from, commit + 1, Number.POSITIVE_INFINITY)) {
        this.checker.onCommitted(member.id, entry.index, entry.term, entryKey(entry));
      }
    }
    member.recordedCommit = Math.max(member.recordedCommit, commit);
    const status = node.status();
    const isLeader = status.role === Role.Leader;
    const becameLeader = isLeader && status.term !== member.lastLeaderTerm;
    if (becameLeader) {
      member.lastLeaderTerm = status.term;
      this.stats.leaderChanges++;
      this.checker.onLeader(status.term, member.id);
      this.checker.onNewLeader(member.id, status.term, disk.firstIndex(), (index) => termOnDisk(disk, index));
    }
    return { becameLeader, leaderCommitAdvanced: isLeader && commit > previousCommit };
  }

  /** Applies a Ready's snapshot and committed entries; true when this member applied its own removal. */
  private apply(member: SimMember, node: RawNode, ready: Ready): boolean {
    let removedSelf = false;
    if (ready.snapshot) {
      const history = decodeHistory(ready.snapshot.data);
      history.forEach((key, index) => {
        if (key !== null) this.checker.onApplied(member.id, index, key);
      });
      member.history = history;
      member.appliedIndex = ready.snapshot.metadata.index;
      member.confState = ready.snapshot.metadata.confState;
    }
    for (const entry of ready.committedEntries) {
      if (entry.index !== member.appliedIndex + 1) {
        throw new InvariantViolation('Apply Order', `member ${member.id} applied index ${entry.index} after ${member.appliedIndex}`);
      }
      const key = entryKey(entry);
      this.checker.onApplied(member.id, entry.index, key);
      member.history[entry.index] = key;
      member.appliedIndex = entry.index;
      if (entry.type === EntryType.ConfChange) {
        const change = decodeConfChange(entry.data);
        member.confState = node.applyConfChange(change);
        if (change.type === ConfChangeType.RemoveNode && change.nodeId === member.id) removedSelf = true;
      } else if (entry.data.length > 0) {
        this.appliedProposals.add(key);
      }
    }
    for (const readState of ready.readStates) {
      const context = bytesToKey(readState.requestContext);
      const required = member.pendingReads.get(context);
      if (required === undefined) continue;
      member.pendingReads.delete(context);
      this.checker.onReadState(member.id, readState.index, required);
      this.stats.readsConfirmed++;
    }
    return removedSelf;
  }

  private maybeSnapshot(member: SimMember): void {
    const disk = member.disk;
    const snapshotIndex = disk.snapshot().metadata.index;
    if (member.appliedIndex - snapshotIndex < this.options.snapshotIntervalEntries) return;
    const data = new TextEncoder().encode(JSON.stringify(member.history.slice(0, member.appliedIndex + 1)));
    disk.createSnapshot(member.appliedIndex, member.confState, data);
    const compactIndex = member.appliedIndex - this.options.snapshotKeepEntries;
    if (compactIndex > disk.firstIndex() - 1) disk.compact(compactIndex);
  }
}

/** Term of the entry at index on a disk: undefined if compacted, 0 beyond the end. */
export function termOnDisk(disk: MemoryStorage, index: number): number | undefined {
  if (index > disk.lastIndex()) return 0;
  if (index < disk.firstIndex() - 1) return undefined;
  return disk.term(index);
}

/** The simulated state machine's snapshot: the key of every applied entry (empty data: the empty state). */
function decodeHistory(data: Uint8Array): (string | null)[] {
  if (data.length === 0) return [];
  return JSON.parse(new TextDecoder().decode(data)) as (string | null)[];
}
