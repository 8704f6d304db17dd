// etcdserverpb.Maintenance: Status for `etcdctl endpoint status` and
// MoveLeader; the rest of the service (snapshot, defragment, alarms) comes
// later and answers UNIMPLEMENTED until then. Loaded with exact 64-bit
// integers, so member ids arrive whole.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { ETCD_API_VERSION } from '../server/config.js';
import { unary } from './unary.js';

export function maintenanceService(server: EtcdServer): UntypedServiceImplementation {
  return {
    Status: unary(() => ({ ...server.status(), version: ETCD_API_VERSION })),
    MoveLeader: unary(async (request: { targetID: string }) => {
      await server.membership.moveLeader(BigInt(request.targetID));
      return { header: server.header(server.currentRevision()) };
    }),
  };
}
