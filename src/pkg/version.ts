import { readFileSync } from 'node:fs';

/** This package's own version, read once from package.json. */
export const PACKAGE_VERSION: string = (() => {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next location: sources and compiled output sit at different depths
    }
  }
  return 'unknown';
})();
