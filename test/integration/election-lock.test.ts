// etcd's Election (v3electionpb) and Lock (v3lockpb) services on member
// processes, driven with gRPC stubs: the same answers and errors as the real
// etcd 3.4; interop with etcdctl's client-side recipes (same keys); waiters
// served in create-revision order; a holder whose lease is revoked or
// expires loses the lock; and a 3-member cluster whose leader (where the
// lock holder's lease lives) is killed -9: a waiter on another member gets
// the lock once the holder's lease expires, and the old holder's guarded
// writes fail from then on (never two holders).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../src/proto/index.js';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { Cluster, stopAllClusters, type ClusterMember } from '../support/cluster-process.js';
import { ETCDCTL_BINARY, etcdctl } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

after(async () => {
  await stopAllMembers();
  await stopAllClusters();
});

const text = (value: string) => Buffer.from(value);
const EMPTY = Buffer.alloc(0);

interface Pending<T> {
  promise: Promise<T>;
  settled(): boolean;
  cancel(): void;
}

type Unary = <T = any>(request: object, options?: { deadlineMs?: number }) => Pending<T>;

/** Stubs for the services these tests use; 64-bit integers as decimal strings (the real etcd's lease ids use all 64 bits). */
class Client {
  private readonly clients: grpc.Client[] = [];
  readonly election: Record<'Campaign' | 'Proclaim' | 'Leader' | 'Resign', Unary>;
  readonly lock: Record<'Lock' | 'Unlock', Unary>;
  readonly kv: Record<'Range' | 'Put' | 'Txn', Unary>;
  readonly lease: Record<'LeaseGrant' | 'LeaseRevoke', Unary>;
  readonly maintenance: Record<'Status', Unary>;
  private readonly electionClient: grpc.Client;
  private readonly leaseClient: grpc.Client;

  constructor(readonly endpoint: string) {
    const root = loadGrpcPackage({ exactLongs: true });
    const make = (pkg: string, service: string) => {
      const constructor = (root[pkg] as grpc.GrpcObject)[service] as grpc.ServiceClientConstructor;
      const client = new constructor(endpoint, grpc.credentials.createInsecure());
      this.clients.push(client);
      return client;
    };
    this.electionClient = make('v3electionpb', 'Election');
    this.election = this.bind(this.electionClient, ['Campaign', 'Proclaim', 'Leader', 'Resign']);
    this.lock = this.bind(make('v3lockpb', 'Lock'), ['Lock', 'Unlock']);
    this.kv = this.bind(make('etcdserverpb', 'KV'), ['Range', 'Put', 'Txn']);
    this.leaseClient = make('etcdserverpb', 'Lease');
    this.lease = this.bind(this.leaseClient, ['LeaseGrant', 'LeaseRevoke']);
    this.maintenance = this.bind(make('etcdserverpb', 'Maintenance'), ['Status']);
  }

  private bind<K extends string>(client: grpc.Client, methods: K[]): Record<K, Unary> {
    const entries = methods.map((method) => {
      const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
      const call: Unary = (request, options = {}) => {
        let done = false;
        let handle: grpc.ClientUnaryCall | undefined;
        const promise = new Promise<any>((resolve, reject) => {
          handle = fn(request, { deadline: Date.now() + (options.deadlineMs ?? 10_000) }, (error: grpc.ServiceError | null, response: unknown) => {
            done = true;
            if (error) reject(error);
            else resolve(response);
          });
        });
        promise.catch(() => undefined);
        return { promise, settled: () => done, cancel: () => handle?.cancel() };
      };
      return [method, call];
    });
    return Object.fromEntries(entries) as Record<K, Unary>;
  }

  /** Renews the lease every second on a LeaseKeepAlive stream until stopped (or the member dies). */
  keepAlive(id: string): () => void {
    const stream = (this.leaseClient as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<object, unknown> }).LeaseKeepAlive();
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.write({ ID: id });
    const timer = setInterval(() => stream.write({ ID: id }), 1000);
    return () => {
      clearInterval(timer);
      stream.cancel();
    };
  }

  async grant(ttl: number): Promise<string> {
    return ((await this.lease.LeaseGrant({ TTL: ttl }).promise) as { ID: string }).ID;
  }

  /** Observe as a stream of (key, value) pairs. */
  observe(name: string): { values: Array<{ key: string; value: string; revision: number }>; cancel(): void; ended: Promise<void> } {
    const values: Array<{ key: string; value: string; revision: number }> = [];
    const stream = (this.electionClient as unknown as { Observe(request: object): grpc.ClientReadableStream<any> }).Observe({ name: text(name) });
    stream.on('data', (response: { header: { revision: string }; kv: { key: Buffer; value: Buffer } }) =>
      values.push({ key: response.kv.key.toString(), value: response.kv.value.toString(), revision: Number(response.header.revision) }),
    );
    const ended = new Promise<void>((resolve) => {
      stream.on('error', () => resolve());
      stream.on('end', () => resolve());
    });
    return { values, cancel: () => stream.cancel(), ended };
  }

  async keys(prefix: string): Promise<Array<{ key: string; create_revision: number }>> {
    const end = text(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));
    const response = (await this.kv.Range({ key: text(prefix), range_end: end }).promise) as { kvs: Array<{ key: Buffer; create_revision: string }> };
    return response.kvs.map((kv) => ({ key: kv.key.toString(), create_revision: Number(kv.create_revision) })).sort((a, b) => a.create_revision - b.create_revision);
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

/** An answer or error, in a form both servers can be compared in (ids and lease hex replaced). */
async function outcome(pending: Pending<any>, leases: Map<string, string>): Promise<unknown> {
  try {
    return normalize(await pending.promise, leases);
  } catch (error) {
    const serviceError = error as grpc.ServiceError;
    return { code: serviceError.code, details: serviceError.details };
  }
}

function normalize(value: unknown, leases: Map<string, string>): unknown {
  if (Buffer.isBuffer(value)) {
    let result = value.toString();
    for (const [id, name] of leases) result = result.replace(BigInt(id).toString(16), name);
    return result;
  }
  if (Array.isArray(value)) return value.map((item) => normalize(item, leases));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === 'cluster_id' || key === 'member_id' || key === 'raft_term') continue;
      out[key] = key === 'lease' || key === 'ID' ? (leases.get(String(item)) ?? item) : normalize(item, leases);
    }
    return out;
  }
  return value;
}

async function differentialScript(kind: MemberKind): Promise<unknown[]> {
  const member = await MemberProcess.start({ kind, name: `election-lock-${kind}` });
  const client = new Client(member.endpoint);
  try {
    const leases = new Map<string, string>();
    const grant = async (name: string) => {
      const id = await client.grant(60);
      leases.set(id, name);
      return id;
    };
    const a = await grant('A');
    const b = await grant('B');
    const results: unknown[] = [];
    const record = async (label: string, pending: Pending<any>) => results.push({ label, result: await outcome(pending, leases) });
    await record('leader, nobody campaigned', client.election.Leader({ name: text('e') }));
    await record('campaign, unknown lease', client.election.Campaign({ name: text('e'), lease: '12345', value: text('v') }));
    await record('lock, unknown lease', client.lock.Lock({ name: text('l'), lease: '12345' }));
    await record('proclaim without leader', client.election.Proclaim({ value: text('v') }));
    await record('resign without leader', client.election.Resign({}));
    const campaign = await client.election.Campaign({ name: text('e'), lease: a, value: text('v1') }).promise;
    results.push({ label: 'campaign', result: normalize(campaign, leases) });
    await record('campaign again, same lease, new value', client.election.Campaign({ name: text('e'), lease: a, value: text('v2') }));
    await record('leader', client.election.Leader({ name: text('e') }));
    await record('proclaim, wrong rev', client.election.Proclaim({ leader: { ...campaign.leader, rev: '1' }, value: text('x') }));
    await record('proclaim, empty key', client.election.Proclaim({ leader: { ...campaign.leader, key: EMPTY }, value: text('x') }));
    await record('resign, wrong rev (no error in etcd)', client.election.Resign({ leader: { ...campaign.leader, rev: '1' } }));
    await record('proclaim', client.election.Proclaim({ leader: campaign.leader, value: text('v3') }));
    await record('leader after proclaim', client.election.Leader({ name: text('e') }));
    await record('resign', client.election.Resign({ leader: campaign.leader }));
    await record('proclaim after resign', client.election.Proclaim({ leader: campaign.leader, value: text('v4') }));
    await record('leader after resign', client.election.Leader({ name: text('e') }));
    await record('lock', client.lock.Lock({ name: text('l'), lease: b }));
    await record('lock again with the same lease', client.lock.Lock({ name: text('l'), lease: b }));
    await record('unlock a missing key', client.lock.Unlock({ key: text('l/none') }));
    await record('unlock an empty key', client.lock.Unlock({ key: EMPTY }));
    await record('lock, empty name', client.lock.Lock({ name: EMPTY, lease: a }));
    await record('unlock', client.lock.Unlock({ key: text(`l/${BigInt(b).toString(16)}`) }));
    await record('keys left', { promise: client.keys('l/'), settled: () => true, cancel: () => undefined } as Pending<any>);
    return results;
  } finally {
    client.close();
    await member.destroy();
  }
}

describe('Election and Lock services', { timeout: 300_000 }, () => {
  test('same answers and errors as etcd 3.4', async () => {
    const ours = await differentialScript('etcd-ts');
    const theirs = await differentialScript('etcd');
    assert.deepEqual(ours, theirs);
  });

  describe('on one member', () => {
    let member: MemberProcess;
    let client: Client;
    before(async () => {
      member = await MemberProcess.start({ name: 'election-lock' });
      client = new Client(member.endpoint);
    });
    after(() => client?.close());

    test('lock waiters are served in revision order as each holder unlocks', async () => {
      const [l1, l2, l3] = [await client.grant(60), await client.grant(60), await client.grant(60)];
      const first = await client.lock.Lock({ name: text('order'), lease: l1 }).promise;
      const second = client.lock.Lock({ name: text('order'), lease: l2 }, { deadlineMs: 60_000 });
      await waitFor('the second locker to queue', async () => (await client.keys('order/')).length === 2);
      const third = client.lock.Lock({ name: text('order'), lease: l3 }, { deadlineMs: 60_000 });
      await waitFor('the third locker to queue', async () => (await client.keys('order/')).length === 3);
      const queued = await client.keys('order/');
      assert.deepEqual(
        queued.map((entry) => entry.key),
        [l1, l2, l3].map((id) => `order/${BigInt(id).toString(16)}`),
      );
      assert.equal(first.key.toString(), queued[0]!.key);
      assert.equal(second.settled() || third.settled(), false, 'nobody else holds the lock while the first does');

      await client.lock.Unlock({ key: first.key }).promise;
      const secondHeld = await second.promise;
      assert.equal(secondHeld.key.toString(), queued[1]!.key);
      assert.equal(third.settled(), false, 'the third waits for the second');
      assert.deepEqual(
        (await client.keys('order/')).map((entry) => entry.key),
        queued.slice(1).map((entry) => entry.key),
      );
      await client.lock.Unlock({ key: secondHeld.key }).promise;
      const thirdHeld = await third.promise;
      assert.equal(thirdHeld.key.toString(), queued[2]!.key);
      assert.ok(Number(thirdHeld.header.revision) > Number(secondHeld.header.revision));
      await client.lock.Unlock({ key: thirdHeld.key }).promise;
      assert.deepEqual(await client.keys('order/'), []);
    });

    test('a holder whose lease is revoked, or expires, loses the lock to the next waiter', async () => {
      const holder = await client.grant(60);
      const waiter = await client.grant(60);
      const held = await client.lock.Lock({ name: text('revoke'), lease: holder }).promise;
      const waiting = client.lock.Lock({ name: text('revoke'), lease: waiter }, { deadlineMs: 60_000 });
      await waitFor('the waiter to queue', async () => (await client.keys('revoke/')).length === 2);
      await client.lease.LeaseRevoke({ ID: holder }).promise;
      const next = await waiting.promise;
      assert.equal(next.key.toString(), `revoke/${BigInt(waiter).toString(16)}`);
      assert.deepEqual((await client.keys('revoke/')).map((entry) => entry.key), [next.key.toString()]);
      assert.notEqual(held.key.toString(), next.key.toString());

      // Expiry: nobody keeps the holder's 3 s lease alive.
      const shortLived = await client.grant(3);
      const heldShort = await client.lock.Lock({ name: text('expire'), lease: shortLived }).promise;
      const afterExpiry = client.lock.Lock({ name: text('expire'), lease: waiter }, { deadlineMs: 60_000 });
      await waitFor('the waiter to queue', async () => (await client.keys('expire/')).length === 2);
      const got = await afterExpiry.promise;
      assert.equal(got.key.toString(), `expire/${BigInt(waiter).toString(16)}`);
      assert.deepEqual((await client.keys('expire/')).map((entry) => entry.key), [got.key.toString()]);
      assert.ok(heldShort.key.toString() !== got.key.toString());
    });

    test('a canceled Lock withdraws its key; a canceled Campaign too', async () => {
      const holder = await client.grant(60);
      const other = await client.grant(60);
      await client.lock.Lock({ name: text('cancel'), lease: holder }).promise;
      const waiting = client.lock.Lock({ name: text('cancel'), lease: other }, { deadlineMs: 60_000 });
      await waitFor('the waiter to queue', async () => (await client.keys('cancel/')).length === 2);
      waiting.cancel();
      await waitFor('the canceled waiter key to go', async () => (await client.keys('cancel/')).length === 1);

      await client.election.Campaign({ name: text('cancel-e'), lease: holder, value: text('a') }).promise;
      const campaigning = client.election.Campaign({ name: text('cancel-e'), lease: other, value: text('b') }, { deadlineMs: 60_000 });
      await waitFor('the campaigner to queue', async () => (await client.keys('cancel-e/')).length === 2);
      campaigning.cancel();
      await waitFor('the canceled campaign key to go', async () => (await client.keys('cancel-e/')).length === 1);
    });

    test('campaigns queue; Observe streams proclamations and leader changes until canceled', async () => {
      const a = await client.grant(60);
      const b = await client.grant(60);
      const observer = client.observe('obs');
      const first = await client.election.Campaign({ name: text('obs'), lease: a, value: text('a1') }).promise;
      const second = client.election.Campaign({ name: text('obs'), lease: b, value: text('b1') }, { deadlineMs: 60_000 });
      await waitFor('the second campaigner to queue', async () => (await client.keys('obs/')).length === 2);
      await client.election.Proclaim({ leader: first.leader, value: text('a2') }).promise;
      assert.equal(second.settled(), false);
      await client.election.Resign({ leader: first.leader }).promise;
      const elected = await second.promise;
      assert.equal(elected.leader.key.toString(), `obs/${BigInt(b).toString(16)}`);
      const leader = await client.election.Leader({ name: text('obs') }).promise;
      assert.equal(leader.kv.value.toString(), 'b1');
      await client.election.Proclaim({ leader: elected.leader, value: text('b2') }).promise;
      await waitFor('the observer to see b2', () => observer.values.some((entry) => entry.value === 'b2'));
      assert.deepEqual(
        observer.values.map((entry) => entry.value),
        ['a1', 'a2', 'b1', 'b2'],
      );
      const revisions = observer.values.map((entry) => entry.revision);
      assert.deepEqual([...revisions].sort((x, y) => x - y), revisions, 'in revision order');
      observer.cancel();
      await observer.ended;
    });

    test("interop with etcdctl's client-side recipes: the same keys", async () => {
      const holder = await client.grant(60);
      const held = await client.lock.Lock({ name: text('ctl'), lease: holder }).promise;
      const locked = etcdctl(member.endpoint, ['lock', 'ctl', 'echo', 'got-it'], { timeoutMs: 60_000 });
      await waitFor('etcdctl to queue for the lock', async () => (await client.keys('ctl/')).length === 2);
      await client.lock.Unlock({ key: held.key }).promise;
      const result = await locked;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'got-it');

      // etcdctl campaigns; our Leader and Observe see it; it holds until interrupted.
      const elect = spawn(ETCDCTL_BINARY, [`--endpoints=${member.endpoint}`, 'elect', 'ctl-e', 'from-etcdctl'], {
        env: { ...process.env, ETCDCTL_API: '3' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const leader = await waitFor('etcdctl to lead', async () => {
          try {
            return (await client.election.Leader({ name: text('ctl-e') }).promise) as { kv: { value: Buffer } };
          } catch {
            return undefined;
          }
        });
        assert.equal(leader.kv.value.toString(), 'from-etcdctl');
        const ours = await client.grant(60);
        const campaigning = client.election.Campaign({ name: text('ctl-e'), lease: ours, value: text('from-grpc') }, { deadlineMs: 60_000 });
        await waitFor('our campaign to queue', async () => (await client.keys('ctl-e/')).length === 2);
        assert.equal(campaigning.settled(), false);
        elect.kill('SIGINT'); // etcdctl resigns and closes its session
        const won = await campaigning.promise;
        assert.equal(won.leader.key.toString(), `ctl-e/${BigInt(ours).toString(16)}`);
      } finally {
        elect.kill('SIGKILL');
      }
    });
  });

  test('under a leader kill: the waiter on another member gets the lock after the holder lease expires, never two holders', async () => {
    const cluster = await Cluster.start({ size: 3 });
    const clients = new Map<ClusterMember, Client>();
    const clientOf = (member: ClusterMember) => {
      let found = clients.get(member);
      if (!found) clients.set(member, (found = new Client(member.endpoint)));
      return found;
    };
    try {
      const leader = await findLeader(cluster.members, clientOf);
      const follower = cluster.members.find((member) => member !== leader)!;
      const viaLeader = clientOf(leader);
      const viaFollower = clientOf(follower);

      const holderLease = await viaLeader.grant(3);
      // The holder keeps its lease alive until the kill, as a live client would.
      const stopKeepAlive = viaLeader.keepAlive(holderLease);
      const held = await viaLeader.lock.Lock({ name: text('fenced'), lease: holderLease }).promise;
      const holderRev = Number((await viaLeader.keys('fenced/'))[0]!.create_revision);
      const guardedIncrement = (client: Client, key: Buffer, rev: number, by: string) =>
        client.kv.Txn({
          compare: [{ result: 0, target: 1, key, create_revision: String(rev) }],
          success: [{ request_put: { key: text('fenced-counter'), value: text(by) } }],
        }).promise as Promise<{ succeeded: boolean }>;
      assert.equal((await guardedIncrement(viaLeader, held.key, holderRev, 'holder')).succeeded, true);

      const waiterLease = await viaFollower.grant(60);
      const waiting = viaFollower.lock.Lock({ name: text('fenced'), lease: waiterLease }, { deadlineMs: 90_000 });
      await waitFor('the waiter to queue', async () => (await viaFollower.keys('fenced/')).length === 2);
      assert.equal(waiting.settled(), false);

      await leader.kill();
      stopKeepAlive();
      const got = await waiting.promise;
      assert.equal(got.key.toString(), `fenced/${BigInt(waiterLease).toString(16)}`);
      const survivors = cluster.members.filter((member) => member !== leader);
      const keys = await viaFollower.keys('fenced/');
      assert.deepEqual(keys.map((entry) => entry.key), [got.key.toString()], "the holder's key went with its lease");
      // Fencing: the old holder's guarded write fails, the new holder's succeeds.
      const otherSurvivor = clientOf(survivors.find((member) => member !== follower)!);
      assert.equal((await guardedIncrement(otherSurvivor, held.key, holderRev, 'holder')).succeeded, false);
      assert.equal((await guardedIncrement(viaFollower, got.key, keys[0]!.create_revision, 'waiter')).succeeded, true);

      // The killed member comes back and agrees.
      await leader.start();
      await waitFor('the restarted member to see the new holder', async () => {
        const restarted = clientOf(leader);
        const found = await restarted.keys('fenced/');
        return found.length === 1 && found[0]!.key === got.key.toString();
      }, { timeoutMs: 30_000 });
    } finally {
      for (const client of clients.values()) client.close();
      await cluster.stop();
    }
  });
});

async function findLeader(members: ClusterMember[], clientOf: (member: ClusterMember) => Client): Promise<ClusterMember> {
  return waitFor('one leader all members agree on', async () => {
    const statuses = await Promise.all(members.map(async (member) => ({ member, status: (await clientOf(member).maintenance.Status({}).promise) as { leader: string; header: { member_id: string } } })));
    const leaders = new Set(statuses.map((entry) => entry.status.leader));
    if (leaders.size !== 1) return undefined;
    return statuses.find((entry) => entry.status.header.member_id === entry.status.leader)?.member;
  });
}
