// etcd's gRPC errors for errors raised below the API layer: every
// client-visible error is an EtcdError (src/pkg/etcd-error.ts) carrying its
// status code and etcd's message, so both reach the client as etcd sends
// them (etcdctl, the Go client and Kubernetes match on both).

import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { EtcdError, type GrpcCodeName } from '../pkg/etcd-error.js';

type CodeName = keyof typeof GrpcStatus;

export function grpcError(code: GrpcStatus, message: string): ServiceError {
  const error = new Error(message) as ServiceError;
  error.code = code;
  error.details = message;
  error.metadata = new Metadata();
  return error;
}

/** etcd's gRPC error for an error raised below the API layer (or a peer's, passed on as it is). */
export function toGrpcError(error: unknown): ServiceError {
  if (isServiceError(error)) return error;
  if (error instanceof EtcdError) return grpcError(GrpcStatus[grpcCodeName(error.grpcCode)], error.grpcMessage);
  return grpcError(GrpcStatus.UNKNOWN, error instanceof Error ? error.message : String(error));
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && (error as Partial<ServiceError>).metadata !== undefined;
}

/** 'InvalidArgument' (Go's name) to 'INVALID_ARGUMENT' (grpc-js' name). */
function grpcCodeName(name: GrpcCodeName): CodeName {
  if (name === 'Canceled') return 'CANCELLED';
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as CodeName;
}
