// People without a notice ID (applicants) in the booking core: they book, hold, move, cancel
// and visit through the same commands as card holders, share a slot's places with them, have
// one open booking per procedure (however many requests race), and have no card to move.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { addFamilyMember, bookSlot, cancelBooking, checkIn, handOver, holdSlot, moveBooking } from '../../src/features/booking/index.js';
import { addDays } from '../../src/lib/jst.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createApplicant as createApplicantRow, createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 9);
const baseUrl = 'http://127.0.0.1';
const staff = { type: 'staff' as const, id: '0' };
const applicantActor = (id: number) => ({ type: 'citizen' as const, id: `applicant:${id}` });

beforeAll(async () => {
  t = await createTestApp();
});

/** A procedure without a notice ID, offered at the counter (which offers the pickup too). */
const createProcedure = (counterId: number, name = '電子証明書の更新') => offerProcedure(t.db, counterId, { name });
const createApplicant = (nameKana = 'ヤマダ ハナコ') => createApplicantRow(t.db, { nameKana });

const bookApplicant = (applicantId: number, slotId: number, procedure: string, email: string | null = 'hanako@example.jp') =>
  transaction(t.db, applicantActor(applicantId), (tx) =>
    bookSlot(tx, { slotId, cardHolderIds: [], applicants: [{ id: applicantId, procedure }], channel: 'web', email, by: null, baseUrl }),
  );
const slotOf = (id: number) => t.db.prisma.slot.findUniqueOrThrow({ where: { id } });
const refusals = (results: PromiseSettledResult<unknown>[]) =>
  results.map((r) => (r.status === 'fulfilled' ? 'booked' : ((r.reason as { code?: string }).code ?? String(r.reason)))).sort();

describe('applicants in the booking core', () => {
  it('When an applicant holds a time and books it, then the booking names the applicant (no card holder), takes one place, and the mail names the procedure', async () => {
    const counter = await createCounter(t.db);
    const procedure = await createProcedure(counter.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 3 });
    const applicant = await createApplicant();
    await transaction(t.db, applicantActor(applicant.id), (tx) => holdSlot(tx, { applicantId: applicant.id, slotId: slot.id, procedure, minutes: 10 }));
    const hold = await t.db.prisma.slotHold.findFirstOrThrow({ where: { applicantId: applicant.id } });
    expect(hold).toMatchObject({ cardHolderId: null, procedureCode: procedure, slotId: slot.id });
    expect(await slotOf(slot.id)).toMatchObject({ booked: 1 });

    const booked = await transaction(t.db, applicantActor(applicant.id), (tx) =>
      bookSlot(tx, {
        slotId: slot.id,
        holdId: hold.id,
        cardHolderIds: [],
        applicants: [{ id: applicant.id, procedure }],
        channel: 'web',
        email: 'hanako@example.jp',
        by: null,
        baseUrl,
      }),
    );
    const row = await t.db.prisma.booking.findUniqueOrThrow({ where: { code: booked.groupCode } });
    expect(row).toMatchObject({
      applicantId: applicant.id,
      cardHolderId: null,
      procedureCode: procedure,
      email: 'hanako@example.jp',
      createdBy: `citizen:applicant:${applicant.id}`,
    });
    expect(await slotOf(slot.id)).toMatchObject({ booked: 1 });
    expect(await t.db.prisma.slotHold.count({ where: { applicantId: applicant.id } })).toBe(0);
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: row.id } });
    expect(mail.textBody).toContain('電子証明書の更新');
  });

  it('When an applicant asks for the pickup (which needs a notice ID), alone, as a family member or by hold, then it is refused and nothing is written', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 3 });
    const applicant = await createApplicant();
    await expect(bookApplicant(applicant.id, slot.id, 'pickup')).rejects.toMatchObject({ code: 'procedure_needs_notice_id' });
    await expect(
      transaction(t.db, applicantActor(applicant.id), (tx) => holdSlot(tx, { applicantId: applicant.id, slotId: slot.id, procedure: 'pickup', minutes: 10 })),
    ).rejects.toMatchObject({ code: 'procedure_needs_notice_id' });
    const { holder } = await createCardHolder(t.db);
    const booked = await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', by: TEST_CLERK, baseUrl }));
    await expect(
      transaction(t.db, staff, (tx) => addFamilyMember(tx, { bookingId: booked.bookings[0].id, applicantId: applicant.id, procedure: 'pickup', by: TEST_CLERK, baseUrl })),
    ).rejects.toMatchObject({ code: 'procedure_needs_notice_id' });
    expect(await t.db.prisma.booking.count({ where: { applicantId: applicant.id } })).toBe(0);
    expect(await slotOf(slot.id)).toMatchObject({ booked: 1 });
  });

  it('When an applicant books the same procedure a second time, then it is refused; another procedure is booked', async () => {
    const counter = await createCounter(t.db);
    const [renewal, pinReset] = [await createProcedure(counter.id), await createProcedure(counter.id, '暗証番号の再設定')];
    const [first, second] = [await createSlot(t.db, { counterId: counter.id, date: day }), await createSlot(t.db, { counterId: counter.id, date: addDays(day, 1) })];
    const applicant = await createApplicant();
    await bookApplicant(applicant.id, first.id, renewal);
    await expect(bookApplicant(applicant.id, second.id, renewal)).rejects.toMatchObject({ code: 'already_booked' });
    await expect(
      transaction(t.db, applicantActor(applicant.id), (tx) => holdSlot(tx, { applicantId: applicant.id, slotId: second.id, procedure: renewal, minutes: 10 })),
    ).rejects.toMatchObject({ code: 'already_booked' });
    await bookApplicant(applicant.id, second.id, pinReset);
    expect(await t.db.prisma.booking.count({ where: { applicantId: applicant.id, status: 'active' } })).toBe(2);
    expect(await slotOf(second.id)).toMatchObject({ booked: 1 });
  });

  it('When one applicant fires 10 bookings of one procedure into 10 slots at once, then exactly one is booked and every other slot keeps its place', async () => {
    const counter = await createCounter(t.db);
    const procedure = await createProcedure(counter.id);
    const slots = await Promise.all(Array.from({ length: 10 }, (_, i) => createSlot(t.db, { counterId: counter.id, date: day, startMinute: 9 * 60 + i * 30 })));
    const applicant = await createApplicant();
    const results = await Promise.allSettled(slots.map((slot) => bookApplicant(applicant.id, slot.id, procedure)));
    expect(refusals(results)).toEqual(['already_booked', ...Array(8).fill('already_booked'), 'booked'].sort());
    expect(await t.db.prisma.booking.count({ where: { applicantId: applicant.id, status: 'active' } })).toBe(1);
    const booked = await t.db.prisma.slot.findMany({ where: { id: { in: slots.map((slot) => slot.id) } }, select: { booked: true } });
    expect(booked.reduce((sum, slot) => sum + slot.booked, 0)).toBe(1);
  });

  it('When 20 applicants and 20 card holders book a slot of 5 places at once, then exactly 5 are booked, between them, and the count matches the rows', async () => {
    const counter = await createCounter(t.db);
    const procedure = await createProcedure(counter.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 5 });
    const applicants = await Promise.all(Array.from({ length: 20 }, (_, i) => createApplicant(`シンセイ ${i}`)));
    const holders = await Promise.all(Array.from({ length: 20 }, () => createCardHolder(t.db)));
    const results = await Promise.allSettled([
      ...applicants.map((applicant) => bookApplicant(applicant.id, slot.id, procedure)),
      ...holders.map(({ holder }) => transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', by: TEST_CLERK, baseUrl }))),
    ]);
    expect(refusals(results).filter((code) => code === 'booked')).toHaveLength(5);
    expect(refusals(results).filter((code) => code !== 'booked')).toEqual(Array(35).fill('slot_full'));
    expect(await t.db.prisma.booking.count({ where: { slotId: slot.id, status: 'active' } })).toBe(5);
    expect(await slotOf(slot.id)).toMatchObject({ booked: 5, capacity: 5 });
  });

  it('When a card holder books a pickup with a family member who comes for a certificate renewal, then one group holds both procedures and the mail lists both', async () => {
    const counter = await createCounter(t.db);
    const renewal = await createProcedure(counter.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 4 });
    const { holder } = await createCardHolder(t.db);
    const member = await createApplicant('ヤマダ タロウ');
    const booked = await transaction(t.db, staff, (tx) =>
      bookSlot(tx, {
        slotId: slot.id,
        cardHolderIds: [holder.id],
        applicants: [{ id: member.id, procedure: renewal }],
        channel: 'phone',
        email: 'a@example.jp',
        by: TEST_CLERK,
        baseUrl,
      }),
    );
    const rows = await t.db.prisma.booking.findMany({ where: { OR: [{ code: booked.groupCode }, { groupCode: booked.groupCode }] }, orderBy: { id: 'asc' } });
    expect(rows.map((row) => [row.cardHolderId, row.applicantId, row.procedureCode, row.email])).toEqual([
      [holder.id, null, 'pickup', 'a@example.jp'],
      [null, member.id, renewal, null],
    ]);
    expect(await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } })).toMatchObject({ status: 'booked' });
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: rows[0].id } });
    expect(mail.textBody).toContain('電子証明書の更新');
    expect(mail.textBody).toContain('マイナンバーカードの受け取り');
    expect(await slotOf(slot.id)).toMatchObject({ booked: 2 });
  });

  it('When an applicant family member with their own procedure is added after booking, then they join the group with that procedure; a procedure the counter does not offer is refused', async () => {
    const [counter, other] = [await createCounter(t.db), await createCounter(t.db)];
    const renewal = await createProcedure(counter.id);
    const elsewhere = await createProcedure(other.id);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 4 });
    const { holder } = await createCardHolder(t.db);
    const booked = await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', by: TEST_CLERK, baseUrl }));
    const member = await createApplicant('ヤマダ ジロウ');
    const add = (procedure: string) =>
      transaction(t.db, staff, (tx) => addFamilyMember(tx, { bookingId: booked.bookings[0].id, applicantId: member.id, procedure, by: TEST_CLERK, baseUrl }));
    await expect(add(elsewhere)).rejects.toMatchObject({ code: 'procedure_not_offered' });
    const added = await add(renewal);
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { code: added.code } })).toMatchObject({
      applicantId: member.id,
      procedureCode: renewal,
      groupCode: booked.groupCode,
    });
    expect(await slotOf(slot.id)).toMatchObject({ booked: 2 });
  });

  it('When an applicant booking is moved, checked in, handed over and another is cancelled, then places follow and no card is touched', async () => {
    const counter = await createCounter(t.db);
    const procedure = await createProcedure(counter.id);
    const [from, to] = [
      await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 9 * 60 + 30 * 20 }),
      await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 9 * 60 + 30 * 21 }),
    ];
    const [a, b] = [await createApplicant(), await createApplicant('スズキ イチロウ')];
    const cardChanges = await t.db.prisma.cardStatusChange.count();
    const booked = await transaction(t.db, staff, (tx) =>
      bookSlot(tx, { slotId: from.id, cardHolderIds: [], applicants: [{ id: a.id, procedure }], channel: 'counter', by: TEST_CLERK, baseUrl }),
    );
    const other = await transaction(t.db, staff, (tx) =>
      bookSlot(tx, { slotId: from.id, cardHolderIds: [], applicants: [{ id: b.id, procedure }], channel: 'counter', by: TEST_CLERK, baseUrl }),
    );
    const bookingId = booked.bookings[0].id;
    await transaction(t.db, staff, (tx) => moveBooking(tx, { bookingId, toSlotId: to.id, by: TEST_CLERK, baseUrl }));
    expect([(await slotOf(from.id)).booked, (await slotOf(to.id)).booked]).toEqual([1, 1]);
    await transaction(t.db, staff, (tx) => checkIn(tx, { bookingId, by: TEST_CLERK }));
    await transaction(t.db, staff, (tx) => handOver(tx, { bookingId, by: TEST_CLERK }));
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { id: bookingId } })).toMatchObject({ status: 'handed_over' });
    await transaction(t.db, staff, (tx) => cancelBooking(tx, { bookingId: other.bookings[0].id, by: TEST_CLERK, baseUrl }));
    expect((await slotOf(from.id)).booked).toBe(0);
    expect(await t.db.prisma.cardStatusChange.count()).toBe(cardChanges);
  });

  it('When a row names both a card holder and an applicant, or neither, then PostgreSQL refuses it', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day });
    const { holder } = await createCardHolder(t.db);
    const applicant = await createApplicant();
    const insert = (holderId: number | null, applicantId: number | null) =>
      t.db.query(
        `INSERT INTO bookings (code, slot_id, card_holder_id, applicant_id, status, channel, created_by, updated_at) VALUES ($1, $2, $3, $4, 'active', 'web', 'test', now())`,
        [`X${randomUUID().slice(0, 8)}`, slot.id, holderId, applicantId],
      );
    await expect(insert(holder.id, applicant.id)).rejects.toMatchObject({ constraint: 'bookings_one_person' });
    await expect(insert(null, null)).rejects.toMatchObject({ constraint: 'bookings_one_person' });
  });
});
