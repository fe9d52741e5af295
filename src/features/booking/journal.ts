// The journal of what happened to bookings (booking_events): each booking command writes its
// event here in its own transaction, with where and when the visit is as the change left it,
// so the monthly report counts what happened, not what the bookings look like today
// (docs/decisions/0026). One statement per command: the booking core is on the hot path.
import type { SqlTx } from '../../db/transaction.js';
import type { BookingEventKind } from '../../generated/prisma/client.js';

const RECORD = `
  INSERT INTO booking_events (booking_id, kind, occurred_at, day, slot_date, counter_id, procedure_code, channel, from_slot_id)
  SELECT b.id, $2::booking_event_kind, $3::timestamptz, ($3::timestamptz AT TIME ZONE 'Asia/Tokyo')::date, s.date, s.counter_id, b.procedure_code, b.channel, $4::int
    FROM bookings b JOIN slots s ON s.id = b.slot_id
   WHERE b.id = ANY($1::int[])`;

/** Records `kind` for the bookings at `at` (the command's now); a move names the slot it came from. */
export async function recordBookingEvents(tx: SqlTx, kind: BookingEventKind, bookingIds: number[], at: Date, fromSlotId: number | null = null): Promise<void> {
  if (bookingIds.length === 0) return;
  await tx.query(RECORD, [bookingIds, kind, at, fromSlotId]);
}
