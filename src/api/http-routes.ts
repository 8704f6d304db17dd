// The plain-HTTP endpoints etcd serves on its client port.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION } from '../server/config.js';
import { healthRoutes, type HealthCounter, type HealthSource } from './health.js';

export type { HealthSource } from './health.js';

/** The member's Prometheus exposition (src/metrics/MemberMetrics). */
export interface MetricsEndpoint extends HealthCounter {
  scrape(): Promise<string>;
  readonly contentType: string;
}

/** GET /metrics: the member's metrics in Prometheus text format. */
export function serveMetrics(metrics: MetricsEndpoint, response: ServerResponse): void {
  metrics.scrape().then(
    (text) => {
      response.writeHead(200, { 'Content-Type': metrics.contentType });
      response.end(text);
    },
    (error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(`An error has occurred while serving metrics:\n\n${error instanceof Error ? error.message : String(error)}\n`);
    },
  );
}

/** `gateway` answers what it serves (etcd's JSON gateway under /v3/ and /v3beta/) and returns true. */
export function httpRoutes(source: HealthSource, gateway?: (request: IncomingMessage, response: ServerResponse) => boolean, metrics?: MetricsEndpoint) {
  const health = healthRoutes(source, metrics);
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (gateway?.(request, response)) return;
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
    if (path === '/metrics' && metrics !== undefined) {
      serveMetrics(metrics, response);
      return;
    }
    if (health(request, response, path ?? '/', new URLSearchParams((request.url ?? '').split('?')[1] ?? ''))) return;
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('404 page not found\n');
  };
}
