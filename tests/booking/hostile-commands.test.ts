// The booking commands against unlucky timing and hostile input: a slot that looks full only
// because of holds that ran out, one citizen tapping many times at once, and completion forms
// carrying values no page ever sends.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot, holdSlot } from '../../src/features/booking/index.js';
import { addDays } from '../../src/lib/jst.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { hiddenFields, loggedInCitizen, tapTime } from '../citizen/citizen-agent.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 10);
const baseUrl = 'http://127.0.0.1';
const citizen = (id: number) => ({ type: 'citizen' as const, id: String(id) });

beforeAll(async () => {
  t = await createTestApp();
});

async function slotFullOfAnExpiredHold(startMinute: number) {
  const counter = await createCounter(t.db);
  const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute, capacity: 1 });
  const holder = await createCardHolder(t.db);
  await t.db.prisma.slotHold.create({ data: { slotId: slot.id, cardHolderId: holder.holder.id, people: 1, expiresAt: new Date(now.getTime() - 60_000) } });
  await t.db.prisma.slot.update({ where: { id: slot.id }, data: { booked: 1 } });
  return slot;
}

async function slotCount(slotId: number) {
  const slot = await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } });
  const bookings = await t.db.prisma.booking.count({ where: { slotId, status: 'active' } });
  const held = await t.db.prisma.slotHold.aggregate({ where: { slotId }, _sum: { people: true } });
  return { booked: slot.booked, rows: bookings + (held._sum.people ?? 0) };
}

describe('a slot that looks full only because a hold ran out', () => {
  it('When a citizen holds it, then the run-out hold gives its place back and the citizen gets it', async () => {
    const slot = await slotFullOfAnExpiredHold(9 * 60);
    const { holder } = await createCardHolder(t.db);
    await transaction(t.db, citizen(holder.id), (tx) => holdSlot(tx, { slotId: slot.id, cardHolderId: holder.id, minutes: 10 }), { models: false });
    expect(await slotCount(slot.id)).toEqual({ booked: 1, rows: 1 });
    expect(await t.db.prisma.slotHold.count({ where: { slotId: slot.id, cardHolderId: holder.id } })).toBe(1);
  });

  it('When staff book it directly, then the run-out hold gives its place back and the booking is made', async () => {
    const slot = await slotFullOfAnExpiredHold(10 * 60);
    const { holder } = await createCardHolder(t.db);
    const group = await transaction(
      t.db,
      { type: 'staff', id: '0' },
      (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'counter', by: TEST_CLERK, baseUrl }),
      {
        models: false,
      },
    );
    expect(group.bookings).toHaveLength(1);
    expect(await slotCount(slot.id)).toEqual({ booked: 1, rows: 1 });
  });

  it('When a slot is full of live bookings, then a citizen is refused at once and nothing changes', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 11 * 60, capacity: 1 });
    const [first, second] = [await createCardHolder(t.db), await createCardHolder(t.db)];
    await transaction(t.db, citizen(first.holder.id), (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [first.holder.id], channel: 'web', by: null, baseUrl }), {
      models: false,
    });
    await expect(
      transaction(t.db, citizen(second.holder.id), (tx) => holdSlot(tx, { slotId: slot.id, cardHolderId: second.holder.id, minutes: 10 }), { models: false }),
    ).rejects.toMatchObject({ code: 'slot_full' });
    expect(await slotCount(slot.id)).toEqual({ booked: 1, rows: 1 });
  });
});

describe('one citizen, many taps at once', () => {
  it('When a citizen holds ten different times at the same moment, then at most one hold is left and every slot counts exactly its rows', async () => {
    const counter = await createCounter(t.db);
    const slots = await Promise.all(Array.from({ length: 10 }, (_, i) => createSlot(t.db, { counterId: counter.id, date: day, startMinute: 9 * 60 + i * 30, capacity: 2 })));
    const { holder } = await createCardHolder(t.db);
    await Promise.allSettled(
      slots.map((slot) => transaction(t.db, citizen(holder.id), (tx) => holdSlot(tx, { slotId: slot.id, cardHolderId: holder.id, minutes: 10 }), { models: false })),
    );
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: holder.id } })).toBe(1);
    for (const slot of slots) {
      const count = await slotCount(slot.id);
      expect(count.booked).toBe(count.rows);
    }
  });
});

/** A citizen who held the slot and reached the review page (with this email, or none): the review's hidden fields. */
async function reviewed(slotId: number, email: string) {
  const person = await createCardHolder(t.db);
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  await tapTime(agent, slotId);
  const confirm = await agent.get('/booking/confirm');
  await agent
    .post('/booking/confirm')
    .type('form')
    .send({ ...hiddenFields(confirm.text, '/booking/confirm'), email, emailAgain: email });
  return { person, agent, review: hiddenFields((await agent.get('/booking/review')).text, '/booking/complete') };
}

describe('completion forms no page sends', () => {
  it('When the completion carries a NUL, 2^31, a negative or a doubled hold id, then nothing is booked, the hold stays and the answer is a redirect, never a 500', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 15 * 60, capacity: 2 });
    const { person, agent, review } = await reviewed(slot.id, 'x@example.jp');
    const hostile = ['1\u0000', '2147483648', '-1', '9'.repeat(40)];
    for (const holdId of hostile) {
      const answer = await agent
        .post('/booking/complete')
        .type('form')
        .send({ ...review, holdId });
      expect([answer.status, answer.headers.location]).toEqual([303, '/booking/refused']);
    }
    const doubled = await agent
      .post('/booking/complete')
      .type('form')
      .send(`${new URLSearchParams({ ...review }).toString()}&holdId=${review.holdId}`);
    expect(doubled.status).toBe(303);
    expect(doubled.headers.location).toBe('/booking/refused');
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: person.holder.id } })).toBe(1);
    const refusal = await agent.get('/booking/refused');
    expect(refusal.text).not.toMatch(/hold_changed|hold_not_found|booking\.error/);
  });

  it('When the completion names a procedure no page offers (a NUL, an overlong or malformed code, one offered elsewhere, none, two), then nothing is booked, the hold stays and the answer is a redirect, never a 500', async () => {
    const [counter, elsewhere] = [await createCounter(t.db), await createCounter(t.db)];
    await t.db.prisma.procedure.create({ data: { code: 'elsewhere-only', name: '他の窓口だけの手続き', needsNoticeId: false } });
    await t.db.prisma.counterProcedure.create({ data: { counterId: elsewhere.id, procedureCode: 'elsewhere-only' } });
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 16 * 60, capacity: 2 });
    const { person, agent, review } = await reviewed(slot.id, '');
    expect(review.procedure).toBe('pickup');
    const { procedure: _shown, ...withoutProcedure } = review;
    const forms = [
      ...['pickup\u0000', '\u0000', 'p'.repeat(41), 'PICKUP', 'elsewhere-only', ''].map((procedure) => new URLSearchParams({ ...review, procedure }).toString()),
      new URLSearchParams(withoutProcedure).toString(),
      `${new URLSearchParams(review).toString()}&procedure=elsewhere-only`,
    ];
    for (const form of forms) {
      const answer = await agent.post('/booking/complete').type('form').send(form);
      expect([answer.status, answer.headers.location], form).toEqual([303, '/booking/refused']);
    }
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: person.holder.id } })).toBe(1);
  });
});
