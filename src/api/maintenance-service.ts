// etcdserverpb.Maintenance: Status for `etcdctl endpoint status`; the rest
// of the service (snapshot, defragment, alarms, move-leader) comes later and
// answers UNIMPLEMENTED until then.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { ETCD_API_VERSION } from '../server/config.js';
import { unary } from './unary.js';

export function maintenanceService(server: EtcdServer): UntypedServiceImplementation {
  return {
    Status: unary(() => ({ ...server.status(), version: ETCD_API_VERSION })),
  };
}
