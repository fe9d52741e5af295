// The manuals in a real browser (issue 16.3): a staff member opens each from the console's help
// pages, the page passes axe, and printing it to PDF gives a document of several pages (each
// chapter starts a new page).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { MANUALS } from '../../src/features/help/manuals.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, DESKTOP, expectAccessible, openPage } from '../helpers/browser.js';
import { createStaff } from '../helpers/factories.js';

let t: TestApp;
let browser: Browser;
let base: string;
beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
});

describe('the manuals in the browser', () => {
  it('When a clerk opens each manual from the help menu, then it passes axe and prints to a PDF of several pages', async () => {
    const { user, password } = await createStaff(t.db, { role: 'staff' });
    const { page, problems } = await openPage(browser, DESKTOP);
    await page.goto(`${base}/staff/login`);
    await page.fill('#loginId', user.loginId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
    await page.getByRole('link', { name: '操作マニュアル' }).first().click();
    await page.waitForURL(/\/staff\/help$/);
    for (const name of MANUALS) {
      await page.goto(`${base}/staff/help/${name}`);
      await expectAccessible(page);
      const pdf = await page.pdf({ format: 'A4', printBackground: false });
      expect(pdf.subarray(0, 5).toString(), name).toBe('%PDF-');
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      expect(pages, name).toBeGreaterThanOrEqual(3);
    }
    expect(problems).toEqual([]);
  });
});
