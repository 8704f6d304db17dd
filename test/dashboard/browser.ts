// Chromium for the dashboard's browser tests: Debian's /usr/bin/chromium
// driven by playwright-core. Without it the tests are reported as skipped,
// with this reason, rather than passing silently.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** DASHBOARD_TEST_CHROMIUM names another chromium binary (or a missing one, to see the skip). */
export const CHROMIUM = process.env['DASHBOARD_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

/** A skip reason, or false when the browser is there. */
export const browserUnavailable: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A page that fails the test on the dashboard's uncaught errors. */
export async function dashboardPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { page, errors };
}
