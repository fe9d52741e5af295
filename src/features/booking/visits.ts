// The visit at the counter: check a person in, hand the card over (交付済), mark a no-show, and
// mark every unvisited booking of a day (a clerk at day's end, or the nightly job for days
// gone by). Each moves bookings only from the statuses the move may come from (VISIT_MOVES),
// with the people locked first, and audits it in the same transaction. A check-in gives the
// visitor a numbered ticket for the counter's queue; a hand-over ends it (src/features/floor).
import type { SqlTx } from '../../db/transaction.js';
import { now as clockNow } from '../../lib/clock.js';
import { jstInstant, todayInJapan, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { CardTransitionError } from '../cards/status.js';
import { authorize, can, type StaffPrincipal } from '../../policies/index.js';
import { recordAudit } from '../staff/audit.js';
import { serveTicketOfBooking, ticketForBooking, type IssuedTicket } from '../floor/tickets.js';
import { applyCardEvent } from './card-events.js';
import { recordBookingEvents } from './journal.js';
import { lockPeople, type Person } from './places.js';
import { VISIT_MOVES, type VisitAction } from './rules.js';

/** The journal's event of each visit action. */
const VISIT_EVENTS = { check_in: 'checked_in', hand_over: 'handed_over', no_show: 'no_show' } as const;

/** Moves the bookings (their card holders locked) as `action` says; the bookings that moved. */
async function moveBookings(
  tx: SqlTx,
  ids: number[],
  action: VisitAction,
  options: { now?: Date; keepRefusedCards?: boolean } = {},
): Promise<{ id: number; cardHolderId: number | null }[]> {
  const move = VISIT_MOVES[action];
  const moved = await tx.query<{ id: number; cardHolderId: number | null }>(
    `UPDATE bookings SET status = $2::booking_status, updated_at = now() WHERE id = ANY($1::int[]) AND status::text = ANY($3::text[]) RETURNING id, card_holder_id AS "cardHolderId"`,
    [ids, move.to, move.from],
  );
  await recordBookingEvents(
    tx,
    VISIT_EVENTS[action],
    moved.map((row) => row.id),
    options.now ?? clockNow(),
  );
  const holders = moved.map((row) => row.cardHolderId);
  if (!move.card) return moved;
  try {
    await applyCardEvent(tx, move.card, holders, undefined, { keepRefused: options.keepRefusedCards });
  } catch (error) {
    // e.g. a card put on hold after it was booked cannot be handed over: nothing changes.
    if (error instanceof CardTransitionError) throw new AppError(409, 'card_blocked', 'console.visit.cardBlocked');
    throw error;
  }
  return moved;
}

export interface VisitInput {
  bookingId: number;
  by: StaffPrincipal;
  /** The clerk confirmed that the person came on a day other than the booking's. */
  otherDayConfirmed?: boolean;
  now?: Date;
}

/** Check-in and hand-over belong to the booking's day; another day needs the clerk's explicit confirmation. */
const SAME_DAY_ACTIONS: VisitAction[] = ['check_in', 'hand_over'];

const VISITED_BOOKING = `
  SELECT b.id, b.code, b.card_holder_id AS "cardHolderId", b.applicant_id AS "applicantId", b.procedure_code AS "procedureCode", s.counter_id AS "counterId", s.date::text AS date
  FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = $1::int`;

export interface Visit {
  holderId: number | null;
  /** The ticket a check-in gives (its number is called at the counter). */
  ticket?: IssuedTicket;
}

async function recordVisit(tx: SqlTx, action: VisitAction, input: VisitInput): Promise<Visit> {
  // The date as text: a date column read by pg would be a midnight in the server's time zone.
  const [booking] = await tx.query<Person & { id: number; code: string; counterId: number; procedureCode: string; date: IsoDate }>(VISITED_BOOKING, [input.bookingId]);
  if (!booking || !can(input.by, 'counter.work', booking.counterId)) throw new AppError(404, 'booking_not_found', 'booking.error.booking_not_found');
  const bookingDate = booking.date;
  const otherDay = bookingDate !== todayInJapan(input.now ?? clockNow());
  if (otherDay && SAME_DAY_ACTIONS.includes(action) && !input.otherDayConfirmed) throw new AppError(409, 'not_booking_day', 'console.visit.notBookingDay');
  await lockPeople(tx, [booking]);
  const moved = await moveBookings(tx, [booking.id], action, { now: input.now });
  if (moved.length === 0) throw new AppError(409, 'wrong_status', `console.visit.wrongStatus.${action}`);
  await recordAudit(tx, { action: `booking.${action}`, targetType: 'booking', targetId: booking.code, detail: otherDay ? { bookingDate } : {} });
  if (action === 'hand_over') await serveTicketOfBooking(tx, booking.id, input.now);
  if (action !== 'check_in') return { holderId: booking.cardHolderId };
  return { holderId: booking.cardHolderId, ticket: await ticketForBooking(tx, { ...booking, now: input.now }) };
}

export const checkIn = (tx: SqlTx, input: VisitInput) => recordVisit(tx, 'check_in', input);
export const handOver = (tx: SqlTx, input: VisitInput) => recordVisit(tx, 'hand_over', input);
export const markNoShow = (tx: SqlTx, input: VisitInput) => recordVisit(tx, 'no_show', input);

const UNVISITED_OF_DAY = `
  SELECT b.id, b.card_holder_id AS "cardHolderId", b.applicant_id AS "applicantId" FROM bookings b JOIN slots s ON s.id = b.slot_id
  WHERE s.counter_id = $1::int AND s.date = $2::date AND b.status = 'active' ORDER BY b.card_holder_id, b.applicant_id`;

/** Bookings of the counter's day not visited yet. */
export async function unvisitedOfDay(tx: Pick<SqlTx, 'query'>, counterId: number, date: IsoDate) {
  return tx.query<Person & { id: number }>(UNVISITED_OF_DAY, [counterId, date]);
}

/** Marks every still-unvisited booking of the counter's day (today or before) as a no-show; how many. */
export async function markNoShowsOfDay(tx: SqlTx, input: { counterId: number; date: IsoDate; by: StaffPrincipal; now?: Date }): Promise<number> {
  authorize(input.by, 'counter.work', input.counterId, 'console.counterForbidden');
  if (input.date > todayInJapan(input.now ?? clockNow())) throw new AppError(400, 'future_date', 'console.noShow.future');
  const moved = await markUnvisited(tx, await unvisitedOfDay(tx, input.counterId, input.date), { now: input.now });
  await recordAudit(tx, { action: 'booking.no_show.bulk', targetType: 'counter', targetId: input.counterId, detail: { date: input.date, count: moved.length } });
  return moved.length;
}

/** Unvisited bookings become no-shows, their people locked first (in id order). */
async function markUnvisited(tx: SqlTx, bookings: (Person & { id: number })[], options: { now?: Date; keepRefusedCards?: boolean } = {}) {
  if (bookings.length === 0) return [];
  await lockPeople(tx, bookings);
  const bookingIds = bookings.map((booking) => booking.id);
  return moveBookings(tx, bookingIds, 'no_show', options);
}

const PAST_UNVISITED = `
  SELECT b.id, b.card_holder_id AS "cardHolderId", b.applicant_id AS "applicantId" FROM bookings b JOIN slots s ON s.id = b.slot_id
  WHERE b.status = 'active' AND s.ends_at <= $1::timestamptz ORDER BY b.card_holder_id, b.applicant_id`;

/**
 * The nightly job: active bookings whose visit ended before today (Japan time) never came and
 * become no-shows, as a no-show marked at the counter does; a card put on hold meanwhile stays.
 */
export async function markPastBookingsNoShow(tx: SqlTx, now: Date): Promise<{ markedNoShow: number }> {
  const bookings = await tx.query<Person & { id: number }>(PAST_UNVISITED, [jstInstant(todayInJapan(now))]);
  const moved = await markUnvisited(tx, bookings, { now, keepRefusedCards: true });
  if (moved.length > 0) await recordAudit(tx, { action: 'booking.mark_no_show', targetType: 'booking', detail: { bookingIds: moved.map((booking) => booking.id) } });
  return { markedNoShow: moved.length };
}
