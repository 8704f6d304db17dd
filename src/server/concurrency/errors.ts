// Errors of etcd's election and lock services. etcd serves them with its
// client library against itself, so they reach clients as plain Go errors
// (gRPC code Unknown, the error's text), and so do the member's own errors
// (e.g. "etcdserver: requested lease not found"): the client library turns
// the server's gRPC status into an error without a status, which the
// service then returns as it is.

import { EtcdError } from '../../pkg/etcd-error.js';

export class ConcurrencyError extends EtcdError {
  constructor(message: string) {
    super(message, 'Unknown');
  }
}

export const concurrencyErrors = {
  /** concurrency.ErrElectionNotLeader */
  electionNotLeader: () => new ConcurrencyError('election: not leader'),
  /** concurrency.ErrElectionNoLeader */
  electionNoLeader: () => new ConcurrencyError('election: no leader'),
  /** v3election.ErrMissingLeaderKey */
  missingLeaderKey: () => new ConcurrencyError('"leader" field must be provided'),
  /** concurrency.ErrSessionExpired: the lock's own key is gone (its lease expired) while it waited. */
  sessionExpired: () => new ConcurrencyError('mutex: session is expired'),
};

/** The client gave up on the call (canceled it, or its deadline passed). */
export class ConcurrencyCanceledError extends EtcdError {
  constructor() {
    super('context canceled', 'Canceled');
  }
}

/** A member error as etcd's in-process client hands it on: its etcd text, code Unknown. */
export function asClientError(error: unknown): unknown {
  if (error instanceof ConcurrencyError || error instanceof ConcurrencyCanceledError) return error;
  if (error instanceof EtcdError) return new ConcurrencyError(error.grpcMessage);
  return error;
}
