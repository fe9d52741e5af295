// What the floor looks like now: the tickets waiting and at windows, and how long a newcomer
// would wait. The public view (call display, waiting page, a visitor's phone) carries ticket
// numbers, windows, procedures and minutes only: no name, notice ID or booking.
import type { Queryable } from '../../db/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { todayInJapan, type IsoDate } from '../../lib/jst.js';
import type { TicketKind, TicketStatus } from '../../generated/prisma/client.js';

/** How many served tickets per procedure the service time is the average of, and how far back. */
const RECENT_SERVED = 20;
const RECENT_DAYS = 14;
/** A window that called someone within this many minutes is taken as open. */
const OPEN_WINDOW_MINUTES = 60;
/** Calls the display keeps showing. */
const SHOWN_CALLS = 8;

export interface QueueTicket {
  id: number;
  number: string;
  kind: TicketKind;
  status: TicketStatus;
  procedureCode: string;
  procedure: string;
  window: number | null;
  calls: number;
  issuedAt: Date;
  calledAt: Date | null;
  bookingId: number | null;
  /** Whose booking it is (the console page staff open to hand the card over); null for a walk-in. */
  holderId: number | null;
  applicantId: number | null;
}

const TICKETS_OF_DAY = `
  SELECT t.id, t.number, t.kind::text AS kind, t.status::text AS status, t.procedure_code AS "procedureCode", p.name AS procedure,
         t."window", t.calls, t.issued_at AS "issuedAt", t.called_at AS "calledAt", t.booking_id AS "bookingId",
         b.card_holder_id AS "holderId", b.applicant_id AS "applicantId"
  FROM tickets t JOIN procedures p ON p.code = t.procedure_code LEFT JOIN bookings b ON b.id = t.booking_id
  WHERE t.counter_id = $1 AND t.date = $2::date AND t.status IN ('waiting', 'called')
  ORDER BY t.issued_at, t.id`;

// The average minutes from call to served of each procedure the counter offers, over its recent
// served tickets; the procedure's planned minutes until there are some.
const SERVICE_MINUTES = `
  SELECT p.code, coalesce((
    SELECT avg(extract(epoch FROM r.finished_at - r.called_at)) / 60 FROM (
      SELECT t.finished_at, t.called_at FROM tickets t
      WHERE t.counter_id = $1 AND t.procedure_code = p.code AND t.status = 'served' AND t.called_at IS NOT NULL AND t.finished_at > $2::timestamptz - make_interval(days => ${RECENT_DAYS})
      ORDER BY t.finished_at DESC LIMIT ${RECENT_SERVED}) r), p.minutes)::float8 AS minutes
  FROM procedures p
  WHERE p.code IN (SELECT procedure_code FROM counter_procedures WHERE counter_id = $1 UNION SELECT procedure_code FROM tickets WHERE counter_id = $1 AND date = $3::date)`;

const OPEN_WINDOWS = `
  SELECT c.name, c.code, c.windows, (SELECT count(DISTINCT t."window")::int FROM tickets t
    WHERE t.counter_id = c.id AND t.date = $3::date AND t.called_at > $2::timestamptz - make_interval(mins => ${OPEN_WINDOW_MINUTES})) AS open
  FROM counters c WHERE c.id = $1`;

export interface FloorNow {
  counter: { name: string; code: string; windows: number };
  date: IsoDate;
  /** At windows now, the latest call first. */
  called: QueueTicket[];
  /** Waiting, in the order they will be called, each with the minutes it is expected to wait. */
  waiting: (QueueTicket & { waitMinutes: number })[];
  /** What a visitor arriving now would wait, in minutes. */
  waitMinutes: number;
  /** How many wait, per procedure. */
  byProcedure: { code: string; name: string; waiting: number }[];
}

/** The counter's floor now (its day in Japan time); null for an unknown counter. */
export async function floorNow(db: Queryable, counterId: number, now = clockNow()): Promise<FloorNow | null> {
  const date = todayInJapan(now);
  const [[counter], tickets, service] = await Promise.all([
    db.query<{ name: string; code: string; windows: number; open: number }>(OPEN_WINDOWS, [counterId, now, date]),
    db.query<QueueTicket>(TICKETS_OF_DAY, [counterId, date]),
    db.query<{ code: string; minutes: number }>(SERVICE_MINUTES, [counterId, now, date]),
  ]);
  if (!counter) return null;
  const minutesOf = new Map(service.map((row) => [row.code, row.minutes]));
  const windows = Math.max(1, counter.open || counter.windows);
  let ahead = 0;
  const waiting = tickets
    .filter((ticket) => ticket.status === 'waiting')
    .map((ticket) => {
      const waitMinutes = Math.ceil(ahead / windows);
      ahead += minutesOf.get(ticket.procedureCode) ?? 0;
      return { ...ticket, waitMinutes };
    });
  const called = tickets.filter((ticket) => ticket.status === 'called').sort((a, b) => b.calledAt!.getTime() - a.calledAt!.getTime());
  const procedures = new Map<string, { code: string; name: string; waiting: number }>();
  for (const ticket of waiting) {
    const entry = procedures.get(ticket.procedureCode) ?? { code: ticket.procedureCode, name: ticket.procedure, waiting: 0 };
    entry.waiting += 1;
    procedures.set(ticket.procedureCode, entry);
  }
  return {
    counter: { name: counter.name, code: counter.code, windows: counter.windows },
    date,
    called,
    waiting,
    waitMinutes: Math.ceil(ahead / windows),
    byProcedure: [...procedures.values()],
  };
}

/** What anyone may see of the floor: numbers, windows, procedures and minutes. */
export function publicView(floor: FloorNow) {
  return {
    counter: floor.counter.name,
    called: floor.called.slice(0, SHOWN_CALLS).map((ticket) => ({ number: ticket.number, window: ticket.window, calls: ticket.calls, at: ticket.calledAt!.getTime() })),
    waiting: floor.waiting.map((ticket) => ({ number: ticket.number, waitMinutes: ticket.waitMinutes })),
    waitMinutes: floor.waitMinutes,
    byProcedure: floor.byProcedure.map(({ name, waiting }) => ({ name, waiting })),
  };
}
export type PublicFloor = ReturnType<typeof publicView>;

const COUNTER_BY_CODE = `SELECT id FROM counters WHERE code = $1 AND retired_at IS NULL`;

/** A counter's id from the code in a public address; null when there is no such open counter. */
export async function counterIdByCode(db: Queryable, code: string): Promise<number | null> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(code)) return null;
  const [row] = await db.query<{ id: number }>(COUNTER_BY_CODE, [code]);
  return row?.id ?? null;
}

const TICKET_BY_TOKEN = `
  SELECT t.number, t.status::text AS status, t."window", t.counter_id AS "counterId", c.code AS "counterCode", c.name AS counter, p.name AS procedure, t.date::text AS date
  FROM tickets t JOIN counters c ON c.id = t.counter_id JOIN procedures p ON p.code = t.procedure_code WHERE t.token = $1`;

/** The ticket a visitor's phone follows, by the token in its QR code; null when unknown. */
export async function ticketByToken(db: Queryable, token: string) {
  if (!/^[A-Za-z0-9_-]{24}$/.test(token)) return null;
  const [row] = await db.query<{
    number: string;
    status: TicketStatus;
    window: number | null;
    counterId: number;
    counterCode: string;
    counter: string;
    procedure: string;
    date: IsoDate;
  }>(TICKET_BY_TOKEN, [token]);
  return row ?? null;
}

const STAFF_TICKET = `
  SELECT t.id, t.number, t.kind::text AS kind, t.status::text AS status, t.token, t.counter_id AS "counterId", c.name AS counter, p.name AS procedure,
         t.issued_at AS "issuedAt", t.date::text AS date
  FROM tickets t JOIN counters c ON c.id = t.counter_id JOIN procedures p ON p.code = t.procedure_code WHERE t.id = $1`;

/** A ticket as staff print it (the token makes its QR code). */
export async function ticketForStaff(db: Queryable, ticketId: number) {
  const [row] = await db.query<{
    id: number;
    number: string;
    kind: TicketKind;
    status: TicketStatus;
    token: string;
    counterId: number;
    counter: string;
    procedure: string;
    issuedAt: Date;
    date: IsoDate;
  }>(STAFF_TICKET, [ticketId]);
  return row ?? null;
}

export interface QueueStats {
  procedure: string;
  kind: TicketKind;
  issued: number;
  served: number;
  absent: number;
  open: number;
  /** Average minutes from the ticket to its (last) call, and from the call to served; null without any. */
  waitMinutes: number | null;
  serviceMinutes: number | null;
}

const DAY_STATS = `
  SELECT p.name AS procedure, t.kind::text AS kind, count(*)::int AS issued,
    count(*) FILTER (WHERE t.status = 'served')::int AS served, count(*) FILTER (WHERE t.status = 'absent')::int AS absent,
    count(*) FILTER (WHERE t.status IN ('waiting', 'called'))::int AS open,
    round(avg(extract(epoch FROM t.called_at - t.issued_at)) / 60)::int AS "waitMinutes",
    round(avg(extract(epoch FROM t.finished_at - t.called_at)) FILTER (WHERE t.status = 'served') / 60)::int AS "serviceMinutes"
  FROM tickets t JOIN procedures p ON p.code = t.procedure_code
  WHERE t.counter_id = $1 AND t.date = $2::date
  GROUP BY p.name, p.display_order, t.kind ORDER BY p.display_order, p.name, t.kind`;

/** The day's queue per procedure and queue: tickets, served, absent, still open, and the average wait and service. */
export async function queueStats(db: Queryable, counterId: number, date: IsoDate): Promise<QueueStats[]> {
  return db.query<QueueStats>(DAY_STATS, [counterId, date]);
}

/** The day's walk-ins (visits without a booking) per procedure, for the day's counts beside the bookings. */
export async function walkInsOfDay(db: Queryable, counterId: number, date: IsoDate): Promise<{ name: string; people: number }[]> {
  const stats = await queueStats(db, counterId, date);
  return stats.filter((row) => row.kind === 'walk_in').map((row) => ({ name: row.procedure, people: row.issued }));
}
