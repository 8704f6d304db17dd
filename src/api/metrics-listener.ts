// --listen-metrics-urls: extra HTTP listeners that serve only /metrics and the
// health endpoints (/health, /livez, /readyz), as etcd's serveMetrics does;
// https:// URLs use the client port's TLS settings (certificate, client
// certificates, ciphers).

import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { refusalOfPeerCertificate, serverTlsOptions, type LoadedTls } from '../tls/tls-info.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../pkg/logger.js';
import { bindHostOf } from '../pkg/url-host.js';
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
  const handler = metricsRoutes(options.source, options.metrics);
  let server: http.Server;
  if (url.protocol === 'https:') {
    if (options.tls === undefined) throw new Error(`--listen-metrics-urls ${url.href}: https needs the client TLS settings (--cert-file and --key-file, or --auto-tls)`);
    const loaded = options.tls;
    const secureServer = https.createServer(serverTlsOptions(loaded), handler);
    // --client-cert-auth, CRLs and allowed names hold here as on the client port.
    secureServer.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      const refusal = refusalOfPeerCertificate(loaded, socket);
      if (refusal === undefined) return;
      options.logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: refusal });
      socket.destroy();
    });
    server = secureServer;
  } else if (url.protocol === 'http:') server = http.createServer(handler);
  else throw new Error(`--listen-metrics-urls ${url.href}: the scheme must be http or https`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(url.port), bindHostOf(url), () => {
      server.off('error', reject);
      resolve();
    });
  });
  options.logger.info('serving metrics', { address: url.href.replace(/\/$/, '') });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
