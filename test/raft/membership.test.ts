// Membership changes (Raft paper §6, one change at a time), leader
// transfer (thesis §3.10), snapshots (§7) and refused proposals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfChangeType, MemoryStorage, ProposalDroppedError, Role, type ConfState } from '../../src/raft/index.js';
import { TestCluster, text } from './harness.js';

test('§6 a learner receives the log but does not count toward commit; AddNode promotes it', () => {
  const cluster = new TestCluster([1, 2], {}, () => MemoryStorage.bootstrap([1, 2]));
  cluster.campaign(1);
  cluster.addMember(3);
  cluster.proposeConfChange(1, ConfChangeType.AddLearnerNode, 3);
  cluster.propose(1, 'a');
  assert.deepEqual(cluster.member(3).appliedData(), ['a'], 'the learner has the log');
  assert.deepEqual(cluster.member(1).confState, { voters: [1, 2], learners: [3] } satisfies ConfState);
  // With 2 down, the learner cannot help commit.
  cluster.isolate(2);
  cluster.propose(1, 'b');
  assert.deepEqual(cluster.member(1).appliedData(), ['a']);
  cluster.heal();
  cluster.tickAll(2);
  cluster.proposeConfChange(1, ConfChangeType.AddNode, 3);
  assert.deepEqual(cluster.member(3).confState, { voters: [1, 2, 3], learners: [] } satisfies ConfState);
  // Now 1 and 3 are a majority of three.
  cluster.isolate(2);
  cluster.propose(1, 'c');
  assert.deepEqual(cluster.member(1).appliedData(), ['a', 'b', 'c']);
  assert.deepEqual(cluster.member(3).appliedData(), ['a', 'b', 'c']);
});

test('§6 a learner never campaigns', () => {
  const cluster = new TestCluster([1]);
  cluster.campaign(1);
  cluster.addMember(2);
  cluster.proposeConfChange(1, ConfChangeType.AddLearnerNode, 2);
  cluster.isolate(1);
  cluster.tickAll(50);
  assert.equal(cluster.node(2).status().role, Role.Follower);
  cluster.node(2).campaign();
  assert.equal(cluster.node(2).status().role, Role.Follower);
});

test('§6 removing a voter shrinks the quorum', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.proposeConfChange(1, ConfChangeType.RemoveNode, 3);
  assert.deepEqual(cluster.member(1).confState.voters, [1, 2]);
  cluster.isolate(3);
  cluster.propose(1, 'x');
  assert.deepEqual(cluster.member(2).appliedData(), ['x']);
});

test('§6 removing the leader hands leadership to an up-to-date voter', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.propose(1, 'before');
  cluster.proposeConfChange(1, ConfChangeType.RemoveNode, 1);
  assert.notEqual(cluster.node(1).status().role, Role.Leader);
  cluster.members.delete(1); // the removed member shuts down
  cluster.tickAll(30);
  const leaders = cluster.leaders();
  assert.equal(leaders.length, 1);
  cluster.propose(leaders[0]!, 'after');
  for (const id of [2, 3]) assert.deepEqual(cluster.member(id).appliedData(), ['before', 'after']);
  assert.deepEqual(cluster.member(2).confState.voters, [2, 3]);
});

test('§6 only one configuration change may be pending', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.isolate(1); // the first change cannot commit
  cluster.node(1).proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4, context: new Uint8Array(0) });
  assert.throws(
    () => cluster.node(1).proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 5, context: new Uint8Array(0) }),
    ProposalDroppedError,
  );
});

test('proposals are refused, never silently dropped, without a leader', () => {
  const cluster = new TestCluster([1, 2, 3]);
  assert.throws(() => cluster.node(1).propose(text('x')), ProposalDroppedError);
  assert.throws(() => cluster.node(1).readIndex(text('r')), ProposalDroppedError);
  cluster.isolate(1);
  cluster.node(1).campaign(); // pre-candidate
  assert.throws(() => cluster.node(1).propose(text('x')), ProposalDroppedError);
});

test('thesis §3.10 leader transfer: the target catches up, then takes over at once; proposals are refused meanwhile', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.isolate(3);
  cluster.propose(1, 'a'); // 3 is behind
  cluster.node(1).transferLeader(3);
  assert.equal(cluster.node(1).status().leadTransferee, 3);
  assert.throws(() => cluster.node(1).propose(text('refused')), ProposalDroppedError);
  cluster.heal();
  cluster.tickAll(1);
  assert.deepEqual(cluster.leaders(), [3]);
  assert.deepEqual(cluster.member(3).appliedData(), ['a']);
  cluster.propose(3, 'b');
  for (const id of [1, 2, 3]) assert.deepEqual(cluster.member(id).appliedData(), ['a', 'b']);
});

test('thesis §3.10 a transfer to an unreachable target is abandoned after an election timeout', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.isolate(3);
  cluster.node(1).transferLeader(3);
  cluster.tickAll(12);
  assert.equal(cluster.node(1).status().leadTransferee, 0);
  assert.deepEqual(cluster.leaders(), [1]);
  cluster.propose(1, 'accepted again');
});

test('§7 a follower behind the compacted log receives a snapshot, restores it and continues', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.isolate(3);
  for (let i = 0; i < 10; i++) cluster.propose(1, `v${i}`);
  const leader = cluster.member(1);
  const appliedIndex = leader.node.status().applied;
  leader.storage.createSnapshot(appliedIndex, leader.confState, text('state-at-' + appliedIndex));
  leader.storage.compact(appliedIndex);
  cluster.heal();
  // The snapshot goes out; the transport reports its delivery.
  let snapshotsSent = 0;
  cluster.intercept = (message) => {
    if (message.snapshot) snapshotsSent++;
    return message;
  };
  cluster.tickAll(1);
  cluster.node(1).reportSnapshot(3, true);
  cluster.tickAll(2);
  assert.equal(snapshotsSent, 1);
  const follower = cluster.member(3);
  assert.equal(follower.storage.snapshot().metadata.index, appliedIndex);
  assert.deepEqual(follower.storage.snapshot().data, text('state-at-' + appliedIndex));
  cluster.propose(1, 'after');
  assert.deepEqual(follower.appliedData(), ['after']);
  assert.equal(follower.node.status().applied, leader.node.status().applied);
});

test('a member that joins with an empty storage catches up and learns the membership from the log', () => {
  const cluster = new TestCluster([1, 2, 3], {}, () => MemoryStorage.bootstrap([1, 2, 3]));
  cluster.campaign(1);
  cluster.propose(1, 'a');
  cluster.addMember(4);
  cluster.proposeConfChange(1, ConfChangeType.AddNode, 4);
  cluster.tickAll(3);
  cluster.node(1).reportSnapshot(4, true);
  cluster.tickAll(3);
  cluster.propose(1, 'b');
  assert.deepEqual(cluster.member(4).appliedData(), ['a', 'b']);
  assert.deepEqual(cluster.node(4).status().confState.voters, [1, 2, 3, 4], 'learned from the bootstrap entries and its own AddNode');
  // Four voters: 1 and 4 alone are not a majority.
  cluster.cut(1, 2);
  cluster.cut(1, 3);
  cluster.propose(1, 'c');
  assert.deepEqual(cluster.member(4).appliedData(), ['a', 'b']);
  cluster.heal();
  cluster.tickAll(2);
  assert.deepEqual(cluster.member(4).appliedData(), ['a', 'b', 'c']);
});
