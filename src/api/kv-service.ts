// etcdserverpb.KV: validates each request as etcd's v3rpc layer does, then
// hands it to the member.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary } from './unary.js';
import {
  validateRangeRequest,
  validatePutRequest,
  validateDeleteRangeRequest,
  validateTxnRequest,
} from '../server/apply/validate.js';
import type { RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, CompactionRequest } from '../server/apply/types.js';
import type { Callers } from './callers.js';

export function kvService(server: EtcdServer, callers: Callers): UntypedServiceImplementation {
  const maxTxnOps = server.config.maxTxnOps;
  // A learner's refusals come from the learner rule (learner-rule.ts), for every service.
  return {
    Range: unary((request: RangeRequest, call) => {
      validateRangeRequest(request);
      return callers.with(call, (caller) => server.range(request, caller));
    }),
    Put: unary((request: PutRequest, call) => {
      validatePutRequest(request);
      return callers.with(call, (caller) => server.put(request, caller));
    }),
    DeleteRange: unary((request: DeleteRangeRequest, call) => {
      validateDeleteRangeRequest(request);
      return callers.with(call, (caller) => server.deleteRange(request, caller));
    }),
    Txn: unary((request: TxnRequest, call) => {
      validateTxnRequest(request, maxTxnOps);
      return callers.with(call, (caller) => server.txn(request, caller));
    }),
    Compact: unary((request: CompactionRequest, call) => {
      // Compaction drops history for everyone: root only once auth is on (etcd 3.5.28+).
      return callers.with(call, (caller) => {
        server.requireAdmin(caller);
        return server.compact(request, caller);
      });
    }),
  };
}
