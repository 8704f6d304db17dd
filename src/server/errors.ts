// Errors the member itself raises (as opposed to MVCC or apply errors), with
// etcd's texts and gRPC codes (api/v3rpc/rpctypes).

import { EtcdError } from '../pkg/etcd-error.js';

export class ServerError extends EtcdError {}

export const serverErrors = {
  requestTooLarge: () => new ServerError('etcdserver: request is too large', 'InvalidArgument'),
  noLeader: () => new ServerError('etcdserver: no leader', 'Unavailable'),
  notLeader: () => new ServerError('etcdserver: not leader', 'FailedPrecondition'),
  leaderChanged: () => new ServerError('etcdserver: leader changed', 'Unavailable'),
  stopped: () => new ServerError('etcdserver: server stopped', 'Unavailable'),
  timeout: () => new ServerError('etcdserver: request timed out', 'Unavailable'),
  timeoutWaitAppliedIndex: () => new ServerError('etcdserver: request timed out, waiting for the applied index took too long', 'Unavailable'),
  tooManyRequests: () => new ServerError('etcdserver: too many requests', 'ResourceExhausted'),
};
