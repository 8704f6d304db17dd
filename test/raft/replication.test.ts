import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.js';

test('three members elect a leader and replicate proposals to all', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  assert.deepEqual(cluster.leaders(), [1]);
  cluster.propose(1, 'a');
  cluster.propose(2, 'b'); // forwarded by a follower
  for (const id of [1, 2, 3]) assert.deepEqual(cluster.member(id).appliedData(), ['a', 'b']);
});
