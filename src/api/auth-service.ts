// etcdserverpb.Auth: every request goes through Raft as etcd does (reads
// too, so they are linearizable), as the caller named by the call's token or
// certificate. Authenticate checks the password here, before Raft.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { InternalRaftRequest } from '../server/internal-request.js';
import { unary } from './unary.js';
import type { Callers } from './callers.js';

/** The InternalRaftRequest field each method proposes. */
const PROPOSED_AS = {
  AuthEnable: 'auth_enable',
  AuthDisable: 'auth_disable',
  AuthStatus: 'auth_status',
  UserAdd: 'auth_user_add',
  UserGet: 'auth_user_get',
  UserList: 'auth_user_list',
  UserDelete: 'auth_user_delete',
  UserChangePassword: 'auth_user_change_password',
  UserGrantRole: 'auth_user_grant_role',
  UserRevokeRole: 'auth_user_revoke_role',
  RoleAdd: 'auth_role_add',
  RoleGet: 'auth_role_get',
  RoleList: 'auth_role_list',
  RoleDelete: 'auth_role_delete',
  RoleGrantPermission: 'auth_role_grant_permission',
  RoleRevokePermission: 'auth_role_revoke_permission',
} as const satisfies Record<string, keyof InternalRaftRequest>;

export function authService(server: EtcdServer, callers: Callers): UntypedServiceImplementation {
  const service: UntypedServiceImplementation = {
    Authenticate: unary((request: { name: string; password: string }) => server.authenticate(request.name, request.password)),
  };
  for (const [method, field] of Object.entries(PROPOSED_AS)) {
    service[method] = unary((request: Record<string, unknown>, call) => {
      return callers.with(call, (caller) => server.authRequest({ [field]: request }, caller));
    });
  }
  return service;
}
