// The auth store core: users, roles, permissions and their checks (etcd's server/auth).

export { AuthStore, BCRYPT_DEFAULT_COST, BCRYPT_MAX_COST, BCRYPT_MIN_COST, decodeStdBase64, type AuthStoreOptions, type UserAddRequest } from './auth-store.js';
export { AuthError, authErrors, type AuthErrorKind } from './errors.js';
export {
  decodePermission,
  decodeRole,
  decodeUser,
  encodePermission,
  encodeRole,
  encodeUser,
  RecordDecodeError,
  type PermissionRecord,
  type RoleRecord,
  type UserAddOptionsRecord,
  type UserRecord,
} from './auth-records.js';
export {
  compareAffine,
  isOpenEnded,
  isValidPermissionRange,
  permissionInterval,
  pointInterval,
  UnifiedRangePermissions,
  type CheckedPermissionType,
  type KeyInterval,
} from './range-permissions.js';
export { PermissionType, type AuthInfo, type Permission, type TokenProvider } from './types.js';
