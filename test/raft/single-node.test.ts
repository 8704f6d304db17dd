import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfChangeType, EntryType, MemoryStorage, ProposalDroppedError, RawNode, Role, decodeConfChange } from '../../src/raft/index.js';
import { seededRandom, text } from './harness.js';

test('a bootstrapped single member becomes leader at once and commits what it appends', () => {
  const storage = MemoryStorage.bootstrap([1]);
  const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(1) });
  assert.throws(() => node.propose(text('early')), ProposalDroppedError);
  node.campaign();
  assert.equal(node.status().role, Role.Leader);

  // First Ready: the new term's empty entry to persist, handed out as
  // committed too (alone, the leader is the quorum), after the bootstrap conf change.
  let ready = node.ready();
  assert.equal(ready.softState?.role, Role.Leader);
  assert.deepEqual(ready.hardState, { term: 2, vote: 1, commit: 2 });
  assert.deepEqual(ready.entries.map((entry) => entry.index), [2]);
  assert.ok(ready.mustSync);
  assert.deepEqual(ready.committedEntries.map((entry) => [entry.index, entry.type]), [[1, EntryType.ConfChange], [2, EntryType.Normal]]);
  // The caller persists a Ready's entries before it applies its committed ones.
  storage.append(ready.entries);
  storage.setHardState(ready.hardState!);
  node.applyConfChange(decodeConfChange(ready.committedEntries[0]!.data));
  node.advance(ready);
  assert.equal(node.hasReady(), false);

  node.propose(text('hello'));
  ready = node.ready();
  assert.equal(ready.entries.length, 1);
  assert.equal(ready.committedEntries.length, 1, 'one Ready: persist, then apply');
  assert.deepEqual(new TextDecoder().decode(ready.committedEntries[0]!.data), 'hello');
  assert.equal(ready.hardState?.commit, 3);
  storage.append(ready.entries);
  storage.setHardState(ready.hardState!);
  node.advance(ready);
  assert.equal(node.hasReady(), false);
  assert.equal(node.status().applied, 3);
});

test('a leader with a learner commits only after persisting (the learner must not learn of an unwritten commit)', () => {
  const storage = MemoryStorage.bootstrap([1]);
  const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(4) });
  node.campaign();
  const persistAndApply = () => {
    const ready = node.ready();
    storage.append(ready.entries);
    if (ready.hardState) storage.setHardState(ready.hardState);
    for (const entry of ready.committedEntries) {
      if (entry.type === EntryType.ConfChange) node.applyConfChange(decodeConfChange(entry.data));
    }
    node.advance(ready);
    return ready;
  };
  persistAndApply();
  node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 2, context: new Uint8Array(0) });
  while (node.hasReady()) persistAndApply();
  assert.deepEqual(node.status().confState.learners, [2]);

  node.propose(text('with a learner'));
  const ready = node.ready();
  assert.equal(ready.entries.length, 1);
  assert.equal(ready.committedEntries.length, 0, 'not committed before it is persisted');
  storage.append(ready.entries);
  node.advance(ready);
  assert.deepEqual(node.ready().committedEntries.map((entry) => new TextDecoder().decode(entry.data)), ['with a learner']);
});

test('a single member serves ReadIndex only after committing in its term', () => {
  const storage = MemoryStorage.bootstrap([1]);
  const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(2) });
  assert.throws(() => node.readIndex(text('r0')), ProposalDroppedError, 'no leader yet');
  node.campaign();
  // The new term's empty entry committed on append, so the read is served at its index.
  node.readIndex(text('r1'));
  const ready = node.ready();
  assert.equal(ready.readStates.length, 1);
  assert.equal(ready.readStates[0]!.index, 2);
  assert.deepEqual(ready.readStates[0]!.requestContext, text('r1'));
  node.advance(ready);
});

test('restart after a crash keeps what was persisted', () => {
  const storage = MemoryStorage.bootstrap([1]);
  let node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(3) });
  node.campaign();
  for (let i = 0; i < 3; i++) {
    const ready = node.ready();
    storage.append(ready.entries);
    if (ready.hardState) storage.setHardState(ready.hardState);
    node.advance(ready);
  }
  const before = node.status();
  node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(3) });
  const after = node.status();
  assert.equal(after.term, before.term);
  assert.equal(after.commit, before.commit);
  assert.equal(after.role, Role.Follower);
  node.campaign();
  assert.equal(node.status().role, Role.Leader);
  assert.equal(node.status().term, before.term + 1);
});

test('a sole voter knows its read index without a round: its term\'s first entry, once committed', () => {
  const storage = MemoryStorage.bootstrap([1]);
  const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(5) });
  assert.equal(node.soleVoterReadIndex(), undefined, 'a follower');
  node.campaign();
  const ready = node.ready();
  storage.append(ready.entries);
  for (const entry of ready.committedEntries) {
    if (entry.type === EntryType.ConfChange) node.applyConfChange(decodeConfChange(entry.data));
  }
  node.advance(ready);
  assert.equal(node.soleVoterReadIndex(), 2, "the term's first entry");
  node.propose(text('x'));
  assert.equal(node.status().commit, 3, 'committed on append');
  assert.equal(node.soleVoterReadIndex(), 2, 'a proposal no client has seen acknowledged does not hold reads back');
  node.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 2, context: new Uint8Array(0) });
  while (node.hasReady()) {
    const next = node.ready();
    storage.append(next.entries);
    for (const entry of next.committedEntries) {
      if (entry.type === EntryType.ConfChange) node.applyConfChange(decodeConfChange(entry.data));
    }
    node.advance(next);
  }
  assert.deepEqual(node.status().confState.voters, [1, 2]);
  assert.equal(node.soleVoterReadIndex(), undefined, 'two voters: reads need a quorum');
});
