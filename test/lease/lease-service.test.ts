// The Lease gRPC service over a real gRPC server and client, with deps that
// apply requests straight to a lessor (no Raft): checks the wire shapes and
// etcd's quirks (keep-alive TTL 0 and time-to-live TTL -1 for unknown leases).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { leaseService, type LeaseServiceDeps } from '../../src/api/lease-service.js';
import { loadGrpcPackage, serviceDefinition } from '../../src/proto/index.js';
import { applyLeaseGrant, applyLeaseRevoke, leaseIdFromRequestId, type Lessor } from '../../src/lease/index.js';
import type { KVStore } from '../../src/mvcc/index.js';
import { put, withLessor } from './helpers.js';

function depsFor(lessor: Lessor, store: KVStore): LeaseServiceDeps {
  let nextRequestId = (0x1234n << 48n) | 77n;
  const header = () => ({ cluster_id: '1', member_id: '2', revision: store.currentRevision, raft_term: 3 });
  return {
    newLeaseId: () => leaseIdFromRequestId((nextRequestId += 1n)),
    proposeLeaseGrant: async (request) => ({ ...applyLeaseGrant(lessor, request), header: header() }),
    proposeLeaseRevoke: async (request) => {
      applyLeaseRevoke(lessor, () => store.write(), request);
      return { header: header() };
    },
    renew: (id) => lessor.renew(id),
    timeToLive: async (id, withKeys) => lessor.timeToLive(id, withKeys),
    leaseIds: () => lessor.leaseIds(),
    header,
  };
}

type Client = grpc.Client & Record<string, Function>;

function call(client: Client, method: string, request: object): Promise<any> {
  return new Promise((resolve, reject) => {
    client[method]!(request, { deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null, response: unknown) => (error ? reject(error) : resolve(response)));
  });
}

/** Sends each ID on one keep-alive stream, one at a time, and collects the answers. */
async function keepAlive(client: Client, ids: number[]): Promise<Array<{ ID: number; TTL: number; header: { revision: number } }>> {
  const stream = client['LeaseKeepAlive']!() as grpc.ClientDuplexStream<object, any>;
  const responses: any[] = [];
  try {
    for (const id of ids) {
      const response = new Promise((resolve, reject) => {
        stream.once('data', resolve);
        stream.once('error', reject);
      });
      stream.write({ ID: id });
      responses.push(await response);
    }
  } finally {
    stream.end();
  }
  await new Promise<void>((resolve) => stream.on('status', () => resolve()).on('error', () => resolve()));
  return responses;
}

describe('Lease gRPC service', { timeout: 60_000 }, () => {
  it(
    'grants, keeps alive, reports, lists and revokes over gRPC',
    withLessor(async ({ lessor, store, clock }) => {
      lessor.promote(0);
      const server = new grpc.Server();
      server.addService(serviceDefinition('Lease'), leaseService(depsFor(lessor, store)));
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
      );
      const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
      const client = new (etcdserverpb['Lease'] as grpc.ServiceClientConstructor)(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
      try {
        const granted = await call(client, 'LeaseGrant', { TTL: 30 });
        assert.ok(granted.ID > 0, 'a positive id chosen by the server');
        assert.equal(granted.TTL, 30);
        const chosen = await call(client, 'LeaseGrant', { TTL: 1, ID: 42 });
        assert.deepEqual([chosen.ID, chosen.TTL], [42, 2]);
        await assert.rejects(call(client, 'LeaseGrant', { TTL: 5, ID: 42 }), (error: grpc.ServiceError) => error.code === grpc.status.FAILED_PRECONDITION && error.details === 'etcdserver: lease already exists');
        await assert.rejects(call(client, 'LeaseGrant', { TTL: 9_000_000_001, ID: 43 }), (error: grpc.ServiceError) => error.code === grpc.status.OUT_OF_RANGE && error.details === 'etcdserver: too large lease TTL');

        put(store, 'held/a', 'v', 42);
        put(store, 'held/b', 'v', 42);
        clock.advance(1500);
        const answers = await keepAlive(client, [42, 999, granted.ID]);
        assert.deepEqual(answers.map((answer) => [answer.ID, answer.TTL]), [[42, 2], [999, 0], [granted.ID, 30]]);
        assert.equal(answers[0]!.header.revision, store.currentRevision);

        const timeToLive = await call(client, 'LeaseTimeToLive', { ID: 42, keys: true });
        assert.deepEqual([timeToLive.ID, timeToLive.TTL, timeToLive.grantedTTL], [42, 2, 2]);
        assert.deepEqual(timeToLive.keys.map(String), ['held/a', 'held/b']);
        const unknown = await call(client, 'LeaseTimeToLive', { ID: 999, keys: true });
        assert.deepEqual([unknown.ID, unknown.TTL, unknown.grantedTTL, unknown.keys], [999, -1, 0, []]);

        const listed = await call(client, 'LeaseLeases', {});
        assert.deepEqual(listed.leases.map((lease: { ID: number }) => lease.ID).sort(), [42, granted.ID].sort());

        const revisionBefore = store.currentRevision;
        const revoked = await call(client, 'LeaseRevoke', { ID: 42 });
        assert.equal(revoked.header.revision, revisionBefore + 1);
        assert.equal(store.range(Buffer.from('held/'), Buffer.from('held0')).kvs.length, 0);
        await assert.rejects(call(client, 'LeaseRevoke', { ID: 42 }), (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND && error.details === 'etcdserver: requested lease not found');
      } finally {
        client.close();
        server.forceShutdown();
      }
    }),
  );
});
