// An extra HTTP/1 listener on one URL (--listen-metrics-urls,
// --listen-dashboard-urls): plain for http://, and for https:// the client
// port's TLS settings, with its client-certificate checks (--client-cert-auth,
// CRLs, allowed names) holding here too.

import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import type { Logger } from '../pkg/logger.js';
import { bindHostOf } from '../pkg/url-host.js';
import { refusalOfPeerCertificate, serverTlsOptions, type LoadedTls } from '../tls/tls-info.js';

export interface HttpListener {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Listens on `url` (`flag` names the option in errors); resolves once bound. */
export async function listenHttp(url: URL, handler: http.RequestListener, options: { flag: string; tls: LoadedTls | undefined; logger: Logger }): Promise<HttpListener> {
  let server: http.Server;
  if (url.protocol === 'https:') {
    if (options.tls === undefined) throw new Error(`${options.flag} ${url.href}: https needs the client TLS settings (--cert-file and --key-file, or --auto-tls)`);
    const loaded = options.tls;
    const secureServer = https.createServer(serverTlsOptions(loaded), handler);
    secureServer.prependListener('secureConnection', (socket: tls.TLSSocket) => {
      const refusal = refusalOfPeerCertificate(loaded, socket);
      if (refusal === undefined) return;
      options.logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: refusal });
      socket.destroy();
    });
    server = secureServer;
  } else if (url.protocol === 'http:') server = http.createServer(handler);
  else throw new Error(`${options.flag} ${url.href}: the scheme must be http or https`);
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
  return {
    address: { host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
