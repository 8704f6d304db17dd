// --listen-metrics-urls: extra HTTP listeners that serve only /metrics and the
// health endpoints (/health, /livez, /readyz), as etcd's serveMetrics does;
// https:// URLs use the client port's TLS settings (certificate, client
// certificates, ciphers).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadedTls } from '../tls/tls-info.js';
import type { Logger } from '../pkg/logger.js';
import { listenHttp } from './http-listener.js';
import { healthRoutes, type HealthSource } from './health.js';
import { serveMetrics, type MetricsEndpoint } from './http-routes.js';

export interface MetricsListener {
  close(): Promise<void>;
}

export function metricsRoutes(source: HealthSource, metrics: MetricsEndpoint) {
  const health = healthRoutes(source, metrics);
  return (request: IncomingMessage, response: ServerResponse): void => {
    const [path = '/', query = ''] = (request.url ?? '/').split('?');
    if (path === '/metrics') {
      serveMetrics(metrics, response);
      return;
    }
    if (health(request, response, path, new URLSearchParams(query))) return;
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    response.end('404 page not found\n');
  };
}

export async function listenForMetrics(
  url: URL,
  options: { source: HealthSource; metrics: MetricsEndpoint; tls: LoadedTls | undefined; logger: Logger },
): Promise<MetricsListener> {
  const listener = await listenHttp(url, metricsRoutes(options.source, options.metrics), { flag: '--listen-metrics-urls', tls: options.tls, logger: options.logger });
  options.logger.info('serving metrics', { address: url.href.replace(/\/$/, '') });
  return listener;
}
