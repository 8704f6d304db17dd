// MVCC errors with etcd's texts (server/storage/mvcc/kvstore.go) and the gRPC status
// they map to (api/v3rpc/rpctypes/error.go), so the API layer can translate them.

export type GrpcCodeName =
  | 'InvalidArgument'
  | 'OutOfRange'
  | 'NotFound'
  | 'FailedPrecondition'
  | 'ResourceExhausted'
  | 'PermissionDenied'
  | 'Unavailable'
  | 'Unauthenticated'
  | 'DataLoss'
  | 'Canceled'
  | 'DeadlineExceeded'
  | 'Internal';

/** An error that etcd returns to clients with a fixed gRPC code and message. */
export abstract class EtcdError extends Error {
  abstract readonly grpcCode: GrpcCodeName;
  /** The message etcd's gRPC layer sends (it prefixes mvcc errors with "etcdserver: "). */
  get grpcMessage(): string {
    return this.message.startsWith('etcdserver: ') ? this.message : `etcdserver: ${this.message}`;
  }
}

/** The requested revision is below the compacted revision (also: compacting at or below it). */
export class CompactedError extends EtcdError {
  readonly grpcCode = 'OutOfRange';
  constructor() {
    super('mvcc: required revision has been compacted');
    this.name = 'CompactedError';
  }
}

/** The requested revision is above the current revision. */
export class FutureRevisionError extends EtcdError {
  readonly grpcCode = 'OutOfRange';
  constructor() {
    super('mvcc: required revision is a future revision');
    this.name = 'FutureRevisionError';
  }
}
