// Today's day board in the console follows the counter's floor (issue 18.5): a check-in at another
// terminal shows on it, with the ticket's number, within 2 seconds, without its 15-second refresh.
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot, checkIn } from '../../src/features/booking/index.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, staffInBrowser } from '../helpers/browser.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

const { today } = pinClock(WORKING_WEDNESDAY);

let t: TestApp;
let base: string;
let browser: Awaited<ReturnType<typeof appInBrowser>>['browser'];
beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
});

describe("today's day board", () => {
  it('When a visitor is checked in at another terminal, then the open day board shows them checked in with their ticket within 2 s', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, capacity: 2 });
    const { holder } = await createCardHolder(t.db, { counterId: counter.id, status: 'card_arrived' });
    const { bookings } = await inTx(t.db, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'web', by: TEST_CLERK, baseUrl: base }), STAFF_ACTOR);
    const { page, problems } = await staffInBrowser({ t, base, browser });
    await page.goto(`${base}/staff/console/counters/${counter.id}/day?date=${today}`);
    expect(await page.textContent('#board-body')).toContain('予約中');
    await page.waitForTimeout(300); // the stream's first picture is the board already shown
    await inTx(t.db, (tx) => checkIn(tx, { bookingId: bookings[0].id, by: TEST_CLERK }), STAFF_ACTOR);
    await page.waitForFunction(() => document.querySelector('#board-body')?.textContent?.includes('来庁済 A-001'), null, { timeout: 2_000 });
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);
});
