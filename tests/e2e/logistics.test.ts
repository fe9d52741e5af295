// Card logistics in a real browser (issue 19.1): the shipping list prints on A4 with a barcode
// per card and the signature lines; at the destination a barcode reader (keys typed into the
// focused field, then Enter) receives one card after another without touching the mouse.
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot } from '../../src/features/booking/index.js';
import { createShipment, shipShipment } from '../../src/features/cards/logistics/shipments.js';
import { addDays } from '../../src/lib/jst.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, printedSheets, PT_PER_MM, staffInBrowser } from '../helpers/browser.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

const { today } = pinClock(WORKING_WEDNESDAY);
const CARDS = 25;

let t: TestApp;
let base: string;
let browser: Awaited<ReturnType<typeof appInBrowser>>['browser'];
beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
});

/** A center with CARDS cards booked at a ward, listed in one shipment. */
async function listed() {
  const center = await createCounter(t.db, { name: '交付センター' });
  const ward = await createCounter(t.db, { name: '北区役所' });
  const slot = await createSlot(t.db, { counterId: ward.id, date: addDays(today, 7), capacity: CARDS });
  const noticeIds: string[] = [];
  for (let i = 0; i < CARDS; i += 1) {
    const card = await createCardHolder(t.db, { counterId: center.id });
    await inTx(t.db, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [card.holder.id], channel: 'phone', by: TEST_CLERK, baseUrl: base }), STAFF_ACTOR);
    noticeIds.push(card.noticeId);
  }
  const shipmentId = await inTx(t.db, (tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by: TEST_CLERK }), STAFF_ACTOR);
  return { center, ward, shipmentId, noticeIds };
}

const clerk = () => staffInBrowser({ t, base, browser });

describe('card logistics in a browser', () => {
  it('When a clerk prints a shipping list of 25 cards, then every page is A4, no line runs off the paper, and each card has its barcode and the list its signature lines', async () => {
    const { shipmentId } = await listed();
    const { page, problems } = await clerk();
    await page.goto(`${base}/staff/logistics/shipments/${shipmentId}`);
    expect(await page.locator('.shipment-list .barcode svg').count()).toBe(CARDS);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.staff-header').isVisible()).toBe(false);
    expect(await page.locator('#print-now').isVisible()).toBe(false);
    // The printable width of A4 with the list's 12 mm margins, in CSS px (96 per inch).
    await page.setViewportSize({ width: Math.floor(((210 - 24) / 25.4) * 96), height: 1000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator('.signatures').textContent()).toMatch(/発送者[\s\S]*受領者/);
    const widths = (await printedSheets(page)).map((sheet) => sheet.width);
    expect(widths.length).toBeGreaterThanOrEqual(2);
    for (const width of widths) expect(Math.abs(width - 210 * PT_PER_MM)).toBeLessThan(2);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('When a barcode reader types each notice ID and Enter at the receiving page, then each card is received in turn and the field is ready for the next', async () => {
    const { ward, shipmentId, noticeIds } = await listed();
    await inTx(t.db, (tx) => shipShipment(tx, { shipmentId, by: TEST_CLERK }), STAFF_ACTOR);
    const { page, problems } = await clerk();
    await page.goto(`${base}/staff/logistics/sites/${ward.id}/receive`);
    await page.fill('#storagePlace', '北-棚1');
    await page.focus('#code');
    for (const noticeId of noticeIds.slice(0, 3)) {
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('code');
      await page.keyboard.type(noticeId);
      await Promise.all([page.waitForLoadState('load'), page.waitForURL(`${base}/staff/logistics/sites/${ward.id}/receive`), page.keyboard.press('Enter')]);
      await expect.poll(() => page.textContent('.scan-answer')).toContain(noticeId);
      expect(await page.textContent('.scan-answer')).toContain('受領しました');
      expect(await page.inputValue('#storagePlace')).toBe('北-棚1');
    }
    expect(await t.db.prisma.cardTransfer.count({ where: { shipmentId, status: 'received', storagePlace: '北-棚1' } })).toBe(3);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 90_000);
});
