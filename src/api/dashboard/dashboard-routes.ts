// /ui/: the dashboard's single page and its assets. The page talks to the
// member only through the JSON gateway (/v3/...) and /metrics, like any other
// client, so auth and RBAC apply to it unchanged. Read-only mode is written
// into the page (it hides editing); on a dedicated --listen-dashboard-urls
// listener the gateway's write routes are refused as well (see
// dashboard-listener.ts). RBAC is the real protection.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadStaticFiles, type StaticFile } from './static-files.js';

export interface DashboardOptions {
  readOnly: boolean;
  /** Where the built files are; default the package's dist/dashboard/. */
  filesDir?: string;
}

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

const READ_ONLY_MARKER = '<meta name="dashboard-read-only" content="false">';

/** Answers /ui and /ui/... and returns true; false for any other path. */
export function dashboardRoutes(options: DashboardOptions): RouteHandler {
  const files = loadStaticFiles(options.filesDir);
  const index = files.get('index.html');
  if (index && options.readOnly) {
    const page = index.body.toString('utf8').replace(READ_ONLY_MARKER, READ_ONLY_MARKER.replace('false', 'true'));
    files.set('index.html', { ...index, body: Buffer.from(page) });
  }
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path !== '/ui' && !path.startsWith('/ui/')) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' });
      response.end('405 method not allowed\n');
      return true;
    }
    if (path === '/ui') {
      response.writeHead(301, { Location: '/ui/' });
      response.end();
      return true;
    }
    let relative: string | undefined;
    try {
      relative = decodeURIComponent(path.slice('/ui/'.length)) || 'index.html';
    } catch {
      relative = undefined; // a malformed %-escape names no file
    }
    // Only the files loaded at start are served: no path reaches the file system.
    const file: StaticFile | undefined = relative === undefined ? undefined : files.get(relative);
    if (file === undefined) {
      const missingBuild = files.size === 0 ? ' (the dashboard was not built: npm run build)' : '';
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      response.end(`404 page not found${missingBuild}\n`);
      return true;
    }
    response.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': file.body.length,
      'X-Content-Type-Options': 'nosniff',
      // The page is small and changes with the build; the browser revalidates it.
      'Cache-Control': 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}

/** The dashboard first, then the member's other HTTP routes. */
export function withDashboard(dashboard: RouteHandler | undefined, next: (request: IncomingMessage, response: ServerResponse) => void) {
  if (dashboard === undefined) return next;
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (!dashboard(request, response)) next(request, response);
  };
}
