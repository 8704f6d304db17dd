// Puts every client request of a gRPC service in the audit log
// (--audit-log-path): who (user or certificate name), from where, which
// method, which key or range, the revision answered and the outcome.
// Unary calls are logged when answered; streams (Watch, LeaseKeepAlive,
// Snapshot) when opened. Values and passwords never reach the log: only
// `key` and `range_end` are read from a request.

import { status as GrpcStatus, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { AuditLog } from '../audit/index.js';
import type { CallIdentity, Callers } from './callers.js';

const CODE_NAMES = new Map<number, string>(Object.entries(GrpcStatus).filter(([, value]) => typeof value === 'number').map(([name, value]) => [value as number, goCodeName(name)]));

/** grpc-js' 'PERMISSION_DENIED' to Go's 'PermissionDenied', as etcd's clients print codes. */
function goCodeName(name: string): string {
  if (name === 'CANCELLED') return 'Canceled';
  return name
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

type UnaryHandler = (call: CallIdentity & { request: unknown }, callback: (error: ServiceError | null, response?: unknown) => void) => void;
type StreamHandler = (call: CallIdentity) => void;

/** `fullServiceName`: package and service, e.g. 'etcdserverpb.KV' or 'v3lockpb.Lock'. */
export function audited(fullServiceName: string, implementation: UntypedServiceImplementation, audit: AuditLog, callers: Callers): UntypedServiceImplementation {
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    const method = `/${fullServiceName}/${name}`;
    if ((handler as Function).length >= 2) {
      const unaryHandler = handler as unknown as UnaryHandler;
      wrapped[name] = ((call, callback) => {
        unaryHandler(call, (error, response) => {
          audit.record({ method, ...callers.nameOf(call), remote: call.getPeer(), ...keyRange(call.request), ...outcome(error, response) });
          callback(error, response);
        });
      }) as UnaryHandler as never;
    } else {
      const streamHandler = handler as unknown as StreamHandler;
      wrapped[name] = ((call) => {
        audit.record({ method, ...callers.nameOf(call), remote: call.getPeer(), code: 'OK' });
        streamHandler(call);
      }) as StreamHandler as never;
    }
  }
  return wrapped;
}

function keyRange(request: unknown): { key?: Buffer; rangeEnd?: Buffer } {
  if (typeof request !== 'object' || request === null) return {};
  const { key, range_end: rangeEnd } = request as { key?: unknown; range_end?: unknown };
  return {
    ...(Buffer.isBuffer(key) ? { key } : {}),
    ...(Buffer.isBuffer(rangeEnd) && rangeEnd.length > 0 ? { rangeEnd } : {}),
  };
}

function outcome(error: ServiceError | null, response: unknown): { code: string; error?: string; revision?: number } {
  if (error) return { code: CODE_NAMES.get(error.code ?? GrpcStatus.UNKNOWN) ?? 'Unknown', error: error.details || error.message };
  const revision = Number((response as { header?: { revision?: unknown } } | undefined)?.header?.revision ?? 0);
  return revision > 0 ? { code: 'OK', revision } : { code: 'OK' };
}
