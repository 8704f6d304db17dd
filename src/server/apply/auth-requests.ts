// Applies the Auth service's requests from committed entries (etcd's
// applierV3 auth methods behind authApplierV3). Changes to users, roles and
// the enabled flag need the root role; a user may read their own user
// record, and the roles they hold.

import type { AuthInfo } from '../../auth/types.js';
import type { AuthStore } from '../../auth/auth-store.js';
import type { InternalRaftRequest } from '../internal-request.js';
import type { ResponseHeader } from './types.js';
import type { AuthAppliedResponse } from '../apply-results.js';

/** Which request kinds this module applies (the first one present wins). */
export function isAuthRequest(request: InternalRaftRequest): boolean {
  return (
    request.auth_enable != null ||
    request.auth_disable != null ||
    request.auth_status != null ||
    request.authenticate != null ||
    request.auth_user_add != null ||
    request.auth_user_delete != null ||
    request.auth_user_get != null ||
    request.auth_user_change_password != null ||
    request.auth_user_grant_role != null ||
    request.auth_user_revoke_role != null ||
    request.auth_user_list != null ||
    request.auth_role_list != null ||
    request.auth_role_add != null ||
    request.auth_role_delete != null ||
    request.auth_role_get != null ||
    request.auth_role_grant_permission != null ||
    request.auth_role_revoke_permission != null
  );
}

/** etcd 3.5's needAdminPermission: everything but Authenticate and the two gets (which allow your own). */
function needsAdmin(request: InternalRaftRequest): boolean {
  return request.authenticate == null && request.auth_user_get == null && request.auth_role_get == null;
}

export interface AuthApplyContext {
  /** The Raft index of the entry: simple tokens are numbered by it. */
  index: number;
  header: ResponseHeader;
}

/** Applies one auth request as `caller`; throws the AuthError the client gets. */
export function applyAuthRequest(auth: AuthStore, caller: AuthInfo | undefined, request: InternalRaftRequest, context: AuthApplyContext): AuthAppliedResponse {
  const header = context.header;
  if (needsAdmin(request)) auth.isAdminPermitted(caller);
  if (request.auth_enable) {
    auth.enable();
    return { header };
  }
  if (request.auth_disable) {
    auth.disable();
    return { header };
  }
  if (request.auth_status) return { header, enabled: auth.enabled, authRevision: auth.revision };
  if (request.authenticate) {
    const { token } = auth.authenticate(request.authenticate.name, { simpleTokenPrefix: request.authenticate.simple_token, index: context.index });
    return { header, token };
  }
  if (request.auth_user_add) {
    const { name, hashedPassword, options } = request.auth_user_add;
    auth.userAdd({ name, hashedPassword, noPassword: options?.no_password ?? false });
    return { header };
  }
  if (request.auth_user_delete) {
    auth.userDelete(request.auth_user_delete.name);
    return { header };
  }
  if (request.auth_user_change_password) {
    auth.userChangePassword(request.auth_user_change_password.name, request.auth_user_change_password.hashedPassword);
    return { header };
  }
  if (request.auth_user_get) {
    const name = request.auth_user_get.name;
    // Anyone may read their own record.
    if (caller?.username !== name) auth.isAdminPermitted(caller);
    return { header, roles: auth.userGet(name).roles };
  }
  if (request.auth_user_grant_role) {
    auth.userGrantRole(request.auth_user_grant_role.user, request.auth_user_grant_role.role);
    return { header };
  }
  if (request.auth_user_revoke_role) {
    auth.userRevokeRole(request.auth_user_revoke_role.name, request.auth_user_revoke_role.role);
    return { header };
  }
  if (request.auth_user_list) return { header, users: auth.userList() };
  if (request.auth_role_list) return { header, roles: auth.roleList() };
  if (request.auth_role_add) {
    auth.roleAdd(request.auth_role_add.name);
    return { header };
  }
  if (request.auth_role_delete) {
    auth.roleDelete(request.auth_role_delete.role);
    return { header };
  }
  if (request.auth_role_get) {
    const role = request.auth_role_get.role;
    // A user may read the roles they hold.
    if (caller === undefined || !auth.hasRole(caller.username, role)) auth.isAdminPermitted(caller);
    return { header, perm: auth.roleGet(role) };
  }
  if (request.auth_role_grant_permission) {
    const { name, perm } = request.auth_role_grant_permission;
    auth.roleGrantPermission(name, perm ?? undefined);
    return { header };
  }
  if (request.auth_role_revoke_permission) {
    const { role, key, range_end } = request.auth_role_revoke_permission;
    auth.roleRevokePermission(role, key, range_end);
    return { header };
  }
  throw new Error('not an auth request');
}
