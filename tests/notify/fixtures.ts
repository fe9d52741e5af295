// Bookings made straight through Prisma (the booking service is built in parallel).
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import type { IsoDate } from '../../src/lib/jst.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

export async function createBooking(
  db: Database,
  options: { date: IsoDate; startMinute?: number; email?: string | null; status?: 'active' | 'cancelled' | 'checked_in'; counterId?: number },
) {
  const counterId = options.counterId ?? (await createCounter(db, { name: '中央区役所 市民課' })).id;
  await db.prisma.counter.update({ where: { id: counterId }, data: { address: '中央区本町1-1-1', accessNotes: '地下鉄「本町」駅すぐ' } });
  const slot = await createSlot(db, { counterId, date: options.date, startMinute: options.startMinute ?? 9 * 60 + 30 });
  const { holder } = await createCardHolder(db, { counterId });
  return db.prisma.booking.create({
    data: {
      code: randomBytes(4).toString('hex').toUpperCase(),
      slotId: slot.id,
      cardHolderId: holder.id,
      status: options.status ?? 'active',
      channel: 'web',
      email: options.email === undefined ? `citizen-${randomBytes(3).toString('hex')}@example.jp` : options.email,
      createdBy: 'test',
    },
  });
}
