// etcdserverpb.Maintenance: Status for `etcdctl endpoint status`, MoveLeader,
// Hash / HashKV for `etcdctl endpoint hashkv` and corruption checks,
// Defragment (`etcdctl defrag`), Alarm (`etcdctl alarm list/disarm`) and
// Snapshot (`etcdctl snapshot save`, api/snapshot-service.ts). Loaded with exact 64-bit integers, so member ids
// (and int64 request fields) arrive as decimal strings.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { ETCD_API_VERSION } from '../server/config.js';
import { hashBackend, hashKv } from '../mvcc/index.js';
import { unary } from './unary.js';
import type { Callers } from './callers.js';
import { snapshotHandler } from './snapshot-service.js';

// With auth on: Status needs a user, everything else root (etcd's authMaintenanceServer).
export function maintenanceService(server: EtcdServer, callers: Callers): UntypedServiceImplementation {
  return {
    Status: unary((_request: object, call) => {
      server.requireCaller(callers.of(call));
      return { ...server.status(), version: ETCD_API_VERSION };
    }),
    // etcd's maintenanceServer.Snapshot: a bbolt file with etcd's buckets, then its sha256 (api/snapshot-service.ts).
    Snapshot: snapshotHandler(server, callers),
    MoveLeader: unary(async (request: { targetID: string }, call) => {
      server.requireAdmin(callers.of(call));
      await server.membership.moveLeader(BigInt(request.targetID));
      return { header: server.header(server.currentRevision()) };
    }),
    // etcd's maintenanceServer.Defragment: root only once auth is on.
    Defragment: unary(async (_request: object, call) => {
      server.requireAdmin(callers.of(call));
      await server.defragment();
      return {};
    }),
    // etcd's Alarm: through Raft; listing needs a user, raising or clearing root.
    Alarm: unary(async (request: { action?: number; memberID?: string; alarm?: number }, call) => {
      const caller = callers.of(call);
      if (Number(request.action ?? 0) === 0) server.requireCaller(caller);
      else server.requireAdmin(caller);
      return server.alarm({ action: Number(request.action ?? 0), memberID: String(request.memberID ?? '0'), alarm: Number(request.alarm ?? 0) }, caller);
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
