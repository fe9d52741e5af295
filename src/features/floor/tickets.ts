// Numbered tickets at a counter (窓口の番号札): a booked visitor gets one at check-in, a walk-in
// after staff choose the procedure (the ticket is the record of that visit). A window calls the
// next waiting ticket or a chosen one, calls it again, and marks it served or absent. Every
// change tells all app processes through NOTIFY (delivered as the transaction commits), so the
// call display, the public page and the visitor's phone learn it at once (live.ts).
import { randomBytes } from 'node:crypto';
import type { SqlTx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { AppError } from '../../lib/app-error.js';
import { now as clockNow } from '../../lib/clock.js';
import { todayInJapan } from '../../lib/jst.js';
import type { TicketKind } from '../../generated/prisma/client.js';
import { authorize, can, type StaffPrincipal } from '../../policies/index.js';
import { recordAudit } from '../staff/audit.js';
import { rangesOf, ticketNumber } from './ranges.js';

/** The channel every floor change is announced on; the payload is the counter's id. */
export const FLOOR_CHANNEL = 'counter_floor';
const NOTIFY = `pg_notify('${FLOOR_CHANNEL}', counter_id::text)`;

export interface IssuedTicket {
  id: number;
  number: string;
  token: string;
}

const NEXT_SEQ = `
  INSERT INTO ticket_sequences (counter_id, date, kind, issued) VALUES ($1, $2::date, $3::ticket_kind, 1)
  ON CONFLICT (counter_id, date, kind) DO UPDATE SET issued = ticket_sequences.issued + 1 RETURNING issued`;
const INSERT_TICKET = `
  INSERT INTO tickets (counter_id, date, kind, seq, number, booking_id, procedure_code, token, issued_by, issued_at)
  VALUES ($1, $2::date, $3::ticket_kind, $4, $5, $6, $7, $8, $9, $10) RETURNING id, number, token, ${NOTIFY}`;

interface NewTicket {
  counterId: number;
  kind: TicketKind;
  procedureCode: string;
  bookingId?: number;
  now?: Date;
}

/** The queue's next number of the day, counted in one statement so no two tickets share one. */
async function issueTicket(tx: SqlTx, ticket: NewTicket): Promise<IssuedTicket> {
  const at = ticket.now ?? clockNow();
  const date = todayInJapan(at);
  const [{ issued }] = await tx.query<{ issued: number }>(NEXT_SEQ, [ticket.counterId, date, ticket.kind]);
  const number = ticketNumber((await rangesOf(tx, ticket.counterId))[ticket.kind], issued);
  const token = randomBytes(18).toString('base64url');
  const values = [ticket.counterId, date, ticket.kind, issued, number, ticket.bookingId ?? null, ticket.procedureCode, token, actorKey(tx.actor), at];
  const [row] = await tx.query<IssuedTicket>(INSERT_TICKET, values);
  return { id: row.id, number: row.number, token: row.token };
}

/** A checked-in booking's ticket (the booking module calls this at check-in). */
export const ticketForBooking = (tx: SqlTx, booking: { id: number; counterId: number; procedureCode: string; now?: Date }) =>
  issueTicket(tx, { counterId: booking.counterId, kind: 'booked', procedureCode: booking.procedureCode, bookingId: booking.id, now: booking.now });

const OFFERED = `
  SELECT 1 FROM counter_procedures cp JOIN procedures p ON p.code = cp.procedure_code JOIN counters c ON c.id = cp.counter_id
  WHERE cp.counter_id = $1 AND cp.procedure_code = $2 AND p.retired_at IS NULL AND c.retired_at IS NULL`;

/** A visitor without a booking: a ticket in the walk-in queue for a procedure the counter offers. */
export async function issueWalkIn(tx: SqlTx, input: { counterId: number; procedureCode: string; by: StaffPrincipal; now?: Date }): Promise<IssuedTicket> {
  authorize(input.by, 'floor.work', input.counterId, 'console.counterForbidden');
  const offered = await tx.query(OFFERED, [input.counterId, input.procedureCode]);
  if (offered.length === 0) throw new AppError(400, 'procedure_not_offered', 'floor.error.procedureNotOffered');
  const ticket = await issueTicket(tx, { counterId: input.counterId, kind: 'walk_in', procedureCode: input.procedureCode, now: input.now });
  await recordAudit(tx, { action: 'floor.walk_in', targetType: 'ticket', targetId: ticket.id, detail: { number: ticket.number, procedure: input.procedureCode } });
  return ticket;
}

export interface WindowCall {
  counterId: number;
  window: number;
  by: StaffPrincipal;
  now?: Date;
}

const WINDOWS = `SELECT windows FROM counters WHERE id = $1 AND retired_at IS NULL`;

async function ensureWindow(tx: SqlTx, call: WindowCall): Promise<void> {
  authorize(call.by, 'floor.work', call.counterId, 'console.counterForbidden');
  const [counter] = await tx.query<{ windows: number }>(WINDOWS, [call.counterId]);
  if (!counter) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
  if (call.window > counter.windows) throw new AppError(400, 'no_such_window', 'floor.error.noSuchWindow', { windows: counter.windows });
}

/** The window is done with whoever it called last: calling the next one means that one was served. */
const FINISH_WINDOW = `
  UPDATE tickets SET status = 'served', finished_at = $4 WHERE counter_id = $1 AND date = $2::date AND status = 'called' AND "window" = $3`;

// SKIP LOCKED: two windows calling at the same moment each take a different waiting ticket.
const CALL_NEXT = `
  UPDATE tickets SET status = 'called', "window" = $3, called_at = $4, called_by = $5, calls = calls + 1
  WHERE id = (SELECT id FROM tickets WHERE counter_id = $1 AND date = $2::date AND status = 'waiting' ORDER BY issued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id, number, ${NOTIFY}`;

/** Calls the longest-waiting ticket to the window; null when nobody waits. */
export async function callNext(tx: SqlTx, call: WindowCall): Promise<{ id: number; number: string } | null> {
  await ensureWindow(tx, call);
  const at = call.now ?? clockNow();
  const date = todayInJapan(at);
  await tx.query(FINISH_WINDOW, [call.counterId, date, call.window, at]);
  const [called] = await tx.query<{ id: number; number: string }>(CALL_NEXT, [call.counterId, date, call.window, at, actorKey(tx.actor)]);
  return called ? { id: called.id, number: called.number } : null;
}

const TICKET = `SELECT id, counter_id AS "counterId", number, date::text AS date FROM tickets WHERE id = $1`;

/** The ticket, if it is one the user may work on at its counter (anything else is not found). */
async function workableTicket(tx: SqlTx, ticketId: number, by: StaffPrincipal) {
  const [ticket] = await tx.query<{ id: number; counterId: number; number: string; date: string }>(TICKET, [ticketId]);
  if (!ticket || !can(by, 'floor.work', ticket.counterId)) throw new AppError(404, 'ticket_not_found', 'floor.error.ticketNotFound');
  return ticket;
}

interface MoveValues {
  window: number | null;
  at: Date;
  by: string;
}

/** Each move a window makes on one ticket: the statuses it may come from, what it sets ($3 on) and with what. */
const MOVES = {
  call: {
    from: ['waiting', 'absent'],
    set: `status = 'called', "window" = $3, called_at = $4, called_by = $5, calls = calls + 1, finished_at = NULL`,
    values: (v: MoveValues) => [v.window, v.at, v.by],
  },
  recall: { from: ['called'], set: `called_at = $3, called_by = $4, calls = calls + 1`, values: (v: MoveValues) => [v.at, v.by] },
  served: { from: ['waiting', 'called'], set: `status = 'served', finished_at = $3`, values: (v: MoveValues) => [v.at] },
  absent: { from: ['called'], set: `status = 'absent', finished_at = $3`, values: (v: MoveValues) => [v.at] },
} as const;
export type TicketMove = keyof typeof MOVES;
export const TICKET_MOVES = Object.keys(MOVES) as TicketMove[];

/**
 * Moves a chosen ticket (call it to a window, call again, served, absent). Two windows calling
 * the same ticket at once: the row lock lets one through and the other finds it called already.
 */
export async function moveTicket(tx: SqlTx, input: { ticketId: number; move: TicketMove; window?: number; by: StaffPrincipal; now?: Date }) {
  const ticket = await workableTicket(tx, input.ticketId, input.by);
  const at = input.now ?? clockNow();
  const window = input.window ?? null;
  if (input.move === 'call') {
    if (window === null) throw new AppError(400, 'no_window', 'floor.error.noWindow');
    await ensureWindow(tx, { counterId: ticket.counterId, window, by: input.by });
    await tx.query(FINISH_WINDOW, [ticket.counterId, ticket.date, window, at]);
  }
  const move = MOVES[input.move];
  const values = [ticket.id, move.from, ...move.values({ window, at, by: actorKey(tx.actor) })];
  const moved = await tx.query(`UPDATE tickets SET ${move.set} WHERE id = $1 AND status::text = ANY($2::text[]) RETURNING ${NOTIFY}`, values);
  if (moved.length === 0) throw new AppError(409, 'ticket_moved', `floor.error.wrongStatus.${input.move}`, { number: ticket.number });
  return ticket;
}

const SERVE_BOOKING = `UPDATE tickets SET status = 'served', finished_at = $2 WHERE booking_id = $1 AND status IN ('waiting', 'called') RETURNING ${NOTIFY}`;

/** The card was handed over: the booking's ticket, if it still waits or is at a window, is served. */
export async function serveTicketOfBooking(tx: SqlTx, bookingId: number, now = clockNow()): Promise<void> {
  await tx.query(SERVE_BOOKING, [bookingId, now]);
}
