import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { addDays } from '../../src/lib/jst.js';
import { book, loggedInCitizen } from '../citizen/citizen-agent.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const inTenDays = addDays(today, 10);
beforeAll(async () => {
  t = await createTestApp();
});

describe('booking flow', () => {
  it('When a citizen holds a time, gives an email and confirms, then the booking page shows the code and the outbox has the email', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: inTenDays, capacity: 3 });
    const { noticeId, mmdd, holder } = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, noticeId, mmdd);
    const calendar = await agent.get(`/booking/counters/${counter.id}?month=${inTenDays.slice(0, 7)}`);
    expect(calendar.status).toBe(200);
    expect(calendar.text).toContain('空きあり');
    const day = await agent.get(`/booking/counters/${counter.id}/days/${inTenDays}`);
    expect(day.text).toContain('残り3人');
    const done = await book(agent, slot.id, 'taro@example.jp');
    expect(done.status, done.text).toBe(303);
    const page = await agent.get('/booking');
    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: holder.id } });
    expect(page.text).toContain(booking.code);
    expect(booking.code).toMatch(/^[A-HJKMNP-Z2-9]{8}$/);
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id, kind: 'booking.confirmation' } })).toBe(1);
    expect((await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).booked).toBe(1);
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } })).status).toBe('booked');
  });
});
