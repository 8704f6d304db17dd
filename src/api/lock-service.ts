// v3lockpb.Lock, as etcd's v3lock server: Lock runs the client concurrency
// package's mutex on a session with the request's lease (a new 60 s lease
// for 0), waiting for the keys created before its own to go; Unlock deletes
// the key. Both run as the caller.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { lock, unlock } from '../server/concurrency/index.js';
import { unary } from './unary.js';
import type { Callers } from './callers.js';
import { memberConcurrencyKv, operationContext } from './concurrency-member.js';
import type { LeaseId } from '../lease/index.js';

interface LockRequest {
  name: Buffer;
  lease: LeaseId;
}

interface UnlockRequest {
  key: Buffer;
}

export function lockService(server: EtcdServer, callers: Callers): UntypedServiceImplementation {
  const kv = memberConcurrencyKv(server);
  return {
    Lock: unary((request: LockRequest, call) =>
      callers.with(call, async (caller) => {
        const context = operationContext(call, caller);
        try {
          return await lock(kv, { name: request.name, lease: request.lease }, context);
        } finally {
          context.done();
        }
      }),
    ),
    Unlock: unary((request: UnlockRequest, call) =>
      callers.with(call, async (caller) => {
        const context = operationContext(call, caller);
        try {
          return await unlock(kv, request.key, context);
        } finally {
          context.done();
        }
      }),
    ),
  };
}
