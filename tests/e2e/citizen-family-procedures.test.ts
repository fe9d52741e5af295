// A family mixing procedures in a real browser, on a phone and a desktop: a card holder books
// the pickup and, on the confirm page, adds a family member who comes for a certificate renewal
// (no notice ID), first with a mistake, then right; axe-core on the confirm page open with its
// errors, on the review page and on the booking. (tests/e2e/citizen-apply.test.ts walks a
// procedure without a notice ID from /apply; citizen-booking.test.ts the pickup alone.)
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { addDays } from '../../src/lib/jst.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, checkPage, DESKTOP, openPage, PHONE } from '../helpers/browser.js';
import { logIn } from '../helpers/citizen.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
const day = addDays(today, 9);
let t: TestApp;
let browser: Browser;
let base: string;
let counterId: number;
let renewal: string;

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  const counter = await createCounter(t.db, { name: '市民課 総合窓口' });
  counterId = counter.id;
  renewal = await offerProcedure(t.db, counter.id, { name: '電子証明書の更新', documents: ['マイナンバーカード', '本人確認書類'] });
  await createSlot(t.db, { counterId, date: day, startMinute: 11 * 60, capacity: 10 });
});

const accessible = checkPage;

describe.each([
  ['phone', PHONE, '20100505'],
  ['desktop', { ...DESKTOP, width: 1366 }, '20100506'], // another child: one person books a procedure once
])('a family mixing procedures on a %s', (device, viewport, birthDate) => {
  it('When a card holder adds a family member for a certificate renewal on the confirm page, then mistakes are shown accessibly and both are booked', async () => {
    const person = await createCardHolder(t.db);
    const { page, problems } = await openPage(browser, viewport);
    await page.clock.setFixedTime(now);
    await logIn(page, base, person.noticeId, person.mmdd);
    await page.goto(`${base}/booking/counters/${counterId}/days/${day}`);
    await page.getByRole('button', { name: /11:00〜11:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);

    await page.getByText('別の手続きでご一緒の方(任意)').click();
    await page.locator('#other1Procedure').selectOption({ label: '電子証明書の更新' });
    await page.locator('#other1NameKana').fill('Taro');
    await page.locator('#other1BirthDate').fill('20100505');
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await expect.poll(() => page.locator('#other1NameKana-error').count()).toBe(1);
    problems.length = 0; // the 400 of the form sent back, as intended
    await accessible(page, problems, `family-procedures-${device}-01-confirm-errors`);
    expect(await page.locator('#other1BirthDate').inputValue()).toBe('');

    await page.locator('#other1NameKana').fill('やまだ たろう');
    await page.locator('#other1BirthDate').fill(birthDate);
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await page.waitForURL(/\/booking\/review/);
    await expect.poll(() => page.locator('main').textContent()).toContain('ヤマダタロウ様(電子証明書の更新)');
    await accessible(page, problems, `family-procedures-${device}-02-review`);
    await page.getByRole('button', { name: '予約を確定する' }).click();
    await page.waitForURL(/done=booked/);
    await accessible(page, problems, `family-procedures-${device}-03-booked`);

    const own = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: person.holder.id } });
    const group = await t.db.prisma.booking.findMany({ where: { groupCode: own.groupCode }, orderBy: { id: 'asc' } });
    expect(group.map((booking) => booking.procedureCode)).toEqual(['pickup', renewal]);
    await page.context().close();
  }, 120_000);
});
