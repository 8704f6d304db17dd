import type { Int64 } from '../../src/pkg/int64.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompactedError,
  EventType,
  FutureRevisionError,
  decodeKeyValue,
  decodeRevisionKey,
  encodeKeyValue,
  encodeRevisionKey,
  type Event,
} from '../../src/mvcc/index.js';
import { bytes, deleteRange, keysOf, put, withStore } from './helpers.js';

test('revision keys use etcd layout: 8-byte big-endian main, _, sub, optional t', () => {
  const key = encodeRevisionKey({ main: 0x0102, sub: 3 });
  assert.equal(key.toString('hex'), '0000000000000102' + '5f' + '0000000000000003');
  assert.equal(encodeRevisionKey({ main: 5, sub: 0 }, true).toString('hex').slice(-2), '74');
  assert.deepEqual(decodeRevisionKey(encodeRevisionKey({ main: 2 ** 40, sub: 7 }, true)), {
    revision: { main: 2 ** 40, sub: 7 },
    tombstone: true,
  });
});

test('KeyValue encoding is mvccpb.KeyValue protobuf and round-trips', () => {
  const keyValue = { key: bytes('foo'), create_revision: 2, mod_revision: 300, version: 1, value: bytes('bar'), lease: 0 };
  // Field 1 "foo", field 2 = 2, field 3 = 300 (varint ac 02), field 4 = 1, field 5 "bar".
  assert.equal(encodeKeyValue(keyValue).toString('hex'), '0a03666f6f' + '1002' + '18ac02' + '2001' + '2a03626172');
  assert.deepEqual(decodeKeyValue(encodeKeyValue(keyValue)), keyValue);
  const big = { key: bytes('k'), create_revision: 2 ** 52 + 1, mod_revision: 2 ** 53 - 1, version: 9, value: Buffer.alloc(0), lease: -5 };
  assert.deepEqual(decodeKeyValue(encodeKeyValue(big)), big);
  // Lease ids use all 64 bits (clients choose them; etcd's are 63-bit).
  for (const lease of [2n ** 53n, 7587870123987654321n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    const leased = { ...keyValue, lease };
    assert.deepEqual(decodeKeyValue(encodeKeyValue(leased)), leased, `lease ${lease}`);
  }
  // Go's encoding of lease 7587870123987654321: field 6, varint b1 ad d5 f0 ce f5 e1 a6 69.
  assert.ok(encodeKeyValue({ ...keyValue, lease: 7587870123987654321n }).toString('hex').endsWith('30b1add5f0cef5e1a669'));
  const tombstone = { key: bytes('k'), create_revision: 0, mod_revision: 0, version: 0, value: Buffer.alloc(0), lease: 0 };
  assert.equal(encodeKeyValue(tombstone).toString('hex'), '0a016b');
});

test('a new store is at revision 1; puts bump revision, version and keep create_revision', withStore(({ store }) => {
  assert.equal(store.currentRevision, 1);
  assert.equal(store.compactRevision, -1);
  assert.equal(put(store, 'foo', 'bar'), 2);
  assert.equal(put(store, 'foo', 'baz'), 3);
  const result = store.range(bytes('foo'), undefined);
  assert.equal(result.revision, 3);
  assert.equal(result.count, 1);
  assert.deepEqual(result.kvs[0], { key: bytes('foo'), create_revision: 2, mod_revision: 3, version: 2, value: bytes('baz'), lease: 0 });
  const old = store.range(bytes('foo'), undefined, { revision: 2 });
  assert.equal(old.kvs[0]?.value.toString(), 'bar');
  assert.equal(old.revision, 3, 'header revision is the current one');
  assert.equal(store.range(bytes('foo'), undefined, { revision: 1 }).count, 0);
}));

test('range: single key, [key, end), "\\0" from-key, limit and count', withStore(({ store }) => {
  for (const key of ['a', 'b', 'c', 'd', 'e']) put(store, key, key);
  assert.deepEqual(keysOf(store.range(bytes('b'), bytes('d')).kvs), ['b', 'c']);
  assert.deepEqual(keysOf(store.range(bytes('c'), Buffer.from([0])).kvs), ['c', 'd', 'e']);
  assert.deepEqual(keysOf(store.range(Buffer.from([0]), Buffer.from([0])).kvs), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(keysOf(store.range(bytes('b'), Buffer.alloc(0)).kvs), ['b'], 'empty range end: single key');
  const limited = store.range(bytes('a'), bytes('z'), { limit: 2 });
  assert.deepEqual(keysOf(limited.kvs), ['a', 'b']);
  assert.equal(limited.count, 5);
  const counted = store.range(bytes('a'), bytes('z'), { countOnly: true });
  assert.deepEqual(counted.kvs, []);
  assert.equal(counted.count, 5);
  assert.equal(store.range(bytes('d'), bytes('b')).count, 0, 'end before key: nothing');
  assert.equal(store.range(bytes('zz'), undefined).count, 0);
}));

test('future and compacted revisions are errors with etcd texts', withStore(({ store }) => {
  put(store, 'a', '1');
  put(store, 'a', '2');
  put(store, 'a', '3');
  assert.throws(() => store.range(bytes('a'), undefined, { revision: 5 }), (error: unknown) => {
    assert.ok(error instanceof FutureRevisionError);
    assert.equal(error.message, 'mvcc: required revision is a future revision');
    assert.equal(error.grpcCode, 'OutOfRange');
    assert.equal(error.grpcMessage, 'etcdserver: mvcc: required revision is a future revision');
    return true;
  });
  store.compact(3);
  assert.throws(() => store.range(bytes('a'), undefined, { revision: 2 }), CompactedError);
  assert.equal(store.range(bytes('a'), undefined, { revision: 3 }).kvs[0]?.value.toString(), '2');
  assert.throws(() => store.compact(3), { message: 'mvcc: required revision has been compacted' });
  assert.throws(() => store.compact(2), CompactedError);
  assert.throws(() => store.compact(5), FutureRevisionError);
}));

test('deleteRange removes keys at one revision; a write txn that changes nothing keeps the revision', withStore(({ store }) => {
  for (const key of ['a', 'b', 'c']) put(store, key, key);
  assert.equal(store.currentRevision, 4);
  assert.equal(deleteRange(store, 'x'), 0);
  assert.equal(store.currentRevision, 4);
  assert.equal(deleteRange(store, 'a', 'c'), 2);
  assert.equal(store.currentRevision, 5);
  assert.deepEqual(keysOf(store.range(bytes('a'), Buffer.from([0])).kvs), ['c']);
  assert.deepEqual(keysOf(store.range(bytes('a'), Buffer.from([0]), { revision: 4 }).kvs), ['a', 'b', 'c']);
  assert.equal(deleteRange(store, 'a'), 0, 'already deleted');
  assert.equal(put(store, 'a', 'again'), 6);
  const recreated = store.range(bytes('a'), undefined).kvs[0]!;
  assert.equal(recreated.create_revision, 6);
  assert.equal(recreated.version, 1);
}));

test('a write txn uses one main revision with growing sub revisions and reads its own writes', withStore(({ store, backend }) => {
  put(store, 'a', 'old');
  const txn = store.write();
  assert.equal(txn.range(bytes('a'), undefined).kvs[0]?.value.toString(), 'old');
  txn.put(bytes('a'), bytes('new'), 0);
  txn.put(bytes('b'), bytes('b1'), 0);
  assert.equal(txn.range(bytes('a'), undefined).kvs[0]?.value.toString(), 'new');
  assert.equal(txn.range(bytes('a'), bytes('z')).revision, 3);
  txn.put(bytes('a'), bytes('newer'), 0);
  assert.equal(txn.deleteRange(bytes('b'), undefined), 1);
  assert.equal(store.range(bytes('a'), undefined).kvs[0]?.value.toString(), 'old', 'outside readers see the old revision');
  txn.end();
  assert.equal(store.currentRevision, 3);
  const a = store.range(bytes('a'), undefined).kvs[0]!;
  assert.deepEqual([a.value.toString(), a.mod_revision, a.version, a.create_revision], ['newer', 3, 3, 2]);
  assert.equal(store.range(bytes('b'), undefined).count, 0);
  assert.ok(backend.get('key', encodeRevisionKey({ main: 3, sub: 0 })));
  assert.ok(backend.get('key', encodeRevisionKey({ main: 3, sub: 3 }, true)));
  assert.throws(() => store.write().put(bytes('x'), bytes('y'), 0) && store.write(), /already open/);
}));

test('listeners receive the events of each changing write txn, with prev_kv on request', withStore(({ store }) => {
  const received: { revision: number; events: readonly Event[] }[] = [];
  const unsubscribe = store.onEvents((events, revision) => received.push({ revision, events }), { withPrevKv: true });
  put(store, 'a', '1');
  put(store, 'a', '2');
  deleteRange(store, 'nothing');
  deleteRange(store, 'a');
  unsubscribe();
  put(store, 'b', '1');
  assert.deepEqual(received.map((entry) => entry.revision), [2, 3, 4]);
  const [first, second, third] = received.map((entry) => entry.events[0]!);
  assert.equal(first!.type, EventType.PUT);
  assert.equal(first!.prev_kv, undefined);
  assert.equal(second!.prev_kv?.value.toString(), '1');
  assert.equal(third!.type, EventType.DELETE);
  assert.deepEqual([third!.kv.key.toString(), third!.kv.mod_revision, third!.kv.version], ['a', 4, 0]);
  assert.equal(third!.prev_kv?.value.toString(), '2');
}));

test('lease changes are reported to the lease hook', withStore(async (fixture) => {
  const changes: string[] = [];
  const options = { onKeyLeaseChange: (key: string, oldLease: Int64, newLease: Int64) => changes.push(`${key}:${oldLease}->${newLease}`) };
  await fixture.reopen(options);
  put(fixture.store, 'a', '1', 7);
  put(fixture.store, 'a', '2', 7);
  put(fixture.store, 'a', '3', 8);
  put(fixture.store, 'b', '1', 9);
  deleteRange(fixture.store, 'a');
  assert.deepEqual(changes, ['a:0->7', 'a:7->8', 'b:0->9', 'a:8->0']);
  changes.length = 0;
  await fixture.reopen(options);
  assert.deepEqual(changes, ['b:0->9'], 'restore reports leased live keys');
}));

test('restart restores index, revision and values from the backend', withStore(async (fixture) => {
  put(fixture.store, 'a', '1');
  put(fixture.store, 'b', '1');
  put(fixture.store, 'a', '2');
  deleteRange(fixture.store, 'b');
  put(fixture.store, 'c', '1');
  fixture.backend.batchTx().setConsistentIndex(42, 3);
  await fixture.reopen();
  const { store, backend } = fixture;
  assert.deepEqual(backend.consistentIndex(), { index: 42, term: 3 });
  assert.equal(store.currentRevision, 6);
  assert.deepEqual(keysOf(store.range(Buffer.from([0]), Buffer.from([0])).kvs), ['a', 'c']);
  assert.deepEqual(keysOf(store.range(Buffer.from([0]), Buffer.from([0]), { revision: 4 }).kvs), ['a', 'b']);
  const a = store.range(bytes('a'), undefined).kvs[0]!;
  assert.deepEqual([a.create_revision, a.mod_revision, a.version], [2, 4, 2]);
  assert.equal(put(store, 'b', '2'), 7);
  assert.equal(store.range(bytes('b'), undefined).kvs[0]?.create_revision, 7);
}));
