// Errors of KV requests with etcd's texts and gRPC codes (api/v3rpc/rpctypes/error.go).
// `message` is the text etcd's gRPC status carries; `grpcCode` the status code name.
import { EtcdError } from '../../mvcc/errors.js';

export { CompactedError, EtcdError, FutureRevisionError, type GrpcCodeName } from '../../mvcc/errors.js';

export class EmptyKeyError extends EtcdError {
  constructor() {
    super('etcdserver: key is not provided', 'InvalidArgument');
    this.name = 'EmptyKeyError';
  }
}

export class KeyNotFoundError extends EtcdError {
  constructor() {
    super('etcdserver: key not found', 'InvalidArgument');
    this.name = 'KeyNotFoundError';
  }
}

export class ValueProvidedError extends EtcdError {
  constructor() {
    super('etcdserver: value is provided', 'InvalidArgument');
    this.name = 'ValueProvidedError';
  }
}

export class LeaseProvidedError extends EtcdError {
  constructor() {
    super('etcdserver: lease is provided', 'InvalidArgument');
    this.name = 'LeaseProvidedError';
  }
}

export class TooManyOpsError extends EtcdError {
  constructor() {
    super('etcdserver: too many operations in txn request', 'InvalidArgument');
    this.name = 'TooManyOpsError';
  }
}

export class DuplicateKeyError extends EtcdError {
  constructor() {
    super('etcdserver: duplicate key given in txn request', 'InvalidArgument');
    this.name = 'DuplicateKeyError';
  }
}

export class InvalidSortOptionError extends EtcdError {
  constructor() {
    super('etcdserver: invalid sort option', 'InvalidArgument');
    this.name = 'InvalidSortOptionError';
  }
}

export class LeaseNotFoundError extends EtcdError {
  constructor() {
    super('etcdserver: requested lease not found', 'NotFound');
    this.name = 'LeaseNotFoundError';
  }
}
