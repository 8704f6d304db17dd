// Errors the member itself raises (as opposed to MVCC or apply errors), with
// etcd's internal texts; the API layer maps them to etcd's gRPC errors.

export class ServerError extends Error {}

export const serverErrors = {
  requestTooLarge: () => new ServerError('etcdserver: request is too large'),
  noLeader: () => new ServerError('etcdserver: no leader'),
  notLeader: () => new ServerError('etcdserver: not leader'),
  leaderChanged: () => new ServerError('etcdserver: leader changed'),
  stopped: () => new ServerError('etcdserver: server stopped'),
  timeout: () => new ServerError('etcdserver: request timed out'),
  timeoutWaitAppliedIndex: () => new ServerError('etcdserver: request timed out, waiting for the applied index took too long'),
  tooManyRequests: () => new ServerError('etcdserver: too many requests'),
};
