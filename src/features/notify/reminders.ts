// The day-before reminder: one per active booking of the next Japan day that has an email.
import type { DbTx } from '../../db/client.js';
import { addDays, jstInstant, todayInJapan } from '../../lib/jst.js';
import { queueBookingMail } from './booking-mail.js';

/**
 * Queues reminders for tomorrow's bookings (Japan time). The dedupe key (booking + visit date)
 * makes a second run, a concurrent run or a run after a crash queue nothing twice, and lets
 * repeated runs pick up bookings made since the last one.
 */
export async function queueTomorrowsReminders(tx: DbTx, now: Date, baseUrl: string): Promise<{ bookings: number; queued: number }> {
  const tomorrow = addDays(todayInJapan(now), 1);
  const bookings = await tx.booking.findMany({
    where: {
      status: 'active',
      AND: [{ email: { not: null } }, { email: { not: '' } }],
      slot: { startsAt: { gte: jstInstant(tomorrow), lt: jstInstant(addDays(tomorrow, 1)) } },
    },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  let queued = 0;
  for (const booking of bookings) {
    if (await queueBookingMail(tx, { bookingId: booking.id, kind: 'reminder', eventKey: tomorrow, baseUrl })) queued += 1;
  }
  return { bookings: bookings.length, queued };
}
