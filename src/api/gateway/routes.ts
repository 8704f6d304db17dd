// The routes of etcd 3.4's grpc-gateway (the *.pb.gw.go files beside
// rpc.proto, v3election.proto and v3lock.proto), all POST. Where two methods
// share a path (/v3/maintenance/hash: Hash and HashKV), the first registered
// wins, as in grpc-gateway's ServeMux: Hash.

export interface GatewayRoute {
  /** The key of the service in the gateway's service map: 'KV', 'Election', ... */
  service: string;
  method: string;
}

const ROUTE_LIST: Array<[string, string, string]> = [
  ['/v3/kv/range', 'KV', 'Range'],
  ['/v3/kv/put', 'KV', 'Put'],
  ['/v3/kv/deleterange', 'KV', 'DeleteRange'],
  ['/v3/kv/txn', 'KV', 'Txn'],
  ['/v3/kv/compaction', 'KV', 'Compact'],
  ['/v3/watch', 'Watch', 'Watch'],
  ['/v3/lease/grant', 'Lease', 'LeaseGrant'],
  ['/v3/lease/revoke', 'Lease', 'LeaseRevoke'],
  ['/v3/kv/lease/revoke', 'Lease', 'LeaseRevoke'],
  ['/v3/lease/keepalive', 'Lease', 'LeaseKeepAlive'],
  ['/v3/lease/timetolive', 'Lease', 'LeaseTimeToLive'],
  ['/v3/kv/lease/timetolive', 'Lease', 'LeaseTimeToLive'],
  ['/v3/lease/leases', 'Lease', 'LeaseLeases'],
  ['/v3/kv/lease/leases', 'Lease', 'LeaseLeases'],
  ['/v3/cluster/member/add', 'Cluster', 'MemberAdd'],
  ['/v3/cluster/member/remove', 'Cluster', 'MemberRemove'],
  ['/v3/cluster/member/update', 'Cluster', 'MemberUpdate'],
  ['/v3/cluster/member/list', 'Cluster', 'MemberList'],
  ['/v3/cluster/member/promote', 'Cluster', 'MemberPromote'],
  ['/v3/maintenance/alarm', 'Maintenance', 'Alarm'],
  ['/v3/maintenance/status', 'Maintenance', 'Status'],
  ['/v3/maintenance/defragment', 'Maintenance', 'Defragment'],
  ['/v3/maintenance/hash', 'Maintenance', 'Hash'],
  ['/v3/maintenance/hash', 'Maintenance', 'HashKV'],
  ['/v3/maintenance/snapshot', 'Maintenance', 'Snapshot'],
  ['/v3/maintenance/transfer-leadership', 'Maintenance', 'MoveLeader'],
  ['/v3/auth/enable', 'Auth', 'AuthEnable'],
  ['/v3/auth/disable', 'Auth', 'AuthDisable'],
  ['/v3/auth/authenticate', 'Auth', 'Authenticate'],
  ['/v3/auth/user/add', 'Auth', 'UserAdd'],
  ['/v3/auth/user/get', 'Auth', 'UserGet'],
  ['/v3/auth/user/list', 'Auth', 'UserList'],
  ['/v3/auth/user/delete', 'Auth', 'UserDelete'],
  ['/v3/auth/user/changepw', 'Auth', 'UserChangePassword'],
  ['/v3/auth/user/grant', 'Auth', 'UserGrantRole'],
  ['/v3/auth/user/revoke', 'Auth', 'UserRevokeRole'],
  ['/v3/auth/role/add', 'Auth', 'RoleAdd'],
  ['/v3/auth/role/get', 'Auth', 'RoleGet'],
  ['/v3/auth/role/list', 'Auth', 'RoleList'],
  ['/v3/auth/role/delete', 'Auth', 'RoleDelete'],
  ['/v3/auth/role/grant', 'Auth', 'RoleGrantPermission'],
  ['/v3/auth/role/revoke', 'Auth', 'RoleRevokePermission'],
  ['/v3/lock/lock', 'Lock', 'Lock'],
  ['/v3/lock/unlock', 'Lock', 'Unlock'],
  ['/v3/election/campaign', 'Election', 'Campaign'],
  ['/v3/election/proclaim', 'Election', 'Proclaim'],
  ['/v3/election/leader', 'Election', 'Leader'],
  ['/v3/election/observe', 'Election', 'Observe'],
  ['/v3/election/resign', 'Election', 'Resign'],
];

export const GATEWAY_ROUTES: ReadonlyMap<string, GatewayRoute> = (() => {
  const routes = new Map<string, GatewayRoute>();
  for (const [path, service, method] of ROUTE_LIST) if (!routes.has(path)) routes.set(path, { service, method });
  return routes;
})();

/** The protobuf package of each service the gateway serves. */
export const SERVICE_PACKAGES: Readonly<Record<string, string>> = {
  KV: 'etcdserverpb',
  Watch: 'etcdserverpb',
  Lease: 'etcdserverpb',
  Cluster: 'etcdserverpb',
  Maintenance: 'etcdserverpb',
  Auth: 'etcdserverpb',
  Lock: 'v3lockpb',
  Election: 'v3electionpb',
};
