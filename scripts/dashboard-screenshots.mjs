// Screenshots of the dashboard's views for docs/dashboard/ (linked from the
// README): starts a three-member cluster on free loopback ports in a temp
// directory, writes sample data through the JSON gateway (JSON, YAML-ish
// text, a Kubernetes protobuf object, a lease with keys), drives Debian's
// chromium with playwright-core, and stops every member it started by PID.
//   npm run build && node scripts/dashboard-screenshots.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const out = join(root, 'docs', 'dashboard');
const dataRoot = mkdtempSync(join(tmpdir(), 'dashboard-shots-'));
const children = [];

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const b64 = (value) => Buffer.from(value).toString('base64');
async function call(url, path, body) {
  const response = await fetch(url + path, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
const put = (url, key, value, lease) => call(url, '/v3/kv/put', { key: b64(key), value: Buffer.from(value).toString('base64'), ...(lease ? { lease } : {}) });
const field = (number, body) => Buffer.concat([Buffer.from([(number << 3) | 2, body.length]), body]);

async function startCluster(size) {
  const members = [];
  for (let i = 1; i <= size; i++) members.push({ name: `m${i}`, client: await freePort(), peer: await freePort() });
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  await Promise.all(
    members.map(
      (m) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [join(root, 'dist/src/bin/etcd-ts.js'), `--name=${m.name}`, `--data-dir=${join(dataRoot, m.name)}`, `--listen-client-urls=http://127.0.0.1:${m.client}`, `--advertise-client-urls=http://127.0.0.1:${m.client}`, `--listen-peer-urls=http://127.0.0.1:${m.peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`, `--initial-cluster=${initial}`], { stdio: ['ignore', 'pipe', 'pipe'] });
          children.push(child);
          m.child = child;
          let output = '';
          const onData = (chunk) => {
            output += chunk;
            if (output.includes('ready to serve client requests')) resolve();
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
          child.once('exit', (code) => reject(new Error(`${m.name} exited ${code}: ${output.slice(-2000)}`)));
        }),
    ),
  );
  return members.map((m) => ({ ...m, url: `http://127.0.0.1:${m.client}` }));
}

try {
  mkdirSync(out, { recursive: true });
  const members = await startCluster(3);
  const url = members[0].url;
  await put(url, '/registry/deployments/default/web', Buffer.concat([Buffer.from('k8s\0', 'binary'), field(1, Buffer.concat([field(1, Buffer.from('apps/v1')), field(2, Buffer.from('Deployment'))])), field(2, field(1, Buffer.concat([field(1, Buffer.from('web')), field(3, Buffer.from('default')), field(5, Buffer.from('6f1c2d8e-2a4b-4c1d-9e8f-0a1b2c3d4e5f'))]))), field(3, Buffer.alloc(0)), field(4, Buffer.alloc(0))]));
  await put(url, '/registry/namespaces/default', JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default' } }));
  await put(url, '/config/app/settings', JSON.stringify({ replicas: 3, image: 'nginx:1.27', ports: [80, 443], resources: { cpu: '500m', memory: '256Mi' } }));
  await put(url, '/config/app/settings', JSON.stringify({ replicas: 4, image: 'nginx:1.27', ports: [80, 443], resources: { cpu: '500m', memory: '512Mi' } }));
  for (const name of ['alpha', 'beta', 'gamma']) await put(url, `/services/${name}/endpoint`, `10.0.0.${name.length}:8080`);
  const lease = await call(url, '/v3/lease/grant', { TTL: '600' });
  await put(url, '/sessions/worker-1', 'alive', lease.ID);
  await put(url, '/sessions/worker-2', 'alive', lease.ID);

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(`${url}/ui/`);
  for (const folder of ['/', '/config/', '/config/app/']) await page.locator(`[data-folder="${folder}"]`).click();
  await page.locator('[data-key="/config/app/settings"]').click();
  await page.locator('[data-test=history] summary').click();
  await page.locator('[data-test=history-diff] .diff-added').first().waitFor();
  await page.screenshot({ path: join(out, 'keys.png') });

  for (const folder of ['/registry/', '/registry/deployments/', '/registry/deployments/default/']) await page.locator(`[data-folder="${folder}"]`).click();
  await page.locator('[data-key="/registry/deployments/default/web"]').click();
  await page.locator('[data-test=value-view]', { hasText: 'Deployment' }).waitFor();
  await page.screenshot({ path: join(out, 'kubernetes.png') });

  await page.goto(`${url}/ui/#watch`);
  await page.locator('[data-test=watch-state]', { hasText: 'watching' }).waitFor();
  await put(url, '/services/alpha/endpoint', '10.0.0.9:8080');
  await put(url, '/jobs/42', JSON.stringify({ state: 'running' }));
  await call(url, '/v3/kv/deleterange', { key: b64('/services/gamma/endpoint') });
  await put(url, '/jobs/42', JSON.stringify({ state: 'done' }));
  await page.locator('[data-test=watch-events] tr').nth(3).waitFor();
  await page.screenshot({ path: join(out, 'watch.png') });

  await page.goto(`${url}/ui/#leases`);
  await page.locator('[data-test=lease-rows] tr').first().waitFor();
  await page.screenshot({ path: join(out, 'leases.png') });

  await page.goto(`${url}/ui/#cluster`);
  // Some load for the charts, sampled every 2 s.
  const until = Date.now() + 24_000;
  let n = 0;
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: 20 }, () => put(url, `/load/${n++ % 500}`, 'x'.repeat(200))));
    await call(url, '/v3/kv/range', { key: b64('/load/'), range_end: b64('/load0'), limit: '10' });
  }
  await page.screenshot({ path: join(out, 'cluster.png'), fullPage: true });

  members[2].child.kill('SIGKILL');
  await page.locator('[data-test=member-rows] tr[data-health="unreachable"]').waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(out, 'cluster-member-down.png') });
  await browser.close();
  console.log(`screenshots written to ${out}`);
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataRoot, { recursive: true, force: true });
}
