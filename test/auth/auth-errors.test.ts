import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, authErrors } from '../../src/auth/errors.js';
import { EtcdError } from '../../src/pkg/etcd-error.js';

// etcd's api/v3rpc/rpctypes ErrGRPC* for the auth errors.
const expected: Record<keyof typeof authErrors, [string, string]> = {
  rootUserNotExist: ['FailedPrecondition', 'etcdserver: root user does not exist'],
  rootRoleNotExist: ['FailedPrecondition', 'etcdserver: root user does not have root role'],
  userAlreadyExist: ['FailedPrecondition', 'etcdserver: user name already exists'],
  userEmpty: ['InvalidArgument', 'etcdserver: user name is empty'],
  userNotFound: ['FailedPrecondition', 'etcdserver: user name not found'],
  roleAlreadyExist: ['FailedPrecondition', 'etcdserver: role name already exists'],
  roleNotFound: ['FailedPrecondition', 'etcdserver: role name not found'],
  roleEmpty: ['InvalidArgument', 'etcdserver: role name is empty'],
  authFailed: ['InvalidArgument', 'etcdserver: authentication failed, invalid user ID or password'],
  noPasswordUser: ['Unknown', 'auth: authentication failed, password was given for no password user'],
  permissionNotGiven: ['InvalidArgument', 'etcdserver: permission not given'],
  permissionDenied: ['PermissionDenied', 'etcdserver: permission denied'],
  roleNotGranted: ['FailedPrecondition', 'etcdserver: role is not granted to the user'],
  permissionNotGranted: ['FailedPrecondition', 'etcdserver: permission is not granted to the role'],
  authNotEnabled: ['FailedPrecondition', 'etcdserver: authentication is not enabled'],
  invalidAuthToken: ['Unauthenticated', 'etcdserver: invalid auth token'],
  invalidAuthMgmt: ['InvalidArgument', 'etcdserver: invalid auth management'],
  authOldRevision: ['InvalidArgument', 'etcdserver: revision of auth store is old'],
};

test('every auth error carries etcd gRPC code and message', () => {
  assert.deepEqual(Object.keys(authErrors).sort(), Object.keys(expected).sort());
  for (const [name, factory] of Object.entries(authErrors)) {
    const error = factory();
    const [code, message] = expected[name as keyof typeof authErrors];
    assert.ok(error instanceof AuthError, name);
    assert.ok(error instanceof EtcdError, name);
    assert.ok(error instanceof Error, name);
    assert.equal(error.kind, name);
    assert.equal(error.grpcCode, code, name);
    assert.equal(error.message, message, name);
    assert.equal(error.grpcMessage, message, name);
  }
});

test('each call gives a new error object', () => {
  assert.notEqual(authErrors.permissionDenied(), authErrors.permissionDenied());
});

test('a plain EtcdError is not an AuthError', () => {
  assert.ok(!(new EtcdError('etcdserver: permission denied', 'PermissionDenied') instanceof AuthError));
});
