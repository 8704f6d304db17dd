// What applying a committed request answers its proposer, by request kind.
// The state machine returns an ApplyResult; the proposer, which waits on the
// request's id, gets ResponseTo<its request>. An etcd refusal (EtcdError,
// with its gRPC code and etcd's message) is an answer too; anything else
// thrown while applying stops the member.

import type { EtcdError } from '../pkg/etcd-error.js';
import type { LeaseGrantResult } from '../lease/index.js';
import type { CompactionResponse, DeleteRangeResponse, PutResponse, ResponseHeader, TxnResponse } from './apply/index.js';
import type { AlarmMember } from './alarms.js';

export interface HeaderOnlyResponse {
  header: ResponseHeader;
}

/** The answer to each kind of InternalRaftRequest (auth requests: their own response shapes, each with a header). */
export interface AppliedResponses {
  put: PutResponse;
  delete_range: DeleteRangeResponse;
  txn: TxnResponse;
  compaction: CompactionResponse;
  lease_grant: LeaseGrantResult & HeaderOnlyResponse;
  lease_revoke: HeaderOnlyResponse;
  lease_checkpoint: HeaderOnlyResponse;
  /** As etcd's AlarmResponse through Raft: no header. */
  alarm: { alarms: AlarmMember[] };
  /** The token is made while applying, so every member knows it. */
  authenticate: HeaderOnlyResponse & { token: string };
  /** Member attributes are applied to the member table; the proposer only learns they were. */
  cluster_member_attr_set: null;
}

/** Auth requests answer AuthXxxResponse messages: a header and their own fields. */
export type AuthAppliedResponse = HeaderOnlyResponse & Record<string, unknown>;

export type AppliedResponse = AppliedResponses[keyof AppliedResponses] | AuthAppliedResponse;

/** What StateMachine.apply returns: the response (a promise of it for a physical compaction), or etcd's refusal. */
export type ApplyResult = AppliedResponse | Promise<AppliedResponse> | EtcdError;

/** The response to a request that sets field K. */
export type ResponseTo<R> = {
  [K in keyof AppliedResponses]: R extends { [P in K]: object } ? AppliedResponses[K] : never;
}[keyof AppliedResponses] extends infer Known
  ? [Known] extends [never]
    ? AuthAppliedResponse
    : Known
  : never;
