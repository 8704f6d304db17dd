// protobufjs carries int64 exactly (src/proto/exact-int64.ts): numbers while
// exact, bigints beyond, both ways, through the codecs the member uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageCodec } from '../../src/proto/index.js';

interface LeaseGrant {
  TTL: number;
  ID: number | bigint;
}

const grants = messageCodec<LeaseGrant>('etcdserverpb.LeaseGrantRequest');

test('an int64 beyond 2^53 decodes as the exact bigint', () => {
  for (const id of [2n ** 53n, 7587870123987654321n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 3n]) {
    const decoded = grants.decode(grants.encode({ TTL: 5, ID: id }));
    assert.equal(decoded.ID, id, `id ${id}`);
    assert.equal(decoded.TTL, 5);
  }
});

test('an int64 within 2^53 stays a number', () => {
  for (const id of [0, 1, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
    const decoded = grants.decode(grants.encode({ TTL: 1, ID: id }));
    assert.equal(typeof decoded.ID, 'number');
    assert.equal(decoded.ID, id);
  }
});

test('a bigint is encoded with the same bytes as its decimal string', () => {
  const id = 7587870123987654321n;
  assert.deepEqual(Buffer.from(grants.encode({ TTL: 1, ID: id })), Buffer.from(grants.encode({ TTL: 1, ID: id.toString() as unknown as bigint })));
});
