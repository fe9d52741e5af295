import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DESKTOP, expectAccessible, launchBrowser, openPage, screenshot, serve } from '../helpers/browser.js';
import { createCounter, createStaff } from '../helpers/factories.js';

let browser: Browser;
let base: string;
let t: TestApp;
let login: { loginId: string; password: string };
beforeAll(async () => {
  t = await createTestApp();
  base = await serve(t);
  browser = await launchBrowser();
  const { user, password } = await createStaff(t.db, { role: 'admin' });
  login = { loginId: user.loginId, password };
});

async function loggedInPage() {
  const { page, problems } = await openPage(browser, DESKTOP);
  await page.goto(`${base}/staff/login`);
  await page.fill('#loginId', login.loginId);
  await page.fill('#password', login.password);
  await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
  return { page, problems };
}

describe('rule editor in a real browser', () => {
  it('When the admin changes the days, then the month preview updates without saving, the page passes axe and saving creates slots', async () => {
    const counter = await createCounter(t.db, { name: '北区役所', windows: 2 });
    const { page, problems } = await loggedInPage();
    await page.goto(`${base}/staff/schedule/counters/${counter.id}/rules/new`);
    await page.fill('#label', '平日日中');
    await page.fill('#validFrom', '2027-02-01');
    await page.fill('#month', '2027-02');
    await page.fill('#capacityPerSlot', '3');
    // 2027-02: 20 weekdays, minus 2/11 建国記念の日 and 2/23 天皇誕生日 -> 18 days x 16 slots.
    await expect.poll(() => page.textContent('#rule-preview'), { timeout: 10_000 }).toContain('開庁日 18日、予約枠 288枠');
    await page.uncheck('input[name=days][value="5"]');
    await expect.poll(() => page.textContent('#rule-preview'), { timeout: 10_000 }).toContain('開庁日 14日');
    expect(await t.db.prisma.openingRule.count({ where: { counterId: counter.id } })).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'schedule-rule-editor');
    await Promise.all([page.waitForURL(/\/staff\/schedule\/counters\/\d+\?done=ruleSaved/), page.click('button.button-primary')]);
    expect(await page.textContent('main')).toContain('開庁時間のルールを保存しました');
    expect(await t.db.prisma.openingRule.count({ where: { counterId: counter.id } })).toBe(1);
    await expectAccessible(page);
    await page.goto(`${base}/staff/schedule/counters/${counter.id}/month?month=2027-02`);
    // The view shows the materialised slots (only as far as the booking horizon reaches).
    const slots = await t.db.prisma.slot.count({ where: { counterId: counter.id, date: { gte: new Date('2027-02-01'), lt: new Date('2027-03-01') } } });
    expect(await page.textContent('main')).toContain(`予約枠 ${slots}枠、定員 ${slots * 3}人`);
    await expectAccessible(page);
    await screenshot(page, 'schedule-month');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it.each([
    ['schedule-index', '/staff/schedule'],
    ['schedule-closures', '/staff/schedule/closures'],
    ['schedule-policy', '/staff/schedule/policy'],
    ['schedule-report', '/staff/schedule/report'],
  ])('When %s is opened, then it has no axe violations or console errors', async (name, path) => {
    const { page, problems } = await loggedInPage();
    await page.goto(base + path);
    await expectAccessible(page);
    await screenshot(page, name);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
