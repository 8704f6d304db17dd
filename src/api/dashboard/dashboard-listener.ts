// --listen-dashboard-urls: listeners that serve the dashboard and what it
// calls (the JSON gateway, /metrics, /health, /version) over HTTP/1, https
// with the client port's TLS settings. The dashboard is then served only
// here, not on the client URLs.

import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import type { Logger } from '../../pkg/logger.js';
import { bindHostOf } from '../../pkg/url-host.js';
import { refusalOfPeerCertificate, serverTlsOptions, type LoadedTls } from '../../tls/tls-info.js';

export interface DashboardListener {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function listenForDashboard(url: URL, handler: http.RequestListener, options: { tls: LoadedTls | undefined; logger: Logger }): Promise<DashboardListener> {
  let server: http.Server;
  if (url.protocol === 'https:') {
    if (options.tls === undefined) throw new Error(`--listen-dashboard-urls ${url.href}: https needs the client TLS settings (--cert-file and --key-file, or --auto-tls)`);
    const loaded = options.tls;
    const secureServer = https.createServer(serverTlsOptions(loaded), handler);
    // --client-cert-auth and its checks hold here as on the client port.
    secureServer.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      const refusal = refusalOfPeerCertificate(loaded, socket);
      if (refusal === undefined) return;
      options.logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: refusal });
      socket.destroy();
    });
    server = secureServer;
  } else if (url.protocol === 'http:') server = http.createServer(handler);
  else throw new Error(`--listen-dashboard-urls ${url.href}: the scheme must be http or https`);
  const host = bindHostOf(url);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(url.port), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : Number(url.port);
  options.logger.info('serving dashboard', { address: `${url.protocol}//${url.host}/ui/` });
  return {
    address: { host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
