// The app's one clock (src/lib/clock.ts) decides what a citizen sees and may do, in the code
// and in the database: a test that pins it gets the same pages whatever day it runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { setClock } from '../../src/lib/clock.js';
import { addDays } from '../../src/lib/jst.js';
import { book, loggedInCitizen, tapTime } from '../citizen/citizen-agent.js';

const { now, today } = pinClock('2027-03-31T16:30:00+09:00'); // the last day of a month
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ HOLD_MINUTES: '10' });
});

describe('a pinned clock', () => {
  it('When the clock is pinned, then the calendar opens on the pinned month, days before it are outside the window and the next month is offered', async () => {
    const counter = await createCounter(t.db);
    await createSlot(t.db, { counterId: counter.id, date: addDays(today, -1) });
    await createSlot(t.db, { counterId: counter.id, date: addDays(today, 2) });
    const person = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    const page = await agent.get(`/booking/counters/${counter.id}`);
    expect(page.text).toContain('2027年3月');
    expect(page.text).toContain('3月30日 受付期間外');
    expect(page.text).toContain('href="?month=2027-04"');
    const april = await agent.get(`/booking/counters/${counter.id}?month=2027-04`);
    // The day link's name starts with its visible text (WCAG 2.5.3), then the full date.
    const link = april.text.match(new RegExp(`<a href="[^"]*/days/${addDays(today, 2)}">([\\s\\S]*?)</a>`))?.[1] ?? '';
    expect(link.replace(/<span class="mark" aria-hidden="true">.*?<\/span>/, '').replace(/<[^>]+>|\s/g, '')).toBe('2空き4月2日空きあり');
  });

  it("When the pinned clock passes a hold's expiry, then the database gives the place back to the next citizen", async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 5), capacity: 1 });
    const [first, second] = [await createCardHolder(t.db), await createCardHolder(t.db)];
    await tapTime(await loggedInCitizen(t.app, first.noticeId, first.mmdd), slot.id);
    const hold = await t.db.prisma.slotHold.findFirstOrThrow({ where: { cardHolderId: first.holder.id } });
    expect(hold.expiresAt.getTime()).toBe(now.getTime() + 10 * 60_000);
    const agent = await loggedInCitizen(t.app, second.noticeId, second.mmdd);
    expect((await book(agent, slot.id, 'second@example.jp')).text).toContain('満員');
    setClock(new Date(now.getTime() + 11 * 60_000));
    try {
      expect((await agent.get(`/booking/counters/${counter.id}/days/${addDays(today, 5)}`)).text).toContain('残り1人');
      expect((await book(agent, slot.id, 'second@example.jp')).headers.location).toBe('/booking?done=booked');
    } finally {
      setClock(now);
    }
  });
});
