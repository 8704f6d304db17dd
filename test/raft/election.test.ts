// Leader election: Raft paper §5.2 and §5.4.1, PreVote and CheckQuorum
// (Ongaro's thesis §9.6 and §6.2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, MessageType, RawNode, Role } from '../../src/raft/index.js';
import { TestCluster, seededRandom } from './harness.js';

function freshNode(id: number, voters: number[], options: { preVote?: boolean; checkQuorum?: boolean } = {}): RawNode {
  return new RawNode({
    id,
    electionTick: 10,
    heartbeatTick: 1,
    storage: MemoryStorage.withConfState({ voters, learners: [] }),
    random: seededRandom(id),
    ...options,
  });
}

test('§5.2 a follower that hears no leader for an election timeout becomes candidate and requests votes', () => {
  const node = freshNode(1, [1, 2, 3], { preVote: false });
  for (let tick = 0; tick < 20 && node.status().role === Role.Follower; tick++) node.tick();
  const status = node.status();
  assert.equal(status.role, Role.Candidate);
  assert.equal(status.term, 1);
  assert.equal(status.vote, 1, 'votes for itself');
  const ready = node.ready();
  assert.deepEqual(ready.hardState, { term: 1, vote: 1, commit: 0 });
  const votes = ready.messages.filter((message) => message.type === MessageType.Vote);
  assert.deepEqual(votes.map((message) => message.to), [2, 3]);
  assert.ok(votes.every((message) => message.term === 1));
});

test('§5.2 election timeouts are randomized within [electionTick, 2 * electionTick)', () => {
  const timeouts = new Set<number>();
  for (let seed = 1; seed <= 50; seed++) {
    const node = new RawNode({
      id: 1,
      electionTick: 10,
      heartbeatTick: 1,
      storage: MemoryStorage.withConfState({ voters: [1, 2, 3], learners: [] }),
      random: seededRandom(seed),
      preVote: false,
    });
    let ticks = 0;
    while (node.status().role === Role.Follower) {
      node.tick();
      ticks++;
    }
    assert.ok(ticks >= 10 && ticks < 20, `timeout ${ticks}`);
    timeouts.add(ticks);
  }
  assert.ok(timeouts.size > 3, 'timeouts vary');
});

test('§5.2 a candidate with a majority of votes becomes leader; the others follow it', () => {
  const cluster = new TestCluster([1, 2, 3, 4, 5]);
  cluster.campaign(3);
  assert.deepEqual(cluster.leaders(), [3]);
  for (const id of [1, 2, 4, 5]) assert.equal(cluster.node(id).status().leader, 3);
});

test('§5.2 each member grants at most one vote per term (Election Safety)', () => {
  const cluster = new TestCluster([1, 2, 3], { preVote: false });
  // 1 and 2 campaign in the same term; 3 can vote for only one of them.
  cluster.node(1).campaign();
  cluster.node(2).campaign();
  cluster.stabilize();
  const leaders = cluster.leaders();
  assert.ok(leaders.length <= 1);
  const terms = new Set([1, 2, 3].map((id) => cluster.node(id).status().term));
  assert.equal(terms.size, 1);
});

test('§5.2 a candidate that hears from a leader of its term returns to follower', () => {
  const node = freshNode(2, [1, 2, 3], { preVote: false });
  node.campaign();
  assert.equal(node.status().role, Role.Candidate);
  const term = node.status().term;
  node.step({
    type: MessageType.App, from: 1, to: 2, term, logTerm: 0, index: 0, entries: [], commit: 0,
    reject: false, rejectHint: 0, context: new Uint8Array(0),
  });
  assert.equal(node.status().role, Role.Follower);
  assert.equal(node.status().leader, 1);
  assert.equal(node.status().term, term);
});

test('§5.4.1 election restriction: a voter refuses a candidate whose log is less up to date', () => {
  const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
  cluster.campaign(1);
  cluster.isolate(3);
  cluster.propose(1, 'only on 1 and 2');
  cluster.heal();
  cluster.isolate(1);
  // 3 lacks the entry, so 2 will not vote for it.
  cluster.node(3).campaign();
  cluster.stabilize();
  assert.notEqual(cluster.node(3).status().role, Role.Leader);
  cluster.node(2).campaign();
  cluster.stabilize();
  assert.equal(cluster.node(2).status().role, Role.Leader);
  assert.deepEqual(cluster.member(3).appliedData(), ['only on 1 and 2']);
});

test('PreVote: a member rejoining after a partition does not disrupt a healthy leader', () => {
  const cluster = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
  cluster.campaign(1);
  const termBefore = cluster.node(1).status().term;
  cluster.isolate(3);
  cluster.tickAll(50); // 3 campaigns (pre-votes) over and over, in vain
  assert.equal(cluster.node(3).status().term, termBefore, 'pre-votes never raise the term');
  cluster.heal();
  cluster.tickAll(5);
  assert.deepEqual(cluster.leaders(), [1]);
  assert.equal(cluster.node(1).status().term, termBefore);
  cluster.propose(1, 'still works');
  assert.deepEqual(cluster.member(3).appliedData(), ['still works']);
});

test('without PreVote a rejoining member forces a new term (the disruption PreVote prevents)', () => {
  const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
  cluster.campaign(1);
  const termBefore = cluster.node(1).status().term;
  cluster.isolate(3);
  cluster.tickAll(50);
  assert.ok(cluster.node(3).status().term > termBefore);
  cluster.heal();
  cluster.tickAll(30);
  assert.ok(cluster.node(1).status().term > termBefore);
});

test('CheckQuorum: a leader that cannot reach a quorum steps down', () => {
  const cluster = new TestCluster([1, 2, 3], { checkQuorum: true });
  cluster.campaign(1);
  cluster.isolate(1);
  cluster.tickAll(25);
  assert.notEqual(cluster.node(1).status().role, Role.Leader);
  assert.equal(cluster.leaders().length, 1, 'the majority side elected a leader');
});

test('CheckQuorum lease: members that hear from a leader ignore vote requests', () => {
  const cluster = new TestCluster([1, 2, 3], { checkQuorum: true, preVote: false });
  cluster.campaign(1);
  const term = cluster.node(1).status().term;
  cluster.node(2).campaign(); // forced local campaign; 1 and 3 are within the lease
  cluster.stabilize();
  assert.equal(cluster.node(3).status().term, term, 'the request was ignored');
  assert.deepEqual(cluster.leaders(), [1]);
});
