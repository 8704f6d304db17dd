// The dashboard's built files (dist/dashboard/, written by
// scripts/build-dashboard.mjs), served from the package itself: no CDN, so it
// works offline. Files are read once and kept in memory; they are small.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This module is dist/src/api/dashboard/static-files.js; the bundle is dist/dashboard/. */
export const DASHBOARD_FILES_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Every file under `dir`, by its path relative to it ('index.html', 'app.js'). Missing dir: none. */
export function loadStaticFiles(dir: string = DASHBOARD_FILES_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (relative: string) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, relative));
    } catch {
      return;
    }
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      if (statSync(join(dir, path)).isDirectory()) walk(path);
      else files.set(path, { body: readFileSync(join(dir, path)), contentType: contentTypeOf(path) });
    }
  };
  walk('');
  return files;
}
