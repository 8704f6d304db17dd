// The member's dashboard wiring, from its flags: on the client URLs (default)
// in front of the member's other HTTP routes, or only on
// --listen-dashboard-urls, whose listeners also serve the JSON gateway (read
// routes only with --dashboard-read-only), /metrics and the health endpoints.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../pkg/logger.js';
import type { MemberConfig } from '../../server/config.js';
import type { LoadedTls } from '../../tls/tls-info.js';
import { httpRoutes, type HealthSource, type MetricsEndpoint } from '../http-routes.js';
import { dashboardRoutes, withDashboard, type RouteHandler } from './dashboard-routes.js';
import { listenForDashboard, type DashboardListener } from './dashboard-listener.js';
import { readOnlyGateway } from './read-only-gateway.js';

export interface MemberDashboard {
  /** The client port's HTTP handler: `next` alone, or the dashboard in front of it. */
  onClientUrls(next: (request: IncomingMessage, response: ServerResponse) => void): (request: IncomingMessage, response: ServerResponse) => void;
  /** Opens the --listen-dashboard-urls listeners (none without the flag). */
  listen(): Promise<DashboardListener[]>;
}

export function memberDashboard(
  config: Pick<MemberConfig, 'dashboard' | 'dashboardReadOnly' | 'listenDashboardUrls'>,
  parts: { source: HealthSource; gateway: RouteHandler; metrics: MetricsEndpoint; tls: LoadedTls | undefined; logger: Logger; filesDir?: string },
): MemberDashboard {
  const routes = config.dashboard ? dashboardRoutes({ readOnly: config.dashboardReadOnly, ...(parts.filesDir ? { filesDir: parts.filesDir } : {}) }) : undefined;
  const separate = config.listenDashboardUrls.length > 0;
  return {
    onClientUrls: (next) => (separate ? next : withDashboard(routes, next)),
    listen: async () => {
      if (routes === undefined || !separate) return [];
      const gateway = config.dashboardReadOnly ? readOnlyGateway(parts.gateway) : parts.gateway;
      const handler = withDashboard(routes, httpRoutes(parts.source, gateway, parts.metrics));
      const listeners: DashboardListener[] = [];
      try {
        for (const url of config.listenDashboardUrls) listeners.push(await listenForDashboard(url, handler, { tls: parts.tls, logger: parts.logger }));
      } catch (error) {
        for (const listener of listeners) await listener.close();
        throw error;
      }
      return listeners;
    },
  };
}
