// Linearizable reads with ReadIndex (Ongaro's thesis §6.4).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/raft/index.js';
import { TestCluster, text } from './harness.js';

test('thesis §6.4 the leader answers ReadIndex with its commit index after a quorum heartbeat round', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.propose(1, 'a');
  cluster.node(1).readIndex(text('read-1'));
  cluster.stabilize();
  const states = cluster.member(1).readStates;
  assert.equal(states.length, 1);
  assert.equal(states[0]!.index, cluster.node(1).status().commit);
  assert.deepEqual(states[0]!.requestContext, text('read-1'));
});

test('thesis §6.4 a follower\'s ReadIndex is forwarded to the leader and answered to the follower', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.propose(1, 'a');
  cluster.node(3).readIndex(text('from-3'));
  cluster.stabilize();
  assert.deepEqual(cluster.member(3).readStates.map((state) => state.index), [cluster.node(1).status().commit]);
  assert.equal(cluster.member(1).readStates.length, 0);
});

test('thesis §6.4 a leader cut off from the quorum cannot confirm a read', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  cluster.isolate(1);
  cluster.node(1).readIndex(text('stale?'));
  cluster.tickAll(3);
  assert.equal(cluster.member(1).readStates.length, 0);
});

test('thesis §6.4 a new leader postpones ReadIndex until it commits an entry of its term', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.droppedTypes.add(MessageType.AppResp); // nothing of the new term can commit
  cluster.campaign(1);
  cluster.node(1).readIndex(text('early'));
  cluster.tickAll(2);
  assert.equal(cluster.member(1).readStates.length, 0);
  cluster.droppedTypes.delete(MessageType.AppResp);
  cluster.tickAll(2);
  assert.equal(cluster.member(1).readStates.length, 1);
  assert.ok(cluster.member(1).readStates[0]!.index >= 1);
});
