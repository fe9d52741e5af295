// Booking on behalf of a caller (operators on the phone, staff at the counter). The caller's
// identity is confirmed by their birth month and day, counted against the staff user's budget
// in its own transaction (a failed check counts even though nothing else happens); the change
// itself goes through the booking commands, so every invariant holds as on the citizen pages.
import type { Database, Reader } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { BookingChannel } from '../../generated/prisma/client.js';
import type { Request } from 'express';
import { addDays, dateColumn, todayInJapan } from '../../lib/jst.js';
import { parseQuery } from '../../lib/validation.js';
import { pickerQuery } from './forms.js';
import { AppError } from '../../lib/app-error.js';
import { BookingError, listCounters, runsOfDay } from '../booking/index.js';
import { PICKUP } from '../schedule/procedures.js';
import { allPlacesLeft, webPlacesLeft } from '../../domain/booking-rules.js';
import { confirmCallerIdentity, type CheckedHolder, type StaffCheck } from '../citizen/identity-checks.js';
import type { StaffPrincipal } from '../../policies/index.js';
import { recordAudit } from '../staff/audit.js';
import { bookingScope, can, ensureCounter, holderScope } from '../../policies/index.js';

/** Operators book for callers on the phone; staff and admins for people at the counter. */
export const channelOf = (user: StaffPrincipal): BookingChannel => (user.role === 'operator' ? 'phone' : 'counter');

/** The card holder, if this user may see them; audited as a view of personal data. */
export async function holderForConsole(tx: Tx, holderId: number, user: StaffPrincipal) {
  const holder = await tx.db.cardHolder.findFirst({
    where: { AND: [{ id: holderId }, holderScope(user)] },
    include: {
      counter: true,
      bookings: {
        where: { status: { not: 'cancelled' } },
        orderBy: { id: 'desc' },
        take: 10,
        include: { slot: { include: { counter: true } }, procedure: { select: { minutes: true } }, ticket: { select: { id: true, number: true } } },
      },
    },
  });
  if (!holder) throw new AppError(404, 'holder_not_found', 'console.holderNotFound');
  await recordAudit(tx, { action: 'console.holder.view', targetType: 'card_holder', targetId: holder.id });
  return holder;
}

/**
 * Confirms the caller through the staff user's counted identity checks (see
 * citizen/identity-checks.ts). With a bookingId, that active booking of theirs (and within the
 * user's counters) must exist too, and a mismatch answers exactly like a wrong birth date.
 */
export async function confirmIdentity(database: Database, holderId: number, birth: string, check: StaffCheck, bookingId?: number): Promise<CheckedHolder> {
  const holder = await database.db.cardHolder.findFirst({ where: { AND: [{ id: holderId }, holderScope(check.user)] }, select: { id: true, noticeId: true, birthKey: true } });
  if (!holder) throw new AppError(404, 'holder_not_found', 'console.holderNotFound');
  const named = async () => bookingId === undefined || (await ownBooking(database, bookingId, holderId, check.user));
  await confirmCallerIdentity(database, check, holder, birth, named);
  return holder;
}

/** Whether the holder has this active booking at a counter the user may work at. */
async function ownBooking(reader: Reader, bookingId: number, holderId: number, user: StaffPrincipal): Promise<boolean> {
  const booking = await reader.db.booking.findFirst({ where: { AND: [{ id: bookingId, cardHolderId: holderId, status: 'active' }, bookingScope(user)] }, select: { id: true } });
  return booking !== null;
}

/** Refuses a slot at a counter the user may not work at (before any identity check is spent). */
export async function ensureSlotCounter(reader: Reader, slotId: number, user: StaffPrincipal): Promise<void> {
  const slot = await reader.db.slot.findUnique({ where: { id: slotId }, select: { counterId: true } });
  if (!slot) throw new BookingError('slot_not_found');
  ensureCounter(user, slot.counterId);
}

/** The counters this user may see, in display order (the pickers of the console). */
export async function countersOf(reader: Reader, user: StaffPrincipal) {
  return (await listCounters(reader.db)).filter((counter) => can(user, 'console.view', counter.id));
}

/** The counter, day and procedure a picker shows: as asked (a GET's query, a POST's fields), else the user's first counter and tomorrow. */
export function pickedDay(req: Request, counters: { id: number }[], preferredCounterId?: number | null) {
  const fields = req.body as Record<string, string>;
  const source = req.method === 'GET' ? req.query : { counterId: fields.counterId, date: fields.date, procedure: fields.procedure };
  const picked = parseQuery(pickerQuery, source);
  const counterId = picked.counterId ?? counters.find((counter) => counter.id === preferredCounterId)?.id ?? counters[0]?.id;
  return { counterId, date: picked.date ?? addDays(todayInJapan(), 1), procedure: picked.procedure };
}

/** The procedure asked for if the counter offers it, else its first (the pickup where it is offered). */
export function pickedProcedure<T extends { code: string }>(offered: T[], code: string | undefined): T | undefined {
  return offered.find((procedure) => procedure.code === code) ?? offered.find((procedure) => procedure.code === PICKUP) ?? offered[0];
}

/**
 * A counter's day for the picker: each start time with the places left (held-back places
 * included, and those for the web) for a procedure of `minutes`, the fewest over the slots of
 * its run; a start where the run cannot be formed (before lunch, at the day's end) cannot be chosen.
 */
export async function slotChoices(reader: Reader, counterId: number, date: string, user: StaffPrincipal, minutes: number) {
  ensureCounter(user, counterId);
  const slots = await reader.db.slot.findMany({ where: { counterId, date: dateColumn(date) }, orderBy: { startsAt: 'asc' } });
  const runs = runsOfDay(slots, minutes);
  return slots.map((slot, index) => {
    const run = runs[index];
    const fewest = (left: (each: (typeof slots)[number]) => number) => (run ? Math.min(...run.map(left)) : 0);
    return { id: slot.id, startsAt: slot.startsAt, endsAt: (run?.at(-1) ?? slot).endsAt, fits: run !== null, free: fewest(allPlacesLeft), webFree: fewest(webPlacesLeft) };
  });
}
