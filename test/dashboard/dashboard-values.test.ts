// The dashboard's value viewer and the views beyond the basics, in a real
// browser: a Kubernetes protobuf value decoded to apiVersion/kind and a field
// tree, a huge value cut with a download, a key's history with diffs, leases
// with their TTL and keys, read-only mode without edit controls, and auth:
// a login, then a permission denied shown as such.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { browserUnavailable, dashboardPage, launchBrowser } from './browser.js';

/** A protobuf length-delimited field (field numbers and lengths < 128 here). */
function field(number: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(number << 3) | 2, body.length]), body]);
}

/** What the API server stores: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding, contentType}. */
function kubernetesValue(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))]);
  return Buffer.concat([Buffer.from('k8s\0', 'binary'), field(1, typeMeta), field(2, raw), field(3, Buffer.alloc(0)), field(4, Buffer.alloc(0))]);
}

async function gatewayPut(clientUrl: string, key: string, value: Buffer): Promise<void> {
  const response = await fetch(`${clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(key).toString('base64'), value: value.toString('base64') }) });
  assert.equal(response.status, 200, await response.text());
}

describe('dashboard values, history, leases, read-only and auth', () => {
  let browser: Browser;

  before(async () => {
    // Without chromium every test below is reported as skipped, with the reason.
    if (browserUnavailable) return;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stopAllMembers();
  });

  it('decodes a Kubernetes protobuf value, cuts a huge value, and steps through history with diffs', { skip: browserUnavailable }, async () => {
    const member = await MemberProcess.start();
    // metadata {name: "web", namespace: "default"} as the body's field 1.
    const body = field(1, Buffer.concat([field(1, Buffer.from('web')), field(3, Buffer.from('default'))]));
    await gatewayPut(member.clientUrl, '/registry/deployments/default/web', kubernetesValue('apps/v1', 'Deployment', body));
    await gatewayPut(member.clientUrl, '/big', Buffer.alloc(200_000, 'x'));
    await etcdctlOk(member.endpoint, ['put', '/doc', '{"replicas":1,"image":"nginx:1"}']);
    await etcdctlOk(member.endpoint, ['put', '/doc', '{"replicas":2,"image":"nginx:1"}']);

    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/`);
    await page.locator('[data-test=prefix-search]').fill('/');
    await page.locator('[data-test=prefix-search]').press('Enter');
    await page.locator('[data-key="/registry/deployments/default/web"]').click();
    const view = page.locator('[data-test=value-view]');
    await page.locator('[data-test=value-view]', { hasText: 'kind: Deployment' }).waitFor();
    const decoded = (await view.textContent()) ?? '';
    assert.match(decoded, /apiVersion: apps\/v1/);
    assert.match(decoded, /1: "web"/);
    assert.match(decoded, /3: "default"/);

    await page.locator('[data-key="/big"]').click();
    await page.locator('[data-test=truncated]').waitFor();
    assert.match((await page.locator('[data-test=truncated]').textContent()) ?? '', /of 195 KiB/);
    assert.equal(((await view.textContent()) ?? '').length, 64 * 1024);
    assert.ok(await page.locator('[data-test=truncated] a[download]').getAttribute('href'));

    await page.locator('[data-key="/doc"]').click();
    await page.locator('[data-test=detail-key]', { hasText: '/doc' }).waitFor();
    await page.locator('[data-test=history] summary').click();
    await page.locator('[data-test=history-diff] .diff-removed', { hasText: '"replicas": 1' }).waitFor();
    await page.locator('[data-test=history-diff] .diff-added', { hasText: '"replicas": 2' }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('lists leases with their TTL and keys', { skip: browserUnavailable }, async () => {
    const member = await MemberProcess.start();
    const granted = await etcdctlOk(member.endpoint, ['lease', 'grant', '300']);
    const id = /lease ([0-9a-f]+) granted/.exec(granted)![1]!;
    await etcdctlOk(member.endpoint, ['put', '/leased/key', 'v', `--lease=${id}`]);
    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/#leases`);
    const row = page.locator(`[data-test=lease-rows] tr[data-lease="${BigInt(`0x${id}`)}"]`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /\/leased\/key/);
    assert.match((await row.locator('.ttl').textContent()) ?? '', /^(29\d|300)s$/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('read-only: no edit, delete or new-key controls', { skip: browserUnavailable }, async () => {
    const member = await MemberProcess.start({ extraFlags: ['--dashboard-read-only'] });
    await etcdctlOk(member.endpoint, ['put', 'k', 'v']);
    const { page } = await dashboardPage(browser, `${member.clientUrl}/ui/`);
    await page.locator('[data-test=read-only]').waitFor();
    await page.locator('[data-key="k"]').click();
    await page.locator('[data-test=value-view]', { hasText: 'v' }).waitFor();
    assert.equal(await page.locator('[data-test=edit]').count(), 0);
    assert.equal(await page.locator('[data-test=delete]').count(), 0);
    assert.equal(await page.locator('[data-test=new-key]').count(), 0);
    await page.close();
  });

  it('with auth on: asks for a login, runs as that user, and says permission denied', { skip: browserUnavailable }, async () => {
    const member = await MemberProcess.start();
    const ctl = (...args: string[]) => etcdctlOk(member.endpoint, args);
    await ctl('put', '/public/readme', 'hello');
    await ctl('put', '/secret/key', 'hidden');
    await ctl('user', 'add', 'root:rootpw');
    await ctl('user', 'add', 'alice:alicepw');
    await ctl('role', 'add', 'reader');
    await ctl('role', 'grant-permission', 'reader', '--prefix=true', 'read', '/public/');
    await ctl('user', 'grant-role', 'alice', 'reader');
    await ctl('auth', 'enable');

    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/`);
    await page.locator('[data-test=login-name]').fill('alice');
    await page.locator('[data-test=login-password]').fill('wrong');
    await page.locator('[data-test=login-submit]').click();
    await page.locator('[data-test=login-error]', { hasText: 'authentication failed' }).waitFor();
    await page.locator('[data-test=login-password]').fill('alicepw');
    await page.locator('[data-test=login-submit]').click();
    await page.locator('[data-test=prefix-search]').fill('/public/');
    await page.locator('[data-test=prefix-search]').press('Enter');
    await page.locator('[data-key="/public/readme"]').click();
    await page.locator('[data-test=value-view]', { hasText: 'hello' }).waitFor();
    await page.locator('[data-test=prefix-search]').fill('/secret/');
    await page.locator('[data-test=prefix-search]').press('Enter');
    await page.locator('.sidebar .error', { hasText: 'Permission denied' }).waitFor();
    // Writing is refused by RBAC as well: the edit stays open with the reason.
    await page.locator('[data-test=prefix-search]').fill('/public/');
    await page.locator('[data-test=prefix-search]').press('Enter');
    await page.locator('[data-key="/public/readme"]').click();
    await page.locator('[data-test=edit]').click();
    await page.locator('[data-test=edit-value]').fill('changed');
    await page.locator('[data-test=save]').click();
    await page.locator('[data-test=edit-error]', { hasText: 'Permission denied' }).waitFor();
    assert.equal((await ctl('get', '/public/readme', '--print-value-only', '--user=root:rootpw')).trim(), 'hello');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
