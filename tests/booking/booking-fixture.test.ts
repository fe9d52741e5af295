// The booking fixture (tests/helpers/bookings.ts) writes rows the booking core can work on: the
// places it takes are the places the core gives back and the places citizens see as taken.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { cancelBooking, dayTimes } from '../../src/features/booking/index.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { addDays } from '../../src/lib/jst.js';
import { createBooking } from '../helpers/bookings.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

const { today } = pinClock(WORKING_WEDNESDAY);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});

const actor = { type: 'staff' as const, id: 'test', ip: '127.0.0.1' };

describe('booking fixture', () => {
  it('When bookings and a hold fill a slot, then citizens see exactly the places left, and cancelling through the booking core gives them back', async () => {
    const date = addDays(today, 7);
    const counter = await createCounter(db);
    const slot = await createSlot(db, { counterId: counter.id, date, capacity: 6 });
    const { holder: held } = await createCardHolder(db, { counterId: counter.id });
    await db.prisma.slotHold.create({ data: { slotId: slot.id, cardHolderId: held.id, people: 2, expiresAt: new Date(Date.parse(WORKING_WEDNESDAY) + 600_000) } });
    const active = await createBooking(db, { slotId: slot.id });
    await createBooking(db, { slotId: slot.id, status: 'checked_in' });
    await createBooking(db, { slotId: slot.id, status: 'cancelled' });
    const remaining = async () => (await dayTimes(db, counter.id, date)).find((time) => time.id === slot.id)!.remaining;
    expect(await remaining()).toBe(2); // 6 - 2 held - active - checked in; the cancelled one takes nothing
    await transaction(db, actor, (tx) => cancelBooking(tx, { bookingId: active.id, by: TEST_CLERK, baseUrl: 'http://localhost' }));
    expect(await remaining()).toBe(3);
  });
});
