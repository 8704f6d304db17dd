import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRole, decodeUser, encodeRole, encodeUser, RecordDecodeError, type RoleRecord, type UserRecord } from '../../src/auth/auth-records.js';
import { messageCodec } from '../../src/proto/index.js';
import { PermissionType } from '../../src/auth/types.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const goHash = '$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga';

// The expected bytes come from `protoc --encode` on src/proto/auth.proto,
// which marshals proto3 exactly as Go does (fields in order, defaults left
// out, a set empty sub-message as `22 00`).
test('a user with a password encodes byte for byte as etcd stores it', () => {
  const user: UserRecord = {
    name: Buffer.from('root'),
    password: Buffer.from(goHash),
    roles: ['root', 'reader'],
    options: { noPassword: false },
  };
  const expected = hex(
    '0a04726f6f74123c2432612431302458616a6a51764e687676527435475365466b317846657971527273786b68426b55695165673064742e7755317144346146446367611a04726f6f741a067265616465722200',
  );
  assert.deepEqual(encodeUser(user), expected);
  assert.deepEqual(decodeUser(expected), user);
});

test('a user without password, and a user from before etcd 3.4 (no options)', () => {
  const noPassword: UserRecord = { name: Buffer.from('nopw'), password: Buffer.alloc(0), roles: [], options: { noPassword: true } };
  assert.deepEqual(encodeUser(noPassword), hex('0a046e6f707722020801'));
  assert.deepEqual(decodeUser(hex('0a046e6f707722020801')), noPassword);
  const old: UserRecord = { name: Buffer.from('old'), password: Buffer.from('x'), roles: [], options: undefined };
  assert.deepEqual(encodeUser(old), hex('0a036f6c64120178'));
  assert.deepEqual(decodeUser(hex('0a036f6c64120178')), old);
});

test('a role encodes byte for byte: permType READ and empty range_end left out', () => {
  const role: RoleRecord = {
    name: Buffer.from('reader'),
    keyPermission: [
      { permType: PermissionType.READ, key: Buffer.from('a'), range_end: Buffer.from('b') },
      { permType: PermissionType.READWRITE, key: Buffer.from('foo'), range_end: Buffer.alloc(0) },
      { permType: PermissionType.WRITE, key: Buffer.from('k'), range_end: Buffer.from([0]) },
    ],
  };
  const expected = hex('0a0672656164657212061201611a0162120708021203666f6f1208080112016b1a0100');
  assert.deepEqual(encodeRole(role), expected);
  assert.deepEqual(decodeRole(expected), role);
  assert.deepEqual(encodeRole({ name: Buffer.from('r'), keyPermission: [] }), hex('0a0172'));
});

test('the protobufjs codec of rpc.proto reads the same records', () => {
  const user = messageCodec<{ name: Buffer; password: Buffer; roles: string[]; options: { no_password: boolean } | null }>('authpb.User');
  const decoded = user.decode(encodeUser({ name: Buffer.from('u'), password: Buffer.from('p'), roles: ['a', 'b'], options: { noPassword: true } }));
  assert.deepEqual(decoded.name, Buffer.from('u'));
  assert.deepEqual(decoded.roles, ['a', 'b']);
  assert.equal(decoded.options?.no_password, true);
  const role = messageCodec<{ keyPermission: { permType: number; key: Buffer; range_end: Buffer }[] }>('authpb.Role');
  const decodedRole = role.decode(
    encodeRole({ name: Buffer.from('r'), keyPermission: [{ permType: 2, key: Buffer.from('k'), range_end: Buffer.from('z') }] }),
  );
  assert.deepEqual(decodedRole.keyPermission, [{ permType: 2, key: Buffer.from('k'), range_end: Buffer.from('z') }]);
});

test('unknown fields survive a decode and encode', () => {
  // User with an unknown field 9 (varint 5) and unknown option field 2.
  const bytes = hex('0a0175' + '22040801' + '1001' + '4805');
  const user = decodeUser(bytes);
  assert.equal(user.options?.noPassword, true);
  assert.deepEqual(encodeUser(user), hex('0a0175' + '220408011001' + '4805'));
  const roleBytes = hex('0a0172' + '1205' + '120161' + '2001' + '5a0178');
  const role = decodeRole(roleBytes);
  assert.deepEqual(encodeRole(role), roleBytes);
});

test('a duplicated scalar field: the last wins; options seen twice are merged', () => {
  const user = decodeUser(hex('0a0161' + '0a0162' + '22020801' + '2200'));
  assert.deepEqual(user.name, Buffer.from('b'));
  assert.equal(user.options?.noPassword, true);
});

test('broken records are refused', () => {
  assert.throws(() => decodeUser(hex('0a05726f')), RecordDecodeError);
  assert.throws(() => decodeUser(hex('08')), RecordDecodeError);
  assert.throws(() => decodeRole(hex('0801')), RecordDecodeError); // name with the varint wire type
});
