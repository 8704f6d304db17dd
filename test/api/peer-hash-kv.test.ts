// The gRPC PeerHashKv against the real Maintenance service implementation on a
// loopback gRPC server (a store in a temporary directory behind it), and the
// initial corruption check driven through it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../../src/proto/index.js';
import { maintenanceService } from '../../src/api/maintenance-service.js';
import { grpcPeerHashKv, grpcTarget } from '../../src/api/peer-hash-kv.js';
import type { EtcdServer } from '../../src/server/etcd-server.js';
import { hashKv, type KVStore } from '../../src/mvcc/index.js';
import { checkInitialHashKv, InitialCorruptCheckError } from '../../src/server/initial-corrupt-check.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { put, withStore } from '../mvcc/helpers.js';

import { Callers, ClientCertificateNames } from '../../src/api/callers.js';
import type { AuthStore } from '../../src/auth/auth-store.js';

const MEMBER_ID = 0xfd422379fda50e48n; // above 2^63: must arrive exactly

async function serve(store: KVStore): Promise<{ url: string; close(): void }> {
  const fakeServer = {
    watchableStore: { kv: store },
    header: (revision: number) => ({ cluster_id: '1', member_id: MEMBER_ID.toString(), revision, raft_term: 2 }),
    requireAdmin: () => undefined,
  } as unknown as EtcdServer;
  const server = new grpc.Server();
  server.addService(serviceDefinition('Maintenance', { exactLongs: true }), maintenanceService(fakeServer, new Callers(() => ({ enabled: false }) as AuthStore, { clientCertAuth: false, certificateNames: new ClientCertificateNames(), logger: silentLogger })));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
  );
  return { url: `http://127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

test('grpcPeerHashKv reads a member\'s HashKV over gRPC: hash, revisions, exact member id, etcd\'s errors', withStore(async ({ store }) => {
  put(store, 'a', '1'); // 2
  put(store, 'a', '2'); // 3
  put(store, 'b', '1'); // 4
  await store.compact(2).done;
  const peer = await serve(store);
  try {
    const peerHashKv = grpcPeerHashKv({ timeoutMs: 5000 });
    const expected = hashKv(store, 3);
    assert.deepEqual(await peerHashKv(peer.url, 3), { hash: expected.hash, compactRevision: 2, revision: 4, memberId: MEMBER_ID });
    assert.equal((await peerHashKv(peer.url, 0)).hash, hashKv(store, 0).hash);
    await assert.rejects(peerHashKv(peer.url, 9), (error: grpc.ServiceError) => {
      assert.equal(error.code, grpc.status.OUT_OF_RANGE);
      assert.equal(error.details, 'etcdserver: mvcc: required revision is a future revision');
      return true;
    });
    await assert.rejects(peerHashKv(peer.url, 2), (error: grpc.ServiceError) => {
      assert.equal(error.code, grpc.status.OUT_OF_RANGE);
      assert.equal(error.details, 'etcdserver: mvcc: required revision has been compacted');
      return true;
    });

    // The check through it: same data passes; a peer that is behind only warns.
    const local = hashKv(store, 0);
    const check = (hash: number, revision: number) =>
      checkInitialHashKv({
        localMemberId: 1n,
        local: { hash, revision, compactRevision: local.compactRevision },
        peers: [{ id: MEMBER_ID, clientUrls: [peer.url] }],
        peerHashKv,
        logger: silentLogger,
      });
    assert.deepEqual((await check(local.hash, local.hashRevision)).matched, [MEMBER_ID]);
    assert.deepEqual((await check(local.hash, 9)).lagging, [MEMBER_ID]);
    await assert.rejects(check(local.hash ^ 1, local.hashRevision), InitialCorruptCheckError);
  } finally {
    peer.close();
  }
}));

test('grpcPeerHashKv rejects when nobody listens', async () => {
  await assert.rejects(grpcPeerHashKv({ timeoutMs: 2000 })('http://127.0.0.1:1', 0), (error: grpc.ServiceError) => {
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    return true;
  });
});

test('client URLs become grpc-js targets', () => {
  assert.deepEqual(grpcTarget('http://10.0.0.1:2379'), { target: '10.0.0.1:2379', secure: false });
  assert.deepEqual(grpcTarget('https://[::1]:2379'), { target: '[::1]:2379', secure: true });
  assert.deepEqual(grpcTarget('unix://localhost:2379'), { target: 'unix:localhost:2379', secure: false });
  assert.throws(() => grpcTarget('ftp://x:1'), /unsupported client URL scheme/);
});
