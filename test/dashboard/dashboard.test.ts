// The dashboard in a real browser against a real member: the key tree shows
// keys put with etcdctl, editing saves (checked with etcdctl) and refuses
// invalid JSON, a put from etcdctl reaches the watch panel within a second,
// the cluster view shows the member, and a lost connection shows the banner
// and the watch resumes after a restart.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { browserUnavailable, dashboardPage, launchBrowser } from './browser.js';

describe('dashboard in a browser (one member)', () => {
  let member: MemberProcess;
  let browser: Browser;

  before(async () => {
    // Without chromium every test below is reported as skipped, with the reason.
    if (browserUnavailable) return;
    member = await MemberProcess.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stopAllMembers();
  });

  it('shows the keys put with etcdctl as a tree, with counts per folder', { skip: browserUnavailable }, async () => {
    await etcdctlOk(member.endpoint, ['put', '/app/config/name', 'demo']);
    await etcdctlOk(member.endpoint, ['put', '/app/config/port', '8080']);
    await etcdctlOk(member.endpoint, ['put', '/app/users/alice', '{"admin":true}']);
    await etcdctlOk(member.endpoint, ['put', 'plain-key', 'value']);
    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/`);
    await page.locator('[data-folder="/"]').click();
    await page.locator('[data-folder="/app/"]').click();
    // The count per folder comes from a count-only range.
    await page.locator('[data-folder="/app/config/"]', { hasText: '(2)' }).waitFor();
    await page.locator('[data-folder="/app/config/"]').click();
    await page.locator('[data-key="/app/config/port"]').click();
    await page.locator('[data-test=detail-key]', { hasText: '/app/config/port' }).waitFor();
    assert.equal(await page.locator('[data-test=value-view]').textContent(), '8080');
    assert.equal(await page.locator('[data-key="plain-key"]').count(), 1);
    // Prefix search lists matching keys with their total.
    await page.locator('[data-test=prefix-search]').fill('/app/');
    await page.locator('[data-test=prefix-search]').press('Enter');
    await page.locator('[data-test=search-count]', { hasText: '3 keys with prefix /app/' }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('lists every sub-folder of a folder with more keys than a page, and binary keys escaped', { skip: browserUnavailable }, async () => {
    // 30 folders of 20 keys: 600 keys under /many/, three times a range page.
    const put = (key: Buffer, value: string) => ({ request_put: { key: key.toString('base64'), value: Buffer.from(value).toString('base64') } });
    for (let folder = 0; folder < 30; folder += 5) {
      const success = [];
      for (let f = folder; f < folder + 5; f++) for (let k = 0; k < 20; k++) success.push(put(Buffer.from(`/many/f${String(f).padStart(2, '0')}/k${k}`), 'x'));
      const answer = await fetch(`${member.clientUrl}/v3/kv/txn`, { method: 'POST', body: JSON.stringify({ success }) });
      assert.equal(answer.status, 200, await answer.text());
    }
    const binary = Buffer.from([0x2f, 0x62, 0x69, 0x6e, 0x2f, 0x80, 0xff, 0x00, 0x41]);
    assert.equal((await fetch(`${member.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify(put(binary, 'binary key').request_put) })).status, 200);

    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/`);
    await page.locator('[data-folder="/"]').click();
    await page.locator('[data-folder="/many/"]', { hasText: '(600)' }).click();
    await page.locator('[data-folder="/many/f29/"]').waitFor();
    assert.equal(await page.locator('[data-folder^="/many/f"]').count(), 30);
    await page.locator('[data-folder="/many/f07/"]', { hasText: '(20)' }).waitFor();

    await page.locator('[data-folder="/bin/"]').click();
    const binaryItem = page.locator('[data-folder="/bin/"] + ul button.key');
    assert.equal(await binaryItem.getAttribute('data-key'), String.raw`/bin/\x80\xff\x00A`);
    await binaryItem.click();
    await page.locator('[data-test=value-view]', { hasText: 'binary key' }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('edits a value and saves it; invalid JSON is shown and not saved', { skip: browserUnavailable }, async () => {
    await etcdctlOk(member.endpoint, ['put', '/edit/json', '{"replicas":1}']);
    await etcdctlOk(member.endpoint, ['put', '/edit/text', 'before']);
    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/`);
    await page.locator('[data-test=prefix-search]').fill('/edit/');
    await page.locator('[data-test=prefix-search]').press('Enter');

    await page.locator('[data-key="/edit/text"]').click();
    await page.locator('[data-test=edit]').click();
    await page.locator('[data-test=edit-value]').fill('after');
    await page.locator('[data-test=save]').click();
    await page.locator('[data-test=value-view]', { hasText: 'after' }).waitFor();
    assert.equal((await etcdctlOk(member.endpoint, ['get', '/edit/text', '--print-value-only'])).trim(), 'after');

    await page.locator('[data-key="/edit/json"]').click();
    await page.locator('[data-test=detail-key]', { hasText: '/edit/json' }).waitFor();
    await page.locator('[data-test=edit]').click();
    await page.locator('[data-test=edit-value]').fill('{"replicas": 3,');
    await page.locator('[data-test=save]').click();
    await page.locator('[data-test=edit-error]', { hasText: 'Invalid JSON, not saved' }).waitFor();
    assert.equal((await etcdctlOk(member.endpoint, ['get', '/edit/json', '--print-value-only'])).trim(), '{"replicas":1}');
    await page.locator('[data-test=edit-value]').fill('{"replicas": 3}');
    await page.locator('[data-test=save]').click();
    await page.locator('[data-test=value-view]', { hasText: '"replicas": 3' }).waitFor();
    assert.equal((await etcdctlOk(member.endpoint, ['get', '/edit/json', '--print-value-only'])).trim(), '{"replicas":3}');

    // Delete asks first.
    await page.locator('[data-test=delete]').click();
    await page.locator('[data-test=confirm-delete]').click();
    await page.locator('[data-test=key-detail]', { hasText: 'was deleted' }).waitFor();
    assert.equal((await etcdctlOk(member.endpoint, ['get', '/edit/json'])).trim(), '');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a put from etcdctl in the watch panel within a second', { skip: browserUnavailable }, async () => {
    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/#watch`);
    await page.locator('[data-test=watch-state]', { hasText: 'watching' }).waitFor();
    await etcdctlOk(member.endpoint, ['put', '/live/one', 'hello']);
    const putDone = Date.now();
    await page.locator('[data-test=watch-events] tr[data-key="/live/one"]').waitFor({ timeout: 1000 });
    const seenAfterMs = Date.now() - putDone;
    assert.ok(seenAfterMs < 1000, `seen after ${seenAfterMs} ms`);
    await etcdctlOk(member.endpoint, ['del', '/live/one']);
    await page.locator('[data-test=watch-events] tr.event-delete[data-key="/live/one"]', { hasText: 'hello' }).waitFor({ timeout: 1000 });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows the member in the cluster view as the healthy leader', { skip: browserUnavailable }, async () => {
    const { page, errors } = await dashboardPage(browser, `${member.clientUrl}/ui/#cluster`);
    const row = page.locator('[data-test=member-rows] tr[data-member="default"]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-health'), 'healthy');
    await row.locator('[data-test=leader-mark]').waitFor();
    await page.locator('[data-test=charts] figure').first().waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows the lost-connection banner, then reconnects and resumes the watch', { skip: browserUnavailable }, async () => {
    const { page } = await dashboardPage(browser, `${member.clientUrl}/ui/#watch`);
    await page.locator('[data-test=watch-state]', { hasText: 'watching' }).waitFor();
    await etcdctlOk(member.endpoint, ['put', '/resume/before', '1']);
    await page.locator('tr[data-key="/resume/before"]').waitFor();
    await member.stop();
    await page.locator('[data-test=connection-banner]').waitFor({ state: 'visible', timeout: 10_000 });
    await member.launch();
    await etcdctlOk(member.endpoint, ['put', '/resume/after', '2']);
    await page.locator('tr[data-key="/resume/after"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-test=connection-banner]').waitFor({ state: 'hidden', timeout: 10_000 });
    // Resumed from the last revision seen plus one: nothing shown twice.
    assert.equal(await page.locator('tr[data-key="/resume/before"]').count(), 1);
    await page.close();
  });
});
