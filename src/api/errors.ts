// Maps errors from the layers below to etcd's gRPC errors: the same status
// code and the same message text, because clients (etcdctl, the Go client,
// Kubernetes) match on both. Lower layers raise errors whose message is
// etcd's internal text ("mvcc: required revision has been compacted"); the
// wire text usually adds the "etcdserver: " prefix.

import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';

type CodeName = keyof typeof GrpcStatus;

// etcd's table of client-visible errors (api/v3rpc/rpctypes).
const ETCD_GRPC_ERRORS: Array<[CodeName, string]> = [
  ['INVALID_ARGUMENT', 'etcdserver: key is not provided'],
  ['INVALID_ARGUMENT', 'etcdserver: key not found'],
  ['INVALID_ARGUMENT', 'etcdserver: value is provided'],
  ['INVALID_ARGUMENT', 'etcdserver: lease is provided'],
  ['INVALID_ARGUMENT', 'etcdserver: too many operations in txn request'],
  ['INVALID_ARGUMENT', 'etcdserver: duplicate key given in txn request'],
  ['INVALID_ARGUMENT', 'etcdserver: invalid client api version'],
  ['INVALID_ARGUMENT', 'etcdserver: invalid sort option'],
  ['OUT_OF_RANGE', 'etcdserver: mvcc: required revision has been compacted'],
  ['OUT_OF_RANGE', 'etcdserver: mvcc: required revision is a future revision'],
  ['RESOURCE_EXHAUSTED', 'etcdserver: mvcc: database space exceeded'],
  ['NOT_FOUND', 'etcdserver: requested lease not found'],
  ['FAILED_PRECONDITION', 'etcdserver: lease already exists'],
  ['OUT_OF_RANGE', 'etcdserver: too large lease TTL'],
  ['CANCELLED', 'etcdserver: watch canceled'],
  ['FAILED_PRECONDITION', 'etcdserver: member ID already exist'],
  ['FAILED_PRECONDITION', 'etcdserver: Peer URLs already exists'],
  ['FAILED_PRECONDITION', 'etcdserver: re-configuration failed due to not enough started members'],
  ['INVALID_ARGUMENT', 'etcdserver: given member URLs are invalid'],
  ['NOT_FOUND', 'etcdserver: member not found'],
  ['FAILED_PRECONDITION', 'etcdserver: can only promote a learner member'],
  ['FAILED_PRECONDITION', 'etcdserver: can only promote a learner member which is in sync with leader'],
  ['FAILED_PRECONDITION', 'etcdserver: too many learner members in cluster'],
  ['FAILED_PRECONDITION', 'etcdserver: cluster ID mismatch'],
  ['INVALID_ARGUMENT', 'etcdserver: request is too large'],
  ['RESOURCE_EXHAUSTED', 'etcdserver: too many requests'],
  ['FAILED_PRECONDITION', 'etcdserver: root user does not exist'],
  ['FAILED_PRECONDITION', 'etcdserver: root user does not have root role'],
  ['FAILED_PRECONDITION', 'etcdserver: user name already exists'],
  ['INVALID_ARGUMENT', 'etcdserver: user name is empty'],
  ['FAILED_PRECONDITION', 'etcdserver: user name not found'],
  ['FAILED_PRECONDITION', 'etcdserver: role name already exists'],
  ['FAILED_PRECONDITION', 'etcdserver: role name not found'],
  ['INVALID_ARGUMENT', 'etcdserver: role name is empty'],
  ['INVALID_ARGUMENT', 'etcdserver: authentication failed, invalid user ID or password'],
  ['INVALID_ARGUMENT', 'etcdserver: permission not given'],
  ['PERMISSION_DENIED', 'etcdserver: permission denied'],
  ['FAILED_PRECONDITION', 'etcdserver: role is not granted to the user'],
  ['FAILED_PRECONDITION', 'etcdserver: permission is not granted to the role'],
  ['FAILED_PRECONDITION', 'etcdserver: authentication is not enabled'],
  ['UNAUTHENTICATED', 'etcdserver: invalid auth token'],
  ['INVALID_ARGUMENT', 'etcdserver: invalid auth management'],
  ['INVALID_ARGUMENT', 'etcdserver: revision of auth store is old'],
  ['UNAVAILABLE', 'etcdserver: no leader'],
  ['FAILED_PRECONDITION', 'etcdserver: not leader'],
  ['UNAVAILABLE', 'etcdserver: leader changed'],
  ['FAILED_PRECONDITION', 'etcdserver: not capable'],
  ['UNAVAILABLE', 'etcdserver: server stopped'],
  ['UNAVAILABLE', 'etcdserver: request timed out'],
  ['UNAVAILABLE', 'etcdserver: request timed out, possibly due to previous leader failure'],
  ['UNAVAILABLE', 'etcdserver: request timed out, possibly due to connection lost'],
  ['UNAVAILABLE', 'etcdserver: request timed out, waiting for the applied index took too long'],
  ['UNAVAILABLE', 'etcdserver: request timed out, leader transfer took too long'],
  ['UNAVAILABLE', 'etcdserver: unhealthy cluster'],
  ['DATA_LOSS', 'etcdserver: corrupt cluster'],
  ['FAILED_PRECONDITION', 'etcdserver: rpc not supported for learner'],
  ['FAILED_PRECONDITION', 'etcdserver: bad leader transferee'],
  ['INVALID_ARGUMENT', 'etcdserver: wrong downgrade target version format'],
  ['INVALID_ARGUMENT', 'etcdserver: invalid downgrade target version'],
  ['FAILED_PRECONDITION', 'etcdserver: cluster version not found during downgrade'],
  ['FAILED_PRECONDITION', 'etcdserver: cluster has a downgrade job in progress'],
  ['FAILED_PRECONDITION', 'etcdserver: no inflight downgrade job'],
  ['CANCELLED', 'etcdserver: request canceled'],
  ['DEADLINE_EXCEEDED', 'etcdserver: context deadline exceeded'],
];

const BY_MESSAGE = new Map<string, [CodeName, string]>();
for (const entry of ETCD_GRPC_ERRORS) {
  BY_MESSAGE.set(entry[1], entry);
  BY_MESSAGE.set(entry[1].replace(/^etcdserver: /, ''), entry);
}

export function grpcError(code: GrpcStatus, message: string): ServiceError {
  const error = new Error(message) as ServiceError;
  error.code = code;
  error.details = message;
  error.metadata = new Metadata();
  return error;
}

/** etcd's gRPC error for an error raised below the API layer. */
export function toGrpcError(error: unknown): ServiceError {
  if (isServiceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const known = BY_MESSAGE.get(message);
  if (known) return grpcError(GrpcStatus[known[0]], known[1]);
  const codeName = (error as { grpcCode?: string } | null)?.grpcCode;
  if (codeName) {
    const code = GrpcStatus[camelToGrpcCodeName(codeName)];
    if (code !== undefined) return grpcError(code, message.startsWith('etcdserver: ') ? message : `etcdserver: ${message}`);
  }
  return grpcError(GrpcStatus.UNKNOWN, message);
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && (error as Partial<ServiceError>).metadata !== undefined;
}

/** 'InvalidArgument' (Go's name) to 'INVALID_ARGUMENT' (grpc-js' name). */
function camelToGrpcCodeName(name: string): CodeName {
  if (name === 'Canceled') return 'CANCELLED';
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as CodeName;
}
