// Three- and five-member etcd-ts clusters of real processes on loopback,
// driven by the real etcdctl 3.4 and the etcd3 npm client: elections after a
// leader is killed, writes and linearizable reads on any member, catch-up by
// snapshot, runtime reconfiguration (learner add, join, promote, remove),
// move-leader, and etcd's guards and errors. CLUSTER_TEST_KIND=etcd runs the
// same tests against the real etcd 3.4.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { Cluster, stopAllClusters, type ClusterMember, type MemberKind } from '../support/cluster-process.js';
import { ServerProcess } from '../support/server-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const KIND = (process.env['CLUSTER_TEST_KIND'] ?? 'etcd-ts') as MemberKind;
const TOKEN = 'cluster-test';

const joiners = new Set<ServerProcess>();
const temporaryDirectories: string[] = [];
after(async () => {
  await Promise.all([...joiners].map((joiner) => joiner.signalAndWait('SIGKILL')));
  await stopAllClusters();
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});

interface EndpointStatus {
  Endpoint: string;
  Status: { header: { member_id: string; revision: number; raft_term: number }; leader: string; raftIndex: number; isLearner?: boolean };
}

/** etcdctl's JSON with 64-bit ids kept exact (as decimal strings). */
function parseEtcdctlJson<T>(text: string): T {
  return JSON.parse(text.replace(/("(?:member_id|cluster_id|leader|ID)":)(\d+)/g, '$1"$2"')) as T;
}

async function endpointStatus(endpoints: string[]): Promise<EndpointStatus[]> {
  const result = await etcdctl(endpoints.join(','), ['endpoint', 'status', '-w', 'json']);
  // A member that is down is reported on stderr; the others still print.
  return result.stdout.trim() === '' ? [] : parseEtcdctlJson<EndpointStatus[]>(result.stdout);
}

/** The member the running members agree leads, once they do. */
async function waitForLeader(members: ClusterMember[]): Promise<ClusterMember> {
  return waitFor(
    'one leader all running members agree on',
    async () => {
      const statuses = await endpointStatus(members.map((member) => member.endpoint));
      if (statuses.length !== members.length) return undefined;
      const leaders = new Set(statuses.map((status) => status.Status.leader));
      if (leaders.size !== 1 || statuses[0]!.Status.leader === '0') return undefined;
      const leaderId = statuses[0]!.Status.leader;
      const leaderStatus = statuses.find((status) => status.Status.header.member_id === leaderId);
      return leaderStatus ? members.find((member) => member.endpoint === leaderStatus.Endpoint) : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function memberIdOf(member: ClusterMember): Promise<string> {
  const [status] = await endpointStatus([member.endpoint]);
  return BigInt(status!.Status.header.member_id).toString(16);
}

/**
 * etcdctl member add, retried while etcd answers "unhealthy cluster" (the
 * real etcd refuses changes until its peers have been connected for a while).
 */
async function memberAdd(endpoint: string, args: string[]): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await etcdctl(endpoint, ['member', 'add', ...args]);
    if (result.code === 0) return result.stdout;
    if (!/unhealthy cluster/.test(result.stderr) || Date.now() > deadline) throw new Error(result.stderr);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function getValue(endpoint: string, key: string, consistency: 'l' | 's' = 'l'): Promise<string | undefined> {
  const lines = (await etcdctlOk(endpoint, ['get', key, `--consistency=${consistency}`])).split('\n');
  return lines[0] === key ? lines[1] : undefined;
}

describe(`${KIND}: three-member cluster`, () => {
  test('one leader; writes on any member; linearizable reads on every member see them', async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 3, token: TOKEN });
    await waitForLeader(cluster.members);
    const list = JSON.parse(await etcdctlOk(cluster.endpoints[0]!, ['member', 'list', '-w', 'json'])) as { members: Array<{ name: string; clientURLs: string[] }> };
    assert.deepEqual(list.members.map((member) => member.name).sort(), ['m1', 'm2', 'm3']);
    for (const member of list.members) assert.equal(member.clientURLs.length, 1, 'every member published its client URL');
    // --cluster: etcdctl asks one member for the member list, then each member for its status.
    const clusterStatus = parseEtcdctlJson<EndpointStatus[]>(await etcdctlOk(cluster.endpoints[0]!, ['endpoint', 'status', '--cluster', '-w', 'json']));
    assert.equal(clusterStatus.length, 3);
    assert.equal(new Set(clusterStatus.map((status) => status.Status.leader)).size, 1, 'all agree on the leader');
    assert.equal(clusterStatus.filter((status) => status.Status.header.member_id === status.Status.leader).length, 1, 'exactly one is the leader');

    for (const [position, writer] of cluster.members.entries()) {
      assert.equal((await etcdctlOk(writer.endpoint, ['put', `written-on-${position}`, `value-${position}`])).trim(), 'OK');
      // Linearizable: every member must see a write that completed before the read began.
      for (const reader of cluster.members) assert.equal(await getValue(reader.endpoint, `written-on-${position}`), `value-${position}`);
    }
    const statuses = await endpointStatus(cluster.endpoints);
    assert.equal(new Set(statuses.map((status) => status.Status.raftIndex)).size <= 2, true);
    assert.equal(new Set(statuses.map((status) => status.Status.header.raft_term)).size, 1, 'one term');
    const txn = await etcdctlOk(cluster.endpoints[1]!, ['txn'], { stdin: 'value("written-on-0") = "value-0"\n\nput txn-key txn-value\n\n\n' });
    assert.match(txn, /SUCCESS/);
    assert.equal(await getValue(cluster.endpoints[2]!, 'txn-key'), 'txn-value');
    await cluster.stop();
  });

  test('the leader is killed: a new one is elected, writes go on, the old one catches up after a restart', async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 3, token: TOKEN });
    const leader = await waitForLeader(cluster.members);
    await etcdctlOk(cluster.endpoints[0]!, ['put', 'before-kill', '1']);
    await leader.kill();
    const survivors = cluster.members.filter((member) => member !== leader);
    const newLeader = await waitForLeader(survivors);
    assert.notEqual(newLeader, leader);
    for (let i = 0; i < 20; i++) await etcdctlOk(survivors[i % 2]!.endpoint, ['put', `after-kill-${i}`, String(i)]);
    await leader.start();
    await waitFor('the restarted member to hold the writes it missed', async () => (await getValue(leader.endpoint, 'after-kill-19', 's')) === '19' || undefined, { timeoutMs: 30_000 });
    assert.equal(await getValue(leader.endpoint, 'before-kill'), '1');
    // The restarted member rebuilt its member table: every member with its client URL.
    const list = JSON.parse(await etcdctlOk(leader.endpoint, ['member', 'list', '-w', 'json'])) as { members: Array<{ name: string; clientURLs?: string[] }> };
    assert.deepEqual(list.members.map((member) => [member.name, member.clientURLs?.length ?? 0]).sort(), [['m1', 1], ['m2', 1], ['m3', 1]]);
    const revisions = (await endpointStatus(cluster.endpoints)).map((status) => status.Status.header.revision);
    assert.equal(new Set(revisions).size, 1, `every member at one revision: ${revisions.join(', ')}`);
    await cluster.stop();
  });

  test('a member behind the compacted log is restored from a snapshot of the leader', async () => {
    const cluster = await Cluster.start({
      kind: KIND,
      size: 3,
      token: TOKEN,
      // etcd 3.4 has no catch-up flag (it keeps 5000 entries): there the member catches up from the log.
      extraFlags: ['--snapshot-count=20', ...(KIND === 'etcd-ts' ? ['--experimental-snapshot-catchup-entries=5'] : [])],
    });
    const leader = await waitForLeader(cluster.members);
    const lagging = cluster.members.find((member) => member !== leader)!;
    await lagging.kill();
    const grant = await etcdctlOk(leader.endpoint, ['lease', 'grant', '600']);
    const leaseId = /lease ([0-9a-f]+) granted/.exec(grant)![1]!;
    for (let i = 0; i < 60; i++) await etcdctlOk(leader.endpoint, ['put', `snap-${i}`, `v${i}`]);
    await etcdctlOk(leader.endpoint, ['put', '--lease', leaseId, 'leased', 'x']);
    await etcdctlOk(leader.endpoint, ['del', 'snap-0']);
    await lagging.start();
    await waitFor('the lagging member to catch up', async () => (await getValue(lagging.endpoint, 'leased', 's')) === 'x' || undefined, { timeoutMs: 30_000 });
    if (KIND === 'etcd-ts') assert.match(lagging.output, /applied snapshot/, 'it caught up through a snapshot, not the log');
    assert.equal(await getValue(lagging.endpoint, 'snap-0', 's'), undefined);
    assert.equal(await getValue(lagging.endpoint, 'snap-59', 's'), 'v59');
    // The lease came with the snapshot: revoking it through the lagging member removes the key everywhere.
    await etcdctlOk(lagging.endpoint, ['lease', 'revoke', leaseId]);
    for (const member of cluster.members) assert.equal(await getValue(member.endpoint, 'leased'), undefined);
    // And it goes on replicating after the restore.
    await etcdctlOk(leader.endpoint, ['put', 'after-restore', 'y']);
    assert.equal(await getValue(lagging.endpoint, 'after-restore'), 'y');
    await cluster.stop();
  });

  test('runtime reconfiguration: add a learner, it joins, serves serializable reads only, is promoted, then removed', async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 3, token: TOKEN });
    await waitForLeader(cluster.members);
    await etcdctlOk(cluster.endpoints[0]!, ['put', 'existing', 'data']);
    const clientPort = await freePort();
    const peerPort = await freePort();
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const added = await memberAdd(cluster.endpoints[1]!, ['m4', `--peer-urls=${peerUrl}`, '--learner']);
    // etcdctl prints the id with %16x: an id below 2^60 comes padded with a space.
    const newId = /Member\s+([0-9a-f]+) added/.exec(added)![1]!;
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added)![1]!;
    assert.match(added, /ETCD_INITIAL_CLUSTER_STATE="existing"/);

    const dataDir = mkdtempSync(join(tmpdir(), 'cluster-joiner-'));
    temporaryDirectories.push(dataDir);
    const joiner = new ServerProcess(KIND, [
      '--name=m4',
      `--data-dir=${join(dataDir, 'm4.etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=existing',
      `--initial-cluster-token=${TOKEN}`,
    ]);
    joiners.add(joiner);
    await joiner.waitReady('the joining member to serve clients');
    const joinerEndpoint = `127.0.0.1:${clientPort}`;
    assert.equal(await getValue(joinerEndpoint, 'existing', 's'), 'data');
    const refused = await etcdctl(joinerEndpoint, ['put', 'from-learner', 'x']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /rpc not supported for learner/);
    // etcd's learner rule covers every service: other unary calls are refused, Status is answered,
    // and the JSON gateway refuses as the gRPC server does.
    const leaseRefused = await etcdctl(joinerEndpoint, ['lease', 'grant', '10']);
    assert.notEqual(leaseRefused.code, 0);
    assert.match(leaseRefused.stderr, /rpc not supported for learner/);
    assert.match(await etcdctlOk(joinerEndpoint, ['endpoint', 'status']), new RegExp(`^${joinerEndpoint}, `));
    const gatewayPut = await fetch(`http://${joinerEndpoint}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: 'eA==', value: 'eA==' }) });
    // Unavailable (code 14, HTTP 503), as etcd's ErrGPRCNotSupportedForLearner: clients try another endpoint.
    assert.deepEqual([gatewayPut.status, await gatewayPut.json()], [
      503,
      { error: 'etcdserver: rpc not supported for learner', message: 'etcdserver: rpc not supported for learner', code: 14 },
    ]);
    const listed = await etcdctlOk(cluster.endpoints[0]!, ['member', 'list']);
    assert.match(listed, new RegExp(`${newId}, started, m4, ${peerUrl}, http://127.0.0.1:${clientPort}, true`));

    // Only one learner at a time, as etcd.
    const second = await etcdctl(cluster.endpoints[0]!, ['member', 'add', 'm5', `--peer-urls=http://127.0.0.1:${await freePort()}`, '--learner']);
    assert.match(second.stderr, /too many learner members in cluster/);

    // Promotion through a member that is not the leader is forwarded to the leader.
    await waitFor('the learner to be promoted', async () => {
      const promoted = await etcdctl(cluster.endpoints[2]!, ['member', 'promote', newId]);
      if (promoted.code === 0) return promoted.stdout;
      assert.match(promoted.stderr, /can only promote a learner member which is in sync with leader/);
      return undefined;
    });
    assert.match(await etcdctlOk(cluster.endpoints[0]!, ['member', 'list']), new RegExp(`${newId}, started, m4, .*, false`));
    assert.equal((await etcdctlOk(joinerEndpoint, ['put', 'from-promoted', 'y'])).trim(), 'OK');
    assert.equal(await getValue(cluster.endpoints[0]!, 'from-promoted'), 'y');

    const removed = await etcdctlOk(cluster.endpoints[0]!, ['member', 'remove', newId]);
    assert.match(removed, new RegExp(`Member ${newId} removed from cluster`));
    // A removed member stops, as etcd does.
    await waitFor('the removed member to exit', () => !joiner.running || undefined, { timeoutMs: 20_000 });
    assert.doesNotMatch(await etcdctlOk(cluster.endpoints[1]!, ['member', 'list']), /m4/);
    assert.equal((await etcdctlOk(cluster.endpoints[1]!, ['put', 'after-remove', 'z'])).trim(), 'OK');
    await cluster.stop();
  });

  test("etcd's guards: unknown member, duplicate peer URL, a removal that would break the active quorum, bad transferee", async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 3, token: TOKEN });
    const leader = await waitForLeader(cluster.members);
    const endpoint = leader.endpoint;
    const notFound = await etcdctl(endpoint, ['member', 'remove', '1234abcd']);
    assert.match(notFound.stderr, /etcdserver: member not found/);
    await assert.rejects(memberAdd(endpoint, ['dup', `--peer-urls=${cluster.members[1]!.advertisedPeerUrl}`]), /etcdserver: Peer URLs already exists/);
    // (A malformed URL never reaches the server: etcdctl refuses it itself.)
    const takenUrl = await etcdctl(endpoint, ['member', 'update', await memberIdOf(cluster.members[1]!), `--peer-urls=${cluster.members[2]!.advertisedPeerUrl}`]);
    assert.match(takenUrl.stderr, /etcdserver: Peer URLs already exists/);
    const badTransferee = await etcdctl(endpoint, ['move-leader', '1234abcd']);
    assert.match(badTransferee.stderr, /etcdserver: bad leader transferee/);

    // With one voter down, removing a running one would leave one of two connected: refused.
    const followers = cluster.members.filter((member) => member !== leader);
    const downFollowerId = await memberIdOf(followers[0]!);
    await followers[0]!.kill();
    const runningFollowerId = await memberIdOf(followers[1]!);
    await waitFor('the leader to notice the member is down', async () => {
      const unhealthy = await etcdctl(endpoint, ['member', 'remove', runningFollowerId]);
      return /etcdserver: unhealthy cluster/.test(unhealthy.stderr) || undefined;
    });
    // Removing the member that is down is allowed: it is not part of the active quorum.
    assert.match(await etcdctlOk(endpoint, ['member', 'remove', downFollowerId]), /removed from cluster/);
    assert.equal((await etcdctlOk(endpoint, ['put', 'two-left', '1'])).trim(), 'OK');
    await cluster.stop();
  });

  test('move-leader hands leadership to the chosen member', async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 3, token: TOKEN });
    const leader = await waitForLeader(cluster.members);
    const target = cluster.members.find((member) => member !== leader)!;
    const targetId = await memberIdOf(target);
    const moved = await etcdctlOk(cluster.endpoints.join(','), ['move-leader', targetId]);
    assert.match(moved, new RegExp(`Leadership transferred from [0-9a-f]+ to ${targetId}`));
    assert.equal(await waitForLeader(cluster.members), target);
    assert.equal((await etcdctlOk(leader.endpoint, ['put', 'after-move', '1'])).trim(), 'OK');
    await cluster.stop();
  });

  test('the etcd3 npm client: writes, reads, a watch and a kept-alive lease through followers', async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 3, token: TOKEN });
    const leader = await waitForLeader(cluster.members);
    const follower = cluster.members.find((member) => member !== leader)!;
    const client = new Etcd3({ hosts: [follower.clientUrl] });
    try {
      const seen: string[] = [];
      const watcher = await client.watch().prefix('w/').create();
      watcher.on('put', (kv) => seen.push(kv.value.toString()));
      const lease = client.lease(3);
      await lease.put('leased').value('alive');
      for (let i = 0; i < 5; i++) await client.put(`w/${i}`).value(`v${i}`);
      assert.equal(await client.get('w/4').string(), 'v4');
      await waitFor('the watcher to see five puts', () => seen.length === 5 || undefined);
      assert.deepEqual(seen, ['v0', 'v1', 'v2', 'v3', 'v4']);
      // Kept alive through the follower for more than twice its TTL (an observation period, not a wait).
      const deadline = Date.now() + 7_000;
      while (Date.now() < deadline) {
        assert.equal(await client.get('leased').string(), 'alive', 'the kept-alive lease never expires');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await watcher.cancel();
      await lease.revoke();
      assert.equal(await client.get('leased').string(), null);
    } finally {
      client.close();
      await cluster.stop();
    }
  });
});

describe(`${KIND}: five-member cluster`, () => {
  test('survives two members down; every member converges after they return', async () => {
    const cluster = await Cluster.start({ kind: KIND, size: 5, token: TOKEN });
    const leader = await waitForLeader(cluster.members);
    const down = cluster.members.filter((member) => member !== leader).slice(0, 2);
    for (const member of down) await member.kill();
    const up = cluster.members.filter((member) => !down.includes(member));
    for (let i = 0; i < 10; i++) await etcdctlOk(up[i % up.length]!.endpoint, ['put', `five-${i}`, String(i)]);
    for (const member of up) assert.equal(await getValue(member.endpoint, 'five-9'), '9');
    for (const member of down) await member.start();
    await waitForLeader(cluster.members);
    for (const member of cluster.members) assert.equal(await getValue(member.endpoint, 'five-9'), '9');
    const revisions = (await endpointStatus(cluster.endpoints)).map((status) => status.Status.header.revision);
    assert.equal(new Set(revisions).size, 1, `every member at one revision: ${revisions.join(', ')}`);
    await cluster.stop();
  });
});
