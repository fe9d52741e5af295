// The console in headless Chromium at desktop size: the day board refreshes itself, a barcode
// reader's input jumps to the card holder, counter work, booking on behalf, and axe on every page.
import type { Browser, Page } from 'playwright-core';
import { TEST_CLERK } from '../helpers/booking.js';
import { transaction } from '../../src/db/transaction.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DESKTOP, expectAccessible, launchBrowser, openPage, screenshot, serve, staffInBrowser } from '../helpers/browser.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
let base: string;
let browser: Browser;
const today = todayInJapan();
const tomorrow = addDays(today, 1);
let counterId: number;
let slotIds: number[];
let booked: { holderId: number; noticeId: string; code: string };

async function loggedIn(role: 'staff' | 'operator'): Promise<{ page: Page; problems: string[] }> {
  return staffInBrowser({ t, base, browser }, role);
}

async function bookFor(slotId: number) {
  const person = await createCardHolder(t.db, { counterId });
  const group = await transaction(t.db, { type: 'system', id: 'e2e' }, (tx) =>
    bookSlot(tx, { slotId, cardHolderIds: [person.holder.id], channel: 'web', email: 'e2e@example.jp', baseUrl: base, by: TEST_CLERK }),
  );
  return { holderId: person.holder.id, noticeId: person.noticeId, mmdd: person.mmdd, code: group.groupCode };
}

beforeAll(async () => {
  t = await createTestApp();
  base = await serve(t);
  browser = await launchBrowser();
  const counter = await createCounter(t.db, { name: '中央交付センター' });
  counterId = counter.id;
  slotIds = [];
  for (const date of [today, tomorrow]) {
    for (const startMinute of [540, 570]) slotIds.push((await createSlot(t.db, { counterId, date, startMinute, capacity: 3, reservedCapacity: 1 })).id);
  }
  booked = await bookFor(slotIds[0]);
});

describe('console in the browser', () => {
  it('When a booking is made while the day board is open, then the board shows it without a reload', async () => {
    const { page, problems } = await loggedIn('staff');
    await page.goto(`${base}/staff/console/counters/${counterId}/day?date=${today}&refresh=2`);
    const row = page.locator(`tr[data-slot-id="${slotIds[1]}"]`);
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('0');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const late = await bookFor(slotIds[1]);
    await page.waitForFunction((code) => document.getElementById('board-body')?.textContent?.includes(code), late.code, { timeout: 15_000 });
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('1');
    await expect(row.locator('td').nth(2).textContent()).resolves.toBe('1');
    await expect(page.locator('#board-totals').textContent()).resolves.toContain('予約 2人');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // no reload happened
    await screenshot(page, 'console-day-board');
    await expectAccessible(page);
    expect(problems).toEqual([]);
  }, 120_000);

  it('When a barcode reader types the notice ID and Enter into the search box, then the card holder page opens and staff can check in and hand over', async () => {
    const { page, problems } = await loggedIn('staff');
    await page.goto(`${base}/staff/console`);
    // autofocus is applied at the next rendering step, which may come after "load" on a busy machine
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 10_000 }).toBe('console-q');
    await page.keyboard.type(booked.noticeId);
    await Promise.all([page.waitForURL(`${base}/staff/console/holders/${booked.holderId}`), page.keyboard.press('Enter')]);
    await expect(page.locator('h1').textContent()).resolves.toContain('試験 太郎');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/done=check_in/), page.click('button:has-text("受付(来庁)")')]);
    await expect(page.locator('[role=status]').first().textContent()).resolves.toContain('受付しました');
    await Promise.all([page.waitForURL(/done=hand_over/), page.click('button:has-text("交付済にする")')]);
    const holder = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: booked.holderId } });
    expect(holder.status).toBe('handed_over');
    await expectAccessible(page);
    expect(problems).toEqual([]);
  }, 120_000);

  it('When an operator books for a caller in the browser, then the form confirms identity and the booking is made by phone', async () => {
    const caller = await createCardHolder(t.db, { counterId, mmdd: '0712' });
    const { page, problems } = await loggedIn('operator');
    await page.goto(`${base}/staff/console/holders/${caller.holder.id}/book?counterId=${counterId}&date=${tomorrow}`);
    await expectAccessible(page);
    await page.check(`input[name=slotId][value="${slotIds[2]}"]`);
    await page.fill('#birth', '0713');
    await page.click('button:has-text("この内容で予約する")');
    await expect(page.locator('#birth-error').textContent()).resolves.toContain('生年月日(月日)が一致しないか');
    await expectAccessible(page);
    await page.check(`input[name=slotId][value="${slotIds[2]}"]`);
    await page.fill('#birth', '0712');
    await page.fill('#email', 'caller@example.jp');
    await Promise.all([page.waitForURL(/done=booked/), page.click('button:has-text("この内容で予約する")')]);
    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: caller.holder.id, status: 'active' } });
    expect(booking).toMatchObject({ channel: 'phone', slotId: slotIds[2] });
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 403 (Forbidden)']); // the refused birth date, nothing else
  }, 120_000);

  it('When an admin adds a procedure and offers it at a counter, then an operator books a caller for it and the day board counts it (every page axe-clean)', async () => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const { page, problems } = await openPage(browser, DESKTOP);
    await page.goto(`${base}/staff/login`);
    await page.fill('#loginId', user.loginId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
    await page.goto(`${base}/staff/schedule/procedures/new`);
    await expectAccessible(page);
    await page.fill('#code', 'cert-renewal');
    await page.fill('#name', '電子証明書の更新');
    await page.fill('#minutes', '20');
    await page.uncheck('#needsNoticeId');
    await page.fill('#documents', 'マイナンバーカード\n本人確認書類');
    await Promise.all([page.waitForURL(/done=procedureSaved/), page.click('button:has-text("保存")')]);
    await expectAccessible(page);
    await expect(page.locator('main').textContent()).resolves.toContain('電子証明書の更新');
    // A counter of its own: saving a counter regenerates its slots from its (here absent) opening rules.
    const annex = await createCounter(t.db, { name: '北分室' });
    await page.goto(`${base}/staff/schedule/counters/${annex.id}/edit`);
    await expectAccessible(page);
    await page.check('input[name=procedures][value="cert-renewal"]');
    await Promise.all([page.waitForURL(/\/staff\/schedule/), page.click('button:has-text("保存")')]);
    const slot = await createSlot(t.db, { counterId: annex.id, date: tomorrow, startMinute: 600, capacity: 2 });

    const caller = await createCardHolder(t.db, { counterId: annex.id, mmdd: '0815' });
    const operator = await loggedIn('operator');
    await operator.page.goto(`${base}/staff/console/holders/${caller.holder.id}/book?counterId=${annex.id}&date=${tomorrow}`);
    await expectAccessible(operator.page);
    await operator.page.selectOption('#pick-procedure', 'cert-renewal');
    await Promise.all([operator.page.waitForURL(/procedure=cert-renewal/), operator.page.click('button:has-text("空きを表示")')]);
    await operator.page.check(`input[name=slotId][value="${slot.id}"]`);
    await operator.page.fill('#birth', '0815');
    await Promise.all([operator.page.waitForURL(/done=booked/), operator.page.click('button:has-text("この内容で予約する")')]);
    expect(await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: caller.holder.id, status: 'active' } })).toMatchObject({ procedureCode: 'cert-renewal' });
    await operator.page.goto(`${base}/staff/console/counters/${annex.id}/day?date=${tomorrow}`);
    await expectAccessible(operator.page);
    await expect(operator.page.locator('.procedure-counts').textContent()).resolves.toContain('電子証明書の更新 1人');
    expect([...problems, ...operator.problems]).toEqual([]);
  }, 120_000);

  it('When staff open the other console pages, then each passes axe (WCAG 2.1 AA)', async () => {
    const { page, problems } = await loggedIn('staff');
    for (const path of [
      '/staff/console',
      `/staff/console/search?q=${booked.noticeId.slice(0, 4)}`,
      `/staff/console/counters/${counterId}/week?from=${today}`,
      `/staff/console/counters/${counterId}/print?date=${today}`,
      `/staff/console/counters/${counterId}/no-show?date=${today}`,
      '/staff/console/export',
      '/staff',
    ]) {
      const response = await page.goto(base + path);
      expect(response?.status(), path).toBe(200);
      await expectAccessible(page);
    }
    await page.goto(`${base}/staff/console/counters/${counterId}/print?date=${today}`);
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('.staff-nav').isVisible()).resolves.toBe(false);
    await screenshot(page, 'console-print');
    expect(problems).toEqual([]);
  }, 120_000);
});
