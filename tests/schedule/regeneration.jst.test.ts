import { beforeAll, describe, expect, it } from 'vitest';
import { HORIZON_MARGIN_DAYS, regenerateHorizon, regenerateSlots } from '../../src/features/schedule/slot-generation.js';
import { dateColumn, isoDateOfColumn, jstInstant } from '../../src/lib/jst.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createCardHolder, createCounter } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});

async function counterWithRule(rule: { daysOfWeek?: number[]; capacityPerSlot?: number; startMinute?: number; endMinute?: number } = {}) {
  const counter = await createCounter(db);
  const openingRule = await db.prisma.openingRule.create({
    data: {
      counterId: counter.id,
      label: '平日日中',
      daysOfWeek: rule.daysOfWeek ?? [1, 2, 3, 4, 5],
      startMinute: rule.startMinute ?? 540,
      endMinute: rule.endMinute ?? 660,
      slotMinutes: 30,
      capacityPerSlot: rule.capacityPerSlot ?? 4,
      reservedCapacity: 1,
      validFrom: dateColumn('2026-01-01'),
    },
  });
  return { counter, rule: openingRule };
}

async function bookInto(slotId: number, counterId: number, people: number) {
  for (let index = 0; index < people; index += 1) {
    const { holder } = await createCardHolder(db, { counterId });
    await db.prisma.booking.create({ data: { code: `B${slotId}-${index}-${Math.random()}`, slotId, cardHolderId: holder.id, channel: 'web', createdBy: 'test' } });
  }
  await db.pool.query('UPDATE slots SET booked = booked + $2 WHERE id = $1', [slotId, people]);
}

const regenerate = (counterId: number, from = '2027-01-04', to = '2027-01-08') => inTx(db, (tx) => regenerateSlots(tx, from, to, [counterId]));

/** A counter whose slots exist for 2027-01-04..08, with `people` booked into one of them. */
async function bookedSlot(date: string, startMinute: number, people: number) {
  const { counter, rule } = await counterWithRule({ capacityPerSlot: 4 });
  await regenerate(counter.id);
  const slot = await db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id, startsAt: jstInstant(date, startMinute) } });
  await bookInto(slot.id, counter.id, people);
  return { counter, rule, slot };
}

describe('slot generation in Japan time', () => {
  it('When slots are generated for a JST date, then starts_at is 09:00 JST and date is the JST date whatever the server TZ', async () => {
    const { counter } = await counterWithRule();
    await regenerate(counter.id, '2027-01-04', '2027-01-04');
    const first = await db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id }, orderBy: { startsAt: 'asc' } });
    expect(first.startsAt.toISOString()).toBe('2027-01-04T00:00:00.000Z');
    expect(isoDateOfColumn(first.date)).toBe('2027-01-04');
    expect((await db.pool.query(`SELECT date::text AS d, to_char(starts_at AT TIME ZONE 'Asia/Tokyo', 'HH24:MI') AS t FROM slots WHERE id = $1`, [first.id])).rows[0]).toEqual({
      d: '2027-01-04',
      t: '09:00',
    });
  });

  it('When regeneration runs twice with unchanged rules, then the second run writes nothing', async () => {
    const { counter } = await counterWithRule();
    expect((await regenerate(counter.id)).written).toBe(5 * 4);
    expect(await regenerate(counter.id)).toEqual({ written: 0, conflicts: 0 });
  });
});

describe('regeneration keeps bookings', () => {
  it('When a rule shrinks capacity below what is booked, then the slot keeps its booked places and a conflict is listed', async () => {
    const { counter, rule, slot } = await bookedSlot('2027-01-05', 540, 3);
    await db.prisma.openingRule.update({ where: { id: rule.id }, data: { capacityPerSlot: 2, reservedCapacity: 0 } });
    const result = await regenerate(counter.id);
    expect(result.conflicts).toBe(1);
    const kept = await db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } });
    expect(kept).toMatchObject({ capacity: 3, booked: 3 });
    const other = await db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id, startsAt: jstInstant('2027-01-05', 570) } });
    expect(other.capacity).toBe(2); // unbooked slots follow the rule
    const conflict = await db.prisma.slotConflict.findUniqueOrThrow({ where: { slotId: slot.id } });
    expect(conflict).toMatchObject({ kind: 'shrunk', plannedCapacity: 2, booked: 3, resolvedAt: null });
  });

  it('When a rule no longer covers a booked day, then the booked slot stays (closed to new bookings) and is listed; unbooked slots go', async () => {
    const { counter, rule, slot } = await bookedSlot('2027-01-06', 570, 1);
    await db.prisma.openingRule.update({ where: { id: rule.id }, data: { daysOfWeek: [1, 2, 4, 5] } }); // Wednesday dropped
    const result = await regenerate(counter.id);
    expect(result.conflicts).toBe(1);
    const wednesday = await db.prisma.slot.findMany({ where: { counterId: counter.id, date: dateColumn('2027-01-06') } });
    expect(wednesday.map((row) => [row.id, row.capacity, row.booked])).toEqual([[slot.id, 1, 1]]);
    expect(await db.prisma.slotConflict.findUniqueOrThrow({ where: { slotId: slot.id } })).toMatchObject({ kind: 'removed', plannedCapacity: 0, booked: 1 });
  });

  it('When the rule is restored after a conflict, then the next regeneration closes the conflict and the slot regains its capacity', async () => {
    const { counter, rule, slot } = await bookedSlot('2027-01-07', 540, 2);
    await db.prisma.openingRule.update({ where: { id: rule.id }, data: { capacityPerSlot: 1, reservedCapacity: 0 } });
    await regenerate(counter.id);
    await db.prisma.openingRule.update({ where: { id: rule.id }, data: { capacityPerSlot: 4 } });
    expect((await regenerate(counter.id)).conflicts).toBe(0);
    expect((await db.prisma.slotConflict.findUniqueOrThrow({ where: { slotId: slot.id } })).resolvedAt).not.toBeNull();
    expect((await db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).capacity).toBe(4);
  });

  it('When a booking commits while the rule removes its slot, then either the booking fails cleanly or the slot is kept', async () => {
    const { counter, rule } = await counterWithRule();
    await regenerate(counter.id);
    const slot = await db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id, startsAt: jstInstant('2027-01-08', 540) } });
    await db.prisma.openingRule.update({ where: { id: rule.id }, data: { daysOfWeek: [1, 2, 3, 4] } });
    const booking = db.pool.query('UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity RETURNING id', [slot.id]);
    const [booked] = await Promise.all([booking, regenerate(counter.id)]);
    const after = await db.prisma.slot.findUnique({ where: { id: slot.id } });
    if (booked.rowCount === 1) expect(after).toMatchObject({ booked: 1, capacity: 1 });
    else expect(after).toBeNull();
  });
});

describe('the nightly horizon', () => {
  it('When the policy opens 30 days ahead for one counter and 10 for another, then slots exist up to the longest window plus the margin', async () => {
    const { counter } = await counterWithRule({ daysOfWeek: [0, 1, 2, 3, 4, 5, 6] });
    await db.prisma.bookingPolicy.updateMany({ where: { counterId: null }, data: { opensDaysAhead: 10 } });
    await db.prisma.bookingPolicy.create({ data: { counterId: counter.id, opensDaysAhead: 30 } });
    const result = await inTx(db, (tx) => regenerateHorizon(tx, '2027-02-01'));
    expect(result.written).toBeGreaterThan(0);
    const last = await db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id }, orderBy: { startsAt: 'desc' } });
    expect(isoDateOfColumn(last.date)).toBe(new Date(Date.UTC(2027, 1, 1 + 30 + HORIZON_MARGIN_DAYS)).toISOString().slice(0, 10));
    expect((await inTx(db, (tx) => regenerateHorizon(tx, '2027-02-01'))).written).toBe(0);
  });
});
