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
import { membershipErrors } from '../server/membership/errors.js';

export function kvService(server: EtcdServer): UntypedServiceImplementation {
  const maxTxnOps = server.config.maxTxnOps;
  // A learner only serves serializable reads, as etcd's learners do.
  const refuseOnLearner = () => {
    if (server.isLearner) throw membershipErrors.notSupportedForLearner();
  };
  return {
    Range: unary((request: RangeRequest) => {
      if (!request.serializable) refuseOnLearner();
      validateRangeRequest(request);
      return server.range(request);
    }),
    Put: unary((request: PutRequest) => {
      refuseOnLearner();
      validatePutRequest(request);
      return server.put(request);
    }),
    DeleteRange: unary((request: DeleteRangeRequest) => {
      refuseOnLearner();
      validateDeleteRangeRequest(request);
      return server.deleteRange(request);
    }),
    Txn: unary((request: TxnRequest) => {
      refuseOnLearner();
      validateTxnRequest(request, maxTxnOps);
      return server.txn(request);
    }),
    Compact: unary((request: CompactionRequest) => {
      refuseOnLearner();
      return server.compact(request);
    }),
  };
}
