// Citizen pages on a 360 px phone: every link and button is a comfortable tap target, and the
// printed console list has no dark header bar (issue 12 point 8).
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DESKTOP, PHONE, launchBrowser, openPage, serve } from '../helpers/browser.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
let base: string;
let browser: Browser;
let counterId: number;
let fullSlotId: number;
const day = addDays(todayInJapan(), 9); // inside the booking window whatever today is

beforeAll(async () => {
  t = await createTestApp();
  base = await serve(t);
  browser = await launchBrowser();
  counterId = (await createCounter(t.db, { name: '市民課 交付センター' })).id;
  await createSlot(t.db, { counterId, date: day, startMinute: 9 * 60, capacity: 10 });
  fullSlotId = (await createSlot(t.db, { counterId, date: day, startMinute: 10 * 60, capacity: 1 })).id;
  await t.db.prisma.slot.update({ where: { id: fullSlotId }, data: { booked: 1 } });
});

/** Links, buttons and summaries that are shown, with their height in CSS pixels. */
async function tapTargets(page: Page): Promise<{ text: string; height: number }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('a, button, summary')]
      .filter((element) => element.getClientRects().length > 0 && !element.classList.contains('skip-link'))
      .map((element) => ({ text: (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40), height: Math.round(element.getBoundingClientRect().height) })),
  );
}

async function expectLargeTargets(page: Page, name: string) {
  const targets = await tapTargets(page);
  expect(targets.length, name).toBeGreaterThan(0);
  expect(
    targets.filter((target) => target.height < 44),
    name,
  ).toEqual([]);
}

describe('citizen tap targets at 360 px', () => {
  it('When a citizen goes through the booking pages on a phone, then every link and button is at least 44 px tall', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0315', counterId });
    const { page } = await openPage(browser, PHONE);
    await page.goto(base + '/');
    await expectLargeTargets(page, 'start');
    await page.goto(base + '/login');
    await expectLargeTargets(page, 'login');
    await page.getByLabel('予約用ID(交付通知書に記載)').fill(person.noticeId);
    await page.getByLabel('生年月日の月日(4桁)').fill('0315');
    await Promise.all([page.waitForURL(/\/booking\/counters/), page.getByRole('button', { name: 'ログイン' }).click()]);
    await expectLargeTargets(page, 'counters');
    await page.goto(`${base}/booking/counters/${counterId}?month=${day.slice(0, 7)}`);
    await expectLargeTargets(page, 'calendar');
    await page.goto(`${base}/booking/counters/${counterId}/days/${day}`);
    await expectLargeTargets(page, 'day');
    // A full time refused: its page too, and 戻る returns to the same day.
    await page.evaluate((slotId) => {
      const form = document.querySelector<HTMLFormElement>('form[action="/booking/hold"]')!;
      form.querySelector<HTMLInputElement>('input[name=slotId]')!.value = String(slotId);
      form.submit();
    }, fullSlotId);
    await page.waitForURL(/\/booking\/refused/); // POST/redirect/GET: the refusal has its own page
    await expectLargeTargets(page, 'refused');
    await Promise.all([page.waitForURL(/\/days\//), page.getByRole('link', { name: '戻る' }).click()]);
    expect(page.url()).toBe(`${base}/booking/counters/${counterId}/days/${day}`);
    await Promise.all([page.waitForURL(/\/booking\/confirm/), page.getByRole('button', { name: /9:00/ }).click()]);
    await expectLargeTargets(page, 'confirm');
    await page.getByLabel('メールアドレス(任意)', { exact: true }).fill('me@example.jp');
    await page.getByLabel('メールアドレス(確認のためもう一度)').fill('me@example.jp');
    await page.locator('form[action="/booking/confirm"] button[type=submit]').click();
    await page.waitForSelector('form[action="/booking/complete"]');
    await expectLargeTargets(page, 'review');
    await Promise.all([page.waitForURL(/\/booking\?done/), page.locator('form[action="/booking/complete"] button[type=submit]').click()]);
    await expectLargeTargets(page, 'done');
    await page.goto(base + '/booking/cancel');
    await expectLargeTargets(page, 'cancel');
  });
});

describe('printing', () => {
  it('When the console day list is printed, then the dark header bar is not on the paper', async () => {
    const { user, password } = await createStaff(t.db, { role: 'staff' });
    const { page } = await openPage(browser, DESKTOP);
    await page.goto(`${base}/staff/login`);
    await page.fill('#loginId', user.loginId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
    await page.goto(`${base}/staff/console/counters/${counterId}/print?date=${day}`);
    expect(await page.locator('.staff-header').isVisible()).toBe(true); // on screen it is there
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.staff-header').isVisible()).toBe(false);
  });

  it('When a citizen page is printed, then its header is plain text on white, not a coloured bar', async () => {
    const { page } = await openPage(browser, PHONE);
    await page.goto(base + '/');
    await page.emulateMedia({ media: 'print' });
    const background = await page.locator('.site-header').evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(background).toBe('rgba(0, 0, 0, 0)');
  });
});
