// A small synchronous cluster for unit tests: each member has a
// MemoryStorage, every Ready is processed in the documented order
// (persist, send, apply, advance), and messages are delivered by hand or
// until the network is quiet. Messages can be dropped per link.

import {
  ConfChangeType,
  EntryType,
  MemoryStorage,
  MessageType,
  RawNode,
  decodeConfChange,
  type ConfState,
  type Entry,
  type Message,
  type RaftConfig,
  type ReadState,
} from '../../src/raft/index.js';

import { seededRandom } from '../../src/pkg/seeded-random.js';

export { seededRandom };

export interface TestMemberOptions {
  electionTick?: number;
  heartbeatTick?: number;
  checkQuorum?: boolean;
  preVote?: boolean;
  maxSizePerMsgBytes?: number;
  maxInflightMsgs?: number;
  unsafeCommitPreviousTermEntries?: boolean;
}


export class TestMember {
  node: RawNode;
  readonly applied: Entry[] = [];
  readonly readStates: ReadState[] = [];
  confState: ConfState;

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
    private readonly options: TestMemberOptions = {},
  ) {
    this.node = new RawNode(this.config());
    this.confState = storage.initialState().confState;
  }

  config(applied?: number): RaftConfig {
    return {
      id: this.id,
      electionTick: this.options.electionTick ?? 10,
      heartbeatTick: this.options.heartbeatTick ?? 1,
      storage: this.storage,
      applied,
      checkQuorum: this.options.checkQuorum,
      preVote: this.options.preVote,
      maxSizePerMsgBytes: this.options.maxSizePerMsgBytes,
      maxInflightMsgs: this.options.maxInflightMsgs,
      unsafeCommitPreviousTermEntries: this.options.unsafeCommitPreviousTermEntries,
      random: seededRandom(this.id * 7919),
    };
  }

  /** Restarts from storage, as after a crash (everything persisted survives). */
  restart(): void {
    this.node = new RawNode(this.config());
    this.applied.length = 0;
  }

  /** Processes every pending Ready; returns the messages to send. */
  processReady(): Message[] {
    const sent: Message[] = [];
    for (let round = 0; round < 100 && this.node.hasReady(); round++) {
      const ready = this.node.ready();
      if (ready.snapshot) this.storage.applySnapshot(ready.snapshot);
      this.storage.append(ready.entries);
      if (ready.hardState) this.storage.setHardState(ready.hardState);
      sent.push(...ready.messages);
      for (const entry of ready.committedEntries) {
        this.applied.push(entry);
        if (entry.type === EntryType.ConfChange) this.confState = this.node.applyConfChange(decodeConfChange(entry.data));
      }
      this.readStates.push(...ready.readStates);
      this.node.advance(ready);
    }
    return sent;
  }

  appliedData(): string[] {
    return this.applied.filter((entry) => entry.type === EntryType.Normal && entry.data.length > 0).map((entry) => new TextDecoder().decode(entry.data));
  }
}

export class TestCluster {
  readonly members = new Map<number, TestMember>();
  /** Links (from -> to) whose messages are dropped. */
  private readonly cutLinks = new Set<string>();
  /** Message types dropped everywhere. */
  readonly droppedTypes = new Set<MessageType>();
  /** Sees every message before it is sent: returns it (possibly rewritten), or undefined to drop it. */
  intercept: (message: Message) => Message | undefined = (message) => message;
  inFlight: Message[] = [];

  constructor(ids: number[], options: TestMemberOptions = {}, storageFor?: (id: number) => MemoryStorage) {
    for (const id of ids) {
      const storage = storageFor ? storageFor(id) : MemoryStorage.withConfState({ voters: ids, learners: [] });
      this.members.set(id, new TestMember(id, storage, options));
    }
  }

  member(id: number): TestMember {
    const member = this.members.get(id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }

  node(id: number): RawNode {
    return this.member(id).node;
  }

  cut(a: number, b: number): void {
    this.cutLinks.add(`${a}->${b}`);
    this.cutLinks.add(`${b}->${a}`);
  }

  cutOneWay(from: number, to: number): void {
    this.cutLinks.add(`${from}->${to}`);
  }

  isolate(id: number): void {
    for (const other of this.members.keys()) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.cutLinks.clear();
  }

  private collect(): void {
    for (const member of this.members.values()) {
      for (const sent of member.processReady()) {
        if (this.cutLinks.has(`${sent.from}->${sent.to}`) || this.droppedTypes.has(sent.type)) continue;
        const message = this.intercept(sent);
        if (message) this.inFlight.push(message);
      }
    }
  }

  /** Delivers messages until the network is quiet (bounded). */
  stabilize(maxRounds = 1000): void {
    this.collect();
    for (let round = 0; round < maxRounds && this.inFlight.length > 0; round++) {
      const batch = this.inFlight;
      this.inFlight = [];
      for (const message of batch) this.members.get(Number(message.to))?.node.step(message);
      this.collect();
    }
    if (this.inFlight.length > 0) throw new Error('network did not quiesce');
  }

  tickAll(ticks = 1): void {
    for (let i = 0; i < ticks; i++) {
      for (const member of this.members.values()) member.node.tick();
      this.stabilize();
    }
  }

  campaign(id: number): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: number, data: string): void {
    this.node(id).propose(new TextEncoder().encode(data));
    this.stabilize();
  }

  leaders(): number[] {
    return [...this.members.values()].filter((member) => member.node.status().role === 'leader').map((member) => member.id);
  }

  addMember(id: number, options: TestMemberOptions = {}): TestMember {
    const member = new TestMember(id, new MemoryStorage(), options);
    this.members.set(id, member);
    return member;
  }

  proposeConfChange(id: number, type: ConfChangeType, nodeId: number): void {
    this.node(id).proposeConfChange({ type, nodeId, context: new Uint8Array(0) });
    this.stabilize();
  }
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
