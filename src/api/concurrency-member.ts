// The member as the election and lock recipes see it (server/concurrency):
// its linearizable KV operations, lease grants and watchable store, each run
// as the caller. A learner refuses them, as its linearizable reads are refused;
// requests are checked as the KV service checks them.

import type { LeaseId } from '../lease/index.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { asClientError, type ConcurrencyKv, type OperationContext } from '../server/concurrency/index.js';
import { membershipErrors } from '../server/membership/errors.js';
import { validateDeleteRangeRequest, validatePutRequest, validateRangeRequest, validateTxnRequest } from '../server/apply/validate.js';
import type { AuthInfo } from '../auth/types.js';

export function memberConcurrencyKv(server: EtcdServer): ConcurrencyKv {
  const refuseOnLearner = () => {
    if (server.isLearner) throw membershipErrors.notSupportedForLearner();
  };
  return {
    // Through the KV server's checks, as etcd's in-process client goes (e.g. an empty key: "key is not provided").
    range: async (request, caller) => (refuseOnLearner(), validateRangeRequest(request), server.range(request, caller)),
    put: async (request, caller) => (refuseOnLearner(), validatePutRequest(request), server.put(request, caller)),
    deleteRange: async (request, caller) => (refuseOnLearner(), validateDeleteRangeRequest(request), server.deleteRange(request, caller)),
    txn: async (request, caller) => (refuseOnLearner(), validateTxnRequest(request, server.config.maxTxnOps), server.txn(request, caller)),
    async grantLease(ttlSeconds, caller) {
      refuseOnLearner();
      let id: LeaseId = 0;
      for (let attempt = 0; id === 0 && attempt < 100; attempt++) id = server.newLeaseId();
      if (id === 0) throw new Error('no lease ID available');
      const granted = await server.grantLease({ ID: id, TTL: ttlSeconds }, caller);
      return granted.ID;
    },
    checkWatch: (caller, key, rangeEnd) => server.auth.isRangePermitted(caller, key, rangeEnd),
    get watchableStore() {
      return server.watchableStore;
    },
    header: (revision) => server.header(revision),
  };
}

interface CancellableCall {
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

/** An operation context for a call: aborted when the client cancels it or its deadline passes. */
export function operationContext(call: CancellableCall, caller: AuthInfo | undefined): OperationContext & { done(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  call.on('cancelled', abort);
  return { caller, signal: controller.signal, done: () => call.removeListener('cancelled', abort) };
}

export { asClientError };
