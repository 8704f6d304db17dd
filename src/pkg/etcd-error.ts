// The one error type for what etcd returns to clients: a gRPC status code
// and etcd's message text (api/v3rpc/rpctypes), both of which clients match
// on. Every layer raises its client-visible errors as EtcdErrors (or
// subclasses); the API layer sends code and message as they are, without
// looking at the text.

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
  | 'Internal'
  | 'Unknown';

export class EtcdError extends Error {
  readonly grpcCode: GrpcCodeName;

  constructor(message: string, grpcCode: GrpcCodeName = 'Internal') {
    super(message);
    this.grpcCode = grpcCode;
  }

  /** The message etcd's gRPC layer sends (it prefixes mvcc errors with "etcdserver: "). */
  get grpcMessage(): string {
    // etcd sends errors it has no gRPC mapping for (code Unknown) with their own text.
    if (this.grpcCode === 'Unknown') return this.message;
    return this.message.startsWith('etcdserver: ') ? this.message : `etcdserver: ${this.message}`;
  }
}
