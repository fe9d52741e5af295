// Booking on behalf of a caller (operators on the phone, staff at the counter). The caller's
// identity is confirmed by their birth month and day; the booking itself goes through the same
// use cases as the citizen pages, so every invariant holds the same way.
import type { Db, DbTx } from '../../db/client.js';
import type { BookingChannel } from '../../generated/prisma/client.js';
import { BookingError, bookSlot, cancelBooking, moveBooking } from '../booking/index.js';
import type { BookedGroup } from '../booking/service.js';
import { inTransaction, lockCardHolders } from '../booking/places.js';
import { confirmCallerIdentity, type CheckedHolder, type StaffCheck } from '../citizen/identity-checks.js';
import type { StaffPrincipal } from '../staff/access.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';
import { dateColumn } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { bookingScope, ensureCounter, holderScope } from './scope.js';

export interface OnBehalfContext extends StaffCheck {
  baseUrl: string;
}

/** Operators book for callers on the phone; staff and admins for people at the counter. */
export const channelOf = (user: StaffPrincipal): BookingChannel => (user.role === 'operator' ? 'phone' : 'counter');

/** The card holder, if this user may see them; audited as a view of personal data. */
export async function holderForConsole(db: Db, holderId: number, user: StaffPrincipal, actor: AuditActor) {
  const holder = await db.cardHolder.findFirst({
    where: { AND: [{ id: holderId }, holderScope(user)] },
    include: { counter: true, bookings: { where: { status: { not: 'cancelled' } }, orderBy: { id: 'desc' }, take: 10, include: { slot: { include: { counter: true } } } } },
  });
  if (!holder) throw new AppError(404, 'holder_not_found', 'console.holderNotFound');
  await recordAudit(db, actor, { action: 'console.holder.view', targetType: 'card_holder', targetId: holder.noticeId });
  return holder;
}

/**
 * Confirms the caller through the staff user's counted identity checks (see
 * citizen/identity-checks.ts). With a bookingId, that active booking of theirs (and within the
 * user's counters) must exist too, and a mismatch answers exactly like a wrong birth date.
 */
async function confirmIdentity(db: Db, holderId: number, birth: string, context: OnBehalfContext, bookingId?: number): Promise<CheckedHolder> {
  const holder = await db.cardHolder.findFirst({ where: { AND: [{ id: holderId }, holderScope(context.user)] }, select: { id: true, noticeId: true, birthKey: true } });
  if (!holder) throw new AppError(404, 'holder_not_found', 'console.holderNotFound');
  const named = async () => bookingId === undefined || (await ownBooking(db, bookingId, holderId, context.user));
  await confirmCallerIdentity(db, context, holder, birth, named);
  return holder;
}

/** Whether the holder has this active booking at a counter the user may work at. */
async function ownBooking(db: Db, bookingId: number, holderId: number, user: StaffPrincipal): Promise<boolean> {
  const booking = await db.booking.findFirst({ where: { AND: [{ id: bookingId, cardHolderId: holderId, status: 'active' }, bookingScope(user)] }, select: { id: true } });
  return booking !== null;
}

async function slotCounter(tx: Db | DbTx, slotId: number): Promise<number> {
  const slot = await tx.slot.findUnique({ where: { id: slotId }, select: { counterId: true } });
  if (!slot) throw new BookingError('slot_not_found');
  return slot.counterId;
}

/**
 * The explicit over-capacity override: raises the slot's capacity by exactly the places that
 * are missing (the CHECK booked <= capacity stays true) and records why, in the booking's transaction.
 */
async function raiseCapacityFor(tx: DbTx, slotId: number, people: number, reason: string, actor: AuditActor): Promise<number> {
  const [slot] = await tx.$queryRaw<{ capacity: number; booked: number }[]>`SELECT capacity, booked FROM slots WHERE id = ${slotId} FOR NO KEY UPDATE`;
  const missing = Math.max(0, slot.booked + people - slot.capacity);
  if (missing > 0) await tx.$executeRaw`UPDATE slots SET capacity = capacity + ${missing}, updated_at = now() WHERE id = ${slotId}`;
  await recordAudit(tx, actor, { action: 'console.capacity.override', targetType: 'slot', targetId: slotId, detail: { reason, from: slot.capacity, to: slot.capacity + missing, booked: slot.booked } });
  return missing;
}

export interface BookOnBehalfInput {
  holderId: number;
  birth: string;
  slotId: number;
  email?: string;
  /** Staff and admins only: book even when the slot is full, with a reason. */
  override?: { reason: string };
}

export async function bookOnBehalf(db: Db, input: BookOnBehalfInput, context: OnBehalfContext): Promise<BookedGroup> {
  ensureCounter(context.user, await slotCounter(db, input.slotId));
  if (input.override && context.user.role === 'operator') throw new AppError(403, 'override_forbidden', 'console.override.forbidden');
  const holder = await confirmIdentity(db, input.holderId, input.birth, context);
  const booking = { slotId: input.slotId, cardHolderIds: [holder.id], channel: channelOf(context.user), email: input.email || null, actor: context.actor, baseUrl: context.baseUrl, allowReserved: true, ignorePolicy: true };
  const override = input.override;
  if (!override) return bookSlot(db, booking);
  return inTransaction(db, async (tx) => {
    await lockCardHolders(tx, [holder.id]); // card holders before slots, as every booking use case does
    await raiseCapacityFor(tx, input.slotId, 1, override.reason, context.actor);
    return bookSlot(tx, booking);
  });
}

export async function moveOnBehalf(db: Db, input: { holderId: number; birth: string; bookingId: number; slotId: number }, context: OnBehalfContext) {
  ensureCounter(context.user, await slotCounter(db, input.slotId));
  await confirmIdentity(db, input.holderId, input.birth, context, input.bookingId);
  return moveBooking(db, { bookingId: input.bookingId, toSlotId: input.slotId, actor: context.actor, baseUrl: context.baseUrl, allowReserved: true, ignorePolicy: true });
}

export async function cancelOnBehalf(db: Db, input: { holderId: number; birth: string; bookingId: number }, context: OnBehalfContext) {
  await confirmIdentity(db, input.holderId, input.birth, context, input.bookingId);
  return cancelBooking(db, { bookingId: input.bookingId, actor: context.actor, baseUrl: context.baseUrl, ignorePolicy: true });
}

/** Slots of a counter's day with every free place (held-back places included) for the picker. */
export async function slotChoices(db: Db, counterId: number, date: string, user: StaffPrincipal) {
  ensureCounter(user, counterId);
  const slots = await db.slot.findMany({ where: { counterId, date: dateColumn(date) }, orderBy: { startsAt: 'asc' } });
  return slots.map((slot) => ({ id: slot.id, startsAt: slot.startsAt, capacity: slot.capacity, booked: slot.booked, free: Math.max(0, slot.capacity - slot.booked), webFree: Math.max(0, slot.capacity - slot.reservedCapacity - slot.booked) }));
}
