// The pictures of the manuals (docs/manuals/*.md, issue 16 point 3, decision 0021): each one is
// taken from the running app in Chromium, on the demo data, in the state its row of "画面の一覧"
// describes, and saved to docs/manuals/images/ (git-ignored; made again by running this file).
// Citizen pictures at phone size, staff and operator pictures at 1366 px. Steps run in the
// order the states need: staff first (the maintenance notice), then the citizen (the bookings
// and the login lock the operator pictures show), then the operator.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot } from '../../src/features/booking/index.js';
import { DEMO_CITIZENS, DEMO_STAFF, seedDemoData } from '../../src/db/seed.js';
import { transaction } from '../../src/db/transaction.js';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { appInBrowser, openPage } from '../helpers/browser.js';
import { logIn } from '../helpers/citizen.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder } from '../helpers/factories.js';
import { csvText, noticeIdFor, sjis } from '../cards/helpers.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const tomorrow = addDays(today, 1);
const dayAfter = addDays(today, 2);
const MANUALS = ['citizen-guide.md', 'staff-manual.md', 'operator-manual.md'].map((name) => path.resolve('docs/manuals', name));
const IMAGES = path.resolve('docs/manuals/images');
const PHONE = { width: 360, height: 740 };
const WIDE = { width: 1366, height: 900 };
const RENEWAL = 'cert-renewal';

let t: TestApp;
let base: string;
let browser: Browser;
let centralId: number;
let holderIds: Record<string, number>;
let bookedToday: number[];

/** The picture names the manuals show (`![…](images/<name>.png)`). */
function picturesOfManuals(): string[] {
  return MANUALS.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/!\[[^\]]*\]\(images\/([^)]+\.png)\)/g)].map((match) => match[1]));
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(IMAGES, name), fullPage: true });
}

async function pinnedPage(viewport: { width: number; height: number }): Promise<Page> {
  const { page } = await openPage(browser, viewport);
  await page.clock.setFixedTime(now);
  return page;
}

async function loginPicture(name: string): Promise<void> {
  const page = await pinnedPage(WIDE);
  await page.goto(`${base}/staff/login`);
  await shoot(page, name);
  await page.context().close();
}

async function staffPage(role: 'admin' | 'staff' | 'operator'): Promise<Page> {
  const account = DEMO_STAFF.find((staff) => staff.role === role)!;
  const page = await pinnedPage(WIDE);
  await page.goto(`${base}/staff/login`);
  await page.fill('#loginId', account.loginId);
  await page.fill('#password', account.password);
  await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
  return page;
}

/** Books `holderId` into the central counter's slot of `date` at `startMinute`; the booking's code. */
async function book(holderId: number, date: string, startMinute: number, options: { channel: 'web' | 'phone'; email?: string; language?: string }): Promise<string> {
  const slot = await t.db.prisma.slot.findFirstOrThrow({ where: { counterId: centralId, startsAt: jstInstant(date, startMinute) } });
  const group = await transaction(t.db, { type: 'system', id: 'manual-screens' }, (tx) =>
    bookSlot(tx, { slotId: slot.id, cardHolderIds: [holderId], channel: options.channel, email: options.email ?? null, language: options.language, baseUrl: base, by: TEST_CLERK }),
  );
  return group.groupCode;
}

/** Books the central counter's slots of `date` up to `left` web places each. */
async function leaveWebPlaces(date: string, left: number): Promise<void> {
  await t.db.prisma.$executeRaw`UPDATE slots SET booked = GREATEST(capacity - reserved_capacity - ${left}, 0)
    WHERE counter_id = ${centralId} AND starts_at >= ${jstInstant(date)} AND starts_at < ${jstInstant(addDays(date, 1))}`;
}

async function upload(page: Page, rows: string[][]): Promise<void> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'manual-import-')), 'jlis.csv');
  writeFileSync(file, sjis(csvText(rows)));
  await page.goto(`${base}/staff/cards/imports`);
  await page.setInputFiles('#file', file);
  await page.click('main form button[type=submit]');
  await page.waitForURL(/\/staff\/cards\/imports\/\d+$/);
  await page.waitForSelector('#count-created', { timeout: 20_000 }); // the page reloads itself once the preview is done
}

const importRow = (n: number, birth = '19870401') => [noticeIdFor(n), birth, `取込 ${n}`, 'ﾄﾘｺﾐ', '', 'central', `C-0${n}`, '20261101', '20270531'];

beforeAll(async () => {
  rmSync(IMAGES, { recursive: true, force: true });
  mkdirSync(IMAGES, { recursive: true });
  ({ t, base, browser } = await appInBrowser({ IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'manual-imports-')) }));
  await seedDemoData(t.db, TEST_SECRETS.birthDatePepper, today);
  centralId = (await t.db.prisma.counter.findFirstOrThrow({ where: { code: 'central' } })).id;
  holderIds = Object.fromEntries(
    await Promise.all(DEMO_CITIZENS.map(async (citizen) => [citizen.name, (await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: citizen.noticeId } })).id])),
  );
  // A procedure without a notice ID, offered at the central counter (the /apply and the operator's pictures).
  await t.db.prisma.procedure.create({ data: { code: RENEWAL, name: '電子証明書の更新', needsNoticeId: false, documents: ['マイナンバーカード', '本人確認書類'] } });
  await t.db.prisma.counterProcedure.create({ data: { counterId: centralId, procedureCode: RENEWAL } });
  // Today's visitors at the central counter: by web and by phone, one card not yet arrived.
  bookedToday = [];
  const visitors = [
    ['佐藤 一郎', 'サトウ イチロウ', 'card_arrived'],
    ['鈴木 次郎', 'スズキ ジロウ', 'card_arrived'],
    ['田中 三郎', 'タナカ サブロウ', 'data_received'],
    ['伊藤 四郎', 'イトウ シロウ', 'card_arrived'],
  ] as const;
  for (const [index, [name, nameKana, status]] of visitors.entries()) {
    const person = await createCardHolder(t.db, { counterId: centralId, status: 'card_arrived' });
    await t.db.prisma.cardHolder.update({
      where: { id: person.holder.id },
      data: { name, nameKana, storagePlace: `A-02-00${index + 1}` },
    });
    await book(person.holder.id, today, 14 * 60 + index * 30, { channel: index % 2 ? 'phone' : 'web' });
    if (status === 'data_received') await t.db.prisma.cardHolder.update({ where: { id: person.holder.id }, data: { status } }); // booked before the card came
    bookedToday.push(person.holder.id);
  }
  // A full time tomorrow, beside times with room (the citizen's day of times); a full day, a day
  // with few places and days whose booking has not opened (the calendar's ○ △ × 休 ／ ◇).
  const full = await t.db.prisma.slot.findFirstOrThrow({ where: { counterId: centralId, startsAt: jstInstant(tomorrow, 10 * 60) } });
  await t.db.prisma.slot.update({ where: { id: full.id }, data: { booked: full.capacity } });
  await leaveWebPlaces(addDays(today, 8), 0);
  await leaveWebPlaces(addDays(today, 9), 1);
  await t.db.prisma.bookingPolicy.upsert({ where: { counterId: centralId }, create: { counterId: centralId, opensDaysAhead: 14 }, update: { opensDaysAhead: 14 } });
}, 60_000);

describe('the pictures of the manuals', () => {
  it('When an admin and a clerk walk the staff manual, then its pictures are taken', async () => {
    await loginPicture('staff-login.png');
    let page = await staffPage('admin');
    await shoot(page, 'staff-home-admin.png');
    await page.goto(`${base}/staff/schedule/counters/${centralId}`);
    await shoot(page, 'schedule-counter-detail.png');
    await page.goto(`${base}/staff/schedule/counters/${centralId}/rules/new`);
    await page.fill('#label', '平日午前(臨時)');
    for (const day of ['1', '2', '3', '4', '5']) await page.check(`input[name=days][value="${day}"]`);
    await page.fill('#start', '09:00');
    await page.fill('#end', '12:00');
    await page.fill('#slotMinutes', '30');
    await page.fill('#capacityPerSlot', '4');
    await Promise.all([page.waitForLoadState('load'), page.click('button[name=action][value=preview]')]);
    await page.waitForSelector('.rule-preview-panel');
    await shoot(page, 'schedule-rule-form-preview.png');
    await page.goto(`${base}/staff/schedule/closures`);
    await shoot(page, 'schedule-closures.png');
    await page.goto(`${base}/staff/users`);
    await shoot(page, 'staff-users-list.png');
    await page.context().close();

    page = await staffPage('staff');
    await page.goto(`${base}/staff/console/holders/${bookedToday[0]}`);
    await Promise.all([page.waitForURL(/done=/), page.click('button:has-text("受付(来庁)")')]); // one visitor has come
    await Promise.all([page.waitForURL(/\/print$/), page.click('.visit-ticket a')]);
    await shoot(page, 'floor-ticket-print.png');
    const ticketUrl = (await page.textContent('.ticket-url'))!;
    await page.goto(`${base}/staff/floor/counters/${centralId}?window=2`);
    await page.selectOption('#walk-in-procedure', RENEWAL);
    await Promise.all([page.waitForURL(/\/print$/), page.click('form[action$="/walk-in"] button')]);
    await page.goto(`${base}/staff/floor/counters/${centralId}?window=2`);
    await Promise.all([page.waitForURL(/done=called/), page.click('form[action$="/call-next"] button')]);
    await shoot(page, 'floor-window.png');
    const display = await pinnedPage(WIDE);
    await display.goto(`${base}/floor/central/display`);
    await shoot(display, 'floor-display.png');
    await display.goto(ticketUrl.replace(/^https?:\/\/[^/]+/, base));
    await display.setViewportSize(PHONE);
    await shoot(display, 'floor-phone-ticket.png');
    await display.context().close();
    await page.goto(`${base}/staff/cards/pull-list?counterId=${centralId}&date=${today}`);
    await shoot(page, 'cards-pull-list.png');
    await page.goto(`${base}/staff/console/counters/${centralId}/day?date=${today}`);
    await shoot(page, 'console-day-board.png');
    await page.goto(`${base}/staff/console/counters/${centralId}/print?date=${today}`);
    await shoot(page, 'console-print-list.png');
    await page.goto(`${base}/staff/console/holders/${bookedToday[1]}`);
    await shoot(page, 'console-holder-counter-work.png');
    await page.goto(`${base}/staff/cards/${bookedToday[3]}`);
    await shoot(page, 'cards-detail.png');
    await upload(
      page,
      [1, 2, 3].map((n) => importRow(n)),
    );
    await shoot(page, 'cards-import-preview.png');
    await upload(page, [importRow(4), importRow(4), importRow(5, '19870231'), importRow(6)]);
    await page.waitForSelector('.import-errors');
    await shoot(page, 'cards-import-errors.png');
    await page.goto(`${base}/staff/cards/imports`);
    await shoot(page, 'cards-import-upload.png');
    await page.goto(`${base}/staff/status/new`);
    await page.check('input[name=kind][value=maintenance]');
    await page.fill('[name=title]', 'システムメンテナンスのお知らせ');
    await page.fill('[name=body]', 'この時間は予約サイトをご利用いただけません。');
    await page.fill('[name=startDate]', addDays(today, 4));
    await page.fill('[name=startTime]', '08:00');
    await page.fill('[name=endDate]', addDays(today, 4));
    await page.fill('[name=endTime]', '17:00');
    await shoot(page, 'status-notice-form.png');
    await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/new')), page.click('main form button[type=submit]')]);
    await page.context().close();
  }, 60_000);

  it('When a citizen walks the guide, then its pictures are taken', async () => {
    const page = await pinnedPage(PHONE);
    await page.goto(`${base}/`);
    await shoot(page, 'citizen-start.png');
    await page.goto(`${base}/login`);
    await shoot(page, 'citizen-login.png');
    await page.goto(`${base}/status`);
    await shoot(page, 'citizen-status.png');
    await page.goto(`${base}/apply`);
    await shoot(page, 'citizen-apply-index.png');
    await page.goto(`${base}/apply/${RENEWAL}`);
    await page.fill('#email', 'shinsei@example.jp');
    await page.fill('#emailAgain', 'shinsei@example.jp');
    await Promise.all([page.waitForURL(/\/code$/), page.click(`form[action="/apply/${RENEWAL}"] button[type=submit]`)]);
    await shoot(page, 'citizen-apply-code.png');
    await page.context().clearCookies();

    // A card holder without a booking books themselves, from the list of counters to the finished booking.
    const citizen = await createCardHolder(t.db, { counterId: centralId, mmdd: '0315', status: 'card_arrived' });
    await logIn(page, base, citizen.noticeId, citizen.mmdd);
    await shoot(page, 'citizen-counters.png');
    const idleSeconds = Number(await page.getAttribute('#session-warning', 'data-idle-seconds'));
    await page.clock.setFixedTime(now.getTime() + (idleSeconds - 118) * 1000); // two minutes before the idle log-out
    await page.waitForSelector('#session-warning', { state: 'visible' });
    await shoot(page, 'citizen-session-warning.png');
    await page.clock.setFixedTime(now);
    await page.reload();
    await page.getByRole('link', { name: '市民課 マイナンバーカード交付センター' }).click();
    await page.waitForURL(/\/booking\/counters\/\d+$/);
    await shoot(page, 'citizen-calendar.png');
    await page.goto(`${base}/booking/counters/${centralId}/days/${tomorrow}`);
    await shoot(page, 'citizen-day-times.png');
    await page.getByRole('button', { name: /9:00〜9:30/ }).click();
    await page.waitForURL(/\/booking\/confirm/);
    await shoot(page, 'citizen-confirm-email.png');
    await page.getByLabel('メールアドレス(任意)', { exact: true }).fill('yamada@example.jp');
    await page.getByLabel('メールアドレス(確認のためもう一度)').fill('yamada@example.jp');
    await page.getByRole('button', { name: '入力内容を確認する' }).click();
    await page.waitForSelector('.email');
    await shoot(page, 'citizen-review.png');
    await page.getByRole('button', { name: '予約を確定する' }).click();
    await page.waitForURL(/done=booked/);
    await shoot(page, 'citizen-booking-done.png');
    await page.getByRole('link', { name: '日時・場所を変更する' }).click();
    await page.waitForURL(/\/booking\/counters/);
    await page.goto(`${base}/booking/counters/${centralId}/days/${dayAfter}`);
    await page.getByRole('button', { name: /11:00〜11:30/ }).click();
    await page.waitForURL(/\/booking\/move/);
    await shoot(page, 'citizen-move-confirm.png');
    await page.goto(`${base}/booking/cancel`);
    await shoot(page, 'citizen-cancel.png');
    await page.context().clearCookies();

    // A booking in English (the operator's day board), and five wrong birth dates for 髙橋 花子 (the login lock).
    await book(holderIds['山﨑 一郎'], tomorrow, 13 * 60, { channel: 'web', language: 'en', email: 'yamazaki@example.jp' });
    const takahashi = DEMO_CITIZENS[1];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await page.goto(`${base}/login`);
      await page.fill('#noticeId', takahashi.noticeId);
      await page.fill('#birth', '0101');
      await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
    }
    await page.context().close();
  }, 60_000);

  it('When an operator walks the operator manual, then its pictures are taken', async () => {
    await loginPicture('operator-login.png');
    const page = await staffPage('operator');
    await page.goto(`${base}/staff/console`);
    await shoot(page, 'operator-console-home.png');
    await page.goto(`${base}/staff/console/search?q=${encodeURIComponent('ヤマ')}`);
    await shoot(page, 'operator-search-results.png');
    const caller = holderIds['山田 太郎'];
    await page.goto(`${base}/staff/console/holders/${caller}/book?counterId=${centralId}&date=${tomorrow}`);
    await shoot(page, 'operator-book-slots.png');
    await page.locator('input[name=slotId]:not([disabled])').first().check();
    await page.fill('#birth', '0402');
    await page.click('button:has-text("この内容で予約する")');
    await page.waitForSelector('#birth-error');
    await shoot(page, 'operator-book-identity-mismatch.png');
    await page.locator('input[name=slotId]:not([disabled])').first().check();
    await page.fill('#birth', '0401');
    await page.fill('#email', 'yamada@example.jp');
    await Promise.all([page.waitForURL(/done=booked/), page.click('button:has-text("この内容で予約する")')]);
    await shoot(page, 'operator-holder-booked.png');
    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: caller, status: 'active' } });
    await page.goto(`${base}/staff/mail?q=${booking.groupCode ?? booking.code}`);
    await shoot(page, 'operator-mail-search.png');
    await page.goto(`${base}/staff/console/holders/${caller}/book`);
    await shoot(page, 'operator-move.png');

    await page.goto(`${base}/staff/console/applicants/book?counterId=${centralId}&date=${tomorrow}&procedure=${RENEWAL}`);
    await shoot(page, 'operator-applicant-book.png');
    await page.locator('input[name=slotId]:not([disabled])').first().check();
    await page.fill('#nameKana', 'シンセイ ハナコ');
    await page.fill('#birthDate', '19800505');
    await Promise.all([page.waitForURL(/\/applicants\/\d+\?done=booked/), page.click('button:has-text("この内容で予約する")')]);
    await shoot(page, 'operator-applicant-booked.png');

    await page.goto(`${base}/staff/console/counters/${centralId}/day?date=${tomorrow}`);
    await shoot(page, 'operator-day-board-language.png');
    await page.goto(`${base}/staff/console/counters/${centralId}/week?from=${today}`);
    await shoot(page, 'operator-week.png');
    await page.goto(`${base}/staff/cards/${holderIds['髙橋 花子']}`);
    await shoot(page, 'operator-card-login-lock.png');
    await page.goto(`${base}/status`);
    await shoot(page, 'operator-status-page.png');
    await page.context().close();
  }, 60_000);

  it('When all steps ran, then every picture the three manuals show was written', () => {
    const missing = picturesOfManuals().filter((name) => !existsSync(path.join(IMAGES, name)));
    expect(picturesOfManuals().length).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
