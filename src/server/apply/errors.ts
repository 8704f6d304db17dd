// Errors of KV requests with etcd's texts and gRPC codes (api/v3rpc/rpctypes/error.go).
// `message` is the text etcd's gRPC status carries; `grpcCode` the status code name.
import { EtcdError } from '../../mvcc/errors.js';

export { CompactedError, EtcdError, FutureRevisionError, type GrpcCodeName } from '../../mvcc/errors.js';

export class EmptyKeyError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: key is not provided');
    this.name = 'EmptyKeyError';
  }
}

export class KeyNotFoundError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: key not found');
    this.name = 'KeyNotFoundError';
  }
}

export class ValueProvidedError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: value is provided');
    this.name = 'ValueProvidedError';
  }
}

export class LeaseProvidedError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: lease is provided');
    this.name = 'LeaseProvidedError';
  }
}

export class TooManyOpsError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: too many operations in txn request');
    this.name = 'TooManyOpsError';
  }
}

export class DuplicateKeyError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: duplicate key given in txn request');
    this.name = 'DuplicateKeyError';
  }
}

export class InvalidSortOptionError extends EtcdError {
  readonly grpcCode = 'InvalidArgument';
  constructor() {
    super('etcdserver: invalid sort option');
    this.name = 'InvalidSortOptionError';
  }
}

export class LeaseNotFoundError extends EtcdError {
  readonly grpcCode = 'NotFound';
  constructor() {
    super('etcdserver: requested lease not found');
    this.name = 'LeaseNotFoundError';
  }
}
