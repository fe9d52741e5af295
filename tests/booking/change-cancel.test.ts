import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { releaseExpiredHolds } from '../../src/features/booking/index.js';
import { book, loggedInCitizen, post, tapTime } from '../citizen/citizen-agent.js';
import { csrfTokenFrom } from '../helpers/http.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 14);
beforeAll(async () => {
  t = await createTestApp();
});

const booked = async (slotId: number) => (await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } })).booked;

async function bookedCitizen(capacity = 3) {
  const counter = await createCounter(t.db);
  const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity });
  const other = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 10 * 60, capacity });
  const person = await createCardHolder(t.db);
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  expect((await book(agent, slot.id, 'me@example.jp')).status).toBe(303);
  const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: person.holder.id, status: 'active' } });
  return { counter, slot, other, person, agent, booking };
}

describe('holds', () => {
  it('When a time is held, then it counts against capacity until it expires and the cleanup gives it back', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 1 });
    const [a, b] = [await createCardHolder(t.db), await createCardHolder(t.db)];
    const agentA = await loggedInCitizen(t.app, a.noticeId, a.mmdd);
    const agentB = await loggedInCitizen(t.app, b.noticeId, b.mmdd);
    expect((await tapTime(agentA, slot.id)).headers.location).toBe('/booking/confirm');
    expect(await booked(slot.id)).toBe(1);
    expect((await tapTime(agentB, slot.id)).status).toBe(409);
    await t.db.prisma.slotHold.updateMany({ where: { slotId: slot.id }, data: { expiresAt: new Date(now.getTime() - 1000) } });
    expect(await transaction(t.db, { type: 'system', id: 'test' }, (tx) => releaseExpiredHolds(tx))).toBe(1);
    expect(await booked(slot.id)).toBe(0);
    expect((await tapTime(agentB, slot.id)).headers.location).toBe('/booking/confirm');
    // A's hold is gone: confirming now tells A to choose again.
    const late = await post(agentA, '/booking/counters', '/booking/confirm', { email: 'a@example.jp', emailAgain: 'a@example.jp' });
    expect(late.status).toBe(409);
    expect(late.text).toContain('時間の確保が切れました');
  });

  it('When a hold ran out but was not cleaned up yet, then the next citizen still gets the place', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 1 });
    const [a, b] = [await createCardHolder(t.db), await createCardHolder(t.db)];
    const agentA = await loggedInCitizen(t.app, a.noticeId, a.mmdd);
    await tapTime(agentA, slot.id);
    await t.db.prisma.slotHold.updateMany({ where: { slotId: slot.id }, data: { expiresAt: new Date(now.getTime() - 1000) } });
    const agentB = await loggedInCitizen(t.app, b.noticeId, b.mmdd);
    expect((await book(agentB, slot.id, 'b@example.jp')).headers.location).toBe('/booking?done=booked');
    expect(await booked(slot.id)).toBe(1);
    expect(await t.db.prisma.slotHold.count({ where: { slotId: slot.id } })).toBe(0);
  });

  it('When the citizen logs out or goes back, then the held place is released at once', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 2 });
    const person = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    await tapTime(agent, slot.id);
    expect(await booked(slot.id)).toBe(1);
    await post(agent, '/booking/confirm', '/booking/hold/release', {});
    expect(await booked(slot.id)).toBe(0);
    await tapTime(agent, slot.id);
    await post(agent, '/booking/confirm', '/logout', {});
    expect(await booked(slot.id)).toBe(0);
  });

  it('When the email is mistyped, then the page says so beside the field and nothing is booked', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 2 });
    const person = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    await tapTime(agent, slot.id);
    const sent = await post(agent, '/booking/confirm', '/booking/confirm', { email: 'not-an-email', emailAgain: 'not-an-email' });
    expect(sent.headers.location).toBe('/booking/confirm');
    const bad = await agent.get('/booking/confirm');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('メールアドレスの形式が正しくありません');
    expect(bad.text).toContain('aria-invalid="true"');
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
  });
});

describe('change and cancel', () => {
  it('When a citizen logs in again, then they see their booking with its code and can move it; a change email is queued', async () => {
    const { slot, other, person, booking } = await bookedCitizen();
    const again = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    const page = await again.get('/booking');
    expect(page.text).toContain(booking.code);
    const tapped = await tapTime(again, other.id, '/booking/counters?change=1');
    expect(tapped.headers.location).toBe(`/booking/move?slotId=${other.id}`);
    const moved = await post(again, tapped.headers.location, '/booking/move', { slotId: other.id });
    expect(moved.headers.location).toBe('/booking?done=moved');
    expect([await booked(slot.id), await booked(other.id)]).toEqual([0, 1]);
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id, kind: 'booking.change' } })).toBe(1);
  });

  it('When a citizen who already has a booking posts a hold directly, then no place is held and they are shown their booking', async () => {
    const { other, agent } = await bookedCitizen();
    const response = await agent
      .post('/booking/hold')
      .type('form')
      .send({ _csrf: csrfTokenFrom((await agent.get('/booking')).text), slotId: other.id });
    expect(response.headers.location).toBe('/booking');
    expect(await booked(other.id)).toBe(0);
  });

  it('When a citizen cancels, then the place is free again, the card goes back to notice_sent and a cancellation email is queued', async () => {
    const { slot, person, agent, booking } = await bookedCitizen();
    const cancelled = await post(agent, '/booking/cancel', '/booking/cancel', {});
    expect(cancelled.headers.location).toBe('/booking?done=cancelled');
    expect(await booked(slot.id)).toBe(0);
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: person.holder.id } })).status).toBe('notice_sent');
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id, kind: 'booking.cancellation' } })).toBe(1);
  });

  it('When the deadline has passed, then the citizen cannot cancel and is told to call', async () => {
    const { slot, agent } = await bookedCitizen();
    // Move the visit to tomorrow morning: the default deadline (the day before, 17:00 JST) may be gone.
    const tomorrow = addDays(today, 1);
    await t.db.prisma.bookingPolicy.updateMany({ where: { counterId: null }, data: { closesDaysBefore: 2 } });
    await t.db.prisma.slot.update({ where: { id: slot.id }, data: { startsAt: jstInstant(tomorrow, 9 * 60), endsAt: jstInstant(tomorrow, 9 * 60 + 30) } });
    const refused = await post(agent, '/booking/cancel', '/booking/cancel', {});
    await t.db.prisma.bookingPolicy.updateMany({ where: { counterId: null }, data: { closesDaysBefore: 1 } });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('コールセンターへお電話ください');
    expect(await booked(slot.id)).toBe(1);
  });

  it('When a family member is added and removed later, then the others keep their booking and places follow', async () => {
    const { slot, agent, booking } = await bookedCitizen();
    const kid = await createCardHolder(t.db, { mmdd: '0808' });
    const added = await post(agent, '/booking', '/booking/family/add', { familyId1: kid.noticeId, familyBirth1: '0808' });
    expect(added.headers.location).toBe('/booking?done=familyAdded');
    expect(await booked(slot.id)).toBe(2);
    const member = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: kid.holder.id, status: 'active' } });
    expect(member.groupCode).toBe(booking.code);
    const removed = await post(agent, '/booking', '/booking/family/remove', { memberBookingId: member.id });
    expect(removed.headers.location).toBe('/booking?done=familyRemoved');
    expect(await booked(slot.id)).toBe(1);
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).status).toBe('active');
  });

  it('When a family books together on the confirm step, then all get a place in the same slot, all or nothing', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 2 });
    const [parent, kid1, kid2] = [await createCardHolder(t.db), await createCardHolder(t.db, { mmdd: '0303' }), await createCardHolder(t.db, { mmdd: '0404' })];
    const agent = await loggedInCitizen(t.app, parent.noticeId, parent.mmdd);
    const tooMany = await book(agent, slot.id, 'p@example.jp', [
      { noticeId: kid1.noticeId, mmdd: '0303' },
      { noticeId: kid2.noticeId, mmdd: '0404' },
    ]);
    expect(tooMany.status).toBe(409);
    expect(await t.db.prisma.booking.count({ where: { slotId: slot.id } })).toBe(0);
    expect(await booked(slot.id)).toBe(1); // only the parent's own hold
    const ok = await book(agent, slot.id, 'p@example.jp', [{ noticeId: kid1.noticeId, mmdd: '0303' }]);
    expect(ok.status).toBe(303);
    expect(await t.db.prisma.booking.count({ where: { slotId: slot.id, status: 'active' } })).toBe(2);
    expect(await booked(slot.id)).toBe(2);
  });
});

describe('access control', () => {
  it("When another citizen guesses a booking id or code, then they never see or change someone else's booking", async () => {
    const { booking, slot } = await bookedCitizen();
    const stranger = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, stranger.noticeId, stranger.mmdd);
    expect((await agent.get('/booking')).text).not.toContain(booking.code);
    expect((await agent.get(`/booking?code=${booking.code}`)).text).not.toContain(booking.code);
    expect((await agent.get('/booking/visit.ics')).text).not.toContain(booking.code);
    await post(agent, '/booking/counters', '/booking/family/remove', { memberBookingId: booking.id });
    await post(agent, '/booking/counters', '/booking/cancel', { bookingId: booking.id });
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).status).toBe('active');
    expect(await booked(slot.id)).toBe(1);
  });

  it('When a citizen whose card was handed over logs in, then they are told why they cannot book', async () => {
    const person = await createCardHolder(t.db, { status: 'handed_over' });
    const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    const page = await agent.get('/booking');
    expect(page.text).toContain('すでにお受け取り済み');
  });
});

describe('bad addresses', () => {
  it('When a calendar or day address names no counter, then the citizen is sent back to the counter list; a date that is not a date is a 400', async () => {
    const person = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    for (const path of ['/booking/counters/abc', '/booking/counters/999999', '/booking/counters/999999/days/2026-12-01']) {
      const response = await agent.get(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.location).toBe('/booking/counters');
    }
    for (const path of ['/booking/counters/1/days/not-a-date', '/booking/counters/1/days/2026-02-31']) {
      const response = await agent.get(path);
      expect(response.status, path).toBe(400);
      expect(response.text).toContain('入力内容が正しくありません');
    }
  });
});
