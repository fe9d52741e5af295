// The notify console pages in a real browser: they render, pass axe, and the acknowledgement works.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledgementToken, raiseAlert } from '../../src/features/notify/alerts.js';
import { queueBookingMail } from '../../src/features/booking/mail.js';
import { createTestApp } from '../helpers/app.js';
import { DESKTOP, expectAccessible, launchBrowser, openPage, screenshot, serve } from '../helpers/browser.js';
import { createStaff } from '../helpers/factories.js';
import { createBooking } from '../helpers/bookings.js';
import { inTx } from '../helpers/tx.js';

const testApp = await createTestApp();
const { db, context } = testApp;
let browser: Browser;
let base: string;
beforeAll(async () => {
  base = await serve(testApp);
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

describe('notify pages in a real browser', () => {
  it('When an admin reads the mail log, a mail and the alerts and acknowledges an alert, then each page is accessible and the alert is acknowledged', async () => {
    const booking = await createBooking(db, { date: '2026-12-10', email: 'hanako@example.jp' });
    await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'confirmation', eventKey: 'created', baseUrl: base }));
    const alertId = await inTx(db, (tx) => raiseAlert(tx, { kind: 'job_failed', subjectKey: 'reminders', summary: '定期処理「reminders」が失敗しました', detail: 'boom' }));
    const { user, password } = await createStaff(db, { role: 'admin' });

    const { page, problems } = await openPage(browser, DESKTOP);
    await page.goto(`${base}/staff/login`);
    await page.fill('#loginId', user.loginId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);

    await page.goto(`${base}/staff/mail?q=hanako`);
    expect(await page.textContent('table')).toContain('hanako@example.jp');
    await expectAccessible(page);
    await screenshot(page, 'notify-mail-log');
    await Promise.all([page.waitForURL(/\/staff\/mail\/\d+$/), page.click('table a')]);
    expect(await page.textContent('main')).toContain(booking.code);
    await expectAccessible(page);

    await page.goto(`${base}/staff/alerts`);
    await expectAccessible(page);
    await screenshot(page, 'notify-alerts');
    await Promise.all([page.waitForURL(/done=acknowledged/), page.click('main form button')]);
    expect(await page.textContent('main')).toContain('確認済みにしました');
    expect((await db.prisma.alert.findUniqueOrThrow({ where: { id: alertId } })).acknowledgedVia).toBe('console');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When an on-call person opens the link from an alert mail, then the confirmation page is accessible and its button acknowledges', async () => {
    const alertId = await inTx(db, (tx) => raiseAlert(tx, { kind: 'disk_full', subjectKey: '/data', summary: 'ディスク使用率が95%です' }));
    const token = acknowledgementToken(context.secrets.sessionSecret, alertId, 'oncall@example.jp');
    const { page, problems } = await openPage(browser, DESKTOP);
    await page.goto(`${base}/alerts/ack?token=${encodeURIComponent(token)}`);
    await expectAccessible(page);
    await page.click('main form button');
    await page.waitForSelector('text=確認済みにしました');
    expect((await db.prisma.alert.findUniqueOrThrow({ where: { id: alertId } })).acknowledgedBy).toBe('system:mail:oncall@example.jp');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
