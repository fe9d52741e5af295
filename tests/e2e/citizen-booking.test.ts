// The citizen's whole journey in a real browser on a phone and a desktop, with axe-core on
// every page and a screenshot of each step (test-artifacts/). The app's clock and the
// browser's are pinned, so the pages are the same whatever day the suite runs; the journey runs
// on dates whose calendars differ (mid-month, a month's last day, the year-end closure).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { DESKTOP, PHONE, checkPage, launchBrowser, openPage as openUnpinnedPage, screenshot, serve } from '../helpers/browser.js';
import { logIn } from '../helpers/citizen.js';
import { pinClock } from '../helpers/clock.js';
import { addDays } from '../../src/lib/jst.js';

let t: TestApp;
let browser: Browser;
let base: string;
let now: Date;
let day: string;
let otherDay: string;
let counterId: number;

const MID_MONTH = '2027-01-15T10:00:00+09:00'; // a Friday

beforeAll(async () => {
  t = await createTestApp();
  base = await serve(t);
  browser = await launchBrowser();
  const counter = await createCounter(t.db, { name: '市民課 交付センター' });
  counterId = counter.id;
  await t.db.prisma.counter.update({ where: { id: counter.id }, data: { address: '中央区本町1-1-1', accessNotes: '駅から徒歩3分' } });
});

const openedDays = new Set<string>();

/** Pins the app's clock at `at` and opens times 9 and 10 days later. */
async function pinDay(at: string) {
  const pinned = pinClock(at);
  [now, day, otherDay] = [pinned.now, addDays(pinned.today, 9), addDays(pinned.today, 10)];
  for (const date of [day, otherDay].filter((date) => !openedDays.has(date))) {
    openedDays.add(date);
    await createSlot(t.db, { counterId, date, startMinute: 9 * 60, capacity: 10 });
    await createSlot(t.db, { counterId, date, startMinute: 10 * 60, capacity: 10 });
  }
}

/** A page whose clock shows the pinned time too. */
async function openPage(...args: Parameters<typeof openUnpinnedPage>) {
  const opened = await openUnpinnedPage(...args);
  await opened.page.clock.setFixedTime(now);
  return opened;
}

const check = checkPage;

async function pickDay(page: Page, date: string) {
  await page.getByRole('link', { name: '市民課 交付センター' }).click();
  await page.waitForURL(/\/booking\/counters\/\d+/);
  const link = page.locator(`a[href$="/days/${date}"]`);
  if ((await link.count()) === 0) {
    await page.getByRole('link', { name: '次の月' }).click();
    await page.waitForURL(/month=/);
  }
  await page.locator(`a[href$="/days/${date}"]`).click();
  await page.waitForURL(/\/days\//);
}

describe.each([
  ['phone', 'a mid-month weekday', PHONE, MID_MONTH],
  ['desktop', 'a mid-month weekday', DESKTOP, MID_MONTH],
  ['phone', 'the last day of a month', PHONE, '2027-03-31T16:30:00+09:00'],
  ['phone', 'a day of the year-end closure', PHONE, '2026-12-30T09:15:00+09:00'],
])('citizen journey on a %s, on %s', (device, _when, viewport, at) => {
  const name = `${device}-${at.slice(0, 10)}`;
  beforeAll(() => pinDay(at));
  it('When a citizen logs in, books, logs in again, changes and cancels, then every page works and passes axe', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0315', counterId });
    const { page, problems } = await openPage(browser, viewport);
    await page.goto(base + '/login');
    await check(page, problems, `citizen-${name}-01-login`);
    await page.getByRole('button', { name: 'ログイン' }).click();
    await expect.poll(() => page.locator('#noticeId-error').count()).toBe(1);
    problems.length = 0; // the 400 response of the empty form is logged by the browser, as intended
    await check(page, problems, `citizen-${name}-02-login-errors`);
    await logIn(page, base, person.noticeId, '0315');
    expect(page.url()).toContain('/booking/counters');
    await check(page, problems, `citizen-${name}-03-counters`);
    await page.getByRole('link', { name: '市民課 交付センター' }).click();
    await page.waitForURL(/\/booking\/counters\/\d+/);
    await check(page, problems, `citizen-${name}-04-calendar`);
    await page.goBack();
    await pickDay(page, day);
    await check(page, problems, `citizen-${name}-05-day`);
    await page.getByRole('button', { name: /9:00〜9:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);
    await check(page, problems, `citizen-${name}-06-confirm`);
    await page.getByLabel('メールアドレス(任意)', { exact: true }).fill('hanako@example.jp');
    await page.getByLabel('メールアドレス(確認のためもう一度)').fill('hanako@example.jp');
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await expect.poll(() => page.locator('.email').textContent()).toBe('hanako@example.jp');
    await check(page, problems, `citizen-${name}-07-review`);
    await page.getByRole('button', { name: '予約を確定する' }).click();
    await page.waitForURL(/done=booked/);
    const code = (await page.locator('.booking-code').textContent())!.trim();
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{8}$/);
    await check(page, problems, `citizen-${name}-08-finish`);
    const ics = await page.request.get(base + '/booking/visit.ics');
    expect(await ics.text()).toContain('BEGIN:VCALENDAR');

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await page.waitForURL(/loggedOut/);
    await check(page, problems, `citizen-${name}-09-logged-out`);
    await logIn(page, base, person.noticeId, '0315');
    expect(await page.locator('.booking-code').textContent()).toBe(code);
    await page.getByRole('link', { name: '日時・場所を変更する' }).click();
    await pickDay(page, otherDay);
    await page.getByRole('button', { name: /10:00〜10:30/ }).click();
    await page.waitForURL(/\/booking\/move/);
    await check(page, problems, `citizen-${name}-10-move`);
    await page.getByRole('button', { name: 'この日時に変更する' }).click();
    await page.waitForURL(/done=moved/);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('予約を変更しました');
    await check(page, problems, `citizen-${name}-11-moved`);
    await page.getByRole('link', { name: '予約を取り消す' }).click();
    await page.waitForURL(/\/booking\/cancel/);
    await check(page, problems, `citizen-${name}-12-cancel`);
    await page.getByRole('button', { name: '予約を取り消す' }).click();
    await page.waitForURL(/cancelled/);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('予約を取り消しました');
    await check(page, problems, `citizen-${name}-13-cancelled`);
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: person.holder.id, status: 'cancelled' } })).toBe(1);
    await page.context().close();
  }, 90_000);
});

describe('keyboard only', () => {
  beforeAll(() => pinDay(MID_MONTH));
  it('When a citizen uses only the keyboard, then they can log in, pick a day and a time, and book', async () => {
    const person = await createCardHolder(t.db, { mmdd: '1101', counterId });
    const { page, problems } = await openPage(browser, PHONE);
    await page.goto(base + '/login');
    const tabTo = async (predicate: string) => {
      for (let i = 0; i < 80; i += 1) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(predicate)) return;
      }
      throw new Error(`never reached ${predicate}`);
    };
    await tabTo(`document.activeElement?.id === 'noticeId'`);
    await page.keyboard.type(person.noticeId);
    await page.keyboard.press('Tab');
    await page.keyboard.type('1101');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/booking\/counters/);
    await tabTo(`document.activeElement?.textContent?.includes('市民課 交付センター')`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/booking\/counters\/\d+$/);
    if ((await page.locator(`a[href$="/days/${day}"]`).count()) === 0) {
      await tabTo(`document.activeElement?.textContent === '次の月'`);
      await page.keyboard.press('Enter');
      await page.waitForURL(/month=/);
    }
    await tabTo(`document.activeElement?.getAttribute('href')?.endsWith('/days/${day}')`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/days\//);
    await tabTo(`document.activeElement?.textContent?.includes('10:00〜10:30')`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/booking\/confirm/);
    await tabTo(`document.activeElement?.id === 'email'`);
    await page.keyboard.type('key@example.jp');
    await page.keyboard.press('Tab');
    await page.keyboard.type('key@example.jp');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.email');
    await tabTo(`document.activeElement?.textContent === '予約を確定する'`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/done=booked/);
    expect(await page.locator('.booking-code').count()).toBe(1);
    await screenshot(page, 'citizen-keyboard-finish');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 90_000);
});

describe('session time-out warning (WCAG 2.2.1)', () => {
  beforeAll(() => pinDay(MID_MONTH));
  it('When the idle time is nearly over, then a warning with an extend button appears, is accessible, and extending hides it', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0909', counterId });
    const { page, problems } = await openUnpinnedPage(browser, PHONE);
    await page.clock.install({ time: now });
    await logIn(page, base, person.noticeId, '0909');
    await page.waitForURL(/\/booking\/counters/);
    await page.waitForLoadState('load'); // the timer script has started before the clock jumps
    const warning = page.getByRole('alertdialog');
    expect(await warning.isVisible()).toBe(false);
    await page.clock.fastForward(14 * 60 * 1000);
    await expect.poll(() => warning.isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('session-extend');
    await check(page, problems, 'citizen-phone-session-warning');
    await page.keyboard.press('Enter');
    await expect.poll(() => warning.isVisible()).toBe(false);
    await page.context().close();
  }, 60_000);
});

describe('pages that refuse', () => {
  beforeAll(() => pinDay(MID_MONTH));
  it('When a citizen meets a full time, a form error or a card that cannot be booked, then those pages pass axe too', async () => {
    const full = await createSlot(t.db, { counterId, date: day, startMinute: 11 * 60, capacity: 1 });
    await t.db.prisma.slot.update({ where: { id: full.id }, data: { booked: 1 } });
    const person = await createCardHolder(t.db, { mmdd: '0214', counterId });
    const { page, problems } = await openPage(browser, PHONE);
    await logIn(page, base, person.noticeId, '0214');
    await pickDay(page, day);
    await page.getByRole('button', { name: /9:00〜9:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);
    await page.getByLabel('メールアドレス(任意)', { exact: true }).fill('hanako@');
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await expect.poll(() => page.locator('#email-error').count()).toBe(1);
    problems.length = 0; // the 400 of the form with errors is logged by the browser, as intended
    await check(page, problems, 'citizen-phone-confirm-errors');
    await t.db.prisma.slotHold.deleteMany({ where: { cardHolderId: person.holder.id } });
    await page.getByRole('button', { name: 'この時間をやめて選び直す' }).click();
    await page.waitForURL(/\/booking\/counters$/);
    await check(page, problems, 'citizen-phone-counters-again');
    await page.goto(`${base}/booking/counters/${counterId}/days/${day}`);
    await page.evaluate((slotId) => {
      const form = document.querySelector<HTMLFormElement>('form[action="/booking/hold"]')!;
      form.querySelector<HTMLInputElement>('input[name="slotId"]')!.value = String(slotId);
      form.submit();
    }, full.id);
    await page.waitForURL(/\/booking\/refused$/);
    expect(await page.getByRole('alert').textContent()).toContain('満員');
    problems.length = 0; // 409 logged by the browser
    await check(page, problems, 'citizen-phone-refused-full');
    await page.context().close();

    const handedOver = await createCardHolder(t.db, { mmdd: '0606', status: 'handed_over' });
    const second = await openPage(browser, PHONE);
    await logIn(second.page, base, handedOver.noticeId, '0606');
    expect(await second.page.getByRole('status').textContent()).toContain('お受け取り済み');
    await check(second.page, second.problems, 'citizen-phone-blocked');
    await second.page.context().close();
  }, 60_000);
});
