// A three-member cluster keeps auth state through kill -9 and a snapshot
// restore. Auth is set up with the real etcdctl (3.4): a root user, and alice
// whose role allows readwrite on the prefix a/ and read on shared/. Then:
// - a simple token made by Authenticate on one member is accepted by the
//   others (the token travels through Raft with the Authenticate entry);
// - a follower, then the leader, is killed with SIGKILL and restarted: auth
//   stays enabled, alice's permissions hold, and users, roles and the auth
//   revision are the same on every member;
// - with a small --snapshot-count and --experimental-snapshot-catchup-entries,
//   a follower that was stopped while users, roles and permissions changed
//   catches up from the leader's snapshot and serves the new auth state.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceError } from '@grpc/grpc-js';
import { Cluster, stopAllClusters, type ClusterMember } from '../support/cluster-process.js';
import { connectWithToken } from '../support/auth-grpc-client.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

const ROOT = '--user=root:root-pw';
const ALICE = '--user=alice:alice-pw';
const BOB = '--user=bob:bob-pw';
const SNAPSHOT_COUNT = 20;

const GRPC_PERMISSION_DENIED = 7;

function running(cluster: Cluster): ClusterMember[] {
  return cluster.members.filter((member) => member.state === 'running');
}

/** The member that reports itself as the leader (asked as root: with auth on, Status needs a user). */
async function leaderOf(members: ClusterMember[]): Promise<ClusterMember> {
  return waitFor(
    'a leader',
    async () => {
      const result = await etcdctl(members.map((member) => member.endpoint).join(','), ['endpoint', 'status', '-w', 'json', ROOT]);
      if (result.code !== 0) return undefined;
      const statuses = JSON.parse(result.stdout.replace(/("(?:member_id|leader)":)(\d+)/g, '$1"$2"')) as Array<{
        Endpoint: string;
        Status: { header: { member_id: string }; leader: string };
      }>;
      if (statuses.length !== members.length) return undefined;
      const leaders = new Set(statuses.map((status) => status.Status.leader));
      if (leaders.size !== 1 || leaders.has('0')) return undefined; // every member must agree
      const leader = statuses.find((status) => status.Status.header.member_id === status.Status.leader);
      return leader === undefined ? undefined : members.find((member) => member.endpoint === leader.Endpoint);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

interface AuthView {
  status: string;
  users: string;
  roles: string;
  /** `role get` of every role, `user get --detail` of every user. */
  details: string[];
}

/** What etcdctl, as root, reports about auth on one member. */
async function authViewOf(member: ClusterMember): Promise<AuthView> {
  const endpoint = member.endpoint;
  // etcdctl 3.4 has no `auth status`: AuthStatus over gRPC, as root.
  const client = connectWithToken(endpoint);
  let status: string;
  try {
    await client.authenticate('root', 'root-pw');
    const response = await client.auth.AuthStatus({});
    status = `enabled=${response.enabled} revision=${Number(response.authRevision)}`;
  } finally {
    client.close();
  }
  const users = await etcdctlOk(endpoint, ['user', 'list', ROOT]);
  const roles = await etcdctlOk(endpoint, ['role', 'list', ROOT]);
  const details: string[] = [];
  for (const role of roles.split('\n').filter(Boolean)) details.push(await etcdctlOk(endpoint, ['role', 'get', role, ROOT]));
  for (const user of users.split('\n').filter(Boolean)) details.push(await etcdctlOk(endpoint, ['user', 'get', user, '--detail', ROOT]));
  return { status, users, roles, details };
}

/** Every running member reports the same auth state, with auth enabled; returns it. */
async function assertSameAuthEverywhere(cluster: Cluster): Promise<AuthView> {
  const members = running(cluster);
  const views = await Promise.all(members.map(authViewOf));
  const first = views[0]!;
  assert.match(first.status, /^enabled=true revision=[1-9]\d*$/);
  members.forEach((member, index) => assert.deepEqual(views[index], first, `${member.name} reports different auth state than ${members[0]!.name}`));
  return first;
}

/** alice, through etcdctl on `member`: readwrite a/, read shared/, nothing on b/. */
async function assertAlicePermissions(member: ClusterMember, options: { sharedReadable: boolean }): Promise<void> {
  const endpoint = member.endpoint;
  await etcdctlOk(endpoint, ['put', `a/from-${member.name}`, 'alice-was-here', ALICE]);
  assert.match(await etcdctlOk(endpoint, ['get', `a/from-${member.name}`, ALICE]), /alice-was-here/);
  const forbiddenPut = await etcdctl(endpoint, ['put', 'b/x', 'no', ALICE]);
  assert.notEqual(forbiddenPut.code, 0, `${member.name}: alice wrote b/x`);
  assert.match(forbiddenPut.stderr, /etcdserver: permission denied/, `${member.name}: ${forbiddenPut.stderr}`);
  const forbiddenSharedPut = await etcdctl(endpoint, ['put', 'shared/x', 'no', ALICE]);
  assert.match(forbiddenSharedPut.stderr, /etcdserver: permission denied/, `${member.name}: alice wrote shared/x: ${forbiddenSharedPut.stderr}`);
  const sharedRead = await etcdctl(endpoint, ['get', 'shared/doc', ALICE]);
  if (options.sharedReadable) {
    assert.equal(sharedRead.code, 0, `${member.name}: alice cannot read shared/doc: ${sharedRead.stderr}`);
    assert.match(sharedRead.stdout, /shared-content/);
  } else {
    assert.notEqual(sharedRead.code, 0, `${member.name}: alice still reads shared/doc after the revoke`);
    assert.match(sharedRead.stderr, /etcdserver: permission denied/);
  }
  // Without credentials, nothing.
  const anonymous = await etcdctl(endpoint, ['get', 'a/x']);
  assert.match(anonymous.stderr, /etcdserver: user name is empty/);
}

/** Waits until every running member answers an authenticated read (after a restart or an election). */
async function waitServing(cluster: Cluster): Promise<void> {
  await leaderOf(running(cluster));
  for (const member of running(cluster)) {
    await waitFor(`${member.name} to serve root`, async () => (await etcdctl(member.endpoint, ['get', 'probe', ROOT])).code === 0, { timeoutMs: 20_000, intervalMs: 100 });
  }
}

describe('a three-member cluster keeps auth state through kill -9 and a snapshot restore', { timeout: 150_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({
      size: 3,
      token: 'auth-cluster',
      extraFlags: ['--bcrypt-cost=4', `--snapshot-count=${SNAPSHOT_COUNT}`, '--experimental-snapshot-catchup-entries=5'],
    });
    const endpoint = cluster.members[0]!.endpoint;
    for (const args of [
      ['user', 'add', 'root:root-pw'],
      ['role', 'add', 'root'],
      ['user', 'grant-role', 'root', 'root'],
      ['role', 'add', 'a-writer'],
      ['role', 'grant-permission', 'a-writer', 'readwrite', 'a/', '--prefix'],
      ['role', 'grant-permission', 'a-writer', 'read', 'shared/', '--prefix'],
      ['user', 'add', 'alice:alice-pw'],
      ['user', 'grant-role', 'alice', 'a-writer'],
      ['put', 'shared/doc', 'shared-content'],
      ['auth', 'enable'],
    ]) {
      await etcdctlOk(endpoint, args);
    }
  });
  after(stopAllClusters);

  it('accepts a simple token made on one member on the other members', async () => {
    const [first, second, third] = cluster.members as [ClusterMember, ClusterMember, ClusterMember];
    const onFirst = connectWithToken(first.endpoint);
    const others = [second, third].map((member) => ({ member, client: connectWithToken(member.endpoint) }));
    try {
      const token = await onFirst.authenticate('alice', 'alice-pw');
      assert.ok(token.length > 0);
      for (const { member, client } of others) {
        client.useToken(token);
        const put = await client.kv.Put({ key: Buffer.from('a/x'), value: Buffer.from(`via-${member.name}`) });
        assert.ok(Number(put.header.revision) > 1);
        const read = await client.kv.Range({ key: Buffer.from('a/x') });
        assert.equal(read.kvs[0]?.value.toString(), `via-${member.name}`);
        await assert.rejects(client.kv.Put({ key: Buffer.from('b/x'), value: Buffer.from('no') }), (error: ServiceError) => {
          assert.equal(error.code, GRPC_PERMISSION_DENIED, `${member.name}: ${error.message}`);
          assert.match(error.details, /etcdserver: permission denied/);
          return true;
        });
      }
      // A forged token is refused everywhere.
      for (const { client } of others) {
        client.useToken(`${token}x`);
        await assert.rejects(client.kv.Range({ key: Buffer.from('a/x') }), /etcdserver: invalid auth token/);
      }
    } finally {
      onFirst.close();
      for (const { client } of others) client.close();
    }
  });

  it('keeps auth enabled, permissions and identical users and roles after kill -9 of a follower and of the leader', async () => {
    await waitServing(cluster);
    const before = await assertSameAuthEverywhere(cluster);
    assert.match(before.users, /^alice\nroot\n$/);

    // A follower first; while it is down the other two keep serving and auth changes.
    const leader = await leaderOf(running(cluster));
    const follower = cluster.members.find((member) => member !== leader)!;
    await follower.kill();
    await etcdctlOk(leader.endpoint, ['role', 'add', 'observer', ROOT]);
    await etcdctlOk(leader.endpoint, ['role', 'grant-permission', 'observer', 'read', 'obs/', '--prefix', ROOT]);
    await assertAlicePermissions(leader, { sharedReadable: true });
    await follower.start();
    await waitServing(cluster);
    const afterFollower = await assertSameAuthEverywhere(cluster);
    assert.match(afterFollower.roles, /^a-writer\nobserver\nroot\n$/);
    assert.notEqual(afterFollower.status, before.status, 'the auth revision moved with the role changes');
    for (const member of cluster.members) await assertAlicePermissions(member, { sharedReadable: true });

    // Then the leader: the other two elect a new one and keep serving alice.
    const oldLeader = await leaderOf(running(cluster));
    await oldLeader.kill();
    const newLeader = await leaderOf(running(cluster));
    assert.notEqual(newLeader, oldLeader);
    await assertAlicePermissions(newLeader, { sharedReadable: true });
    await oldLeader.start();
    await waitServing(cluster);
    const afterLeader = await assertSameAuthEverywhere(cluster);
    assert.deepEqual(afterLeader, afterFollower, 'nothing changed auth while the leader was down');
    for (const member of cluster.members) await assertAlicePermissions(member, { sharedReadable: true });
  });

  it('serves new users and revoked permissions on a follower restored from the leader snapshot', async () => {
    await waitServing(cluster);
    const leader = await leaderOf(running(cluster));
    const follower = cluster.members.find((member) => member !== leader)!;
    await follower.stop();

    // As root on the leader: bob, a new permission for alice, a revoked one.
    for (const args of [
      ['user', 'add', 'bob:bob-pw'],
      ['role', 'add', 'b-writer'],
      ['role', 'grant-permission', 'b-writer', 'readwrite', 'b/', '--prefix'],
      ['user', 'grant-role', 'bob', 'b-writer'],
      ['role', 'grant-permission', 'a-writer', 'read', 'c/', '--prefix'],
      ['role', 'revoke-permission', 'a-writer', 'shared/', '--prefix'],
    ]) {
      await etcdctlOk(leader.endpoint, [...args, ROOT]);
    }
    // Enough entries past the follower that the leader snapshots and compacts its log beyond it.
    const writer = connectWithToken(leader.endpoint);
    try {
      await writer.authenticate('root', 'root-pw');
      for (let i = 0; i < SNAPSHOT_COUNT * 4; i++) await writer.kv.Put({ key: Buffer.from(`c/${i}`), value: Buffer.from(`v${i}`) });
    } finally {
      writer.close();
    }

    await follower.start();
    await waitFor('the follower to apply the leader snapshot', () => follower.output.includes('applying snapshot'), { timeoutMs: 20_000 });
    await waitFor('the follower to finish the snapshot restore', () => follower.output.includes('applied snapshot'), { timeoutMs: 20_000 });
    await waitServing(cluster);

    // The follower, on its own: bob authenticates there and writes his prefix.
    const asBob = connectWithToken(follower.endpoint);
    const asAlice = connectWithToken(follower.endpoint);
    try {
      await asBob.authenticate('bob', 'bob-pw');
      await asBob.kv.Put({ key: Buffer.from('b/1'), value: Buffer.from('bob') });
      await assert.rejects(asBob.kv.Put({ key: Buffer.from('a/1'), value: Buffer.from('bob') }), /etcdserver: permission denied/);
      await asAlice.authenticate('alice', 'alice-pw');
      await assert.rejects(asAlice.kv.Range({ key: Buffer.from('shared/doc') }), (error: ServiceError) => {
        assert.equal(error.code, GRPC_PERMISSION_DENIED, error.message);
        return true;
      });
      // A serializable read is judged by the follower alone.
      await assert.rejects(asAlice.kv.Range({ key: Buffer.from('shared/doc'), serializable: true }), /etcdserver: permission denied/);
      const granted = await asAlice.kv.Range({ key: Buffer.from('c/'), range_end: Buffer.from('c0'), count_only: true, serializable: true });
      assert.equal(Number(granted.count), SNAPSHOT_COUNT * 4);
      await asAlice.kv.Put({ key: Buffer.from('a/after-snapshot'), value: Buffer.from('ok') });
    } finally {
      asBob.close();
      asAlice.close();
    }
    // Through etcdctl too, and the same users, roles and auth revision everywhere.
    assert.match(await etcdctlOk(follower.endpoint, ['get', 'b/1', BOB]), /bob/);
    await assertAlicePermissions(follower, { sharedReadable: false });
    const view = await assertSameAuthEverywhere(cluster);
    assert.match(view.users, /^alice\nbob\nroot\n$/);
    assert.match(view.roles, /^a-writer\nb-writer\nobserver\nroot\n$/);
  });
});
