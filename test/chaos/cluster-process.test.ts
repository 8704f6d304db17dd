// The cluster harness against the real etcd 3.4 and against etcd-ts: three
// members on their own loopback addresses form one cluster (etcdctl
// endpoint status --cluster sees all three, one leader), and kill / restart
// / pause / resume do what they say. The etcd case keeps harness bugs apart
// from server bugs.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, stopAllClusters } from '../support/cluster-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

after(stopAllClusters);

interface EndpointStatus {
  Endpoint: string;
  Status: { header: { cluster_id: number; member_id: number; raft_term: number }; leader: number };
}

async function clusterStatus(endpoint: string): Promise<EndpointStatus[]> {
  return JSON.parse(await etcdctlOk(endpoint, ['endpoint', 'status', '--cluster', '-w', 'json'])) as EndpointStatus[];
}

for (const kind of ['etcd', 'etcd-ts'] as const) describe(`cluster harness on ${kind}`, () => {
  it('starts three members as one cluster and kills, restarts, pauses and resumes them', { timeout: 120_000 }, async () => {
    const cluster = await Cluster.start({ kind, size: 3, distinctAddresses: true, heartbeatIntervalMs: 50, electionTimeoutMs: 500 });
    assert.deepEqual(cluster.endpoints.map((endpoint) => endpoint.split(':')[0]), ['127.0.0.11', '127.0.0.12', '127.0.0.13']);

    const statuses = await clusterStatus(cluster.endpoints[0]!);
    assert.deepEqual(statuses.map((status) => status.Endpoint).sort(), cluster.members.map((member) => member.clientUrl).sort());
    assert.equal(new Set(statuses.map((status) => status.Status.header.cluster_id)).size, 1, 'one cluster id');
    assert.equal(new Set(statuses.map((status) => status.Status.leader)).size, 1, 'one leader seen by all');
    const leaderId = statuses[0]!.Status.leader;
    assert.ok(statuses.some((status) => status.Status.header.member_id === leaderId), 'the leader is a member');

    await etcdctlOk(cluster.endpoints[1]!, ['put', 'harness', 'one']);
    // A follower, so the writes below need no new election.
    const followerUrl = statuses.find((status) => status.Status.header.member_id !== leaderId)!.Endpoint;
    const victim = cluster.members.find((member) => member.clientUrl === followerUrl)!;
    const survivor = cluster.members.find((member) => member !== victim)!;
    const firstPid = victim.pid;
    await victim.kill();
    assert.equal(victim.state, 'stopped');
    assert.equal(victim.pid, undefined);
    await etcdctlOk(survivor.endpoint, ['put', 'harness', 'two']);
    await victim.start();
    assert.notEqual(victim.pid, firstPid);
    // The restarted member kept its data directory and caught up.
    await waitFor('the restarted member to catch up', async () =>
      (await etcdctlOk(victim.endpoint, ['get', 'harness', '--print-value-only', '--consistency=s'])).trim() === 'two' || undefined,
    );

    victim.pause();
    assert.equal(victim.state, 'paused');
    // The other two still make a quorum.
    await etcdctlOk(survivor.endpoint, ['put', 'harness', 'three']);
    victim.resume();
    assert.equal(victim.state, 'running');
    await waitFor('the resumed member to catch up', async () =>
      (await etcdctlOk(victim.endpoint, ['get', 'harness', '--print-value-only', '--consistency=s'])).trim() === 'three' || undefined,
    );

    await victim.restart();
    assert.equal((await clusterStatus(victim.endpoint)).length, 3);
    await cluster.stop({ graceful: true });
    assert.ok(cluster.members.every((member) => member.state === 'stopped'));
  });
});
