// Three real Raft nodes, each driven by a tiny Ready loop, talking through
// peer transports over loopback TCP: they elect a leader and commit; with
// one member cut off the other two go on committing and compact their logs;
// once it is back it catches up through a snapshot sent by the transport.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryType,
  MemoryStorage,
  ProposalDroppedError,
  RawNode,
  Role,
  decodeConfChange,
} from '../../src/raft/index.js';
import { PeerTransport } from '../../src/transport/index.js';
import { waitFor } from '../support/wait-for.js';
import { CLUSTER_ID, FAST_LIMITS, HOST } from './helpers.js';

const IDS = [1, 2, 3];
const TICK_INTERVAL_MS = 10;

/** A deterministic source for randomized election timeouts. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

class RaftMember {
  readonly storage = MemoryStorage.bootstrap(IDS);
  readonly node: RawNode;
  transport: PeerTransport | undefined;
  port = 0;
  /** The application state: proposals in commit order. */
  applied: string[] = [];
  appliedIndex = 0;
  snapshotsReceived = 0;
  private readonly ticker: NodeJS.Timeout;
  private processScheduled = false;
  private halted = false;

  constructor(readonly id: number) {
    this.node = new RawNode({ id, electionTick: 10, heartbeatTick: 2, storage: this.storage, random: seededRandom(id * 7919) });
    this.ticker = setInterval(() => {
      this.node.tick();
      this.process();
    }, TICK_INTERVAL_MS);
  }

  async startTransport(peers: readonly RaftMember[]): Promise<void> {
    const transport = new PeerTransport({
      localId: this.id,
      clusterId: CLUSTER_ID,
      listen: { host: HOST, port: this.port },
      onMessage: (message) => {
        this.node.step(message);
        this.scheduleProcess();
      },
      onUnreachable: (peerId) => this.node.reportUnreachable(peerId),
      onSnapshotStatus: (peerId, delivered) => {
        this.node.reportSnapshot(peerId, delivered);
        this.scheduleProcess();
      },
      limits: FAST_LIMITS,
    });
    await transport.start();
    this.port = transport.port;
    this.transport = transport;
    for (const peer of peers) if (peer !== this && peer.port !== 0) transport.addPeer(peer.id, [`http://${HOST}:${peer.port}`]);
  }

  propose(text: string): boolean {
    try {
      this.node.propose(new TextEncoder().encode(text));
    } catch (error) {
      if (error instanceof ProposalDroppedError) return false;
      throw error;
    }
    this.scheduleProcess();
    return true;
  }

  /** Takes a snapshot of the applied state and drops the log before it. */
  compact(): void {
    const index = this.appliedIndex;
    if (index <= this.storage.snapshot().metadata.index) return;
    this.storage.createSnapshot(index, this.node.status().confState, new TextEncoder().encode(JSON.stringify(this.applied)));
    this.storage.compact(index);
  }

  async halt(): Promise<void> {
    this.halted = true;
    clearInterval(this.ticker);
    await this.transport?.stop();
  }

  private scheduleProcess(): void {
    if (this.processScheduled) return;
    this.processScheduled = true;
    setImmediate(() => {
      this.processScheduled = false;
      this.process();
    });
  }

  /** The Ready loop: persist, send, apply, advance. */
  private process(): void {
    if (this.halted) return;
    for (let round = 0; round < 100 && this.node.hasReady(); round++) {
      const ready = this.node.ready();
      if (ready.snapshot !== undefined && ready.snapshot.metadata.index > 0) {
        this.storage.applySnapshot(ready.snapshot);
        this.applied = JSON.parse(new TextDecoder().decode(ready.snapshot.data)) as string[];
        this.appliedIndex = ready.snapshot.metadata.index;
        this.snapshotsReceived++;
      }
      if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
      this.storage.append(ready.entries);
      this.transport?.send(ready.messages);
      for (const entry of ready.committedEntries) {
        if (entry.type === EntryType.ConfChange) this.node.applyConfChange(decodeConfChange(entry.data));
        else if (entry.data.length > 0) this.applied.push(new TextDecoder().decode(entry.data));
        this.appliedIndex = entry.index;
      }
      this.node.advance(ready);
    }
  }
}

const members = IDS.map((id) => new RaftMember(id));
after(async () => {
  await Promise.all(members.map((member) => member.halt()));
});

function leaderAmong(candidates: readonly RaftMember[]): RaftMember | undefined {
  return candidates.find((member) => member.node.status().role === Role.Leader);
}

/** Proposes each value on the current leader among `candidates` until all of them applied it. */
async function commitAll(candidates: readonly RaftMember[], values: readonly string[]): Promise<void> {
  for (const value of values) {
    await waitFor(`a leader to take ${value}`, () => leaderAmong(candidates)?.propose(value), { timeoutMs: 5_000, intervalMs: 10 });
  }
  await waitFor(
    `${values.join(',')} applied on ${candidates.map((member) => member.id).join(',')}`,
    () => candidates.every((member) => values.every((value) => member.applied.includes(value))),
    { timeoutMs: 5_000, intervalMs: 10 },
  );
}

describe('three Raft nodes over peer transports', () => {
  it('elect, commit, survive one member down, and catch it up by snapshot', async () => {
    // Ports first, so every transport knows every peer's address.
    for (const member of members) await member.startTransport([]);
    for (const member of members) {
      for (const peer of members) if (peer !== member) member.transport!.addPeer(peer.id, [`http://${HOST}:${peer.port}`]);
    }

    await waitFor('a leader', () => leaderAmong(members), { timeoutMs: 5_000, intervalMs: 10 });
    await commitAll(members, ['a', 'b', 'c']);
    for (const member of members) assert.deepEqual(member.applied, ['a', 'b', 'c']);

    // Cut off the leader's transport: the other two elect anew and keep committing.
    const cutOff = leaderAmong(members)!;
    const rest = members.filter((member) => member !== cutOff);
    await cutOff.transport!.stop();
    await commitAll(rest, ['d', 'e', 'f']);
    assert.ok(!cutOff.applied.includes('d'));
    // The survivors forget the log the cut-off member misses, so it can only catch up by snapshot.
    for (const member of rest) member.compact();

    await cutOff.startTransport(rest);
    await commitAll(rest, ['g']);
    await waitFor('the returning member to catch up', () => cutOff.applied.length === 7, { timeoutMs: 5_000, intervalMs: 10 });
    for (const member of members) assert.deepEqual(member.applied, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.equal(cutOff.snapshotsReceived, 1);
    const newLeader = leaderAmong(rest)!;
    assert.equal(newLeader.transport!.peerStats(cutOff.id).snapshotsSent, 1);
  });
});
