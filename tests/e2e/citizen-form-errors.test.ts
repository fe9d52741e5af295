// A refused citizen form in a real browser (issue 16.2, WCAG 3.3.1 and 4.1.3): the focus starts
// on the first field with an error, whose accessible description is its hint and its error, so
// a screen reader reads what is wrong and the keyboard is already there to fix it.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addDays } from '../../src/lib/jst.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, openPage, PHONE } from '../helpers/browser.js';
import { logIn } from '../helpers/citizen.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
let browser: Browser;
let base: string;
let counterId: number;

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  counterId = (await createCounter(t.db, { name: '市民課 交付センター' })).id;
  await createSlot(t.db, { counterId, date: addDays(today, 3), startMinute: 9 * 60, capacity: 5 });
});

/** The focused element's id and what a screen reader reads as its description. */
function focused(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const description = (element.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent?.trim())
      .join(' ');
    return { id: element.id, invalid: element.getAttribute('aria-invalid'), description };
  });
}

describe('a refused citizen form', () => {
  it('When the log-in form is sent empty, then the focus is on the notice ID with its error read; with only the birth date missing, on the birth date', async () => {
    const { page } = await openPage(browser, PHONE);
    await page.clock.setFixedTime(now);
    await page.goto(base + '/login');
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.locator('#noticeId-error').waitFor();
    const first = await focused(page);
    expect(first).toMatchObject({ id: 'noticeId', invalid: 'true' });
    expect(first.description).toContain(await page.locator('#noticeId-error').textContent());

    await page.locator('#noticeId').fill('123456789012');
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.locator('#birth-error').waitFor();
    expect(await focused(page)).toMatchObject({ id: 'birth', invalid: 'true' });
  });

  it('When the two email addresses differ, then the focus is on the second one with its error read', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0210', counterId });
    const { page } = await openPage(browser, PHONE);
    await page.clock.setFixedTime(now);
    await logIn(page, base, person.noticeId, '0210');
    await page.goto(`${base}/booking/counters/${counterId}/days/${addDays(today, 3)}`);
    await page.getByRole('button', { name: /9:00〜9:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);
    await page.getByLabel('メールアドレス(任意)', { exact: true }).fill('hanako@example.jp');
    await page.getByLabel('メールアドレス(確認のためもう一度)').fill('hanako@example.com');
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await page.locator('#emailAgain-error').waitFor();
    const field = await focused(page);
    expect(field).toMatchObject({ id: 'emailAgain', invalid: 'true' });
    expect(field.description).toContain(await page.locator('#emailAgain-error').textContent());
  });
});
