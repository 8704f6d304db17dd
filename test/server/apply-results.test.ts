// ResponseTo maps a request's kind to what applying it answers; these checks
// fail to compile if the mapping drifts (and the runtime part checks the
// state machine answers in those shapes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResponseTo, AuthAppliedResponse, HeaderOnlyResponse } from '../../src/server/apply-results.js';
import type { CompactionResponse, PutRequest, PutResponse, TxnRequest, TxnResponse } from '../../src/server/apply/index.js';
import type { LeaseGrantResult } from '../../src/lease/index.js';
import { StateMachine } from '../../src/server/state-machine.js';
import { EtcdError } from '../../src/pkg/etcd-error.js';
import { removeStateMachineDirectories, testStateMachineOptions } from './state-machine-options.js';
import { putRequest } from './apply/requests.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

test('each request kind maps to its response type', () => {
  const checks: true[] = [
    true as Equal<ResponseTo<{ put: PutRequest }>, PutResponse>,
    true as Equal<ResponseTo<{ txn: TxnRequest }>, TxnResponse>,
    true as Equal<ResponseTo<{ compaction: { revision: number; physical: boolean } }>, CompactionResponse>,
    true as Equal<ResponseTo<{ lease_grant: { ID: number; TTL: number } }>, LeaseGrantResult & HeaderOnlyResponse>,
    true as Equal<ResponseTo<{ auth_user_list: object }>, AuthAppliedResponse>,
  ];
  assert.equal(checks.length, 5);
});

test('the state machine answers a put with a PutResponse and a refusal with an EtcdError', async () => {
  const options = testStateMachineOptions('apply-results');
  const stateMachine = StateMachine.open(options);
  try {
    const header = (revision: number) => ({ cluster_id: 1, member_id: 2, revision, raft_term: 3 });
    const answer = stateMachine.apply({ put: putRequest('k', 'v') }, header, 1) as PutResponse;
    assert.equal(answer.header.revision, 2);
    const refused = stateMachine.apply({ put: { ...putRequest('k', 'v'), lease: 12345 } }, header, 2);
    assert.ok(refused instanceof EtcdError);
    assert.equal(refused.message, 'etcdserver: requested lease not found');
    const unknown = stateMachine.apply({}, header, 3);
    assert.ok(unknown instanceof EtcdError && unknown.grpcCode === 'Unknown');
  } finally {
    await stateMachine.close();
    removeStateMachineDirectories();
  }
});
