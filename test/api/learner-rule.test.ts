// etcd's isRPCSupportedForLearner, and the refusal's code (Unavailable, so
// clients move on to another endpoint) as a gRPC status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { isSupportedForLearner, refuseIfLearner } from '../../src/api/learner-rule.js';

test('a learner answers Status and serializable Range only', () => {
  assert.equal(isSupportedForLearner('/etcdserverpb.Maintenance/Status', false, {}), true);
  assert.equal(isSupportedForLearner('/etcdserverpb.KV/Range', false, { serializable: true }), true);
  assert.equal(isSupportedForLearner('/etcdserverpb.KV/Range', false, { serializable: false }), false);
  assert.equal(isSupportedForLearner('/etcdserverpb.KV/Put', false, {}), false);
  assert.equal(isSupportedForLearner('/etcdserverpb.Cluster/MemberList', false, {}), false);
  assert.equal(isSupportedForLearner('/etcdserverpb.Watch/Watch', true, undefined), false);
});

test('the refusal is etcd ErrGPRCNotSupportedForLearner; a voter is never refused', () => {
  assert.throws(
    () => refuseIfLearner(true, '/etcdserverpb.KV/Put', false, {}),
    (error: { code: number; details: string }) => error.code === status.UNAVAILABLE && error.details === 'etcdserver: rpc not supported for learner',
  );
  assert.doesNotThrow(() => refuseIfLearner(false, '/etcdserverpb.KV/Put', false, {}));
});
