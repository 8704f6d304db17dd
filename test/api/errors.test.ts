import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { grpcError, toGrpcError } from '../../src/api/errors.js';
import { CompactedError } from '../../src/mvcc/index.js';
import { LeaseNotFoundError, LeaseTtlTooLargeError } from '../../src/lease/index.js';
import { serverErrors } from '../../src/server/errors.js';
import { membershipErrors } from '../../src/server/membership/errors.js';
import { EmptyKeyError } from '../../src/server/apply/errors.js';
import { EtcdError } from '../../src/pkg/etcd-error.js';

describe('gRPC errors from the layers below', () => {
  it('sends each error with its own code and etcd\'s message', () => {
    const cases: Array<[Error, number, string]> = [
      [new CompactedError(), status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
      [new EmptyKeyError(), status.INVALID_ARGUMENT, 'etcdserver: key is not provided'],
      [new LeaseNotFoundError(), status.NOT_FOUND, 'etcdserver: requested lease not found'],
      [new LeaseTtlTooLargeError(), status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'],
      [serverErrors.noLeader(), status.UNAVAILABLE, 'etcdserver: no leader'],
      [serverErrors.requestTooLarge(), status.INVALID_ARGUMENT, 'etcdserver: request is too large'],
      [serverErrors.tooManyRequests(), status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
      [membershipErrors.memberNotFound(), status.NOT_FOUND, 'etcdserver: member not found'],
      [membershipErrors.notEnoughStartedMembers(), status.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'],
      [membershipErrors.unhealthy(), status.UNAVAILABLE, 'etcdserver: unhealthy cluster'],
      [new EtcdError('etcdserver: request canceled', 'Canceled'), status.CANCELLED, 'etcdserver: request canceled'],
    ];
    for (const [error, code, message] of cases) {
      const sent = toGrpcError(error);
      assert.equal(sent.code, code, `${error.message}: code`);
      assert.equal(sent.details, message);
    }
  });

  it('does not guess a code from the text of a plain error', () => {
    const sent = toGrpcError(new Error('etcdserver: no leader'));
    assert.equal(sent.code, status.UNKNOWN);
    assert.equal(sent.details, 'etcdserver: no leader');
  });

  it('passes on an error that already is a gRPC error (a peer\'s answer)', () => {
    const fromPeer = grpcError(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member');
    assert.equal(toGrpcError(fromPeer), fromPeer);
  });
});
