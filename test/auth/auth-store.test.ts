import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashSync } from '@node-rs/bcrypt';
import { decodeRole, decodeUser } from '../../src/auth/auth-records.js';
import { AuthStore, BCRYPT_DEFAULT_COST, decodeStdBase64 } from '../../src/auth/auth-store.js';
import { PermissionType } from '../../src/auth/types.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { bytes, enableWithRoot, FakeTokenProvider, rejectsAuth, throwsAuth, withAuthStore } from './auth-store-helpers.js';

const EMPTY = Buffer.alloc(0);
const NUL = Buffer.from([0]);
const ctx = { simpleTokenPrefix: 'tok', index: 7 };
const readwrite = (key: string, rangeEnd: string | Buffer = EMPTY) => ({
  permType: PermissionType.READWRITE,
  key: bytes(key),
  range_end: typeof rangeEnd === 'string' ? bytes(rangeEnd) : rangeEnd,
});

test('a new store starts at revision 1, stored as 8 bytes big-endian; disabled', withAuthStore(({ store, backend }) => {
  assert.equal(store.revision, 1);
  assert.equal(store.enabled, false);
  assert.equal(store.bcryptCost, 4);
  assert.deepEqual(backend.get('auth', bytes('authRevision')), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
  assert.equal(backend.get('auth', bytes('authEnabled')), undefined);
}));

test('an invalid bcrypt cost falls back to 10', withAuthStore(({ backend }) => {
  for (const cost of [3, 32]) {
    const store = AuthStore.open(backend, { logger: silentLogger, tokenProvider: new FakeTokenProvider(), bcryptCost: cost });
    assert.equal(store.bcryptCost, BCRYPT_DEFAULT_COST);
  }
}));

test('users and roles persist across close and reopen, byte-exact records', withAuthStore(async (fixture) => {
  const { store } = fixture;
  const hashed = await store.hashPassword('secret');
  store.userAdd({ name: 'alice', hashedPassword: hashed, noPassword: false });
  store.userAdd({ name: 'bob', hashedPassword: '', noPassword: true });
  store.roleAdd('reader');
  store.roleGrantPermission('reader', { permType: PermissionType.READ, key: bytes('k'), range_end: bytes('m') });
  store.userGrantRole('alice', 'reader');
  const revision = store.revision;
  assert.equal(revision, 6);

  await fixture.reopen();
  const reopened = fixture.store;
  assert.equal(reopened.revision, revision);
  assert.deepEqual(reopened.userList(), ['alice', 'bob']);
  assert.deepEqual(reopened.roleList(), ['reader']);
  assert.deepEqual(reopened.userGet('alice'), { roles: ['reader'] });
  assert.deepEqual(reopened.roleGet('reader'), [{ permType: PermissionType.READ, key: bytes('k'), range_end: bytes('m') }]);

  const alice = decodeUser(fixture.backend.get('authUsers', bytes('alice'))!);
  assert.equal(alice.password.toString(), Buffer.from(hashed, 'base64').toString());
  assert.match(alice.password.toString(), /^\$2[ab]\$04\$/);
  assert.deepEqual(alice.options, { noPassword: false });
  assert.deepEqual(fixture.backend.get('authUsers', bytes('bob')), Buffer.from('0a03626f6222020801', 'hex'));
  assert.deepEqual(
    fixture.backend.get('authRoles', bytes('reader')),
    Buffer.from('0a06726561646572' + '1206' + '12016b' + '1a016d', 'hex'),
  );
  assert.deepEqual(decodeRole(fixture.backend.get('authRoles', bytes('reader'))!).name, bytes('reader'));
}));

test('enabled flag persists and enables the token provider at open', withAuthStore(async (fixture) => {
  await enableWithRoot(fixture.store);
  assert.deepEqual(fixture.backend.get('auth', bytes('authEnabled')), Buffer.from([1]));
  fixture.tokens.calls.length = 0;
  await fixture.reopen();
  assert.equal(fixture.store.enabled, true);
  assert.deepEqual(fixture.tokens.calls, ['enable']);
  fixture.store.disable();
  assert.deepEqual(fixture.backend.get('auth', bytes('authEnabled')), Buffer.from([0]));
  await fixture.reopen();
  assert.equal(fixture.store.enabled, false);
}));

test('which operations bump the revision (etcd 3.5)', withAuthStore(async ({ store }) => {
  const bumps = (action: () => void, expected: number) => {
    const before = store.revision;
    action();
    assert.equal(store.revision - before, expected, action.toString());
  };
  const hashed = await store.hashPassword('pw');
  bumps(() => store.userAdd({ name: 'root', hashedPassword: hashed, noPassword: false }), 1);
  bumps(() => store.roleAdd('root'), 1);
  bumps(() => store.userGrantRole('root', 'root'), 1);
  bumps(() => store.userGrantRole('root', 'root'), 0); // already granted: ignored
  bumps(() => store.enable(), 0); // enable does not bump
  bumps(() => store.enable(), 0);
  bumps(() => store.authenticate('root', ctx), 0);
  bumps(() => store.userAdd({ name: 'u', hashedPassword: hashed, noPassword: false }), 1);
  bumps(() => store.userChangePassword('u', hashed), 1);
  bumps(() => store.roleAdd('r'), 1);
  bumps(() => store.roleGrantPermission('r', readwrite('a')), 1);
  bumps(() => store.roleGrantPermission('r', readwrite('a')), 1); // an update bumps too
  bumps(() => store.userGrantRole('u', 'r'), 1);
  bumps(() => store.userRevokeRole('u', 'r'), 1);
  bumps(() => store.roleRevokePermission('r', bytes('a'), EMPTY), 1);
  bumps(() => store.roleDelete('r'), 1);
  bumps(() => store.userDelete('u'), 1);
  bumps(() => store.disable(), 1);
  bumps(() => store.disable(), 0); // already off
  bumps(() => assert.throws(() => store.userDelete('nobody')), 0); // refused: no bump
}));

test('enable needs user root holding role root', withAuthStore(async ({ store, tokens }) => {
  throwsAuth(() => store.enable(), 'rootUserNotExist');
  store.userAdd({ name: 'root', hashedPassword: await store.hashPassword('pw'), noPassword: false });
  throwsAuth(() => store.enable(), 'rootRoleNotExist');
  assert.equal(store.enabled, false);
  // Role "root" can be granted without a role record, and that is enough to enable.
  store.userGrantRole('root', 'root');
  assert.deepEqual(store.roleList(), []);
  store.enable();
  assert.equal(store.enabled, true);
  assert.ok(tokens.enabled);
  store.disable();
  assert.equal(tokens.enabled, false);
}));

test('userAdd errors; hashed password is base64 and bad base64 is refused', withAuthStore(async ({ store }) => {
  throwsAuth(() => store.userAdd({ name: '', hashedPassword: '', noPassword: false }), 'userEmpty');
  store.userAdd({ name: 'a', hashedPassword: await store.hashPassword('pw'), noPassword: false });
  throwsAuth(() => store.userAdd({ name: 'a', hashedPassword: '', noPassword: true }), 'userAlreadyExist');
  const revision = store.revision;
  throwsAuth(() => store.userAdd({ name: 'b', hashedPassword: 'not base64!', noPassword: false }), 'noPasswordUser');
  assert.equal(store.revision, revision);
  assert.deepEqual(store.userList(), ['a']);
  // A no-password user ignores the hash entirely.
  store.userAdd({ name: 'c', hashedPassword: 'not base64!', noPassword: true });
}));

test('Go base64 decoding rules', () => {
  assert.deepEqual(decodeStdBase64(''), EMPTY);
  assert.deepEqual(decodeStdBase64('YQ=='), bytes('a'));
  assert.deepEqual(decodeStdBase64('YWI='), bytes('ab'));
  assert.deepEqual(decodeStdBase64('YW\r\nJj'), bytes('abc'));
  assert.equal(decodeStdBase64('YQ'), undefined);
  assert.equal(decodeStdBase64('Y==='), undefined);
  assert.equal(decodeStdBase64('YQ==YQ=='), undefined);
  assert.equal(decodeStdBase64('YW-j'), undefined);
});

test('checkPassword: enabled only, right password, Go $2a$ hashes, no-password users', withAuthStore(async ({ store }) => {
  await rejectsAuth(store.checkPassword('root', 'rootpw'), 'authNotEnabled');
  await enableWithRoot(store);
  assert.equal(await store.checkPassword('root', 'rootpw'), store.revision);
  await rejectsAuth(store.checkPassword('root', 'wrong'), 'authFailed');
  await rejectsAuth(store.checkPassword('nobody', 'rootpw'), 'authFailed');
  // A hash made by Go's golang.org/x/crypto/bcrypt (its test vector).
  const goHash = '$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga';
  store.userAdd({ name: 'go', hashedPassword: Buffer.from(goHash).toString('base64'), noPassword: false });
  assert.equal(await store.checkPassword('go', 'allmine'), store.revision);
  await rejectsAuth(store.checkPassword('go', 'allmine2'), 'authFailed');
  store.userAdd({ name: 'nopw', hashedPassword: '', noPassword: true });
  await rejectsAuth(store.checkPassword('nopw', ''), 'noPasswordUser');
  // An empty stored hash never matches.
  store.userAdd({ name: 'empty', hashedPassword: '', noPassword: false });
  await rejectsAuth(store.checkPassword('empty', ''), 'authFailed');
}));

test('checkPassword returns the revision read before the comparison', withAuthStore(async ({ store }) => {
  await enableWithRoot(store);
  const before = store.revision;
  const checking = store.checkPassword('root', 'rootpw');
  store.roleAdd('meanwhile');
  assert.equal(await checking, before);
  assert.equal(store.revision, before + 1);
}));

test('legacy entries with a clear-text password are hashed while applying', withAuthStore(async ({ store }) => {
  await enableWithRoot(store);
  store.userAdd({ name: 'old', hashedPassword: '', password: 'pw1', noPassword: false });
  assert.equal(await store.checkPassword('old', 'pw1'), store.revision);
  store.userChangePassword('old', '', 'pw2');
  await rejectsAuth(store.checkPassword('old', 'pw1'), 'authFailed');
  assert.equal(await store.checkPassword('old', 'pw2'), store.revision);
}));

test('authenticate: enabled only, unknown and no-password users fail, token from the provider', withAuthStore(async ({ store, tokens }) => {
  throwsAuth(() => store.authenticate('root', ctx), 'authNotEnabled');
  await enableWithRoot(store);
  throwsAuth(() => store.authenticate('nobody', ctx), 'authFailed');
  store.userAdd({ name: 'nopw', hashedPassword: '', noPassword: true });
  throwsAuth(() => store.authenticate('nopw', ctx), 'authFailed');
  const { token } = store.authenticate('root', ctx);
  assert.equal(token, 'tok.7');
  assert.ok(tokens.calls.includes(`assign root ${store.revision} tok.7`));
  assert.deepEqual(store.authInfoFromToken(token), { username: 'root', revision: store.revision });
  assert.ok(tokens.calls.includes(`info tok.7 ${store.revision}`));
  assert.equal(store.authInfoFromToken('bogus'), undefined);
}));

test('userDelete and userChangePassword: errors, token invalidation, root rules', withAuthStore(async ({ store, tokens }) => {
  throwsAuth(() => store.userDelete('nobody'), 'userNotFound');
  throwsAuth(() => store.userChangePassword('nobody', ''), 'userNotFound');
  const hashed = await store.hashPassword('pw');
  store.userAdd({ name: 'root', hashedPassword: hashed, noPassword: false });
  store.userDelete('root'); // allowed while auth is off
  await enableWithRoot(store);
  throwsAuth(() => store.userDelete('root'), 'invalidAuthMgmt');
  store.userAdd({ name: 'u', hashedPassword: hashed, noPassword: false });
  store.userChangePassword('u', await store.hashPassword('new'));
  assert.ok(tokens.calls.includes('invalidateUser u'));
  await rejectsAuth(store.checkPassword('u', 'pw'), 'authFailed');
  assert.equal(await store.checkPassword('u', 'new'), store.revision);
  throwsAuth(() => store.userChangePassword('u', '%%%'), 'noPasswordUser');
  // A user without password stays without one.
  store.userAdd({ name: 'nopw', hashedPassword: '', noPassword: true });
  store.userChangePassword('nopw', await store.hashPassword('x'));
  await rejectsAuth(store.checkPassword('nopw', 'x'), 'noPasswordUser');
  tokens.calls.length = 0;
  store.userDelete('u');
  assert.deepEqual(tokens.calls, ['invalidateUser u']);
  throwsAuth(() => store.userGet('u'), 'userNotFound');
}));

test('userGrantRole / userRevokeRole: errors, sorted roles, idempotent grant, root rules', withAuthStore(async ({ store }) => {
  const hashed = await store.hashPassword('pw');
  store.userAdd({ name: 'u', hashedPassword: hashed, noPassword: false });
  throwsAuth(() => store.userGrantRole('nobody', 'r'), 'userNotFound');
  throwsAuth(() => store.userGrantRole('u', 'missing'), 'roleNotFound');
  store.roleAdd('zeta');
  store.roleAdd('alpha');
  store.userGrantRole('u', 'zeta');
  store.userGrantRole('u', 'alpha');
  store.userGrantRole('u', 'root'); // the root role needs no record
  assert.deepEqual(store.userGet('u').roles, ['alpha', 'root', 'zeta']);
  store.userGrantRole('u', 'alpha');
  assert.deepEqual(store.userGet('u').roles, ['alpha', 'root', 'zeta']);
  assert.ok(store.hasRole('u', 'zeta'));
  assert.ok(!store.hasRole('u', 'beta'));
  assert.ok(!store.hasRole('nobody', 'zeta'));

  throwsAuth(() => store.userRevokeRole('nobody', 'zeta'), 'userNotFound');
  throwsAuth(() => store.userRevokeRole('u', 'beta'), 'roleNotGranted');
  store.userRevokeRole('u', 'zeta');
  assert.deepEqual(store.userGet('u').roles, ['alpha', 'root']);

  await enableWithRoot(store);
  throwsAuth(() => store.userRevokeRole('root', 'root'), 'invalidAuthMgmt');
  store.userRevokeRole('u', 'root'); // only root/root is protected
  store.disable();
  store.userRevokeRole('root', 'root');
}));

test('roleAdd / roleDelete: errors, root rules, delete takes the role from every user', withAuthStore(async ({ store, backend }) => {
  throwsAuth(() => store.roleAdd(''), 'roleEmpty');
  store.roleAdd('r');
  throwsAuth(() => store.roleAdd('r'), 'roleAlreadyExist');
  throwsAuth(() => store.roleDelete('missing'), 'roleNotFound');
  throwsAuth(() => store.roleGet('missing'), 'roleNotFound');
  assert.deepEqual(store.roleGet('r'), []);
  const hashed = await store.hashPassword('pw');
  store.userAdd({ name: 'u1', hashedPassword: hashed, noPassword: false });
  store.userAdd({ name: 'u2', hashedPassword: hashed, noPassword: false });
  store.roleAdd('s');
  store.userGrantRole('u1', 'r');
  store.userGrantRole('u1', 's');
  store.userGrantRole('u2', 's');
  const u2Before = backend.get('authUsers', bytes('u2'));
  store.roleDelete('r');
  assert.deepEqual(store.roleList(), ['s']);
  assert.deepEqual(store.userGet('u1').roles, ['s']);
  assert.deepEqual(backend.get('authUsers', bytes('u2')), u2Before);

  // Adding "root" gives an ordinary role record without permissions.
  store.roleAdd('root');
  assert.deepEqual(store.roleGet('root'), []);
  assert.deepEqual(backend.get('authRoles', bytes('root')), Buffer.from('0a04726f6f74', 'hex'));
  store.userAdd({ name: 'root', hashedPassword: hashed, noPassword: false });
  store.userGrantRole('root', 'root');
  store.enable();
  throwsAuth(() => store.roleDelete('root'), 'invalidAuthMgmt');
  store.disable();
  store.roleDelete('root');
  assert.deepEqual(store.userGet('root').roles, []);
}));

test('roleGrantPermission: errors, sorted by key, same key+range_end updated in place', withAuthStore(({ store }) => {
  throwsAuth(() => store.roleGrantPermission('missing', readwrite('a')), 'roleNotFound');
  store.roleAdd('r');
  throwsAuth(() => store.roleGrantPermission('r', undefined), 'permissionNotGiven');
  throwsAuth(() => store.roleGrantPermission('r', null), 'permissionNotGiven');
  for (const [key, rangeEnd] of [['', 'a'], ['', ''], ['', '\0'], ['a', 'a'], ['b', 'a']] as const) {
    throwsAuth(() => store.roleGrantPermission('r', readwrite(key, rangeEnd)), 'invalidAuthMgmt');
  }
  // Validity is checked before the role exists.
  throwsAuth(() => store.roleGrantPermission('missing', readwrite('b', 'a')), 'invalidAuthMgmt');
  assert.deepEqual(store.roleGet('r'), []);

  store.roleGrantPermission('r', { permType: PermissionType.READ, key: bytes('m'), range_end: bytes('n') });
  store.roleGrantPermission('r', { permType: PermissionType.WRITE, key: bytes('c'), range_end: EMPTY });
  store.roleGrantPermission('r', { permType: PermissionType.READ, key: bytes('x'), range_end: NUL });
  store.roleGrantPermission('r', { permType: PermissionType.READ, key: bytes('c'), range_end: bytes('d') });
  store.roleGrantPermission('r', { permType: PermissionType.READWRITE, key: bytes('m'), range_end: bytes('n') }); // update
  assert.deepEqual(store.roleGet('r'), [
    { permType: PermissionType.WRITE, key: bytes('c'), range_end: EMPTY },
    { permType: PermissionType.READ, key: bytes('c'), range_end: bytes('d') },
    { permType: PermissionType.READWRITE, key: bytes('m'), range_end: bytes('n') },
    { permType: PermissionType.READ, key: bytes('x'), range_end: NUL },
  ]);
  // etcd compares only the first permission with the key: [c, d) is not found and is appended again.
  store.roleGrantPermission('r', { permType: PermissionType.WRITE, key: bytes('c'), range_end: bytes('d') });
  assert.equal(store.roleGet('r').length, 5);
  // Revoking removes every permission with exactly that key and range_end.
  store.roleRevokePermission('r', bytes('c'), bytes('d'));
  assert.deepEqual(store.roleGet('r').map((p) => p.key.toString() + '..' + p.range_end.toString()), ['c..', 'm..n', 'x..\0']);
}));

test('roleRevokePermission errors', withAuthStore(({ store }) => {
  throwsAuth(() => store.roleRevokePermission('missing', bytes('a'), EMPTY), 'roleNotFound');
  store.roleAdd('r');
  store.roleGrantPermission('r', readwrite('a', 'c'));
  throwsAuth(() => store.roleRevokePermission('r', bytes('a'), EMPTY), 'permissionNotGranted');
  throwsAuth(() => store.roleRevokePermission('r', bytes('a'), bytes('b')), 'permissionNotGranted');
  store.roleRevokePermission('r', bytes('a'), bytes('c'));
  assert.deepEqual(store.roleGet('r'), []);
}));

test('permission checks: disabled, no user, old revision, unknown user, root, ranges', withAuthStore(async ({ store }) => {
  const hashed = await store.hashPassword('pw');
  // Disabled: everything passes, even without a user.
  store.isPutPermitted(undefined, bytes('a'));
  store.isRangePermitted(undefined, bytes('a'), bytes('z'));
  store.isDeleteRangePermitted(undefined, bytes('a'), NUL);
  store.isAdminPermitted(undefined);

  await enableWithRoot(store);
  store.userAdd({ name: 'u', hashedPassword: hashed, noPassword: false });
  store.roleAdd('dir');
  store.roleGrantPermission('dir', readwrite('dir/', 'dir0'));
  store.roleAdd('reader');
  store.roleGrantPermission('reader', { permType: PermissionType.READ, key: bytes('pub'), range_end: NUL });
  store.userGrantRole('u', 'dir');
  const u = () => ({ username: 'u', revision: store.revision });

  throwsAuth(() => store.isPutPermitted(undefined, bytes('dir/a')), 'userEmpty');
  throwsAuth(() => store.isPutPermitted({ username: 'u', revision: 0 }, bytes('dir/a')), 'userEmpty');
  throwsAuth(() => store.isPutPermitted({ username: 'u', revision: store.revision - 1 }, bytes('dir/a')), 'authOldRevision');
  store.isPutPermitted({ username: 'u', revision: store.revision + 5 }, bytes('dir/a')); // newer is fine
  throwsAuth(() => store.isPutPermitted({ username: 'ghost', revision: store.revision }, bytes('dir/a')), 'permissionDenied');

  store.isPutPermitted(u(), bytes('dir/a'));
  store.isRangePermitted(u(), bytes('dir/'), bytes('dir0'));
  store.isDeleteRangePermitted(u(), bytes('dir/x'), bytes('dir/y'));
  throwsAuth(() => store.isPutPermitted(u(), bytes('dir0')), 'permissionDenied');
  throwsAuth(() => store.isRangePermitted(u(), bytes('dir/'), NUL), 'permissionDenied');
  throwsAuth(() => store.isRangePermitted(u(), bytes('pub'), EMPTY), 'permissionDenied');

  // Granting a role takes effect at once (the cache is dropped).
  store.userGrantRole('u', 'reader');
  store.isRangePermitted(u(), bytes('pub'), NUL);
  throwsAuth(() => store.isPutPermitted(u(), bytes('pub')), 'permissionDenied');
  store.isRangePermitted(u(), bytes('pubs/x'), EMPTY);
  // Changing a role's permissions too.
  store.roleGrantPermission('reader', readwrite('pub', NUL));
  store.isPutPermitted(u(), bytes('pub'));
  store.roleRevokePermission('reader', bytes('pub'), NUL);
  throwsAuth(() => store.isRangePermitted(u(), bytes('pub'), EMPTY), 'permissionDenied');
  // Deleting a role.
  store.roleDelete('dir');
  throwsAuth(() => store.isPutPermitted(u(), bytes('dir/a')), 'permissionDenied');
  // The root role may do anything; isAdminPermitted.
  const root = { username: 'root', revision: store.revision };
  store.isDeleteRangePermitted(root, NUL, NUL);
  store.isAdminPermitted(root);
  throwsAuth(() => store.isAdminPermitted(u()), 'permissionDenied');
  throwsAuth(() => store.isAdminPermitted(undefined), 'userEmpty');
  throwsAuth(() => store.isAdminPermitted({ username: '', revision: 5 }), 'userEmpty');
  throwsAuth(() => store.isAdminPermitted({ username: 'ghost', revision: store.revision }), 'userNotFound');
  store.isAdminPermitted({ username: 'root', revision: 1 }); // no revision check for admin
  // Granting root to u makes u root.
  store.userGrantRole('u', 'root');
  store.isPutPermitted(u(), bytes('anything'));
  store.isAdminPermitted(u());
  // Deleting the user.
  store.userDelete('u');
  throwsAuth(() => store.isPutPermitted(u(), bytes('anything')), 'permissionDenied');
}));

test('recover re-reads the backend and matches the token provider to the flag', withAuthStore(async ({ store, backend, tokens }) => {
  await enableWithRoot(store);
  store.roleAdd('r');
  store.roleGrantPermission('r', readwrite('a'));
  store.userAdd({ name: 'u', hashedPassword: '', noPassword: true });
  store.userGrantRole('u', 'r');
  const info = () => ({ username: 'u', revision: store.revision });
  store.isPutPermitted(info(), bytes('a'));

  // Something else (a snapshot restore) rewrites the buckets.
  const batch = backend.batchTx();
  batch.put('authRoles', bytes('r'), Buffer.from('0a0172' + '1205' + '0802120162', 'hex')); // r: READWRITE on "b"
  batch.put('auth', bytes('authRevision'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 50]));
  batch.put('auth', bytes('authEnabled'), Buffer.from([0]));
  tokens.calls.length = 0;
  store.recover();
  assert.equal(store.revision, 50);
  assert.equal(store.enabled, false);
  assert.deepEqual(tokens.calls, ['disable']);

  batch.put('auth', bytes('authEnabled'), Buffer.from([1]));
  store.recover();
  assert.equal(store.enabled, true);
  assert.deepEqual(tokens.calls, ['disable', 'enable']);
  store.isPutPermitted(info(), bytes('b'));
  throwsAuth(() => store.isPutPermitted(info(), bytes('a')), 'permissionDenied');
}));

test('close disables the token provider when auth is on', withAuthStore(async ({ store, tokens }) => {
  store.close();
  assert.ok(!tokens.calls.includes('disable'));
  await enableWithRoot(store);
  store.close();
  assert.ok(tokens.calls.includes('disable'));
}));

test('logs as etcd does and never logs passwords or hashes', withAuthStore(async ({ store, logger }) => {
  await enableWithRoot(store);
  store.userAdd({ name: 'legacy', hashedPassword: '', password: 'cleartext-secret', noPassword: false });
  await rejectsAuth(store.checkPassword('root', 'wrong-secret'), 'authFailed');
  store.authenticate('root', ctx);
  const messages = logger.lines.map((line) => line.msg);
  for (const msg of ['added a user', 'created a role', 'granted a role to a user', 'enabled authentication', 'invalid password', 'authenticated a user']) {
    assert.ok(messages.includes(msg), msg);
  }
  assert.deepEqual(logger.lines.find((line) => line.msg === 'added a user')?.fields, { 'user-name': 'root' });
  const text = JSON.stringify(logger.lines);
  for (const secret of ['rootpw', 'cleartext-secret', 'wrong-secret', '$2', 'tok.7']) assert.ok(!text.includes(secret), secret);
}));

test('a Go-made hash given as hashed_password verifies with the Node hash too', withAuthStore(async ({ store }) => {
  await enableWithRoot(store);
  // A $2a$ hash made here (as Go makes them) and a $2b$ one.
  const twoA = hashSync('pw', 4).replace(/^\$2b\$/, '$2a$');
  store.userAdd({ name: 'a', hashedPassword: Buffer.from(twoA).toString('base64'), noPassword: false });
  assert.equal(await store.checkPassword('a', 'pw'), store.revision);
}));
