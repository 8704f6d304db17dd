import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidPermissionRange, UnifiedRangePermissions, type KeyInterval } from '../../src/auth/range-permissions.js';
import { PermissionType, type Permission } from '../../src/auth/types.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const NUL = Buffer.from([0]);
const EMPTY = Buffer.alloc(0);
const interval = (begin: Buffer | string, end: Buffer | string): KeyInterval => ({
  begin: typeof begin === 'string' ? b(begin) : begin,
  end: typeof end === 'string' ? b(end) : end,
});

// etcd's TestRangePermission: checkKeyInterval over READ intervals (end [] = +inf).
test('range coverage (etcd TestRangePermission)', () => {
  const cases: [KeyInterval[], KeyInterval, boolean][] = [
    [[interval('a', 'c'), interval('x', 'z')], interval('a', 'z'), false],
    [[interval('a', 'f'), interval('c', 'd'), interval('f', 'z')], interval('a', 'z'), true],
    [[interval('a', 'd'), interval('a', 'b'), interval('c', 'f')], interval('a', 'f'), true],
    [[interval('a', 'd'), interval('a', 'b'), interval('c', 'f')], interval('a', EMPTY), false],
    [[interval('a', EMPTY)], interval('a', EMPTY), true],
    [[interval(NUL, EMPTY)], interval('a', EMPTY), true],
    [[interval(NUL, EMPTY)], interval(NUL, EMPTY), true],
  ];
  cases.forEach(([intervals, query, want], index) => {
    const permissions = new UnifiedRangePermissions(intervals, []);
    assert.equal(permissions.covers(PermissionType.READ, query), want, `case ${index}`);
    assert.equal(permissions.covers(PermissionType.WRITE, query), false, `case ${index} (write)`);
  });
});

// etcd's TestKeyPermission: checkKeyPoint.
test('single key (etcd TestKeyPermission)', () => {
  const cases: [KeyInterval[], string, boolean][] = [
    [[interval('a', 'c'), interval('x', 'z')], 'f', false],
    [[interval('a', 'f'), interval('c', 'd'), interval('f', 'z')], 'b', true],
    [[interval('a', 'd'), interval('a', 'b'), interval('c', 'f')], 'd', true],
    [[interval('a', 'd'), interval('a', 'b'), interval('c', 'f')], 'f', false],
    [[interval('a', 'd'), interval('a', 'b'), interval('c', EMPTY)], 'f', true],
    [[interval('a', 'd'), interval('a', 'b'), interval(NUL, EMPTY)], 'f', true],
  ];
  cases.forEach(([intervals, key, want], index) => {
    const permissions = new UnifiedRangePermissions(intervals, []);
    assert.equal(permissions.isPermitted(b(key), EMPTY, PermissionType.READ), want, `case ${index}`);
  });
});

// etcd's TestRangeCheck.
test('valid permission ranges (etcd TestRangeCheck)', () => {
  const cases: [Buffer, Buffer, boolean][] = [
    [b('a'), EMPTY, true],
    [b('a'), b('b'), true],
    [b('a'), b('a'), false],
    [b('b'), b('a'), false],
    [EMPTY, b('a'), false],
    [EMPTY, EMPTY, false],
    [EMPTY, NUL, false],
    [NUL, EMPTY, true],
    [b('a'), NUL, true],
    [NUL, NUL, true],
  ];
  for (const [key, rangeEnd, want] of cases) {
    assert.equal(isValidPermissionRange(key, rangeEnd), want, `${key.toString('hex')}..${rangeEnd.toString('hex')}`);
  }
});

const perm = (permType: number, key: string | Buffer, rangeEnd: string | Buffer = EMPTY): Permission => ({
  permType,
  key: typeof key === 'string' ? b(key) : key,
  range_end: typeof rangeEnd === 'string' ? b(rangeEnd) : rangeEnd,
});

test('permissions merge by type: READWRITE counts for both', () => {
  const permissions = UnifiedRangePermissions.fromPermissions([
    perm(PermissionType.READ, 'r'),
    perm(PermissionType.WRITE, 'w'),
    perm(PermissionType.READWRITE, 'rw'),
    perm(7, 'unknown-type'),
  ]);
  const check = (key: string, type: typeof PermissionType.READ | typeof PermissionType.WRITE) => permissions.isPermitted(b(key), EMPTY, type);
  assert.equal(check('r', PermissionType.READ), true);
  assert.equal(check('r', PermissionType.WRITE), false);
  assert.equal(check('w', PermissionType.READ), false);
  assert.equal(check('w', PermissionType.WRITE), true);
  assert.equal(check('rw', PermissionType.READ), true);
  assert.equal(check('rw', PermissionType.WRITE), true);
  assert.equal(check('unknown-type', PermissionType.READ), false);
  assert.equal(check('unknown-type', PermissionType.WRITE), false);
});

test('a single-key permission grants that key only, and the range [key, key\\0)', () => {
  const permissions = UnifiedRangePermissions.fromPermissions([perm(PermissionType.READ, 'foo')]);
  const read = (key: string | Buffer, rangeEnd: string | Buffer = EMPTY) =>
    permissions.isPermitted(typeof key === 'string' ? b(key) : key, typeof rangeEnd === 'string' ? b(rangeEnd) : rangeEnd, PermissionType.READ);
  assert.equal(read('foo'), true);
  assert.equal(read('fo'), false);
  assert.equal(read('foo0'), false);
  assert.equal(read('foo', 'foo\0'), true);
  assert.equal(read('foo', 'fop'), false); // the prefix "foo" is more than the key
  assert.equal(read('foo', NUL), false);
});

test('prefix permission [p, p+1) covers the prefix range and every key in it, nothing else', () => {
  const permissions = UnifiedRangePermissions.fromPermissions([perm(PermissionType.READWRITE, 'dir/', 'dir0')]);
  const read = (key: string, rangeEnd = '') => permissions.isPermitted(b(key), b(rangeEnd), PermissionType.READ);
  assert.equal(read('dir/'), true);
  assert.equal(read('dir/a/b'), true);
  assert.equal(read('dir0'), false);
  assert.equal(read('dir'), false);
  assert.equal(read('dir/', 'dir0'), true); // the prefix itself
  assert.equal(read('dir/x/', 'dir/x0'), true); // a sub-prefix
  assert.equal(read('dir/', 'dir1'), false);
  assert.equal(read('di', 'dir0'), false);
  assert.equal(permissions.isPermitted(b('dir/'), NUL, PermissionType.READ), false); // from-key reaches beyond
});

test('from-key permission (range_end "\\0") and the whole key space ("\\0", "\\0")', () => {
  const fromM = UnifiedRangePermissions.fromPermissions([perm(PermissionType.WRITE, 'm', NUL)]);
  assert.equal(fromM.isPermitted(b('m'), EMPTY, PermissionType.WRITE), true);
  assert.equal(fromM.isPermitted(b('zzzz'), EMPTY, PermissionType.WRITE), true);
  assert.equal(fromM.isPermitted(Buffer.from([0xff, 0xff]), EMPTY, PermissionType.WRITE), true);
  assert.equal(fromM.isPermitted(b('l'), EMPTY, PermissionType.WRITE), false);
  assert.equal(fromM.isPermitted(b('n'), NUL, PermissionType.WRITE), true);
  assert.equal(fromM.isPermitted(b('m'), NUL, PermissionType.WRITE), true);
  assert.equal(fromM.isPermitted(b('l'), NUL, PermissionType.WRITE), false);
  assert.equal(fromM.isPermitted(b('n'), b('q'), PermissionType.WRITE), true);
  assert.equal(fromM.isPermitted(NUL, NUL, PermissionType.WRITE), false);

  const everything = UnifiedRangePermissions.fromPermissions([perm(PermissionType.READ, NUL, NUL)]);
  assert.equal(everything.isPermitted(NUL, NUL, PermissionType.READ), true);
  assert.equal(everything.isPermitted(b('a'), EMPTY, PermissionType.READ), true);
  assert.equal(everything.isPermitted(NUL, EMPTY, PermissionType.READ), true);
  assert.equal(everything.isPermitted(b('a'), b('b'), PermissionType.READ), true);
});

test('ranges covered only by several permissions together, touching or overlapping', () => {
  const permissions = UnifiedRangePermissions.fromPermissions([
    perm(PermissionType.READ, 'a', 'c'),
    perm(PermissionType.READ, 'c', 'e'), // touches: [a, e)
    perm(PermissionType.READWRITE, 'd', 'g'), // overlaps: [a, g)
    perm(PermissionType.READ, 'g'), // the single key g: [a, g\0)
    perm(PermissionType.READ, 'x', NUL),
  ]);
  const read = (key: string, rangeEnd: string | Buffer) => permissions.isPermitted(b(key), typeof rangeEnd === 'string' ? b(rangeEnd) : rangeEnd, PermissionType.READ);
  assert.equal(read('a', 'g'), true);
  assert.equal(read('a', 'g\0'), true);
  assert.equal(read('a', 'g\0\0'), false);
  assert.equal(read('b', 'h'), false);
  assert.equal(read('x', NUL), true);
  assert.equal(read('w', NUL), false);
  assert.equal(read('a', NUL), false);
  assert.equal(permissions.isPermitted(b('a'), b('e'), PermissionType.WRITE), false);
  assert.equal(permissions.isPermitted(b('d'), b('g'), PermissionType.WRITE), true);
});

test('no permissions: nothing is allowed', () => {
  const none = UnifiedRangePermissions.fromPermissions([]);
  assert.equal(none.isPermitted(b('a'), EMPTY, PermissionType.READ), false);
  assert.equal(none.isPermitted(NUL, NUL, PermissionType.WRITE), false);
});
