// The grouped staff menu in a real browser: a group opens from the keyboard without script
// effects, the current page is marked, and the menu is not printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, expectAccessible, staffInBrowser } from '../helpers/browser.js';

let app: { t: TestApp; base: string; browser: Browser };

beforeAll(async () => {
  app = await appInBrowser();
}, 60_000);

afterAll(async () => {
  await app?.browser.close();
});

describe('the grouped staff menu', () => {
  it('When a clerk on the imports page opens the cards group with the keyboard, then its items show with the imports marked as the current page, and print hides the menu', async () => {
    const { page, problems } = await staffInBrowser(app, 'staff');
    await page.goto(`${app.base}/staff/cards/imports`);
    const cards = page.locator('.staff-menu summary', { hasText: 'カード' });
    await expect(page.locator('.staff-menu a[href="/staff/cards/imports"]').isVisible()).resolves.toBe(false);
    await cards.focus();
    await page.keyboard.press('Enter');
    const current = page.locator('.staff-menu a[aria-current="page"]');
    await expect(current.isVisible()).resolves.toBe(true);
    await expect(current.getAttribute('href')).resolves.toBe('/staff/cards/imports');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('href'))).resolves.toBe('/staff/cards');
    await expectAccessible(page);
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('.staff-menu').isVisible()).resolves.toBe(false);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);
});
