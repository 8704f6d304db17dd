import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../../src/backend/index.js';
import { KVStore } from '../../../src/mvcc/index.js';
import {
  CompactedError,
  FutureRevisionError,
  KVApplier,
  KeyNotFoundError,
  LeaseNotFoundError,
  SortOrder,
  SortTarget,
  type KeyValue,
} from '../../../src/server/apply/index.js';
import { bytes, compare, deleteRequest, op, putRequest, rangeRequest, txnRequest } from './requests.js';

function withApplier(run: (applier: KVApplier, store: KVStore) => void | Promise<void>, leases: number[] = []): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-apply-'));
    const backend = Backend.open(directory);
    const store = KVStore.open(backend);
    try {
      await run(new KVApplier(store, { leaseExists: (id) => leases.includes(id as number) }), store);
    } finally {
      store.close();
      await backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

const keys = (kvs: KeyValue[]): string[] => kvs.map((kv) => kv.key.toString('latin1'));
const values = (kvs: KeyValue[]): string[] => kvs.map((kv) => kv.value.toString('latin1'));
const fromKey = Buffer.from([0]);

test('put and range: header revisions, prev_kv, count', withApplier((applier) => {
  const first = applier.put(putRequest('foo', 'bar'));
  assert.equal(first.header.revision, 2);
  assert.equal(first.prev_kv, null);
  const second = applier.put(putRequest('foo', 'baz', { prev_kv: true }));
  assert.equal(second.header.revision, 3);
  assert.equal(second.prev_kv?.value.toString(), 'bar');
  const range = applier.range(rangeRequest('foo'));
  assert.equal(range.header.revision, 3);
  assert.equal(range.count, 1);
  assert.equal(range.more, false);
  assert.deepEqual(range.kvs[0], { key: bytes('foo'), value: bytes('baz'), create_revision: 2, mod_revision: 3, version: 2, lease: 0 });
}));

test('range: limit and more, keys_only, count_only, sort rules, revision filters', withApplier((applier) => {
  applier.put(putRequest('a', '3')); // 2
  applier.put(putRequest('b', '1')); // 3
  applier.put(putRequest('c', '2')); // 4
  applier.put(putRequest('a', '4')); // 5
  const limited = applier.range(rangeRequest('a', { range_end: bytes('z'), limit: 2 }));
  assert.deepEqual(keys(limited.kvs), ['a', 'b']);
  assert.equal(limited.more, true);
  assert.equal(limited.count, 3);
  assert.equal(applier.range(rangeRequest('a', { range_end: bytes('z'), limit: 3 })).more, false);
  const keysOnly = applier.range(rangeRequest('a', { range_end: fromKey, keys_only: true }));
  assert.deepEqual(values(keysOnly.kvs), ['', '', '']);
  assert.equal(keysOnly.kvs[0]?.mod_revision, 5);
  const countOnly = applier.range(rangeRequest('a', { range_end: fromKey, count_only: true }));
  assert.deepEqual([countOnly.kvs.length, countOnly.count], [0, 3]);
  const byKeyDescending = applier.range(rangeRequest('a', { range_end: fromKey, sort_order: SortOrder.DESCEND }));
  assert.deepEqual(keys(byKeyDescending.kvs), ['c', 'b', 'a']);
  // sort_order NONE with a target other than KEY sorts ascending.
  const byValue = applier.range(rangeRequest('a', { range_end: fromKey, sort_target: SortTarget.VALUE }));
  assert.deepEqual(values(byValue.kvs), ['1', '2', '4']);
  const byModDescendingLimited = applier.range(rangeRequest('a', { range_end: fromKey, sort_target: SortTarget.MOD, sort_order: SortOrder.DESCEND, limit: 2 }));
  assert.deepEqual(keys(byModDescendingLimited.kvs), ['a', 'c']);
  assert.equal(byModDescendingLimited.more, true);
  const byVersion = applier.range(rangeRequest('a', { range_end: fromKey, sort_target: SortTarget.VERSION, sort_order: SortOrder.DESCEND }));
  assert.equal(keys(byVersion.kvs)[0], 'a');
  const filtered = applier.range(rangeRequest('a', { range_end: fromKey, min_mod_revision: 3, max_create_revision: 3 }));
  assert.deepEqual(keys(filtered.kvs), ['a', 'b']);
  assert.equal(filtered.count, 3, 'count ignores filters, as etcd');
  const created = applier.range(rangeRequest('a', { range_end: fromKey, min_create_revision: 4 }));
  assert.deepEqual(keys(created.kvs), ['c']);
  const old = applier.range(rangeRequest('a', { range_end: fromKey, revision: 3 }));
  assert.deepEqual(values(old.kvs), ['3', '1']);
  assert.equal(old.header.revision, 5);
  assert.throws(() => applier.range(rangeRequest('a', { revision: 6 })), FutureRevisionError);
}));

test('put with ignore_value / ignore_lease keeps the old value / lease; missing key and lease errors', withApplier((applier) => {
  assert.throws(() => applier.put(putRequest('k', '', { ignore_value: true })), (error: unknown) => {
    assert.ok(error instanceof KeyNotFoundError);
    assert.equal(error.message, 'etcdserver: key not found');
    assert.equal(error.grpcCode, 'InvalidArgument');
    return true;
  });
  assert.throws(() => applier.put(putRequest('k', 'v', { lease: 99 })), (error: unknown) => {
    assert.ok(error instanceof LeaseNotFoundError);
    assert.equal(error.message, 'etcdserver: requested lease not found');
    assert.equal(error.grpcCode, 'NotFound');
    return true;
  });
  applier.put(putRequest('k', 'v1', { lease: 7 }));
  const ignoredValue = applier.put(putRequest('k', '', { ignore_value: true, prev_kv: true }));
  assert.equal(ignoredValue.prev_kv?.value.toString(), 'v1');
  let kv = applier.range(rangeRequest('k')).kvs[0]!;
  assert.deepEqual([kv.value.toString(), kv.lease, kv.version], ['v1', 0, 2]);
  applier.put(putRequest('k', 'v2', { lease: 7 }));
  applier.put(putRequest('k', 'v3', { ignore_lease: true }));
  kv = applier.range(rangeRequest('k')).kvs[0]!;
  assert.deepEqual([kv.value.toString(), kv.lease], ['v3', 7]);
  assert.equal(applier.store.currentRevision, 5, 'failed puts did not bump the revision');
}, [7]));

test('deleteRange: single, range, from-key, prev_kv, revision only bumps on change', withApplier((applier) => {
  for (const key of ['a', 'b', 'c', 'd']) applier.put(putRequest(key, key.toUpperCase()));
  const none = applier.deleteRange(deleteRequest('x'));
  assert.deepEqual([none.deleted, none.header.revision], [0, 5]);
  const one = applier.deleteRange(deleteRequest('a', { prev_kv: true }));
  assert.deepEqual([one.deleted, one.header.revision, values(one.prev_kvs)], [1, 6, ['A']]);
  const ranged = applier.deleteRange(deleteRequest('b', { range_end: bytes('d'), prev_kv: true }));
  assert.deepEqual([ranged.deleted, ranged.header.revision, keys(ranged.prev_kvs)], [2, 7, ['b', 'c']]);
  const rest = applier.deleteRange(deleteRequest('\u0000', { range_end: fromKey }));
  assert.deepEqual([rest.deleted, rest.prev_kvs.length], [1, 0]);
  assert.equal(applier.range(rangeRequest('\u0000', { range_end: fromKey })).count, 0);
}));

test('txn: compares on every target and result, success and failure branches, one revision', withApplier((applier) => {
  applier.put(putRequest('k', 'v1', { lease: 5 })); // 2
  applier.put(putRequest('k', 'v2', { lease: 5 })); // 3, version 2, create 2
  const holds = [
    compare('k', 'value', '=', 'v2'),
    compare('k', 'value', '>', 'v1'),
    compare('k', 'value', '<', 'v3'),
    compare('k', 'value', '!=', 'x'),
    compare('k', 'version', '=', 2),
    compare('k', 'create_revision', '=', 2),
    compare('k', 'mod_revision', '>', 2),
    compare('k', 'mod_revision', '<', 4),
    compare('k', 'lease', '=', 5),
  ];
  for (const condition of holds) {
    assert.equal(applier.txn(txnRequest({ compare: [condition] })).succeeded, true, JSON.stringify(condition));
  }
  assert.equal(applier.txn(txnRequest({ compare: [compare('k', 'version', '>', 2)] })).succeeded, false);
  const response = applier.txn(txnRequest({
    compare: [compare('k', 'value', '=', 'v2')],
    success: [op.put(putRequest('a', '1')), op.put(putRequest('b', '2')), op.range(rangeRequest('a', { range_end: bytes('c') }))],
    failure: [op.put(putRequest('never', 'x'))],
  }));
  assert.equal(response.succeeded, true);
  assert.equal(response.header.revision, 4);
  assert.equal(response.responses.length, 3);
  const [putA, putB, range] = response.responses;
  assert.equal(putA?.response === 'response_put' && putA.response_put.header.revision, 4);
  assert.equal(putB?.response === 'response_put' && putB.response_put.header.revision, 4);
  assert.ok(range?.response === 'response_range');
  assert.deepEqual(keys(range.response_range.kvs), ['a', 'b'], 'reads see the txn\'s own writes');
  assert.equal(range.response_range.header.revision, 4);
  const a = applier.range(rangeRequest('a')).kvs[0]!;
  const b = applier.range(rangeRequest('b')).kvs[0]!;
  assert.deepEqual([a.mod_revision, b.mod_revision], [4, 4]);
  const failed = applier.txn(txnRequest({
    compare: [compare('k', 'value', '=', 'nope')],
    failure: [op.delete(deleteRequest('a', { prev_kv: true }))],
  }));
  assert.equal(failed.succeeded, false);
  assert.ok(failed.responses[0]?.response === 'response_delete_range');
  assert.equal(failed.responses[0].response_delete_range.deleted, 1);
  assert.equal(failed.header.revision, 5);
  const readOnly = applier.txn(txnRequest({ success: [op.range(rangeRequest('k'))] }));
  assert.equal(readOnly.header.revision, 5, 'a txn without changes keeps the revision');
}, [5]));

test('txn compares on a missing key and over ranges follow etcd', withApplier((applier) => {
  // Missing key: VALUE fails; other targets compare against zero.
  assert.equal(applier.txn(txnRequest({ compare: [compare('missing', 'value', '=', '')] })).succeeded, false);
  assert.equal(applier.txn(txnRequest({ compare: [compare('missing', 'value', '!=', 'x')] })).succeeded, false);
  assert.equal(applier.txn(txnRequest({ compare: [compare('missing', 'version', '=', 0)] })).succeeded, true);
  assert.equal(applier.txn(txnRequest({ compare: [compare('missing', 'create_revision', '=', 0)] })).succeeded, true);
  assert.equal(applier.txn(txnRequest({ compare: [compare('missing', 'mod_revision', '<', 1)] })).succeeded, true);
  applier.put(putRequest('r1', 'x')); // 2
  applier.put(putRequest('r2', 'x')); // 3
  applier.put(putRequest('r3', 'y')); // 4
  assert.equal(applier.txn(txnRequest({ compare: [compare('r1', 'value', '=', 'x', 'r3')] })).succeeded, true);
  assert.equal(applier.txn(txnRequest({ compare: [compare('r1', 'value', '=', 'x', 'r4')] })).succeeded, false);
  assert.equal(applier.txn(txnRequest({ compare: [compare('r', 'mod_revision', '<', 5, '\u0000')] })).succeeded, true);
  assert.equal(applier.txn(txnRequest({ compare: [compare('r1', 'version', '=', 0, 'r0')] })).succeeded, true, 'empty range acts as a missing key');
}));

test('nested txns decide their branches on the state before the outer txn', withApplier((applier) => {
  applier.put(putRequest('flag', 'off')); // 2
  const response = applier.txn(txnRequest({
    success: [
      op.put(putRequest('flag', 'on')),
      op.txn(txnRequest({
        compare: [compare('flag', 'value', '=', 'off')],
        success: [op.put(putRequest('seen', 'off')), op.range(rangeRequest('flag'))],
        failure: [op.put(putRequest('seen', 'on'))],
      })),
    ],
  }));
  assert.equal(response.header.revision, 3);
  const nested = response.responses[1];
  assert.ok(nested?.response === 'response_txn');
  assert.equal(nested.response_txn.succeeded, true);
  assert.equal(nested.response_txn.header.revision, 0, 'nested headers are empty, as etcd');
  const nestedRange = nested.response_txn.responses[1];
  assert.ok(nestedRange?.response === 'response_range');
  assert.equal(nestedRange.response_range.kvs[0]?.value.toString(), 'on', 'nested reads see earlier writes');
  assert.equal(applier.range(rangeRequest('seen')).kvs[0]?.value.toString(), 'off');
}));

test('txn pre-checks reject the whole txn before any write', withApplier((applier) => {
  applier.put(putRequest('a', '1')); // 2
  const before = applier.store.currentRevision;
  assert.throws(() => applier.txn(txnRequest({ success: [op.put(putRequest('b', '1')), op.put(putRequest('c', '', { ignore_value: true }))] })), KeyNotFoundError);
  assert.throws(() => applier.txn(txnRequest({ success: [op.put(putRequest('b', '1')), op.put(putRequest('c', 'x', { lease: 3 }))] })), LeaseNotFoundError);
  assert.throws(() => applier.txn(txnRequest({ success: [op.put(putRequest('b', '1')), op.range(rangeRequest('a', { revision: 9 }))] })), FutureRevisionError);
  assert.throws(() => applier.txn(txnRequest({ success: [op.txn(txnRequest({ failure: [op.put(putRequest('b', '1'))], compare: [compare('a', 'value', '=', 'x')] })), op.put(putRequest('z', '', { ignore_lease: true }))] })), KeyNotFoundError);
  assert.equal(applier.store.currentRevision, before);
  assert.equal(applier.range(rangeRequest('b')).count, 0);
  // The failing op is in the branch not taken: no error.
  const fine = applier.txn(txnRequest({ compare: [compare('a', 'value', '=', '1')], failure: [op.put(putRequest('c', '', { ignore_value: true }))] }));
  assert.equal(fine.succeeded, true);
}));

test('compaction returns physical and errors on compacted or future revisions', withApplier(async (applier) => {
  applier.put(putRequest('a', '1')); // 2
  applier.put(putRequest('a', '2')); // 3
  applier.put(putRequest('a', '3')); // 4
  const outcome = applier.compaction({ revision: 3, physical: true });
  assert.equal(outcome.physical, true);
  assert.equal(outcome.response.header.revision, 4);
  await outcome.done;
  assert.throws(() => applier.range(rangeRequest('a', { revision: 2 })), (error: unknown) => {
    assert.ok(error instanceof CompactedError);
    assert.equal(error.message, 'mvcc: required revision has been compacted');
    assert.equal(error.grpcMessage, 'etcdserver: mvcc: required revision has been compacted');
    return true;
  });
  assert.throws(() => applier.compaction({ revision: 3, physical: false }), CompactedError);
  assert.throws(() => applier.compaction({ revision: 9, physical: false }), FutureRevisionError);
  assert.throws(() => applier.txn(txnRequest({ success: [op.range(rangeRequest('a', { revision: 2 }))] })), CompactedError);
}));
