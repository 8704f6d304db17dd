// Lease errors. Client-visible ones carry etcd's gRPC message and status code
// (api/v3rpc/rpctypes), so src/api/errors.ts maps them without a special case.
// NotPrimaryError is internal: the server reacts to it (forwards the request to
// the leader, or answers "leader changed") and never sends its text to a client.

import { EtcdError } from '../pkg/etcd-error.js';

export type LeaseGrpcCodeName = 'NotFound' | 'FailedPrecondition' | 'OutOfRange';

/** A lease error that etcd returns to clients with a fixed gRPC code and message. */
export abstract class LeaseError extends EtcdError {}

/** etcd's lease.ErrLeaseNotFound ("lease not found"), as sent on the wire. */
export class LeaseNotFoundError extends LeaseError {
  constructor() {
    super('etcdserver: requested lease not found', 'NotFound');
    this.name = 'LeaseNotFoundError';
  }
}

/** etcd's lease.ErrLeaseExists: a grant with an ID that is in use. */
export class LeaseExistsError extends LeaseError {
  constructor() {
    super('etcdserver: lease already exists', 'FailedPrecondition');
    this.name = 'LeaseExistsError';
  }
}

/** etcd's lease.ErrLeaseTTLTooLarge: a grant with TTL above MaxLeaseTTL. */
export class LeaseTtlTooLargeError extends LeaseError {
  constructor() {
    super('etcdserver: too large lease TTL', 'OutOfRange');
    this.name = 'LeaseTtlTooLargeError';
  }
}

/** etcd's lease.ErrNotPrimary: renew or time-to-live asked of a lessor that is not the leader's. */
export class NotPrimaryError extends Error {
  constructor() {
    super('not a primary lessor');
    this.name = 'NotPrimaryError';
  }
}
