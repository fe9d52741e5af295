// Counter scoping shared by every console service: a user limited to some counters sees and
// changes only what belongs to them (invariant 6).
import type { Db, DbTx } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { canUseCounter, type StaffPrincipal } from '../staff/access.js';

export function ensureCounter(user: StaffPrincipal, counterId: number): void {
  if (!canUseCounter(user, counterId)) throw new AppError(403, 'counter_forbidden', 'console.counterForbidden');
}

/** Bookings at the counters this user may work at. */
export function bookingScope(user: StaffPrincipal): Prisma.BookingWhereInput {
  return user.counterIds === null ? {} : { slot: { counterId: { in: user.counterIds } } };
}

/** Card holders registered at (or booked at) the user's counters; unassigned ones are visible to all. */
export function holderScope(user: StaffPrincipal): Prisma.CardHolderWhereInput {
  if (user.counterIds === null) return {};
  return { OR: [{ counterId: null }, { counterId: { in: user.counterIds } }, { bookings: { some: { slot: { counterId: { in: user.counterIds } } } } }] };
}

/** holderScope as an SQL condition on card_holders `h`, for searches that must be raw SQL. */
export function holderScopeSql(user: StaffPrincipal): Prisma.Sql {
  if (user.counterIds === null) return Prisma.sql`true`;
  const ids = user.counterIds;
  return Prisma.sql`(h.counter_id IS NULL OR h.counter_id = ANY(${ids}::int[])
    OR EXISTS (SELECT 1 FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.card_holder_id = h.id AND s.counter_id = ANY(${ids}::int[])))`;
}

export async function counterOrFail(db: Db | DbTx, user: StaffPrincipal, counterId: number) {
  ensureCounter(user, counterId);
  const counter = await db.counter.findUnique({ where: { id: counterId } });
  if (!counter) throw new AppError(404, 'counter_not_found', 'console.counterNotFound');
  return counter;
}

