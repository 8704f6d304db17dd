// --dashboard-read-only on a dedicated --listen-dashboard-urls listener: only
// the gateway routes that read pass; writes are refused as a permission
// error in grpc-gateway's shape. (On the client URLs the gateway stays whole:
// other clients use it. RBAC is the real protection.)

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from './dashboard-routes.js';

const READ_ROUTES = new Set([
  '/v3/kv/range',
  '/v3/watch',
  '/v3/lease/timetolive',
  '/v3/kv/lease/timetolive',
  '/v3/lease/leases',
  '/v3/kv/lease/leases',
  '/v3/cluster/member/list',
  '/v3/maintenance/status',
  '/v3/auth/authenticate',
]);

// grpc's PermissionDenied is 7; grpc-gateway answers it with 403.
const PERMISSION_DENIED = 7;

export function readOnlyGateway(gateway: RouteHandler): RouteHandler {
  return (request: IncomingMessage, response: ServerResponse) => {
    let path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/v3beta/')) path = `/v3/${path.slice('/v3beta/'.length)}`;
    if (!path.startsWith('/v3/') || READ_ROUTES.has(path) || request.method === 'OPTIONS') return gateway(request, response);
    const message = 'etcdserver: dashboard is read-only';
    response.writeHead(403, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ error: message, message, code: PERMISSION_DENIED }));
    request.resume();
    return true;
  };
}
