import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareInt64, int64FromBigInt, int64ToHex, parseInt64 } from '../../src/pkg/int64.js';

test('one form per value: numbers while exact, bigints beyond', () => {
  assert.equal(int64FromBigInt(5n), 5);
  assert.equal(int64FromBigInt(BigInt(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.equal(int64FromBigInt(BigInt(Number.MAX_SAFE_INTEGER) + 1n), 2n ** 53n);
  assert.equal(int64FromBigInt(2n ** 64n - 1n), -1, 'wrapped into int64');
  const ids = new Map([[int64FromBigInt(2n ** 60n), 'big']]);
  assert.equal(ids.get(parseInt64(String(2n ** 60n))), 'big', 'Map keys match across parse paths');
});

test('parseInt64 refuses what is not an int64', () => {
  assert.equal(parseInt64('-9223372036854775808'), -(2n ** 63n));
  assert.throws(() => parseInt64('9223372036854775808'), /out of int64 range/);
  assert.throws(() => parseInt64('1.5'), /not an integer/);
  assert.throws(() => parseInt64(''), /not an integer/);
});

test('order and hex across forms', () => {
  assert.equal(compareInt64(2n ** 60n, 3), 1);
  assert.equal(compareInt64(-(2n ** 60n), -3), -1);
  assert.equal(compareInt64(7, 7), 0);
  assert.equal(int64ToHex(-1), 'ffffffffffffffff');
  assert.equal(int64ToHex(2n ** 62n), '4000000000000000');
});
