// The counter floor in a real browser (issue 18): a clerk calls at a window; the call display on
// the waiting room's monitor shows it, chimes and reads it aloud in Japanese and English; the
// visitor's phone shows their place and then their call; another clerk's window page learns of
// a new ticket without reloading. Each within 2 seconds, with no console error.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, DESKTOP, openPage, PHONE, printedSheets, PT_PER_MM, screenshot, staffInBrowser } from '../helpers/browser.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCounter } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

pinClock(WORKING_WEDNESDAY);
const LIVE = { timeout: 2_000 };

let t: TestApp;
let base: string;
let browser: Awaited<ReturnType<typeof appInBrowser>>['browser'];
beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
});

const walkIn = (counterId: number) => inTx(t.db, (tx) => issueWalkIn(tx, { counterId, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);

async function clerkAtWindow(counterId: number, window: number): Promise<{ page: Page; problems: string[] }> {
  const opened = await staffInBrowser({ t, base, browser });
  await opened.page.goto(`${base}/staff/floor/counters/${counterId}?window=${window}`);
  return opened;
}

describe('the floor in a browser', () => {
  it('When a clerk calls the next two tickets, then the display shows and speaks each call, and the phone of the second goes from "1 ahead" to "next" to "your turn"', async () => {
    const counter = await createCounter(t.db, { name: '中央交付センター', windows: 3 });
    await walkIn(counter.id);
    const mine = await walkIn(counter.id);

    // The monitor: speech is recorded instead of played (a headless browser has no voices).
    const display = await openPage(browser, DESKTOP);
    await display.page.addInitScript(() => {
      const spoken: { text: string; lang: string }[] = [];
      (window as unknown as { spoken: typeof spoken }).spoken = spoken;
      Object.defineProperty(window, 'speechSynthesis', { value: { speak: (utterance: SpeechSynthesisUtterance) => spoken.push({ text: utterance.text, lang: utterance.lang }) } });
    });
    await display.page.goto(`${base}/floor/${counter.code}/display`);
    await display.page.click('#display-sound');
    await expect.poll(() => display.page.textContent('#display-sound')).toContain('音声で呼び出し中');

    const phone = await openPage(browser, PHONE);
    await phone.page.goto(`${base}/tickets/${mine.token}`);
    await phone.page.waitForFunction(() => document.querySelector('#follow-state')?.textContent?.includes('あなたの前に 1人'), null, LIVE);

    const clerk = await clerkAtWindow(counter.id, 3);
    await clerk.page.click('form[action$="/call-next"] button');
    await clerk.page.waitForURL(/done=called/);
    await display.page.waitForFunction(() => document.querySelector('#display-calls tr td')?.textContent === 'B-001', null, LIVE);
    await phone.page.waitForFunction(() => document.querySelector('#follow-state')?.textContent?.includes('次にお呼びします'), null, LIVE);

    await clerk.page.click('form[action$="/call-next"] button');
    await display.page.waitForFunction(() => document.querySelector('#display-calls tr td')?.textContent === 'B-002', null, LIVE);
    await phone.page.waitForFunction(() => document.querySelector('#follow-state')?.textContent === 'あなたの番です。3番窓口へお越しください。', null, LIVE);
    expect(await phone.page.getAttribute('#follow-state', 'role')).toBe('alert');
    expect(await display.page.textContent('#display-calls tr td:nth-child(2)')).toBe('3番窓口');

    const spoken = await display.page.evaluate(() => (window as unknown as { spoken: { text: string; lang: string }[] }).spoken);
    expect(spoken).toEqual([
      { text: 'B 1番の方、3番窓口へお越しください。', lang: 'ja-JP' },
      { text: 'Number B 1, please come to window 3.', lang: 'en-US' },
      { text: 'B 2番の方、3番窓口へお越しください。', lang: 'ja-JP' },
      { text: 'Number B 2, please come to window 3.', lang: 'en-US' },
    ]);
    await screenshot(display.page, 'floor-display');
    await screenshot(phone.page, 'floor-phone');
    for (const opened of [display, phone, clerk]) expect(opened.problems).toEqual([]);
    for (const opened of [display, phone, clerk]) await opened.page.context().close();
  }, 60_000);

  it("When a ticket is issued at another window, then a clerk's window page lists it without reloading", async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const clerk = await clerkAtWindow(counter.id, 1);
    expect(await clerk.page.textContent('#floor-queue')).toContain('お待ちの方はいません。');
    await clerk.page.waitForTimeout(300); // the stream's first picture is the page already shown
    const ticket = await walkIn(counter.id);
    await clerk.page.waitForFunction((number) => document.querySelector('#floor-queue')?.textContent?.includes(number), ticket.number, LIVE);
    expect(clerk.problems).toEqual([]);
    await clerk.page.context().close();
  }, 60_000);

  it('When a clerk prints a ticket, then it is one page of 80 mm paper for the receipt printer, one A4 page otherwise, with the QR code on it', async () => {
    const counter = await createCounter(t.db);
    const ticket = await walkIn(counter.id);
    const clerk = await clerkAtWindow(counter.id, 1);
    for (const [paper, width] of [
      ['receipt', 80],
      ['a4', 210],
    ] as const) {
      await clerk.page.goto(`${base}/staff/floor/tickets/${ticket.id}/print?paper=${paper}`);
      expect(await clerk.page.locator('.ticket-qr svg path').count()).toBe(1);
      await clerk.page.emulateMedia({ media: 'print' });
      expect(await clerk.page.locator('.staff-header').isVisible()).toBe(false);
      const boxes = (await printedSheets(clerk.page)).map((sheet) => sheet.width);
      expect(boxes, paper).toHaveLength(1);
      expect(Math.abs(boxes[0] - width * PT_PER_MM), `${paper} width ${boxes[0]} pt`).toBeLessThan(2);
      await clerk.page.emulateMedia({ media: 'screen' });
    }
    expect(clerk.problems).toEqual([]);
    await clerk.page.context().close();
  }, 60_000);
});
