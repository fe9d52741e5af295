// What the citizen's own pages read about their booking.
import type { Reader } from '../../db/client.js';
import { openBooking } from '../../domain/booking-rules.js';

/** A card holder's open booking with its group, slot and counter (null when none). */
export async function activeBookingOf(reader: Reader, cardHolderId: number) {
  const booking = await reader.db.booking.findFirst({ where: { cardHolderId, ...openBooking }, include: { slot: { include: { counter: true } }, procedure: true } });
  if (!booking) return null;
  const primaryCode = booking.groupCode ?? booking.code;
  const group = await reader.db.booking.findMany({
    where: { groupCode: primaryCode, ...openBooking },
    orderBy: { id: 'asc' },
    select: { id: true, code: true, cardHolderId: true },
  });
  return { booking, group, isPrimary: booking.code === primaryCode, primaryCode };
}
