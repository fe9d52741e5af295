// The import preview in a real browser: upload through the form, watch the progress page turn
// into the preview (by the polling script), check accessibility, confirm, then the pull list prints.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DESKTOP, expectAccessible, launchBrowser, openPage, screenshot, serve } from '../helpers/browser.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { csvText, noticeIdFor, sjis } from './helpers.js';

let t: TestApp;
let browser: Browser;
let base: string;
let login: { loginId: string; password: string };
let counterCode: string;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'cards-e2e-')) });
  counterCode = (await createCounter(t.db, { name: '本庁舎' })).code;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  login = { loginId: user.loginId, password };
  base = await serve(t);
  browser = await launchBrowser();
});

async function signIn(page: Page) {
  await page.goto(`${base}/staff/login`);
  await page.fill('#loginId', login.loginId);
  await page.fill('#password', login.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/staff`);
}

describe('import preview page in a browser', () => {
  it('When a Shift_JIS file with bad lines is uploaded, then the preview shows counts and each bad line with its number, passes axe, and has no CSP errors', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [noticeIdFor(i + 1), i === 1499 ? '19870231' : '19870401', `髙﨑 ${i}`, 'ﾀｶｻｷ', '', counterCode, `箱${i}`, '20261101', '20270531']);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cards-file-')), 'jlis.csv');
    writeFileSync(file, sjis(csvText(rows)));
    const { page, problems } = await openPage(browser, DESKTOP);
    await signIn(page);
    await page.goto(`${base}/staff/cards/imports`);
    await expectAccessible(page);
    await page.setInputFiles('#file', file);
    await page.click('main form button[type=submit]');
    await page.waitForURL(/\/staff\/cards\/imports\/\d+$/);
    await page.waitForSelector('#count-created', { timeout: 20_000 }); // the script reloads once the preview is done
    expect(await page.textContent('#count-created')).toBe('2999');
    expect(await page.textContent('#count-errors')).toBe('1');
    expect(await page.textContent('.import-errors tbody')).toContain('1501');
    expect(await page.textContent('.import-errors tbody')).toContain('存在しない日付');
    await expectAccessible(page);
    await screenshot(page, 'cards-import-preview');
    expect(problems).toEqual([]);
    expect(await t.db.prisma.cardHolder.count()).toBe(0);
    await page.context().close();
  });
});
