// The import preview in a real browser: upload through the form, watch the progress page turn
// into the preview (by the polling script), check accessibility, confirm, then the pull list prints.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DESKTOP, expectAccessible, launchBrowser, openPage, screenshot, serve } from '../helpers/browser.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { csvText, noticeIdFor, sjis } from './helpers.js';
import { createBooking } from '../helpers/bookings.js';

let t: TestApp;
let browser: Browser;
let base: string;
let login: { loginId: string; password: string };
let counterCode: string;
let counterId: number;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'cards-e2e-')) });
  const counter = await createCounter(t.db, { name: '本庁舎' });
  counterCode = counter.code;
  counterId = counter.id;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  login = { loginId: user.loginId, password };
  base = await serve(t);
  browser = await launchBrowser();
});

/** Two bookings tomorrow at the counter, one card not yet arrived (for the pull list). */
async function bookTomorrow() {
  const slot = await createSlot(t.db, { counterId, date: addDays(todayInJapan(), 1), startMinute: 10 * 60 });
  for (const [place, status] of [
    ['B-01', 'notice_sent'],
    ['A-07', 'data_received'],
  ] as const) {
    const card = await createCardHolder(t.db, { counterId, status });
    await t.db.prisma.cardHolder.update({ where: { id: card.holder.id }, data: { storagePlace: place } });
    await createBooking(t.db, { slotId: slot.id, cardHolderId: card.holder.id });
  }
}

async function signIn(page: Page) {
  await page.goto(`${base}/staff/login`);
  await page.fill('#loginId', login.loginId);
  await page.fill('#password', login.password);
  await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
}

describe('import preview page in a browser', () => {
  it('When a Shift_JIS file with bad lines is uploaded, then the preview shows counts and each bad line with its number, passes axe, and has no CSP errors', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [
      noticeIdFor(i + 1),
      i === 1499 ? '19870231' : '19870401',
      `髙﨑 ${i}`,
      'ﾀｶｻｷ',
      '',
      counterCode,
      `箱${i}`,
      '20261101',
      '20270531',
    ]);
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
  }, 90_000);

  it.each([
    ['cards-list', '/staff/cards'],
    ['cards-pull-list', '/staff/cards/pull-list'],
    ['cards-follow-up', '/staff/cards/follow-up'],
    ['cards-new', '/staff/cards/new'],
  ])(
    'When %s is opened, then it passes axe with no CSP errors and prints on A4',
    async (name, pagePath) => {
      if (!(await t.db.prisma.booking.count())) await bookTomorrow();
      const { page, problems } = await openPage(browser, DESKTOP);
      await signIn(page);
      expect((await page.goto(base + pagePath))?.status()).toBe(200);
      await expectAccessible(page);
      await screenshot(page, name);
      await page.emulateMedia({ media: 'print' });
      expect(await page.evaluate(() => getComputedStyle(document.querySelector('.staff-nav') ?? document.body).display)).not.toBe('flex');
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(problems).toEqual([]);
      await page.context().close();
    },
    90_000,
  );
});
