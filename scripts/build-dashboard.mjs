// Builds the web dashboard (dashboard/, browser TypeScript) into
// dist/dashboard/: type-checks it with its own tsconfig (DOM lib), bundles
// and minifies it with esbuild, copies index.html, and prints the bundle's
// size (bytes, and gzipped) so that it is watched and kept small.
// Run by `npm run build` after tsc.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'dashboard');
const out = join(root, 'dist', 'dashboard');

const check = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(source, 'tsconfig.json')], { stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { dashboard: join(source, 'src', 'main.ts'), 'dashboard-style': join(source, 'src', 'style.css') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  sourcemap: false,
  logLevel: 'warning',
  entryNames: '[name]',
});
// esbuild names the CSS after its entry; the page asks for dashboard.css.
copyFileSync(join(out, 'dashboard-style.css'), join(out, 'dashboard.css'));
rmSync(join(out, 'dashboard-style.css'));
copyFileSync(join(source, 'index.html'), join(out, 'index.html'));

let raw = 0;
let gzipped = 0;
for (const name of ['index.html', 'dashboard.js', 'dashboard.css']) {
  const bytes = readFileSync(join(out, name));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
console.log(`dashboard bundle: ${raw} bytes, ${gzipped} bytes gzipped (index.html, dashboard.js, dashboard.css) -> dist/dashboard/`);
