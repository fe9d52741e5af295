// The day-before reminder: one per active booking of the next Japan day that has an email.
import type { Tx } from '../../db/transaction.js';
import { addDays, jstInstant, todayInJapan } from '../../lib/jst.js';
import { bookingMailKey, queueBookingMail } from './mail.js';

/**
 * Queues reminders for tomorrow's bookings (Japan time). The dedupe key (booking + visit date)
 * makes a second run, a concurrent run or a run after a crash queue nothing twice, and lets
 * repeated runs pick up bookings made since the last one.
 */
export async function queueTomorrowsReminders(tx: Tx, now: Date, baseUrl: string): Promise<{ bookings: number; queued: number }> {
  const tomorrow = addDays(todayInJapan(now), 1);
  const bookings = await tx.db.booking.findMany({
    where: {
      status: 'active',
      AND: [{ email: { not: null } }, { email: { not: '' } }],
      slot: { startsAt: { gte: jstInstant(tomorrow), lt: jstInstant(addDays(tomorrow, 1)) } },
    },
    select: { id: true, code: true },
    orderBy: { id: 'asc' },
  });
  // Catch-up runs every 15 minutes: skip cheaply what an earlier run already queued.
  const keys = bookings.map((booking) => bookingMailKey(booking.code, 'reminder', tomorrow));
  const done = new Set((await tx.db.outboxMessage.findMany({ where: { dedupeKey: { in: keys } }, select: { dedupeKey: true } })).map((row) => row.dedupeKey));
  let queued = 0;
  for (const booking of bookings.filter((_booking, index) => !done.has(keys[index]))) {
    if (await queueBookingMail(tx, { bookingId: booking.id, kind: 'reminder', eventKey: tomorrow, baseUrl })) queued += 1;
  }
  return { bookings: bookings.length, queued };
}
