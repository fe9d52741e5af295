// What a citizen reads on first use (issue 12 point 8): wording, the way back after a refusal,
// the calendar legend, the call center in the footer, headings.
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { browserAgent } from '../helpers/http.js';
import { book, loggedInCitizen, tapTime } from './citizen-agent.js';

let t: TestApp;
const day = addDays(todayInJapan(), 9); // inside the booking window whatever today is
beforeAll(async () => {
  t = await createTestApp({ CALL_CENTER_PHONE: '06-1234-5678', CALL_CENTER_HOURS: '平日 9:00〜17:30(祝日・年末年始を除く)' });
});

const headings = (html: string) => [...html.matchAll(/<h[1-3][^>]*>([\s\S]*?)<\/h[1-3]>/g)].map((match) => match[1]!.replace(/<[^>]+>/g, '').trim());
const titleOf = (html: string) => html.match(/<title>([^<]*)<\/title>/)![1]!;

async function citizenWithSlots() {
  const counter = await createCounter(t.db);
  const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 5 });
  const full = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 11 * 60, capacity: 1 });
  await t.db.prisma.slot.update({ where: { id: full.id }, data: { booked: 1 } });
  const person = await createCardHolder(t.db, { counterId: counter.id });
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  return { counter, slot, full, agent };
}

describe('citizen wording and flow', () => {
  it('When a citizen booked alone, then the cancel page does not mention family; with family it does', async () => {
    const alone = await citizenWithSlots();
    expect((await book(alone.agent, alone.slot.id)).status).toBe(303);
    const page = await alone.agent.get('/booking/cancel');
    expect(page.status).toBe(200);
    expect(page.text).toContain('次の予約を取り消します。');
    expect(page.text).not.toContain('家族');

    const parent = await citizenWithSlots();
    const child = await createCardHolder(t.db, { mmdd: '0505' });
    expect((await book(parent.agent, parent.slot.id, 'p@example.jp', [{ noticeId: child.noticeId, mmdd: '0505' }])).status).toBe(303);
    expect((await parent.agent.get('/booking/cancel')).text).toContain('ご家族の予約もあわせて取り消されます');
  });

  it('When a tapped time is full, then 戻る leads back to the same day, not to the counter list', async () => {
    const { counter, full, agent } = await citizenWithSlots();
    const refused = await tapTime(agent, full.id, `/booking/counters/${counter.id}/days/${day}`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain(`href="/booking/counters/${counter.id}/days/${day}"`);
  });

  it('When the calendar legend is shown, then 休み and 受付期間外 have clearly different marks, neither a dash', async () => {
    const { counter, agent } = await citizenWithSlots();
    const page = await agent.get(`/booking/counters/${counter.id}?month=${day.slice(0, 7)}`);
    const mark = (state: string) =>
      page.text
        .match(new RegExp(`<span class="mark mark-${state}"[^>]*>([^<]*)</span>\\s*([^<]*)</li>`))!
        .slice(1)
        .map((s) => s.trim());
    const [closedMark, closedWord] = mark('closed');
    const [outsideMark, outsideWord] = mark('outside');
    expect([closedWord, outsideWord]).toEqual(['休み', '受付期間外']);
    expect(closedMark).not.toBe(outsideMark);
    for (const shown of [closedMark, outsideMark]) expect(shown).not.toMatch(/^[-‐‑‒–—―−ー－]$/);
  });

  it('When any citizen page is shown, then its footer gives the call center number (a tel: link) and hours from the settings', async () => {
    const anonymous = browserAgent(t.app);
    for (const path of ['/', '/login']) {
      const page = await anonymous.get(path);
      expect(page.text).toContain('href="tel:0612345678"');
      expect(page.text).toContain('06-1234-5678');
      expect(page.text).toContain('受付時間 平日 9:00〜17:30(祝日・年末年始を除く)');
    }
  });

  it('When the call center number is not a phone number, then start-up refuses it by name', () => {
    expect(() => loadConfig({ CALL_CENTER_PHONE: 'call us' })).toThrow(/CALL_CENTER_PHONE/);
    expect(loadConfig({}).CALL_CENTER_PHONE).toMatch(/^0[\d-]+$/);
  });

  it('When the home page is shown, then its title and heading do not repeat the site name', async () => {
    const page = await browserAgent(t.app).get('/');
    expect(titleOf(page.text)).toBe('マイナンバーカード交付予約');
    expect(headings(page.text)[0]).not.toBe('マイナンバーカード交付予約');
  });

  it('When a citizen picks a day and a time, then no heading uses a half-width colon', async () => {
    const { counter, agent } = await citizenWithSlots();
    for (const path of [`/booking/counters/${counter.id}?month=${day.slice(0, 7)}`, `/booking/counters/${counter.id}/days/${day}`, '/booking/counters']) {
      const found = headings((await agent.get(path)).text);
      expect(found.length, path).toBeGreaterThan(0);
      for (const heading of found) expect(heading, path).not.toContain(':');
    }
  });

  it('When any page title or heading is written in the locales, then it has no half-width colon and no 「未来庁」', () => {
    for (const file of readdirSync('locales')) {
      const messages = JSON.parse(readFileSync(`locales/${file}`, 'utf8')) as Record<string, string>;
      for (const [key, text] of Object.entries(messages)) {
        if (/\.(title|heading)$/.test(key)) expect(text, key).not.toContain(':');
        expect(text, key).not.toContain('未来庁');
      }
    }
  });
});
