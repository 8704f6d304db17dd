// --listen-dashboard-urls: listeners that serve the dashboard and what it
// calls (the JSON gateway, /metrics, /health, /version) over HTTP/1, https
// with the client port's TLS settings. The dashboard is then served only
// here, not on the client URLs.

import type * as http from 'node:http';
import type { Logger } from '../../pkg/logger.js';
import type { LoadedTls } from '../../tls/tls-info.js';
import { listenHttp } from '../http-listener.js';

export interface DashboardListener {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function listenForDashboard(url: URL, handler: http.RequestListener, options: { tls: LoadedTls | undefined; logger: Logger }): Promise<DashboardListener> {
  const listener = await listenHttp(url, handler, { flag: '--listen-dashboard-urls', tls: options.tls, logger: options.logger });
  options.logger.info('serving dashboard', { address: `${url.protocol}//${url.host}/ui/` });
  return listener;
}
