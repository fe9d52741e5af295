// Procedures in the booking core: a booking is for a procedure the counter offers; procedures
// share a slot's places; a capped procedure never takes more than its share of a slot or a
// day, however many people book, hold or move at the same moment; its own booking window
// applies; its documents reach the mail.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot, cancelBooking, dayPage, holdSlot, monthCalendar, moveBooking, slotDeadline } from '../../src/features/booking/index.js';
import { counterRules } from '../../src/features/booking/counter-rules.js';
import { addDays, formatMomentJa, jstInstant } from '../../src/lib/jst.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { waitUntilBlockedBy } from '../helpers/db.js';
import { loggedInCitizen } from '../citizen/citizen-agent.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 9);
const baseUrl = 'http://127.0.0.1';
const staff = { type: 'staff' as const, id: '0' };
const citizen = (id: number) => ({ type: 'citizen' as const, id: String(id) });

beforeAll(async () => {
  t = await createTestApp();
});

/** A procedure offered at the counter (and the pickup, which every counter here offers). */
const createProcedure = (counterId: number, data: Parameters<typeof offerProcedure>[2] = {}) => offerProcedure(t.db, counterId, { name: '暗証番号の再設定', ...data });

const people = (count: number) => Promise.all(Array.from({ length: count }, () => createCardHolder(t.db)));
const book = (holderId: number, slotId: number, procedure?: string) =>
  transaction(t.db, staff, (tx) => bookSlot(tx, { slotId, cardHolderIds: [holderId], channel: 'phone', procedure, by: TEST_CLERK, baseUrl }));
const codesOf = (results: PromiseSettledResult<unknown>[]) =>
  results.map((r) => (r.status === 'fulfilled' ? 'booked' : ((r.reason as { code?: string }).code ?? String(r.reason)))).sort();
const active = (where: { slotId?: number; procedureCode?: string }) => t.db.prisma.booking.count({ where: { ...where, status: 'active' } });

describe('procedures in the booking core', () => {
  it('When a booking names a procedure the counter does not offer (or none that exists), then it is refused and nothing is written', async () => {
    const [counter, other] = [await createCounter(t.db), await createCounter(t.db)];
    const elsewhere = await createProcedure(other.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day });
    const [a] = await people(1);
    for (const procedure of [elsewhere, 'no-such-procedure']) await expect(book(a.holder.id, slot.id, procedure)).rejects.toMatchObject({ code: 'procedure_not_offered' });
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).toMatchObject({ booked: 0 });
    expect(await active({ slotId: slot.id })).toBe(0);
  });

  it('When a procedure is booked, then the booking and the mail carry it: its name and its own documents to bring', async () => {
    const counter = await createCounter(t.db);
    const procedure = await createProcedure(counter.id, { documents: ['マイナンバーカード', '本人確認書類(運転免許証など)'] });
    const slot = await createSlot(t.db, { counterId: counter.id, date: day });
    const [a] = await people(1);
    const booked = await transaction(t.db, staff, (tx) =>
      bookSlot(tx, { slotId: slot.id, cardHolderIds: [a.holder.id], channel: 'phone', procedure, email: 'a@example.jp', by: TEST_CLERK, baseUrl }),
    );
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { code: booked.groupCode } })).toMatchObject({ procedureCode: procedure });
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: booked.bookings[0].id } });
    expect(mail.textBody).toContain('手続き: 暗証番号の再設定');
    expect(mail.textBody).toContain('・本人確認書類(運転免許証など)');
    expect(mail.textBody).toContain('暗証番号の再設定の予約を承りました');
    expect(mail.textBody).not.toContain('・交付通知書');
  });

  it('When 12 people book a procedure capped at 2 per slot into a slot of 10 places at once, then exactly 2 get it, the pickup still gets the other places, and nobody overbooks', async () => {
    const counter = await createCounter(t.db);
    const capped = await createProcedure(counter.id, { perSlotLimit: 2 });
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 10 });
    const [cappedPeople, pickupPeople] = [await people(12), await people(8)];
    const results = await Promise.allSettled([...cappedPeople.map((p) => book(p.holder.id, slot.id, capped)), ...pickupPeople.map((p) => book(p.holder.id, slot.id))]);
    expect(codesOf(results).filter((code) => code === 'booked')).toHaveLength(10);
    expect(codesOf(results).filter((code) => code !== 'booked')).toEqual(Array(10).fill('procedure_slot_full'));
    expect(await active({ slotId: slot.id, procedureCode: capped })).toBe(2);
    expect(await active({ slotId: slot.id, procedureCode: 'pickup' })).toBe(8);
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).toMatchObject({ booked: 10, capacity: 10 });
  });

  it('When citizens hold and staff book a procedure capped at 3 per day across four slots at once, then holds and bookings together never pass 3 that day', async () => {
    const counter = await createCounter(t.db);
    const capped = await createProcedure(counter.id, { perDayLimit: 3 });
    const slots = await Promise.all([9, 10, 11, 13].map((hour) => createSlot(t.db, { counterId: counter.id, date: day, startMinute: hour * 60, capacity: 5 })));
    const [holders, bookers] = [await people(8), await people(8)];
    const results = await Promise.allSettled([
      ...holders.map((p, i) =>
        transaction(t.db, citizen(p.holder.id), (tx) => holdSlot(tx, { slotId: slots[i % 4].id, cardHolderId: p.holder.id, minutes: 20, procedure: capped }), { models: false }),
      ),
      ...bookers.map((p, i) => book(p.holder.id, slots[i % 4].id, capped)),
    ]);
    expect(codesOf(results).filter((code) => code === 'booked')).toHaveLength(3);
    expect(codesOf(results).filter((code) => code !== 'booked')).toEqual(Array(13).fill('procedure_day_full'));
    const held = await t.db.prisma.slotHold.count({ where: { procedureCode: capped } });
    expect(held + (await active({ procedureCode: capped }))).toBe(3);
  });

  it('When a capped procedure is full in one slot, then a booking cannot move into it, but can move within its own day when the day cap counts it once', async () => {
    const counter = await createCounter(t.db);
    const capped = await createProcedure(counter.id, { perSlotLimit: 1, perDayLimit: 2 });
    const [nine, ten, eleven] = await Promise.all([9, 10, 11].map((hour) => createSlot(t.db, { counterId: counter.id, date: day, startMinute: hour * 60, capacity: 5 })));
    const [a, b] = await people(2);
    await book(a.holder.id, nine.id, capped);
    const moving = await book(b.holder.id, ten.id, capped);
    const move = (toSlotId: number) => transaction(t.db, staff, (tx) => moveBooking(tx, { bookingId: moving.bookings[0].id, toSlotId, by: TEST_CLERK, baseUrl }));
    await expect(move(nine.id)).rejects.toMatchObject({ code: 'procedure_slot_full' });
    await move(eleven.id);
    expect(await active({ slotId: eleven.id, procedureCode: capped })).toBe(1);
  });

  it("When a procedure allows same-day booking though its counter's policy does not, then a citizen can hold today's slot for it but not for the pickup", async () => {
    const counter = await createCounter(t.db);
    const sameDay = await createProcedure(counter.id, { sameDayAllowed: true });
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 15 * 60 });
    const [a, b] = await people(2);
    const hold = (holderId: number, procedure?: string) =>
      transaction(t.db, citizen(holderId), (tx) => holdSlot(tx, { slotId: slot.id, cardHolderId: holderId, minutes: 20, procedure }), { models: false });
    await expect(hold(a.holder.id)).rejects.toMatchObject({ code: 'deadline_passed' });
    await hold(b.holder.id, sameDay);
    expect(await t.db.prisma.slotHold.findUniqueOrThrow({ where: { cardHolderId: b.holder.id } })).toMatchObject({ procedureCode: sameDay });
  });

  it('When a family books one pickup and one other procedure in the same slot, then each booking is for its own procedure, both count against their caps, and the mail names both with everything to bring', async () => {
    const counter = await createCounter(t.db);
    const other = await createProcedure(counter.id, { perSlotLimit: 1, documents: ['マイナンバーカード', '交付通知書(はがき)'] });
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 5 });
    const [parent, child, late] = await people(3);
    const booked = await transaction(t.db, staff, (tx) =>
      bookSlot(tx, {
        slotId: slot.id,
        cardHolderIds: [parent.holder.id, child.holder.id],
        familyProcedures: { [child.holder.id]: other },
        channel: 'phone',
        email: 'family@example.jp',
        by: TEST_CLERK,
        baseUrl,
      }),
    );
    const rows = await t.db.prisma.booking.findMany({ where: { groupCode: booked.groupCode }, orderBy: { id: 'asc' } });
    expect(rows.map((row) => [row.cardHolderId, row.procedureCode])).toEqual([
      [parent.holder.id, 'pickup'],
      [child.holder.id, other],
    ]);
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: booked.bookings[0].id } });
    expect(mail.textBody).toContain('手続き: マイナンバーカードの受け取り、暗証番号の再設定');
    expect(mail.textBody.match(/・交付通知書\(はがき\)/g)).toHaveLength(1);
    expect(mail.textBody).toContain('・マイナンバーカード');
    await expect(book(late.holder.id, slot.id, other)).rejects.toMatchObject({ code: 'procedure_slot_full' });
  });

  it('When a family mixes in a procedure the counter does not offer, then nothing is booked for anyone', async () => {
    const [counter, elsewhere] = [await createCounter(t.db), await createCounter(t.db)];
    const notHere = await createProcedure(elsewhere.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day });
    const [parent, child] = await people(2);
    await expect(
      transaction(t.db, staff, (tx) =>
        bookSlot(tx, {
          slotId: slot.id,
          cardHolderIds: [parent.holder.id, child.holder.id],
          familyProcedures: { [child.holder.id]: notHere },
          channel: 'phone',
          by: TEST_CLERK,
          baseUrl,
        }),
      ),
    ).rejects.toMatchObject({ code: 'procedure_not_offered' });
    expect(await active({ slotId: slot.id })).toBe(0);
  });

  it('When an operator books a PIN reset for later today by phone, then it is booked (staff are not held to the web window), while the citizen may not book the pickup today', async () => {
    const counter = await createCounter(t.db);
    const pinReset = await createProcedure(counter.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 16 * 60 });
    const [caller] = await people(1);
    const operator = { ...TEST_CLERK, id: 7, role: 'operator' as const };
    await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [caller.holder.id], channel: 'phone', procedure: pinReset, by: operator, baseUrl }));
    expect(await active({ slotId: slot.id, procedureCode: pinReset })).toBe(1);
  });

  it('When an admin deletes a procedure between a booking or hold reading it and writing its row, then it is refused as not offered (never a database error) and nothing is written', async () => {
    const { deleteProcedure } = await import('../../src/features/schedule/procedure-admin.js');
    const commands = [
      (holderId: number, slotId: number, code: string) => book(holderId, slotId, code),
      (holderId: number, slotId: number, code: string) =>
        transaction(t.db, citizen(holderId), (tx) => holdSlot(tx, { slotId, cardHolderId: holderId, minutes: 20, procedure: code }), { models: false }),
    ];
    for (const [index, command] of commands.entries()) {
      const counter = await createCounter(t.db);
      const code = await createProcedure(counter.id, { perDayLimit: 5 });
      const { id } = await t.db.prisma.procedure.findUniqueOrThrow({ where: { code } });
      const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 14 * 60 + index * 30 });
      const [a] = await people(1);
      // Hold the cap's lock, so the command stops after reading the procedure and before its row.
      const blocker = await t.db.pool.connect();
      await blocker.query(`SELECT pg_advisory_lock(hashtext('procedure:' || $1::int || ':' || $2::text || ':' || $3::text))`, [counter.id, day, code]);
      const running = command(a.holder.id, slot.id, code);
      await waitUntilBlockedBy(t.db, blocker);
      await transaction(t.db, staff, (tx) => deleteProcedure(tx, today, id));
      await blocker.query('SELECT pg_advisory_unlock_all()');
      blocker.release();
      await expect(running).rejects.toMatchObject({ code: 'procedure_not_offered' });
      expect(await active({ slotId: slot.id })).toBe(0);
      expect(await t.db.prisma.slotHold.count({ where: { slotId: slot.id } })).toBe(0);
      expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).toMatchObject({ booked: 0 });
    }
  });

  it("When a procedure allows booking the same day and the counter does not, then the day page and calendar for that procedure offer today, the pickup's do not, and a counter not offering it has no page", async () => {
    const [counter, other] = [await createCounter(t.db), await createCounter(t.db)];
    const sameDay = await createProcedure(counter.id, { sameDayAllowed: true });
    await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 15 * 60 });
    const bookableToday = async (procedure?: string) => (await dayPage(t.db, counter.id, today, procedure))!.times.map((time) => time.bookable);
    expect(await bookableToday(sameDay)).toEqual([true]);
    expect(await bookableToday()).toEqual([false]);
    const todayIn = async (procedure?: string) => (await monthCalendar(t.db, counter.id, today.slice(0, 7), procedure)).weeks.flat().find((cell) => cell?.date === today)?.state;
    expect(await todayIn(sameDay)).toBe('free');
    expect(await todayIn()).toBe('outside');
    expect(await dayPage(t.db, other.id, today, sameDay)).toBeNull();
  });
  it('When a procedure allows same-day booking, then its deadline is the set minutes before the time (day page, booked page, mail), the citizen may still cancel on the day until then, and a family mixing it with the pickup has the earlier deadline of the two', async () => {
    const counter = await createCounter(t.db);
    const sameDay = await createProcedure(counter.id, { sameDayAllowed: true });
    const { policy } = await counterRules(t.db, counter.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 15 * 60 });
    const closes = new Date(jstInstant(today, 15 * 60).getTime() - policy.sameDayUntilMinutes * 60_000);
    const [a] = await people(1);
    const { bookings } = await transaction(t.db, citizen(a.holder.id), (tx) =>
      bookSlot(tx, { slotId: slot.id, cardHolderIds: [a.holder.id], channel: 'web', procedure: sameDay, email: 'same-day@example.jp', by: null, baseUrl }),
    );
    expect(await slotDeadline(t.db, slot, [sameDay])).toEqual(closes);
    expect((await dayPage(t.db, counter.id, today, sameDay))!.minutesBefore).toBe(policy.sameDayUntilMinutes);
    expect((await dayPage(t.db, counter.id, today))!.minutesBefore).toBeNull();
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: bookings[0].id } });
    expect(mail.textBody).toContain(`変更・取消の受付締切: ${formatMomentJa(closes)}まで`);
    const page = await (await loggedInCitizen(t.app, a.noticeId, a.mmdd)).get('/booking');
    expect(page.text).toContain(`変更・取消は${formatMomentJa(closes)}まで`);

    await transaction(t.db, citizen(a.holder.id), (tx) => cancelBooking(tx, { bookingId: bookings[0].id, by: null, baseUrl }), { models: false });
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { id: bookings[0].id } })).toMatchObject({ status: 'cancelled' });

    const later = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 15 * 60 });
    const pickupCloses = await slotDeadline(t.db, later, ['pickup']);
    expect(pickupCloses.getTime()).toBeLessThan(jstInstant(day, 0).getTime());
    expect(await slotDeadline(t.db, later, ['pickup', sameDay])).toEqual(pickupCloses);
    expect(await slotDeadline(t.db, later, [sameDay])).toEqual(new Date(jstInstant(day, 15 * 60).getTime() - policy.sameDayUntilMinutes * 60_000));
  });
});
