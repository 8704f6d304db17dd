// The dashboard's flags over plain HTTP: served at /ui/ on the client URLs by
// default (with /ui redirected), off with --dashboard=false, only on
// --listen-dashboard-urls when given (which also serves the gateway it
// calls), and --dashboard-read-only marks the page and refuses gateway
// writes on the dashboard's own listener.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { freePort } from '../support/free-port.js';
import { etcdctlOk } from '../support/etcdctl.js';

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** GET over https, accepting the member's self-signed (--auto-tls) certificate. */
function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { rejectUnauthorized: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('dashboard flags', () => {
  after(stopAllMembers);

  it('serves /ui/ on the client URLs by default, with content types and a redirect from /ui', async () => {
    const member = await MemberProcess.start();
    const redirect = await fetch(`${member.clientUrl}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/ui/');
    const page = await fetch(`${member.clientUrl}/ui/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await page.text();
    assert.match(html, /<meta name="dashboard-read-only" content="false">/);
    const script = await fetch(`${member.clientUrl}/ui/dashboard.js`);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.ok((await script.text()).length > 1000);
    assert.equal((await fetch(`${member.clientUrl}/ui/dashboard.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await fetch(`${member.clientUrl}/ui/missing.js`)).status, 404);
    assert.equal((await fetch(`${member.clientUrl}/ui/%E0%A4%A`)).status, 404);
    assert.equal((await fetch(`${member.clientUrl}/ui/%2e%2e%2fpackage.json`)).status, 404);
    assert.equal((await fetch(`${member.clientUrl}/ui/`, { method: 'POST' })).status, 405);
  });

  it('--dashboard=false: no /ui/, the rest of the client port unchanged', async () => {
    const member = await MemberProcess.start({ extraFlags: ['--dashboard=false'] });
    assert.equal((await fetch(`${member.clientUrl}/ui/`)).status, 404);
    assert.equal((await fetch(`${member.clientUrl}/version`)).status, 200);
  });

  it('--listen-dashboard-urls: served only there, with the gateway, /metrics and /version', async () => {
    const port = await freePort();
    const member = await MemberProcess.start({ extraFlags: [`--listen-dashboard-urls=http://127.0.0.1:${port}`] });
    const dashboard = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${member.clientUrl}/ui/`)).status, 404);
    assert.equal((await fetch(`${dashboard}/ui/`)).status, 200);
    await etcdctlOk(member.endpoint, ['put', 'k', 'v']);
    const read = await post(`${dashboard}/v3/kv/range`, { key: base64('k') });
    assert.equal(read.status, 200);
    assert.equal((read.json['kvs'] as Array<{ value: string }>)[0]!.value, base64('v'));
    assert.equal((await post(`${dashboard}/v3/kv/put`, { key: base64('k'), value: base64('w') })).status, 200);
    assert.equal((await fetch(`${dashboard}/metrics`)).status, 200);
    assert.equal((await fetch(`${dashboard}/version`)).status, 200);
  });

  it('--dashboard-read-only: the page says so; the dashboard listener refuses writes, reads pass', async () => {
    const port = await freePort();
    const member = await MemberProcess.start({ extraFlags: ['--dashboard-read-only', `--listen-dashboard-urls=http://127.0.0.1:${port}`] });
    const dashboard = `http://127.0.0.1:${port}`;
    assert.match(await (await fetch(`${dashboard}/ui/`)).text(), /<meta name="dashboard-read-only" content="true">/);
    const refused = await post(`${dashboard}/v3/kv/put`, { key: base64('k'), value: base64('v') });
    assert.equal(refused.status, 403);
    assert.equal(refused.json['code'], 7);
    assert.equal((await post(`${dashboard}/v3/kv/deleterange`, { key: base64('k') })).status, 403);
    assert.equal((await post(`${dashboard}/v3/kv/range`, { key: base64('k') })).status, 200);
    assert.equal((await post(`${dashboard}/v3/maintenance/status`, {})).status, 200);
    // The client URLs' gateway is every client's: unchanged.
    assert.equal((await post(`${member.clientUrl}/v3/kv/put`, { key: base64('k'), value: base64('v') })).status, 200);
  });

  it('over https (--auto-tls): on the client URLs, and on an https --listen-dashboard-urls', async () => {
    const clientPort = await freePort();
    const https = [`--listen-client-urls=https://127.0.0.1:${clientPort}`, `--advertise-client-urls=https://127.0.0.1:${clientPort}`, '--auto-tls'];
    await MemberProcess.start({ extraFlags: https });
    const onClientPort = await httpsGet(`https://127.0.0.1:${clientPort}/ui/`);
    assert.equal(onClientPort.status, 200);
    assert.match(onClientPort.body, /dashboard\.js/);

    const otherClientPort = await freePort();
    const dashboardPort = await freePort();
    await MemberProcess.start({
      extraFlags: [`--listen-client-urls=https://127.0.0.1:${otherClientPort}`, `--advertise-client-urls=https://127.0.0.1:${otherClientPort}`, '--auto-tls', `--listen-dashboard-urls=https://127.0.0.1:${dashboardPort}`],
    });
    assert.equal((await httpsGet(`https://127.0.0.1:${otherClientPort}/ui/`)).status, 404);
    const onDashboardPort = await httpsGet(`https://127.0.0.1:${dashboardPort}/ui/`);
    assert.equal(onDashboardPort.status, 200);
    assert.match(onDashboardPort.body, /dashboard\.js/);
  });

  it('--config-file: dashboard: false turns it off', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'dashboard-config-'));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const file = join(directory, 'etcd.yaml');
    writeFileSync(
      file,
      [
        `data-dir: ${join(directory, 'data')}`,
        `listen-client-urls: http://127.0.0.1:${clientPort}`,
        `advertise-client-urls: http://127.0.0.1:${clientPort}`,
        `listen-peer-urls: http://127.0.0.1:${peerPort}`,
        `initial-advertise-peer-urls: http://127.0.0.1:${peerPort}`,
        `initial-cluster: default=http://127.0.0.1:${peerPort}`,
        'dashboard: false',
        '',
      ].join('\n'),
    );
    await MemberProcess.start({ extraFlags: [`--config-file=${file}`] });
    assert.equal((await fetch(`http://127.0.0.1:${clientPort}/ui/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${clientPort}/version`)).status, 200);
  });

  it('refuses a --listen-dashboard-urls with another scheme', async () => {
    await assert.rejects(MemberProcess.start({ extraFlags: ['--listen-dashboard-urls=unix://dashboard.sock'] }), /scheme must be http or https/);
  });
});
