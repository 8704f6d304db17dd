import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DuplicateKeyError,
  EmptyKeyError,
  InvalidSortOptionError,
  KeyNotFoundError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
  type RequestOp,
} from '../../../src/server/apply/index.js';
import { bytes, compare, deleteRequest, op, putRequest, rangeRequest, txnRequest } from './requests.js';

test('single requests: empty key, sort options, ignore_value/ignore_lease conflicts', () => {
  assert.throws(() => validateRangeRequest(rangeRequest('')), { message: 'etcdserver: key is not provided' });
  assert.throws(() => validateRangeRequest(rangeRequest('a', { sort_order: 3 })), InvalidSortOptionError);
  assert.throws(() => validateRangeRequest(rangeRequest('a', { sort_target: 5 })), { message: 'etcdserver: invalid sort option' });
  validateRangeRequest(rangeRequest('a', { sort_order: 2, sort_target: 4 }));
  assert.throws(() => validatePutRequest(putRequest('', 'v')), EmptyKeyError);
  assert.throws(() => validatePutRequest(putRequest('k', 'v', { ignore_value: true })), (error: unknown) => {
    assert.ok(error instanceof ValueProvidedError);
    assert.equal(error.message, 'etcdserver: value is provided');
    assert.equal(error.grpcCode, 'InvalidArgument');
    return true;
  });
  assert.throws(() => validatePutRequest(putRequest('k', '', { ignore_lease: true, lease: 4 })), { message: 'etcdserver: lease is provided' });
  assert.throws(() => validatePutRequest(putRequest('k', '', { ignore_lease: true, lease: 4 })), LeaseProvidedError);
  validatePutRequest(putRequest('k', '', { ignore_value: true, ignore_lease: true }));
  assert.throws(() => validateDeleteRangeRequest(deleteRequest('')), EmptyKeyError);
});

test('txn: too many ops, empty compare key, empty RequestOp', () => {
  const puts = (count: number): RequestOp[] => Array.from({ length: count }, (_, index) => op.put(putRequest(`k${index}`, 'v')));
  validateTxnRequest(txnRequest({ success: puts(128) }));
  assert.throws(() => validateTxnRequest(txnRequest({ success: puts(129) })), (error: unknown) => {
    assert.ok(error instanceof TooManyOpsError);
    assert.equal(error.message, 'etcdserver: too many operations in txn request');
    return true;
  });
  assert.throws(() => validateTxnRequest(txnRequest({ failure: puts(3) }), 2), TooManyOpsError);
  // A nested txn only gets the budget left over by its parent's largest list.
  assert.throws(() => validateTxnRequest(txnRequest({ success: [op.txn(txnRequest({ success: puts(2) }))] }), 2), TooManyOpsError);
  assert.throws(() => validateTxnRequest(txnRequest({ compare: [compare('', 'version', '=', 0)] })), EmptyKeyError);
  assert.throws(() => validateTxnRequest(txnRequest({ success: [{}] })), KeyNotFoundError);
  assert.throws(() => validateTxnRequest(txnRequest({ success: [op.put(putRequest('', 'v'))] })), EmptyKeyError);
});

test('txn: duplicate and overlapping keys per branch (etcd checkIntervals)', () => {
  const duplicate = (operations: RequestOp[]) => () => validateTxnRequest(txnRequest({ success: operations }));
  assert.throws(duplicate([op.put(putRequest('a', '1')), op.put(putRequest('a', '2'))]), (error: unknown) => {
    assert.ok(error instanceof DuplicateKeyError);
    assert.equal(error.message, 'etcdserver: duplicate key given in txn request');
    return true;
  });
  assert.throws(duplicate([op.delete(deleteRequest('a')), op.put(putRequest('a', '2'))]), DuplicateKeyError);
  assert.throws(duplicate([op.delete(deleteRequest('a', { range_end: bytes('c') })), op.put(putRequest('b', '2'))]), DuplicateKeyError);
  assert.throws(duplicate([op.txn(txnRequest({ success: [op.put(putRequest('a', '1'))] })), op.put(putRequest('a', '2'))]), DuplicateKeyError);
  assert.throws(duplicate([op.txn(txnRequest({ success: [op.delete(deleteRequest('a'))] })), op.put(putRequest('a', '2'))]), DuplicateKeyError);
  assert.throws(duplicate([op.delete(deleteRequest('a')), op.txn(txnRequest({ failure: [op.put(putRequest('a', '1'))] }))]), DuplicateKeyError);
  // Allowed: the same key in both branches of one nested txn, different keys, ranges,
  // deletes of the same key twice, a put outside a deleted range, and the same key in
  // the success and failure lists of the top level.
  validateTxnRequest(txnRequest({ success: [op.txn(txnRequest({ success: [op.put(putRequest('a', '1'))], failure: [op.put(putRequest('a', '2'))] }))] }));
  validateTxnRequest(txnRequest({ success: [op.put(putRequest('a', '1')), op.put(putRequest('b', '1')), op.range(rangeRequest('a'))] }));
  validateTxnRequest(txnRequest({ success: [op.delete(deleteRequest('a')), op.delete(deleteRequest('a'))] }));
  validateTxnRequest(txnRequest({ success: [op.delete(deleteRequest('a', { range_end: bytes('c') })), op.put(putRequest('c', '1'))] }));
  validateTxnRequest(txnRequest({ success: [op.put(putRequest('a', '1'))], failure: [op.put(putRequest('a', '2'))] }));
  // etcd quirk kept: a from-key delete ("\0" end) does not conflict with puts.
  validateTxnRequest(txnRequest({ success: [op.delete(deleteRequest('a', { range_end: Buffer.from([0]) })), op.put(putRequest('b', '1'))] }));
});
