// Counter scoping shared by every console service: a user limited to some counters sees and
// changes only what belongs to them (invariant 6).
import type { Db, DbTx } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../web/errors.js';
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

export async function counterOrFail(db: Db | DbTx, user: StaffPrincipal, counterId: number) {
  ensureCounter(user, counterId);
  const counter = await db.counter.findUnique({ where: { id: counterId } });
  if (!counter) throw new AppError(404, 'counter_not_found', 'console.counterNotFound');
  return counter;
}

