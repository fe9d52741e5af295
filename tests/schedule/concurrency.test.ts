import { beforeAll, describe, expect, it } from 'vitest';
import { retireCounter } from '../../src/features/schedule/counters.js';
import { regenerateHorizon, regenerateSlots } from '../../src/features/schedule/slot-generation.js';
import { addDays, dateColumn, todayInJapan } from '../../src/lib/jst.js';
import { createTestDatabase, waitUntilBlockedBy, type TestDatabase } from '../helpers/db.js';
import { createCardHolder, createCounter } from '../helpers/factories.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { inTx } from '../helpers/tx.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});

const today = todayInJapan();

async function counterWithSlots() {
  const counter = await createCounter(db);
  await db.prisma.openingRule.create({
    data: {
      counterId: counter.id,
      label: '毎日',
      daysOfWeek: [0, 1, 2, 3, 4, 5, 6],
      startMinute: 540,
      endMinute: 600,
      slotMinutes: 30,
      capacityPerSlot: 2,
      validFrom: dateColumn(today),
      openOnHolidays: true,
    },
  });
  await inTx(db, (tx) => regenerateSlots(tx, today, addDays(today, 7), [counter.id]));
  const slot = await db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id, date: dateColumn(addDays(today, 3)) } });
  return { counter, slot };
}

describe('schedule changes racing bookings', () => {
  it('When a booking is being committed while the counter is retired, then the retirement waits for it and is refused', async () => {
    const { counter, slot } = await counterWithSlots();
    const { holder } = await createCardHolder(db, { counterId: counter.id });
    const booking = await db.pool.connect();
    try {
      await booking.query('BEGIN');
      await booking.query('UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity', [slot.id]);
      await booking.query(`INSERT INTO bookings (code, slot_id, card_holder_id, channel, created_by, updated_at) VALUES ($1, $2, $3, 'web', 'race', now())`, [
        `race-${slot.id}`,
        slot.id,
        holder.id,
      ]);
      const retiring = inTx(db, (tx) => retireCounter(tx, today, counter.id)).then(
        () => 'retired',
        (error: { code?: string }) => error.code,
      );
      await waitUntilBlockedBy(db, booking); // the retirement now waits for the slot row the booking holds
      await booking.query('COMMIT');
      expect(await retiring).toBe('counter_has_bookings');
    } finally {
      booking.release();
    }
    expect((await db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).retiredAt).toBeNull();
  });

  it('When the nightly generation runs twice at once, then both finish and every slot exists once', async () => {
    const { counter } = await counterWithSlots();
    await db.pool.query('DELETE FROM slots WHERE counter_id = $1', [counter.id]);
    const results = await Promise.all([inTx(db, (tx) => regenerateHorizon(tx, today)), inTx(db, (tx) => regenerateHorizon(tx, today))]);
    expect(results.map((result) => result.written).sort((a, b) => a - b)[0]).toBe(0); // the second run found the work done
    const duplicates = await db.pool.query('SELECT starts_at FROM slots WHERE counter_id = $1 GROUP BY starts_at HAVING count(*) > 1', [counter.id]);
    expect(duplicates.rowCount).toBe(0);
    expect(await db.prisma.slot.count({ where: { counterId: counter.id, date: dateColumn(addDays(today, 3)) } })).toBe(2);
  });
});
