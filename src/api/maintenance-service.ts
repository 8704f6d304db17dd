// etcdserverpb.Maintenance: Status for `etcdctl endpoint status`, MoveLeader,
// and Hash / HashKV for `etcdctl endpoint hashkv` and corruption checks; the
// rest of the service (snapshot, defragment, alarms) comes later and answers
// UNIMPLEMENTED until then. Loaded with exact 64-bit integers, so member ids
// (and int64 request fields) arrive as decimal strings.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { ETCD_API_VERSION } from '../server/config.js';
import { hashBackend, hashKv } from '../mvcc/index.js';
import { unary } from './unary.js';
import type { Callers } from './callers.js';

// With auth on: Status needs a user, everything else root (etcd's authMaintenanceServer).
export function maintenanceService(server: EtcdServer, callers: Callers): UntypedServiceImplementation {
  return {
    Status: unary((_request: object, call) => {
      server.requireCaller(callers.of(call));
      return { ...server.status(), version: ETCD_API_VERSION };
    }),
    MoveLeader: unary(async (request: { targetID: string }, call) => {
      server.requireAdmin(callers.of(call));
      await server.membership.moveLeader(BigInt(request.targetID));
      return { header: server.header(server.currentRevision()) };
    }),
    // etcd's maintenanceServer.Hash: the whole backend; the header carries the current revision.
    Hash: unary((_request: object, call) => {
      server.requireAdmin(callers.of(call));
      const kv = server.watchableStore.kv;
      const hash = hashBackend(kv.backend);
      return { header: server.header(kv.currentRevision), hash };
    }),
    // etcd's maintenanceServer.HashKV: served locally (no Raft round), errors for a
    // compacted or future revision are OutOfRange with mvcc's texts.
    HashKV: unary((request: { revision?: string | number }, call) => {
      server.requireAdmin(callers.of(call));
      const result = hashKv(server.watchableStore.kv, Number(request.revision ?? 0));
      return {
        header: server.header(result.currentRevision),
        hash: result.hash,
        compact_revision: result.compactRevision,
        // 3.5's field (the revision the hash covers); 3.4 clients skip it.
        hash_revision: result.hashRevision,
      };
    }),
  };
}
