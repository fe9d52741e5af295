// The monthly report printed from a real browser: every page is A4 portrait, nothing is wider
// than the paper, and the console's header and the filter form stay off the paper.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { appInBrowser, printedSheets, PT_PER_MM, staffInBrowser } from '../helpers/browser.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCounter, createSlot } from '../helpers/factories.js';
import { addDays } from '../../src/lib/jst.js';

const { today } = pinClock(WORKING_WEDNESDAY);

let t: TestApp;
let base: string;
let browser: Awaited<ReturnType<typeof appInBrowser>>['browser'];
beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  for (const name of ['本庁舎', '北支所', '南支所']) {
    const counter = await createCounter(t.db, { name });
    for (let day = 0; day < 10; day++) await createSlot(t.db, { counterId: counter.id, date: addDays(today, day), capacity: 12 });
  }
});

describe('the monthly report on paper', () => {
  it('When staff print the month, then every page is A4 portrait and no table runs off the paper', async () => {
    const { page, problems } = await staffInBrowser({ t, base, browser }, 'admin');
    await page.goto(`${base}/staff/reports?month=${today.slice(0, 7)}`);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.staff-header').isVisible()).toBe(false);
    expect(await page.locator('form.report-filter').isVisible()).toBe(false);
    // Laid out as wide as A4 less its 12 mm margins (in CSS pixels), nothing is wider.
    const printable = Math.floor(((210 - 24) * 96) / 25.4);
    await page.setViewportSize({ width: printable, height: 1000 });
    const widest = await page.locator('.report-table, .chart').evaluateAll((nodes) => Math.max(...nodes.map((node) => node.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(printable);
    const boxes = await printedSheets(page);
    expect(boxes.length).toBeGreaterThan(1);
    for (const { width, height } of boxes) {
      expect(Math.abs(width - 210 * PT_PER_MM), `width ${width} pt`).toBeLessThan(2);
      expect(Math.abs(height - 297 * PT_PER_MM), `height ${height} pt`).toBeLessThan(2);
    }
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);
});
