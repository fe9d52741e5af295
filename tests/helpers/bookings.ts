// The one booking fixture: a booking written straight through Prisma (tests of other features
// need a booking without going through the booking core), keeping slots.booked equal to the
// places taken in the slot (active and checked-in bookings plus holds), as the booking core does.
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import type { IsoDate } from '../../src/lib/jst.js';
import { createCardHolder, createCounter, createSlot } from './factories.js';

export interface BookingOptions {
  /** An existing slot; otherwise a slot is made on date at startMinute (at counterId, or a new counter). */
  slotId?: number;
  date?: IsoDate;
  startMinute?: number;
  counterId?: number;
  /** An existing card holder; otherwise a new one at the slot's counter. */
  cardHolderId?: number;
  email?: string | null;
  status?: 'active' | 'cancelled' | 'checked_in';
}

export async function createBooking(db: Database, options: BookingOptions) {
  const slotId = options.slotId ?? (await newSlot(db, options)).id;
  const slot = await db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } });
  const cardHolderId = options.cardHolderId ?? (await createCardHolder(db, { counterId: slot.counterId })).holder.id;
  const code = randomBytes(4).toString('hex').toUpperCase();
  const booking = await db.prisma.booking.create({
    data: {
      code,
      groupCode: code, // a booking of one is its own group, as the booking core writes it
      slotId,
      cardHolderId,
      status: options.status ?? 'active',
      channel: 'web',
      email: options.email === undefined ? `citizen-${randomBytes(3).toString('hex')}@example.jp` : options.email,
      createdBy: 'test',
    },
  });
  await countPlacesTaken(db, slotId);
  return booking;
}

async function newSlot(db: Database, options: BookingOptions) {
  if (!options.date) throw new Error('createBooking needs a slotId or a date');
  const counterId = options.counterId ?? (await createCounter(db, { name: '中央区役所 市民課' })).id;
  await db.prisma.counter.update({ where: { id: counterId }, data: { address: '中央区本町1-1-1', accessNotes: '地下鉄「本町」駅すぐ' } });
  return createSlot(db, { counterId, date: options.date, startMinute: options.startMinute ?? 9 * 60 + 30 });
}

async function countPlacesTaken(db: Database, slotId: number) {
  await db.prisma.$executeRaw`
    UPDATE slots SET booked =
      (SELECT count(*) FROM bookings WHERE slot_id = ${slotId} AND status IN ('active', 'checked_in'))
      + (SELECT coalesce(sum(people), 0) FROM slot_holds WHERE slot_id = ${slotId})
    WHERE id = ${slotId}`;
}
