// startCluster: members in one process, fault helpers, partitions on the peer links.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { startCluster, type Cluster, type Member } from 'etcd-ts';
import { connect, type EtcdGrpcClient } from '../support/grpc-client.js';
import { etcdctlOk } from '../support/etcdctl.js';

const hostOf = (member: Member) => member.clientUrl.replace('http://', '');

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withClient<T>(member: Member, use: (client: EtcdGrpcClient) => Promise<T>, deadlineMs = 10_000): Promise<T> {
  const client = connect(hostOf(member), { deadlineMs });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

const valueOf = async (member: Member, key: string, serializable = false): Promise<string | undefined> =>
  withClient(member, async (client) => {
    const response = await client.kv.Range({ key: Buffer.from(key), serializable });
    return response.kvs.length === 0 ? undefined : Buffer.from(response.kvs[0].value).toString();
  });

describe('startCluster', { timeout: 120_000 }, () => {
  it('runs two independent clusters in one process', async () => {
    const [first, second] = await Promise.all([startCluster({ size: 3 }), startCluster({ size: 3 })]);
    await using a = first;
    await using b = second;
    const clientA = new Etcd3({ hosts: a.endpoints as string[] });
    const clientB = new Etcd3({ hosts: b.endpoints as string[] });
    try {
      await clientA.put('owner').value('a');
      await clientB.put('owner').value('b');
      assert.equal(await clientA.get('owner').string(), 'a');
      assert.equal(await clientB.get('owner').string(), 'b');
    } finally {
      clientA.close();
      clientB.close();
    }
    const listA = await etcdctlOk(a.endpoints.join(','), ['member', 'list']);
    for (const member of a.members) assert.ok(listA.includes(member.id), listA);
    for (const member of b.members) assert.ok(!listA.includes(member.id), 'cluster b member listed in cluster a');
    assert.notEqual(a.members[0]!.server!.clusterId, b.members[0]!.server!.clusterId);
    const dirs = [a.dataDir, b.dataDir];
    await Promise.all([a.close(), b.close()]);
    for (const dir of dirs) assert.equal(existsSync(dir), false, `${dir} removed`);
  });

  it('stop, kill and restart members; a restarted member catches up', async () => {
    await using cluster: Cluster = await startCluster({ size: 3 });
    const leader = await cluster.waitLeader();
    const follower = (cluster.indexOf(leader) + 1) % 3;
    const other = (cluster.indexOf(leader) + 2) % 3;
    await cluster.kill(follower);
    await cluster.stop(other);
    assert.equal(cluster.members[follower]!.state, 'stopped');
    // One of three: no quorum, so this waits; both come back and it commits.
    const write = withClient(leader, (client) => client.kv.Put({ key: Buffer.from('after'), value: Buffer.from('restart') }), 20_000);
    await Promise.all([cluster.restart(follower), cluster.restart(other)]);
    await write;
    await cluster.waitLeader();
    for (const member of cluster.members) {
      await eventually(async () => ((await valueOf(member, 'after', true)) === 'restart' ? true : undefined), 10_000, `${member.name} to catch up`);
    }
  });

  it('partition: the minority cannot read or write linearizably; the majority elects and goes on; heal catches it up', async () => {
    await using cluster = await startCluster({ size: 3 });
    const oldLeader = await cluster.waitLeader();
    const minority = cluster.indexOf(oldLeader);
    const majority = [0, 1, 2].filter((index) => index !== minority);
    await withClient(oldLeader, (client) => client.kv.Put({ key: Buffer.from('k'), value: Buffer.from('before') }));

    cluster.partition([minority], majority);
    const newLeader = await cluster.waitLeader(15_000);
    assert.notEqual(cluster.indexOf(newLeader), minority);
    await withClient(newLeader, (client) => client.kv.Put({ key: Buffer.from('k'), value: Buffer.from('during') }));
    assert.equal(await valueOf(cluster.members[majority[0]!]!, 'k'), 'during');

    const isolated = cluster.members[minority]!;
    await withClient(
      isolated,
      async (client) => {
        await assert.rejects(client.kv.Range({ key: Buffer.from('k') }), 'linearizable read on the minority');
        await assert.rejects(client.kv.Put({ key: Buffer.from('k'), value: Buffer.from('lost') }), 'write on the minority');
      },
      2_500,
    );
    // A serializable read is local: stale, but served.
    assert.equal(await valueOf(isolated, 'k', true), 'before');

    cluster.heal();
    await eventually(async () => ((await valueOf(isolated, 'k', true)) === 'during' ? true : undefined), 15_000, 'the healed member to catch up');
    await cluster.waitLeader(15_000);
    assert.equal(await eventually(() => valueOf(isolated, 'k'), 15_000, 'a linearizable read after heal'), 'during');
  });
});
