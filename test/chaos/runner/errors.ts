// What a failed request means for the history. A read has no effect, so any
// failed read is dropped. A write or txn is dropped only on errors that
// guarantee it was never proposed; anything else (deadline, reset
// connection, "request timed out", "leader changed") may have committed, so
// its outcome is unknown.

import * as grpc from '@grpc/grpc-js';

/** etcd errors returned before a request reaches Raft. */
const NO_EFFECT_MESSAGES = [
  'etcdserver: too many requests',
  'etcdserver: request is too large',
  'etcdserver: too many operations in txn request',
  'etcdserver: not capable',
  'etcdserver: mvcc: database space exceeded',
];

export type WriteErrorMeaning = 'no-effect' | 'unknown';

export function classifyWriteError(error: unknown): WriteErrorMeaning {
  const serviceError = error as Partial<grpc.ServiceError>;
  const details = serviceError.details ?? String(error);
  if (serviceError.code === grpc.status.INVALID_ARGUMENT) return 'no-effect';
  if (NO_EFFECT_MESSAGES.some((message) => details.includes(message))) return 'no-effect';
  // grpc-js fails a call without sending it when the channel has no connection.
  if (serviceError.code === grpc.status.UNAVAILABLE && details.startsWith('No connection established')) return 'no-effect';
  return 'unknown';
}

/** A short label for the summary: the gRPC code name and etcd's message, without addresses. */
export function errorLabel(error: unknown): string {
  const serviceError = error as Partial<grpc.ServiceError>;
  const code = serviceError.code === undefined ? 'ERROR' : (grpc.status[serviceError.code] ?? String(serviceError.code));
  const details = serviceError.details ?? String(error);
  if (serviceError.code === grpc.status.DEADLINE_EXCEEDED) return code;
  if (details.startsWith('No connection established')) return `${code}: no connection`;
  return `${code}: ${details.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'ADDR').slice(0, 60)}`;
}
