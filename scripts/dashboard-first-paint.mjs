// Measures how fast the dashboard opens on a member's store: first
// contentful paint, and the moment the key tree's first level is shown
// (lazy keys-only ranges), then the time to open the first folder. Runs
// Debian's chromium via playwright-core; prints milliseconds per run.
//   node scripts/dashboard-first-paint.mjs http://127.0.0.1:2379 [runs]
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:2379';
const runs = Number(process.argv[3] ?? 3);
const status = await (await fetch(`${base}/v3/maintenance/status`, { method: 'POST', body: '{}' })).json();
const count = await (await fetch(`${base}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==', range_end: 'AA==', count_only: true }) })).json();
console.log(`store: ${count.count} keys, revision ${status.header.revision}, db ${(Number(status.dbSize) / 2 ** 20).toFixed(0)} MiB`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  for (let run = 1; run <= runs; run++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const started = Date.now();
    await page.goto(`${base}/ui/`);
    await page.locator('.sidebar [data-folder], .sidebar [data-key]').first().waitFor({ timeout: 60_000 });
    const treeShownMs = Date.now() - started;
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    const folder = page.locator('.sidebar [data-folder]').first();
    let folderMs = null;
    if ((await folder.count()) > 0) {
      const opened = Date.now();
      await folder.click();
      await page.locator('.sidebar ul.tree ul.tree li').first().waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => !document.querySelector('.sidebar ul.tree ul.tree li.muted')?.textContent?.includes('Loading'));
      folderMs = Date.now() - opened;
    }
    console.log(`run ${run}: first contentful paint ${paint?.toFixed(0)} ms, tree's first level shown ${treeShownMs} ms, first folder opened ${folderMs} ms`);
    await page.close();
  }
} finally {
  await browser.close();
}
