// etcd's rule for a learner (v3rpc/interceptor.go, isRPCSupportedForLearner):
// it answers Status and serializable Range; every other unary call and every
// stream gets "etcdserver: rpc not supported for learner". Applied to every
// gRPC call by one interceptor, and by the JSON gateway before it calls a
// handler (etcd's gateway reaches the member through its gRPC server, so the
// rule applies there too).

import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor } from '@grpc/grpc-js';
import { membershipErrors } from '../server/membership/errors.js';
import { toGrpcError } from './errors.js';

const STATUS_PATH = '/etcdserverpb.Maintenance/Status';
const RANGE_PATH = '/etcdserverpb.KV/Range';

/** Whether a learner answers this call (`request` is the decoded first message). */
export function isSupportedForLearner(path: string, streaming: boolean, request: unknown): boolean {
  if (streaming) return false;
  if (path === STATUS_PATH) return true;
  return path === RANGE_PATH && (request as { serializable?: boolean } | undefined)?.serializable === true;
}

/** Throws etcd's refusal (as a gRPC status error) when this member is a learner and the call is not one it answers. */
export function refuseIfLearner(isLearner: boolean, path: string, streaming: boolean, request: unknown): void {
  if (isLearner && !isSupportedForLearner(path, streaming, request)) throw toGrpcError(membershipErrors.notSupportedForLearner());
}

/**
 * The interceptor: a member that is not a learner (the usual case) passes the
 * call through untouched, so the rule costs nothing then.
 */
export function learnerInterceptor(isLearner: () => boolean): ServerInterceptor {
  return (descriptor, call: ServerInterceptingCallInterface) => {
    if (!isLearner()) return call as ServerInterceptingCall;
    const streaming = descriptor.requestStream || descriptor.responseStream;
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            if (isSupportedForLearner(descriptor.path, streaming, message)) {
              nextMessage(message);
              return;
            }
            const refusal = toGrpcError(membershipErrors.notSupportedForLearner());
            intercepted.sendStatus({ code: refusal.code, details: refusal.details, metadata: refusal.metadata });
          },
        }),
    });
    return intercepted;
  };
}
