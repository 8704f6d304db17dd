// Log replication and commitment: Raft paper §5.3 and §5.4.2, flow control.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, Role } from '../../src/raft/index.js';
import { TestCluster } from './harness.js';

test('three members elect a leader and replicate proposals to all', () => {
  const cluster = new TestCluster([1, 2, 3]);
  cluster.campaign(1);
  assert.deepEqual(cluster.leaders(), [1]);
  cluster.propose(1, 'a');
  cluster.propose(2, 'b'); // forwarded by a follower
  for (const id of [1, 2, 3]) assert.deepEqual(cluster.member(id).appliedData(), ['a', 'b']);
});

test('§5.3 an entry commits once a majority holds it, even with a member down', () => {
  const cluster = new TestCluster([1, 2, 3, 4, 5]);
  cluster.campaign(1);
  cluster.isolate(4);
  cluster.isolate(5);
  cluster.propose(1, 'x');
  assert.deepEqual(cluster.member(1).appliedData(), ['x']);
  assert.deepEqual(cluster.member(4).appliedData(), []);
  cluster.isolate(3);
  cluster.propose(1, 'y');
  assert.deepEqual(cluster.member(1).appliedData(), ['x'], 'two of five is not a majority');
  cluster.heal();
  cluster.tickAll(2);
  for (const id of [1, 2, 3, 4, 5]) assert.deepEqual(cluster.member(id).appliedData(), ['x', 'y']);
});

test('§5.3 log matching: a follower\'s conflicting entries are overwritten by the leader\'s', () => {
  const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
  cluster.campaign(1);
  cluster.propose(1, 'common');
  // 1 appends entries that reach nobody, then loses leadership.
  cluster.isolate(1);
  for (const value of ['lost-1', 'lost-2', 'lost-3']) cluster.propose(1, value);
  cluster.node(2).campaign();
  cluster.stabilize();
  cluster.propose(2, 'new');
  cluster.heal();
  cluster.tickAll(3);
  for (const id of [1, 2, 3]) assert.deepEqual(cluster.member(id).appliedData(), ['common', 'new']);
  const log = (id: number) => cluster.member(id).storage.entries(1, cluster.member(id).storage.lastIndex() + 1, Infinity);
  assert.deepEqual(log(1), log(2));
  assert.deepEqual(log(2), log(3));
});

test('§5.3 fast back-off: a long divergent tail is repaired in a few round trips', () => {
  const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false, maxSizePerMsgBytes: 1024 * 1024 });
  cluster.campaign(1);
  cluster.isolate(1);
  for (let i = 0; i < 100; i++) cluster.node(1).propose(new TextEncoder().encode(`stale-${i}`));
  cluster.stabilize();
  cluster.node(2).campaign();
  cluster.stabilize();
  for (let i = 0; i < 50; i++) cluster.node(2).propose(new TextEncoder().encode(`fresh-${i}`));
  cluster.stabilize();
  cluster.heal();
  let rejections = 0;
  const originalStep = cluster.node(2).step.bind(cluster.node(2));
  cluster.node(2).step = (message) => {
    if (message.type === MessageType.AppResp && message.reject) rejections++;
    originalStep(message);
  };
  cluster.tickAll(3);
  assert.equal(cluster.member(1).appliedData().length, 50);
  assert.ok(rejections <= 3, `${rejections} rejections for a 100-entry conflicting tail`);
});

test('§5.4.2 figure 8: a leader never commits an entry of an earlier term by counting replicas', () => {
  // The scenario of the paper's figure 8 on three members, returning what
  // each member applied at index 2.
  const run = (unsafeCommitPreviousTermEntries: boolean) => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false, maxSizePerMsgBytes: 1, unsafeCommitPreviousTermEntries });
    cluster.campaign(1); // term 1; its empty entry (index 1) everywhere
    // (a) Leader 1 appends X at index 2 (term 1), which reaches nobody.
    cluster.isolate(1);
    cluster.propose(1, 'X');
    // (b) 3 wins term 2 with 2's vote; its entry Y (index 2, term 2) reaches nobody.
    cluster.droppedTypes.add(MessageType.App);
    cluster.campaign(3);
    assert.equal(cluster.node(3).status().term, 2);
    assert.equal(cluster.node(3).status().role, Role.Leader);
    cluster.droppedTypes.delete(MessageType.App);
    cluster.heal();
    cluster.isolate(3);
    // (c) 1 restarts and wins term 3 with 2's vote (after a try in term 2
    // that 2 refuses: it voted for 3). It copies X to 2, but its own entry of
    // term 3 never arrives.
    cluster.member(1).restart();
    // Appends arrive without their term-3 entries, and no news of commits past index 1 reaches 2.
    cluster.intercept = (message) => {
      if (message.type === MessageType.App) {
        return { ...message, entries: message.entries.filter((entry) => entry.term !== 3), commit: Math.min(message.commit, 1) };
      }
      if (message.type === MessageType.Heartbeat) return { ...message, commit: Math.min(message.commit, 1) };
      return message;
    };
    cluster.campaign(1);
    if (cluster.node(1).status().role !== Role.Leader) cluster.campaign(1);
    assert.equal(cluster.node(1).status().role, Role.Leader);
    assert.equal(cluster.node(1).status().term, 3);
    cluster.tickAll(2);
    const commitWithOnlyX = cluster.node(1).status().commit;
    // (d) 1 goes away; 3 (whose last entry has the newer term 2) wins term 4 and overwrites index 2 on 2.
    cluster.intercept = (message) => message;
    cluster.heal();
    cluster.isolate(1);
    cluster.member(3).restart();
    cluster.campaign(3);
    if (cluster.node(3).status().role !== Role.Leader) cluster.campaign(3);
    assert.equal(cluster.node(3).status().role, Role.Leader);
    cluster.tickAll(2);
    const appliedAt2 = (id: number) => cluster.member(id).applied.find((entry) => entry.index === 2);
    return { commitWithOnlyX, on1: appliedAt2(1), on2: appliedAt2(2) };
  };

  const safe = run(false);
  assert.equal(safe.commitWithOnlyX, 1, 'X (term 1) is held by a majority but not committed by the term-3 leader');
  assert.equal(safe.on1, undefined);
  assert.equal(safe.on2?.term, 2, 'Y, never committed before, is what everyone applies');

  // The deliberately broken rule commits X and then loses it: two members apply different entries at index 2.
  const broken = run(true);
  assert.equal(broken.commitWithOnlyX, 2);
  assert.equal(broken.on1?.term, 1);
  assert.equal(broken.on2?.term, 2);
});

test('flow control: at most maxInflightMsgs appends are outstanding per follower, each within maxSizePerMsgBytes', () => {
  const cluster = new TestCluster([1, 2], { maxInflightMsgs: 2, maxSizePerMsgBytes: 100 });
  cluster.campaign(1);
  cluster.cut(1, 2);
  cluster.heal();
  // Let the follower reach Replicate, then stop delivering and propose a lot.
  const leader = cluster.node(1);
  for (let i = 0; i < 20; i++) leader.propose(new Uint8Array(40));
  const sent = cluster.member(1).processReady().filter((message) => message.type === MessageType.App && message.to === 2);
  assert.equal(sent.length, 2, 'two appends in flight, the rest waits');
  for (const message of sent) {
    const bytes = message.entries.reduce((sum, entry) => sum + entry.data.length, 0);
    assert.ok(message.entries.length === 1 || bytes <= 100, `message of ${bytes} bytes`);
  }
  cluster.inFlight.push(...sent);
  cluster.stabilize();
  assert.equal(cluster.member(2).applied.filter((entry) => entry.data.length === 40).length, 20);
});
