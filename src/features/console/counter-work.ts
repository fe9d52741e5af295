// Work at the counter: check a person in, hand the card over (交付済), mark a no-show, and at
// the end of the day mark every unvisited booking as a no-show. Each change is one guarded
// UPDATE (only from the statuses it may come from) and is audited in its transaction.
import type { Db, DbTx } from '../../db/client.js';
import type { BookingStatus, CardStatus } from '../../generated/prisma/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { dateColumn, isoDateOfColumn, todayInJapan, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { lockCardHolders } from '../booking/places.js';
import { CARD_REASONS, CardTransitionError, changeCardStatus } from '../cards/status.js';
import type { StaffPrincipal } from '../staff/access.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';
import { bookingScope, counterOrFail } from './scope.js';

export type VisitAction = 'check_in' | 'hand_over' | 'no_show';

const MOVES: Record<VisitAction, { from: BookingStatus[]; to: BookingStatus; card?: CardStatus }> = {
  check_in: { from: ['active'], to: 'checked_in' },
  hand_over: { from: ['active', 'checked_in'], to: 'handed_over', card: 'handed_over' },
  // A no-show may book again: the card goes back to "notice sent".
  no_show: { from: ['active'], to: 'no_show', card: 'notice_sent' },
};

/** Moves bookings (already scoped) to the action's status; returns the card holders that moved. */
async function moveBookings(tx: DbTx, ids: number[], action: VisitAction, actor: AuditActor): Promise<number[]> {
  const move = MOVES[action];
  const moved = await tx.$queryRaw<{ card_holder_id: number }[]>`
    UPDATE bookings SET status = ${move.to}::booking_status, updated_at = now()
    WHERE id = ANY(${ids}::int[]) AND status::text = ANY(${move.from}::text[])
    RETURNING card_holder_id`;
  try {
    for (const row of moved) if (move.card) await changeCardStatus(tx, row.card_holder_id, move.card, actor, CARD_REASONS[action]);
  } catch (error) {
    // e.g. a card put on hold after it was booked cannot be handed over: nothing changes.
    if (error instanceof CardTransitionError) throw new AppError(409, 'card_blocked', 'console.visit.cardBlocked');
    throw error;
  }
  return moved.map((row) => row.card_holder_id);
}

/** Check-in and hand-over belong to the booking's day; another day needs the clerk's explicit confirmation. */
const SAME_DAY_ACTIONS: VisitAction[] = ['check_in', 'hand_over'];

export interface VisitOptions {
  /** The clerk confirmed that the person came on a day other than the booking's. */
  otherDayConfirmed?: boolean;
  now?: Date;
}

export async function recordVisit(db: Db, bookingId: number, action: VisitAction, user: StaffPrincipal, actor: AuditActor, options: VisitOptions = {}): Promise<{ holderId: number }> {
  return db.$transaction(async (tx) => {
    const booking = await tx.booking.findFirst({ where: { AND: [{ id: bookingId }, bookingScope(user)] }, select: { id: true, code: true, cardHolderId: true, slot: { select: { date: true } } } });
    if (!booking) throw new AppError(404, 'booking_not_found', 'booking.error.booking_not_found');
    const otherDay = isoDateOfColumn(booking.slot.date) !== todayInJapan(options.now);
    if (otherDay && SAME_DAY_ACTIONS.includes(action) && !options.otherDayConfirmed) throw new AppError(409, 'not_booking_day', 'console.visit.notBookingDay');
    await lockCardHolders(tx, [booking.cardHolderId]); // card holders first, as the booking use cases do
    const moved = await moveBookings(tx, [booking.id], action, actor);
    if (moved.length === 0) throw new AppError(409, 'wrong_status', `console.visit.wrongStatus.${action}`);
    await recordAudit(tx, actor, { action: `booking.${action}`, targetType: 'booking', targetId: booking.code, detail: otherDay ? { bookingDate: isoDateOfColumn(booking.slot.date) } : {} });
    return { holderId: booking.cardHolderId };
  });
}

function unvisitedWhere(counterId: number, date: IsoDate) {
  return { status: 'active' as const, slot: { counterId, date: dateColumn(date) } };
}

function ensurePastOrToday(date: IsoDate, now: Date) {
  if (date > todayInJapan(now)) throw new AppError(400, 'future_date', 'console.noShow.future');
}

/** How many bookings of the counter's day are still unvisited (the preview before the bulk change). */
export async function previewNoShows(db: Db, counterId: number, date: IsoDate, user: StaffPrincipal, now = clockNow()) {
  const counter = await counterOrFail(db, user, counterId);
  ensurePastOrToday(date, now);
  return { counter, date, count: await db.booking.count({ where: unvisitedWhere(counterId, date) }) };
}

/** Marks every still-unvisited booking of the counter's day as a no-show, in one transaction. */
export async function markNoShows(db: Db, counterId: number, date: IsoDate, user: StaffPrincipal, actor: AuditActor, now = clockNow()): Promise<number> {
  await counterOrFail(db, user, counterId);
  ensurePastOrToday(date, now);
  return db.$transaction(
    async (tx) => {
      const bookings = await tx.booking.findMany({ where: unvisitedWhere(counterId, date), select: { id: true, cardHolderId: true } });
      await lockCardHolders(tx, bookings.map((booking) => booking.cardHolderId));
      const moved = await moveBookings(tx, bookings.map((booking) => booking.id), 'no_show', actor);
      await recordAudit(tx, actor, { action: 'booking.no_show.bulk', targetType: 'counter', targetId: counterId, detail: { date, count: moved.length } });
      return moved.length;
    },
    { timeout: 60_000 },
  );
}
