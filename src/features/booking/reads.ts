// What the citizen's own pages read about their booking.
import type { Reader } from '../../db/client.js';
import { openBooking } from '../../domain/booking-rules.js';

/**
 * A person's open booking with its group, slot and counter (null when none): a card holder's
 * one, or an applicant's for the procedure (an applicant has one per procedure).
 */
export async function activeBookingOf(reader: Reader, person: { cardHolderId: number } | { applicantId: number; procedure: string }) {
  const whose = 'cardHolderId' in person ? { cardHolderId: person.cardHolderId } : { applicantId: person.applicantId, procedureCode: person.procedure };
  const booking = await reader.db.booking.findFirst({ where: { ...whose, ...openBooking }, include: { slot: { include: { counter: true } }, procedure: true } });
  if (!booking) return null;
  // A procedure longer than its slot ends with the last slot of its run.
  if (booking.alsoSlotIds.length > 0) {
    const last = await reader.db.slot.findFirst({ where: { id: { in: booking.alsoSlotIds } }, orderBy: { endsAt: 'desc' }, select: { endsAt: true } });
    if (last) booking.slot.endsAt = last.endsAt;
  }
  const primaryCode = booking.groupCode ?? booking.code;
  const group = await reader.db.booking.findMany({
    where: { groupCode: primaryCode, ...openBooking },
    orderBy: { id: 'asc' },
    select: { id: true, code: true, cardHolderId: true, applicantId: true, procedureCode: true },
  });
  return { booking, group, isPrimary: booking.code === primaryCode, primaryCode };
}
