// The plain-HTTP endpoints etcd serves on its client port.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION } from '../server/config.js';

export interface HealthSource {
  /** True when the member has a leader and can serve a linearizable read. */
  checkHealth(): Promise<{ health: boolean; reason: string }>;
}

export function httpRoutes(source: HealthSource) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (statusCode: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(statusCode, { 'Content-Type': 'application/json' });
      response.end(text);
    };
    if (path === '/version') {
      reply(200, { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION });
      return;
    }
    if (path === '/health' || path === '/livez' || path === '/readyz') {
      source.checkHealth().then(
        (result) => reply(result.health ? 200 : 503, { health: String(result.health), reason: result.reason }),
        (error: unknown) => reply(503, { health: 'false', reason: String(error) }),
      );
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('404 page not found\n');
  };
}
