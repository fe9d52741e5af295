// A foreign resident books in a real browser (issue 16.1): the browser asks for English, so the
// site answers in English from the first page; every step is axe-clean on a phone; the booking
// keeps the language and its mail comes in English. The switch on the page then changes to
// Korean, and the other languages' main pages are checked the same way.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { addDays } from '../../src/lib/jst.js';
import { createTranslator, loadLocales } from '../../src/lib/i18n.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, checkPage, openPage, PHONE } from '../helpers/browser.js';
import { logIn } from '../helpers/citizen.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
const day = addDays(today, 3);
const locales = loadLocales();
const english = createTranslator(locales, 'en');

let t: TestApp;
let browser: Browser;
let base: string;
let counterId: number;

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  counterId = (await createCounter(t.db, { name: '市民課 交付センター' })).id;
  await createSlot(t.db, { counterId, date: day, startMinute: 9 * 60, capacity: 5 });
});

describe('a citizen who reads English', () => {
  it('When the browser asks for English, then every step of the booking is in English and passes axe, the mail is English, and the switch changes to Korean', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0704', counterId });
    const { page, problems } = await openPage(browser, PHONE, 'en-US');
    await page.clock.setFixedTime(now);
    await page.goto(base + '/login');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(english('citizen.login.title'));
    await checkPage(page, problems, 'languages-en-01-login');
    await page.locator('input[name="noticeId"]').fill(person.noticeId);
    await page.locator('input[name="birth"]').fill('0704');
    await page.getByRole('button', { name: english('citizen.login.submit') }).click();
    await page.waitForURL(/\/booking/);
    await page.goto(`${base}/booking/counters/${counterId}/days/${day}`);
    expect(await page.locator('h1').textContent()).toContain('Mon, January 18, 2027');
    await checkPage(page, problems, 'languages-en-02-day');
    await page.getByRole('button', { name: /9:00–9:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);
    await checkPage(page, problems, 'languages-en-03-confirm');
    await page.getByLabel(english('booking.confirm.emailOptional'), { exact: true }).fill('amy@example.jp');
    await page.getByLabel(english('booking.confirm.emailAgain')).fill('amy@example.jp');
    await page.getByRole('button', { name: english('booking.confirm.next') }).click();
    await page.waitForURL(/\/booking\/review/);
    await checkPage(page, problems, 'languages-en-04-review');
    await page.getByRole('button', { name: english('booking.review.submit') }).click();
    await page.waitForURL(/done=booked/);
    await expect.poll(() => page.getByText(english('booking.done.booked')).count()).toBe(1);
    await checkPage(page, problems, 'languages-en-05-done');

    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: person.holder.id } });
    expect(booking.language).toBe('en');
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { toAddress: 'amy@example.jp', kind: 'booking.confirmation' } });
    expect(mail.subject).toBe(english('mail.confirmation.subject', { when: 'Mon, January 18, 2027 9:00–9:30' }));
    expect(mail.textBody).toContain(`${english('mail.field.when')}: Mon, January 18, 2027 9:00–9:30`);

    await page
      .getByRole('navigation', { name: english('lang.switch') })
      .getByRole('link', { name: '한국어' })
      .click();
    await page.waitForURL(/lang=ko/);
    expect(await page.locator('html').getAttribute('lang')).toBe('ko');
    await checkPage(page, problems, 'languages-ko-06-booking');
  });

  it('When the idle time is nearly over on an English page, then the warning and its countdown are in English', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0808', counterId });
    const { page } = await openPage(browser, PHONE, 'en-US');
    await page.clock.install({ time: now });
    await logIn(page, base, person.noticeId, '0808');
    await page.waitForLoadState('load'); // the timer script has started before the clock jumps
    await page.clock.fastForward(14 * 60 * 1000);
    const warning = page.getByRole('alertdialog');
    await expect.poll(() => warning.isVisible()).toBe(true);
    const text = (await warning.textContent())!;
    expect(text).toContain(english('citizen.session.warning'));
    expect(text).toMatch(/\(\d+ seconds left\)/);
    expect(text).not.toMatch(/[\u3040-\u30ff]/); // no kana left over
    await page.context().close();
  }, 60_000);

  it('When a screen reader reads the calendar, then each day is named by its date and its state, in the page language (WCAG 1.1.1, 4.1.2)', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0606', counterId });
    const { page } = await openPage(browser, PHONE);
    await page.clock.setFixedTime(now);
    await logIn(page, base, person.noticeId, '0606');
    for (const [lang, translate] of [
      ['ja', createTranslator(locales, 'ja')],
      ['en', english],
    ] as const) {
      await page.goto(`${base}/booking/counters/${counterId}?month=2027-01&lang=${lang}`);
      // The bookable day is a link whose name ends with its full label; a past day is an image with the label as its name.
      const bookable = translate('booking.calendar.dayLabel', { month: 1, day: 18, state: translate('booking.state.free') });
      await expect.poll(() => page.getByRole('link', { name: new RegExp(`^18 .*${bookable.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }).count(), { message: lang }).toBe(1);
      const past = translate('booking.calendar.dayLabel', { month: 1, day: 14, state: translate('booking.state.outside') });
      await expect.poll(() => page.getByRole('img', { name: past, exact: true }).count(), { message: lang }).toBe(1);
    }
    await page.context().close();
  });

  for (const code of ['ja-easy', 'zh-Hans', 'zh-Hant']) {
    it(`When a citizen chooses ${code} on the switch, then the log-in and start pages are in it and pass axe`, async () => {
      const translate = createTranslator(locales, code);
      const { page, problems } = await openPage(browser, PHONE);
      await page.clock.setFixedTime(now);
      await page.goto(`${base}/login?lang=${code}`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(translate('citizen.login.title'));
      await checkPage(page, problems, `languages-${code}-login`);
      await page.goto(`${base}/`);
      expect(await page.locator('html').getAttribute('lang')).toBe(code === 'ja-easy' ? 'ja' : code);
      await checkPage(page, problems, `languages-${code}-start`);
    });
  }
});
