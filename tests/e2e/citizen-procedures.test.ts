// Every procedure of the example city (examples/schedule/large-city.yaml, loaded the way
// `npm run schedule:load` loads it, slots and all) booked by a citizen in a real browser, on a
// phone and a desktop, with axe-core on each page of its flow: the pickup with a notice ID, the
// others from the start page with an email code and who one is. Each shows what is its own: the
// counters that offer it and no other, its documents, its booking window (the PIN reset on the
// same day, the express issue only 14 days ahead).
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadSetup, parseSetupFile, type CitySetup } from '../../src/features/schedule/setup-file.js';
import { addDays, formatMomentJa, jstInstant, type IsoDate } from '../../src/lib/jst.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, checkPage, DESKTOP, openPage, PHONE } from '../helpers/browser.js';
import { logIn, mailedCode } from '../helpers/citizen.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

// 10:00 on a Wednesday: today is bookable for a same-day procedure until 60 minutes before a
// time; no closure or holiday falls within the next three weeks (the Sunday after the third
// Saturday, 1/17, is none of the days used).
const { now, today } = pinClock(WORKING_WEDNESDAY);
const IN_A_WEEK = addDays(today, 7);

let t: TestApp;
let browser: Browser;
let base: string;
let setup: CitySetup;
const counterIds = new Map<string, number>();

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  const parsed = parseSetupFile(await readFile('examples/schedule/large-city.yaml', 'utf8'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  setup = parsed.setup;
  await inTx(t.db, (tx) => loadSetup(tx, setup, today));
  for (const counter of await t.db.prisma.counter.findMany()) counterIds.set(counter.code, counter.id);
});

interface ProcedureCase {
  code: string;
  /** The counter of the file where the person books, and the day. */
  counter: string;
  day: IsoDate;
  /** Days the procedure's calendar at a counter must offer, or must not. */
  calendars: { counter: string; date: IsoDate; bookable: boolean }[];
  /** Times of the booked day shown but not offered. */
  closedTimes: string[];
  /** Where the same day is allowed: how many minutes before its time a visit closes (else the day's deadline applies). */
  closesMinutesBefore?: number;
}

const PROCEDURES: ProcedureCase[] = [
  { code: 'pickup', counter: 'minato', day: IN_A_WEEK, calendars: [], closedTimes: [] },
  { code: 'application', counter: 'chuo', day: IN_A_WEEK, calendars: [{ counter: 'center', date: addDays(today, 20), bookable: true }], closedTimes: [] },
  { code: 'card-renewal', counter: 'center', day: IN_A_WEEK, calendars: [], closedTimes: [] },
  { code: 'cert-renewal', counter: 'kita', day: IN_A_WEEK, calendars: [{ counter: 'kita', date: today, bookable: false }], closedTimes: [] },
  // Same day allowed until 60 minutes before the time: 10:30 has passed that, 13:00 has not.
  { code: 'pin-reset', counter: 'nishi', day: today, calendars: [{ counter: 'nishi', date: today, bookable: true }], closedTimes: ['10:30〜11:00'], closesMinutesBefore: 60 },
  // Open 14 days ahead, not 90 as the center's other procedures.
  { code: 'express', counter: 'center', day: addDays(today, 14), calendars: [{ counter: 'center', date: addDays(today, 20), bookable: false }], closedTimes: [] },
];

// One person per device books every procedure without a notice ID: different procedures do not
// exclude each other. Each device at its own time: the express issue takes one person per slot.
// The 10 code mails are all one client address may ask for in an hour (REQUESTS_PER_ADDRESS).
const DEVICES = [
  { device: 'phone', viewport: PHONE, time: '13:00〜13:30', nameKana: 'やまだ はなこ', kana: 'ヤマダハナコ', birthDate: '19850402' },
  { device: 'desktop', viewport: { ...DESKTOP, width: 1366 }, time: '13:30〜14:00', nameKana: 'すずき いちろう', kana: 'スズキイチロウ', birthDate: '19790911' },
];
type Device = (typeof DEVICES)[number];

const procedureOf = (code: string) => setup.procedures.find((procedure) => procedure.code === code)!;
const counterNamesOffering = (code: string) => setup.counters.filter((counter) => counter.fields.procedures.includes(code)).map((counter) => counter.fields.name);

/** From the start page to the counter list: the procedure chosen, the email proved, who one is given. */
async function applyFor(page: Page, check: (name: string) => Promise<void>, code: string, email: string, who: Device) {
  await page.goto(base + '/');
  await page.getByRole('link', { name: '手続きを選んで予約する' }).click();
  await page.waitForURL(/\/apply$/);
  await check('01-procedures');
  await page.getByRole('link', { name: `${procedureOf(code).name}を予約する` }).click();
  await page.waitForURL(new RegExp(`/apply/${code}$`));
  await check('02-email');
  await page.getByLabel('メールアドレス', { exact: true }).fill(email);
  await page.getByLabel('メールアドレス(確認のためもう一度)').fill(email);
  await page.getByRole('button', { name: '確認コードを送信する' }).click();
  await page.waitForURL(new RegExp(`/apply/${code}/code$`));
  await check('03-code');
  await page.getByLabel('確認コード(6桁の数字)').fill(await mailedCode(t.db, email));
  await page.getByRole('button', { name: '確認する' }).click();
  await page.waitForURL(/\/identity$/);
  await check('04-identity');
  await page.getByLabel('お名前(フリガナ)').fill(who.nameKana);
  await page.getByLabel('生年月日(西暦の8桁の数字)').fill(who.birthDate);
  await page.getByRole('button', { name: '次へ(窓口と日時を選ぶ)' }).click();
  await page.waitForURL(/\/booking\/counters$/);
}

/** Whether the procedure's month calendar at the counter links the date (a day one may book). */
async function calendarOffers(page: Page, counter: string, date: IsoDate): Promise<boolean> {
  await page.goto(`${base}/booking/counters/${counterIds.get(counter)}?month=${date.slice(0, 7)}`);
  await expect.poll(() => page.locator('td.day').count()).toBeGreaterThan(27);
  return (await page.locator(`a[href$="/days/${date}"]`).count()) === 1;
}

/** Only the pickup's pages speak of receiving the card (受け取る). */
async function speaksOfItsProcedure(page: Page, code: string) {
  if (code !== 'pickup') expect(await page.locator('main').textContent()).not.toContain('受け取');
}

/** From the counter list to the booking, checking what the procedure offers on the way. */
async function book(page: Page, check: (name: string) => Promise<void>, procedure: ProcedureCase, time: string) {
  const listed = await page.locator('.counter-list h2').allTextContents();
  expect(listed.map((name) => name.trim())).toEqual(counterNamesOffering(procedure.code));
  await speaksOfItsProcedure(page, procedure.code);
  await check('05-counters');
  for (const calendar of procedure.calendars) expect(await calendarOffers(page, calendar.counter, calendar.date), `${calendar.counter} ${calendar.date}`).toBe(calendar.bookable);

  await page.goto(base + '/booking/counters');
  const counterName = setup.counters.find((counter) => counter.fields.code === procedure.counter)!.fields.name;
  await page.getByRole('link', { name: counterName }).click();
  await page.waitForURL(/\/booking\/counters\/\d+$/);
  await speaksOfItsProcedure(page, procedure.code);
  await check('06-calendar');
  await page.locator(`a[href$="/days/${procedure.day}"]`).click();
  await page.waitForURL(/\/days\//);
  await check('07-day');
  if (procedure.closesMinutesBefore) await expect.poll(() => page.locator('main').textContent()).toContain(`それぞれの時間の${procedure.closesMinutesBefore}分前`);
  for (const closed of procedure.closedTimes) {
    await expect.poll(() => page.locator('.time-closed').filter({ hasText: closed }).count()).toBe(1);
    expect(await page.getByRole('button', { name: new RegExp(closed) }).count()).toBe(0);
  }
  await page.getByRole('button', { name: new RegExp(time) }).click();
  await page.waitForURL(/\/booking\/confirm$/);
  const { name, documents } = procedureOf(procedure.code);
  await expect.poll(() => page.locator('.summary').textContent()).toContain(name);
  await check('08-confirm');
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await page.waitForURL(/\/booking\/review$/);
  const bringing = () => page.getByRole('region', { name: '当日の持ち物' }).getByRole('listitem').allTextContents();
  expect((await bringing()).map((item) => item.trim())).toEqual(documents);
  await check('09-review');
  await page.getByRole('button', { name: '予約を確定する' }).click();
  await page.waitForURL(/done=booked/);
  if (procedure.closesMinutesBefore) {
    const startsAt = jstInstant(procedure.day, Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5)));
    const closes = formatMomentJa(new Date(startsAt.getTime() - procedure.closesMinutesBefore * 60_000));
    expect(await page.locator('main').textContent()).toContain(`変更・取消は${closes}まで`);
  }
  expect((await bringing()).map((item) => item.trim())).toEqual(documents);
  await check('10-booked');
}

describe.each(DEVICES)('each procedure of the example city on a $device', (who) => {
  const { device, viewport, time } = who;
  const bookingOf = (where: object) =>
    t.db.prisma.booking.findFirstOrThrow({ where: { ...where, status: 'active' }, include: { applicant: true, slot: { include: { counter: true } } } });

  it.each(PROCEDURES)(
    'When a citizen books $code at the counter $counter, then only its counters and days are offered, its documents are listed before and after booking and every page passes axe',
    async (procedure) => {
      const { page, problems } = await openPage(browser, viewport);
      await page.clock.setFixedTime(now);
      const check = (step: string) => checkPage(page, problems, `procedures-${device}-${procedure.code}-${step}`);
      const email = `${procedure.code}-${device}@example.jp`;
      const person = procedure.code === 'pickup' ? await createCardHolder(t.db, { counterId: counterIds.get(procedure.counter) }) : null;
      if (person) await logIn(page, base, person.noticeId, person.mmdd);
      else await applyFor(page, check, procedure.code, email, who);
      await book(page, check, procedure, time);

      const booking = await bookingOf(person ? { cardHolderId: person.holder.id } : { email });
      expect(booking).toMatchObject({ procedureCode: procedure.code, slot: { counter: { code: procedure.counter } } });
      expect(booking.slot.startsAt).toEqual(jstInstant(procedure.day, Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))));
      expect(booking.applicant?.nameKana ?? null).toBe(person ? null : who.kana);
      await page.context().close();
    },
  );

  it('When the same person has booked every procedure without a notice ID, then they hold one active booking of each', async () => {
    const bookings = await t.db.prisma.booking.findMany({ where: { applicant: { nameKana: who.kana }, status: 'active' }, orderBy: { procedureCode: 'asc' } });
    expect(new Set(bookings.map((booking) => booking.applicantId)).size).toBe(1);
    expect(bookings.map((booking) => booking.procedureCode)).toEqual(['application', 'card-renewal', 'cert-renewal', 'express', 'pin-reset']);
  });
});
