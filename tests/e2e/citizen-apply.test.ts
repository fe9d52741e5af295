// Booking a procedure without a notice ID in a real browser, on a phone and a desktop: from the
// start page through the procedure list, the email code and who one is, to a booking, with
// axe-core on every new page (its form with and without errors) and a screenshot of each step.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addDays } from '../../src/lib/jst.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, checkPage, DESKTOP, openPage, PHONE } from '../helpers/browser.js';
import { mailedCode } from '../helpers/citizen.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createSlot } from '../helpers/factories.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const day = addDays(today, 7);
let t: TestApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  await t.db.prisma.procedure.create({
    data: { code: 'application', name: 'マイナンバーカードの申請', needsNoticeId: false, documents: ['本人確認書類(運転免許証など)', '顔写真(縦4.5cm×横3.5cm)'] },
  });
  const counter = await t.db.prisma.counter.create({
    data: { code: 'apply-center', name: '市民課 申請窓口', windows: 2, procedures: { create: [{ procedureCode: 'application' }] } },
  });
  await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 9 * 60, capacity: 10 });
});

const check = checkPage;

/** Sends the form with errors: the page shows them, and the browser logs the 400 (as intended). */
async function sendWithErrors(page: Page, problems: string[], button: string, errorSelector: string) {
  await page.getByRole('button', { name: button }).click();
  await expect.poll(() => page.locator(errorSelector).count()).toBeGreaterThan(0);
  problems.length = 0;
}

describe.each([
  ['phone', PHONE, '19850402'],
  ['desktop', { ...DESKTOP, width: 1366 }, '19850403'], // another person: one person books a procedure once
])('booking without a notice ID on a %s', (device, viewport, birthDate) => {
  it('When a person chooses a procedure, proves their email, says who they are and books, then every page works and passes axe', async () => {
    const email = `apply-${device}@example.jp`;
    const { page, problems } = await openPage(browser, viewport);
    await page.clock.setFixedTime(now);
    await page.goto(base + '/');
    await page.getByRole('link', { name: '手続きを選んで予約する' }).click();
    await page.waitForURL(/\/apply$/);
    await check(page, problems, `apply-${device}-01-procedures`);

    await page.getByRole('link', { name: 'マイナンバーカードの申請を予約する' }).click();
    await page.waitForURL(/\/apply\/application$/);
    await check(page, problems, `apply-${device}-02-email`);
    await page.getByLabel('メールアドレス', { exact: true }).fill(email);
    await sendWithErrors(page, problems, '確認コードを送信する', '#emailAgain-error');
    await check(page, problems, `apply-${device}-03-email-errors`);
    await page.getByLabel('メールアドレス(確認のためもう一度)').fill(email);
    await page.getByRole('button', { name: '確認コードを送信する' }).click();
    await page.waitForURL(/\/apply\/application\/code$/);
    await check(page, problems, `apply-${device}-04-code`);

    const code = await mailedCode(t.db, email);
    await page.getByLabel('確認コード(6桁の数字)').fill('12345');
    await sendWithErrors(page, problems, '確認する', '#code-error');
    await check(page, problems, `apply-${device}-05-code-errors`);
    await page.getByLabel('確認コード(6桁の数字)').fill(code);
    await page.getByRole('button', { name: '確認する' }).click();
    await page.waitForURL(/\/identity$/);
    await check(page, problems, `apply-${device}-06-identity`);

    await page.getByLabel('お名前(フリガナ)').fill('山田');
    await sendWithErrors(page, problems, '次へ(窓口と日時を選ぶ)', '#nameKana-error');
    await check(page, problems, `apply-${device}-07-identity-errors`);
    await page.getByLabel('お名前(フリガナ)').fill('やまだ はなこ');
    await page.getByLabel('生年月日(西暦の8桁の数字)').fill(birthDate);
    await page.getByRole('button', { name: '次へ(窓口と日時を選ぶ)' }).click();
    await page.waitForURL(/\/booking\/counters/);
    await check(page, problems, `apply-${device}-08-counters`);

    await page.getByRole('link', { name: '市民課 申請窓口' }).click();
    await page.waitForURL(/\/booking\/counters\/\d+/);
    if ((await page.locator(`a[href$="/days/${day}"]`).count()) === 0) {
      await page.getByRole('link', { name: '次の月' }).click();
      await page.waitForURL(/month=/);
    }
    await page.locator(`a[href$="/days/${day}"]`).click();
    await page.waitForURL(/\/days\//);
    await page.getByRole('button', { name: /9:00〜9:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);
    await expect.poll(() => page.locator('main').textContent()).toContain(email);
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await page.waitForURL(/\/booking\/review/);
    await page.getByRole('button', { name: '予約を確定する' }).click();
    await page.waitForURL(/done=booked/);
    await check(page, problems, `apply-${device}-09-booked`);

    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { email }, include: { applicant: true } });
    expect(booking).toMatchObject({ procedureCode: 'application', cardHolderId: null, status: 'active', applicant: { nameKana: 'ヤマダハナコ' } });
    await page.context().close();
  }, 120_000);
});
