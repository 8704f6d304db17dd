// The auth store's client-visible errors: etcd's auth.Err* values as the
// gRPC layer sends them (api/v3rpc/rpctypes ErrGRPC*: the same status code
// and message text, which clients match on).

import { EtcdError, type GrpcCodeName } from '../pkg/etcd-error.js';

/** Which of etcd's auth errors this is (etcd's auth.Err* name without the prefix). */
export type AuthErrorKind =
  | 'rootUserNotExist'
  | 'rootRoleNotExist'
  | 'userAlreadyExist'
  | 'userEmpty'
  | 'userNotFound'
  | 'roleAlreadyExist'
  | 'roleNotFound'
  | 'roleEmpty'
  | 'authFailed'
  | 'noPasswordUser'
  | 'permissionNotGiven'
  | 'permissionDenied'
  | 'roleNotGranted'
  | 'permissionNotGranted'
  | 'authNotEnabled'
  | 'invalidAuthToken'
  | 'invalidAuthMgmt'
  | 'authOldRevision';

/** An error of the auth store; `kind` tells which one without looking at the text. */
export class AuthError extends EtcdError {
  constructor(
    readonly kind: AuthErrorKind,
    message: string,
    grpcCode: GrpcCodeName,
  ) {
    super(message, grpcCode);
    this.name = 'AuthError';
  }
}

const make = (kind: AuthErrorKind, grpcCode: GrpcCodeName, message: string) => (): AuthError => new AuthError(kind, message, grpcCode);

const authFailedMessage = 'etcdserver: authentication failed, invalid user ID or password';

/** Factories: every call gives a fresh error (stack traces point at the thrower). */
export const authErrors = {
  rootUserNotExist: make('rootUserNotExist', 'FailedPrecondition', 'etcdserver: root user does not exist'),
  rootRoleNotExist: make('rootRoleNotExist', 'FailedPrecondition', 'etcdserver: root user does not have root role'),
  userAlreadyExist: make('userAlreadyExist', 'FailedPrecondition', 'etcdserver: user name already exists'),
  userEmpty: make('userEmpty', 'InvalidArgument', 'etcdserver: user name is empty'),
  userNotFound: make('userNotFound', 'FailedPrecondition', 'etcdserver: user name not found'),
  roleAlreadyExist: make('roleAlreadyExist', 'FailedPrecondition', 'etcdserver: role name already exists'),
  roleNotFound: make('roleNotFound', 'FailedPrecondition', 'etcdserver: role name not found'),
  roleEmpty: make('roleEmpty', 'InvalidArgument', 'etcdserver: role name is empty'),
  authFailed: make('authFailed', 'InvalidArgument', authFailedMessage),
  /**
   * etcd's ErrNoPasswordUser (a password check for a user added with
   * no_password, or a hashed password that is not base64). Sent as
   * authFailed's status here; see `kind` to tell it apart.
   */
  // etcd has no gRPC mapping for this one: it reaches the client as Unknown with the store's own text.
  noPasswordUser: make('noPasswordUser', 'Unknown', 'auth: authentication failed, password was given for no password user'),
  permissionNotGiven: make('permissionNotGiven', 'InvalidArgument', 'etcdserver: permission not given'),
  permissionDenied: make('permissionDenied', 'PermissionDenied', 'etcdserver: permission denied'),
  roleNotGranted: make('roleNotGranted', 'FailedPrecondition', 'etcdserver: role is not granted to the user'),
  permissionNotGranted: make('permissionNotGranted', 'FailedPrecondition', 'etcdserver: permission is not granted to the role'),
  authNotEnabled: make('authNotEnabled', 'FailedPrecondition', 'etcdserver: authentication is not enabled'),
  invalidAuthToken: make('invalidAuthToken', 'Unauthenticated', 'etcdserver: invalid auth token'),
  invalidAuthMgmt: make('invalidAuthMgmt', 'InvalidArgument', 'etcdserver: invalid auth management'),
  authOldRevision: make('authOldRevision', 'InvalidArgument', 'etcdserver: revision of auth store is old'),
} as const satisfies Record<AuthErrorKind, () => AuthError>;
