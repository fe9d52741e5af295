// The status pages in a real browser: staff post an incident through the console form (its
// errors shown accessibly), and the public page shows it on a phone and a desktop; every page
// passes axe with no console errors.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, checkPage, DESKTOP, openPage, PHONE } from '../helpers/browser.js';
import { pinClock } from '../helpers/clock.js';
import { createStaff } from '../helpers/factories.js';

const { now, today } = pinClock('2027-02-10T10:00:00+09:00');
let t: TestApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
});

describe('status pages in a browser', () => {
  it('When staff post an incident (first with a mistake), then the public page shows it on a phone and a desktop, and every page passes axe', async () => {
    const { user, password } = await createStaff(t.db, { role: 'staff' });
    const { page, problems } = await openPage(browser, DESKTOP);
    await page.clock.setFixedTime(now);
    await page.goto(`${base}/staff/login`);
    await page.fill('#loginId', user.loginId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
    await page.getByRole('link', { name: '運用状況のお知らせ' }).click();
    await checkPage(page, problems, 'status-notices-empty');
    await page.getByRole('link', { name: 'お知らせを掲載する' }).click();
    await page.getByLabel('障害').check();
    await page.getByLabel('開始日').fill(today);
    await page.getByLabel('開始時刻').fill('09:30');
    await page.getByLabel('見出し').fill('メールが届きにくくなっています');
    await page.getByLabel('終了日').fill(today);
    await page.getByLabel('終了時刻').fill('09:00'); // before the start
    await page.getByRole('button', { name: '保存する' }).click();
    await expect.poll(() => page.locator('#endDate-error').textContent()).toContain('終了は開始より後の日時にしてください。');
    problems.length = 0; // the browser logs the 400 of the refused form, as intended
    await checkPage(page, problems, 'status-form-errors');
    await page.getByLabel('終了日').fill('');
    await page.getByLabel('終了時刻').fill('');
    await page.getByLabel('本文').fill('一部の携帯電話会社のメールに予約完了メールが届きにくくなっています。\n予約は完了しています。');
    await Promise.all([page.waitForURL(/done=saved/), page.getByRole('button', { name: '保存する' }).click()]);
    await checkPage(page, problems, 'status-notices');
    await page.context().close();

    for (const [device, viewport] of [
      ['phone', PHONE],
      ['desktop', { ...DESKTOP, width: 1366 }],
    ] as const) {
      const visitor = await openPage(browser, viewport);
      await visitor.page.clock.setFixedTime(now);
      await visitor.page.goto(`${base}/status`);
      await expect.poll(() => visitor.page.locator('main').textContent()).toContain('メールが届きにくくなっています');
      expect(await visitor.page.locator('main').textContent()).toContain('予約を受け付けています');
      await checkPage(visitor.page, visitor.problems, `status-public-${device}`);
      await visitor.page.context().close();
    }
  }, 90_000);
});
