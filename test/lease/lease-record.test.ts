import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLeaseKey, decodeLeaseRecord, encodeLeaseKey, encodeLeaseRecord, leaseIdFromRequestId, minLeaseTtlSeconds } from '../../src/lease/index.js';

describe('lease record (etcd leasepb.Lease)', () => {
  it('encodes like Go protobuf: ID=1, TTL=2, RemainingTTL=3 varints, zeros omitted', () => {
    // leasepb.Lease{ID: 0x1234, TTL: 60} marshals to 08 b4 24 10 3c.
    assert.deepEqual([...encodeLeaseRecord({ id: 0x1234, ttlSeconds: 60, remainingTtlSeconds: 0 })], [0x08, 0xb4, 0x24, 0x10, 0x3c]);
    assert.deepEqual([...encodeLeaseRecord({ id: 1, ttlSeconds: 5, remainingTtlSeconds: 3 })], [0x08, 0x01, 0x10, 0x05, 0x18, 0x03]);
  });

  it('round-trips large and negative values', () => {
    for (const record of [
      { id: 2 ** 53 - 1, ttlSeconds: 9_000_000_000, remainingTtlSeconds: 42 },
      { id: -7, ttlSeconds: 1, remainingTtlSeconds: 0 },
      { id: 7587870123987654321n, ttlSeconds: 60, remainingTtlSeconds: 0 },
      { id: -(2n ** 63n), ttlSeconds: 60, remainingTtlSeconds: 0 },
    ]) {
      assert.deepEqual(decodeLeaseRecord(encodeLeaseRecord(record)), record);
    }
  });

  it('keys are 8 big-endian bytes of the int64 ID', () => {
    assert.equal(encodeLeaseKey(0x0102).toString('hex'), '0000000000000102');
    assert.equal(encodeLeaseKey(-1).toString('hex'), 'ffffffffffffffff');
    assert.equal(decodeLeaseKey(encodeLeaseKey(-1)), -1);
    assert.equal(decodeLeaseKey(encodeLeaseKey(2 ** 53 - 1)), 2 ** 53 - 1);
    assert.equal(encodeLeaseKey(7587870123987654321n).toString('hex'), '694d87acee1556b1');
    assert.equal(decodeLeaseKey(encodeLeaseKey(7587870123987654321n)), 7587870123987654321n);
  });
});

describe('lease limits', () => {
  it('minimum TTL is 1.5 election timeouts in whole ticks, rounded up to seconds', () => {
    assert.equal(minLeaseTtlSeconds(1000, 100), 2); // etcd's defaults: 15 ticks of 100 ms
    assert.equal(minLeaseTtlSeconds(5000, 1000), 7); // 5 ticks: (3 * 5) / 2 = 7 ticks of 1 s
    assert.equal(minLeaseTtlSeconds(10000, 100), 15);
  });

  it('server-chosen IDs are the request ID masked to 63 bits, as etcd chooses them', () => {
    const requestId = (0x2bcdn << 48n) | 0x123456789abcn;
    assert.equal(leaseIdFromRequestId(requestId), requestId);
    assert.equal(leaseIdFromRequestId((0xabcdn << 48n) | 0x123456789abcn), requestId, 'the sign bit is dropped');
    assert.equal(leaseIdFromRequestId((1n << 63n) | 5n), 5);
    assert.equal(leaseIdFromRequestId(1n << 63n), 0, '0: ask again');
  });
});
