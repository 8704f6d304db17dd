// --force-new-cluster: a member of a three-member cluster, restarted from
// its data with the flag while the others stay down, becomes the only
// member of a working one-member cluster and keeps every committed key.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, stopAllClusters } from '../support/cluster-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';

describe('--force-new-cluster', { timeout: 120_000 }, () => {
  after(stopAllClusters);

  it('restarts one member of three as a one-member cluster with its keys', async () => {
    // A small --snapshot-count so part of the membership comes from a snapshot, part from the log.
    const cluster = await Cluster.start({ size: 3, extraFlags: ['--snapshot-count=20'] });
    try {
      const [first] = cluster.members;
      for (let i = 0; i < 30; i++) await etcdctlOk(first!.endpoint, ['put', `key${i}`, `value${i}`]);
      const before = await etcdctlOk(first!.endpoint, ['member', 'list']);
      assert.equal(before.trim().split('\n').length, 3, before);
      // Transport logs name members by their full 64-bit ids, as the member list does.
      const ids = before.trim().split('\n').map((line) => line.split(',')[0]!);
      const transportLines = first!.output.split('\n').filter((line) => line.includes('"caller":"rafthttp/transport.go"'));
      const local = /"msg":"started peer transport","local-member-id":"([0-9a-f]+)"/.exec(transportLines.join('\n'))?.[1];
      assert.ok(local !== undefined && ids.includes(local), `the local id ${local} is one of ${ids.join(', ')}`);
      for (const id of ids.filter((id) => id !== local)) {
        assert.ok(transportLines.some((line) => line.includes(`"remote-peer-id":"${id}"`)), `transport logs name peer ${id}`);
      }
      for (const member of cluster.members) await member.stop();

      first!.memberFlags = ['--force-new-cluster'];
      await first!.start();
      const members = await etcdctlOk(first!.endpoint, ['member', 'list']);
      assert.equal(members.trim().split('\n').length, 1, members);
      assert.match(members, new RegExp(`, started, ${first!.name}, `));
      assert.match(await etcdctlOk(first!.endpoint, ['get', 'key29', '--print-value-only']), /^value29$/m);
      await etcdctlOk(first!.endpoint, ['put', 'after', 'forced']);
      assert.match(await etcdctlOk(first!.endpoint, ['get', 'after', '--print-value-only']), /^forced$/m);

      // Without the flag the member stays the only one.
      first!.memberFlags = [];
      await first!.restart();
      const again = await etcdctlOk(first!.endpoint, ['member', 'list']);
      assert.equal(again.trim().split('\n').length, 1, again);
      const status = await etcdctl(first!.endpoint, ['endpoint', 'status', '-w', 'json']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(await etcdctlOk(first!.endpoint, ['get', 'key0', '--print-value-only']), /^value0$/m);
    } finally {
      await cluster.stop();
    }
  });
});
