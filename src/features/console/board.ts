// The day board and week overview of a counter. Free places for the web come from the same
// function the citizen pages use (dayTimes), so staff see exactly what citizens see.
import type { Reader } from '../../db/client.js';
import type { BookingChannel, BookingStatus, Prisma } from '../../generated/prisma/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { addDays, dateColumn, formatMinutes, isoDateOfColumn, jstMinutesOf, todayInJapan, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { dayTimes, unvisitedOfDay } from '../booking/index.js';
import { allPlacesLeft, webPlacesLeft } from '../../domain/booking-rules.js';
import type { StaffPrincipal } from '../staff/access.js';
import { recordAudit, type AuditAction } from '../staff/audit.js';
import type { Tx } from '../../db/transaction.js';
import { walkInsOfDay } from '../floor/queue.js';
import { counterOrFail } from './scope.js';
import { bookedPerson, PERSON_SELECT } from './person.js';

export interface BoardBooking {
  id: number;
  code: string;
  channel: BookingChannel;
  /** The language the citizen booked in (src/lib/languages.ts). */
  language: string;
  status: BookingStatus;
  /** The procedure's name. */
  procedure: string;
  /** The card holder's page, or null for an applicant (booked without a notice ID). */
  holderId: number | null;
  applicantId: number | null;
  noticeId: string;
  name: string;
  storagePlace: string;
  /** The counter where the card is stored when it is not this counter (it must be moved), else null. */
  storedAt: string | null;
  /** When the booking starts and when its run ends (later than its slot's end for a long procedure). */
  time: string;
  endTime: string;
  /** Listed under a later slot of its run: the person came in an earlier slot and is still at the window. */
  continued: boolean;
  /** The ticket number given at check-in ('' before). */
  ticket: string;
}

export interface BoardSlot {
  id: number;
  time: string;
  endTime: string;
  capacity: number;
  booked: number;
  reserved: number;
  webFree: number;
  heldBackFree: number;
  bookings: BoardBooking[];
}

export interface DayBoard {
  counter: { id: number; code: string; name: string };
  date: IsoDate;
  slots: BoardSlot[];
  totals: { capacity: number; booked: number; webFree: number; heldBackFree: number };
  /** People booked (cancelled bookings not counted) per procedure, in the procedures' order. */
  byProcedure: ProcedureOfDay[];
  /** Visitors without a booking (walk-in tickets) per procedure. */
  walkIns: ProcedureCount[];
}

export interface ProcedureCount {
  name: string;
  people: number;
}

/** A procedure booked that day with what its people bring (for the printed list). */
export interface ProcedureOfDay extends ProcedureCount {
  documents: string[];
}

const BOARD_BOOKING = {
  id: true,
  code: true,
  channel: true,
  language: true,
  status: true,
  slotId: true,
  alsoSlotIds: true,
  procedure: { select: { name: true, displayOrder: true, documents: true } },
  ticket: { select: { number: true } },
  ...PERSON_SELECT,
  cardHolder: { select: { ...PERSON_SELECT.cardHolder.select, counterId: true, counter: { select: { name: true } } } },
} satisfies Prisma.BookingSelect;

type BookingOfDay = Prisma.BookingGetPayload<{ select: typeof BOARD_BOOKING }>;

/** Every slot of a counter's day with its numbers and the (non-cancelled) bookings in it; audited as a view of personal data. */
export async function dayBoard(tx: Tx, counterId: number, date: IsoDate, user: StaffPrincipal, auditAction: AuditAction = 'console.day.view', now = clockNow()): Promise<DayBoard> {
  const db = tx.db;
  const counter = await counterOrFail(db, user, counterId);
  const [slots, times, bookings, walkIns] = await Promise.all([
    db.slot.findMany({ where: { counterId, date: dateColumn(date) }, orderBy: { startsAt: 'asc' } }),
    dayTimes(tx, counterId, date, now),
    db.booking.findMany({
      where: { slot: { counterId, date: dateColumn(date) }, status: { not: 'cancelled' } },
      orderBy: { id: 'asc' },
      select: BOARD_BOOKING,
    }),
    walkInsOfDay(tx, counterId, date),
  ]);
  const webFree = new Map(times.map((time) => [time.id, time.remaining]));
  const slotById = new Map(slots.map((slot) => [slot.id, slot]));
  const boardBookings = bookings.map((booking) => boardBooking(booking, counterId, slotById));
  const board = slots.map((slot): BoardSlot => {
    const free = allPlacesLeft(slot);
    const web = webFree.get(slot.id) ?? 0;
    return {
      id: slot.id,
      time: formatMinutes(jstMinutesOf(slot.startsAt)),
      endTime: formatMinutes(jstMinutesOf(slot.endsAt)),
      capacity: slot.capacity,
      booked: slot.booked,
      reserved: slot.reservedCapacity,
      webFree: web,
      heldBackFree: free - web,
      bookings: boardBookings.flatMap(({ slotIds, ...booking }) => (slotIds.includes(slot.id) ? [{ ...booking, continued: slotIds[0] !== slot.id }] : [])),
    };
  });
  const sum = (pick: (slot: BoardSlot) => number) => board.reduce((total, slot) => total + pick(slot), 0);
  await recordAudit(tx, { action: auditAction, targetType: 'counter', targetId: counterId, detail: { date, bookings: bookings.length } });
  return {
    counter: { id: counter.id, code: counter.code, name: counter.name },
    date,
    slots: board,
    totals: { capacity: sum((slot) => slot.capacity), booked: sum((slot) => slot.booked), webFree: sum((slot) => slot.webFree), heldBackFree: sum((slot) => slot.heldBackFree) },
    byProcedure: countByProcedure(bookings.map((booking) => booking.procedure)),
    walkIns,
  };
}

/** A booking as the board shows it, with the slots of its run (first the booked one). */
function boardBooking(booking: BookingOfDay, counterId: number, slotById: Map<number, { startsAt: Date; endsAt: Date }>): Omit<BoardBooking, 'continued'> & { slotIds: number[] } {
  const { holderId, applicantId, noticeId, name, storagePlace } = bookedPerson(booking);
  const stored = booking.cardHolder?.counterId ?? counterId;
  const slotIds = [booking.slotId, ...booking.alsoSlotIds];
  const ends = slotIds.map((slotId) => slotById.get(slotId)!.endsAt.getTime());
  return {
    id: booking.id,
    code: booking.code,
    channel: booking.channel,
    language: booking.language,
    status: booking.status,
    procedure: booking.procedure.name,
    holderId,
    applicantId,
    noticeId,
    name,
    storagePlace,
    ticket: booking.ticket?.number ?? '',
    storedAt: stored !== counterId ? (booking.cardHolder?.counter?.name ?? null) : null,
    time: formatMinutes(jstMinutesOf(slotById.get(booking.slotId)!.startsAt)),
    endTime: formatMinutes(jstMinutesOf(new Date(Math.max(...ends)))),
    slotIds,
  };
}

/** People per procedure, in the procedures' display order. */
function countByProcedure(procedures: { name: string; displayOrder: number; documents: string[] }[]): ProcedureOfDay[] {
  const counts = new Map<string, ProcedureOfDay & { order: number }>();
  for (const { name, displayOrder, documents } of procedures) {
    const entry = counts.get(name) ?? { name, order: displayOrder, people: 0, documents };
    entry.people += 1;
    counts.set(name, entry);
  }
  return [...counts.values()].sort((a, b) => a.order - b.order).map(({ name, people, documents }) => ({ name, people, documents }));
}

export interface WeekDay {
  date: IsoDate;
  slots: number;
  capacity: number;
  booked: number;
  webFree: number;
  heldBackFree: number;
  byProcedure: ProcedureCount[];
}

const PEOPLE_BY_DAY_AND_PROCEDURE = `
  SELECT s.date::text AS date, p.name, count(*)::int AS people
  FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN procedures p ON p.code = b.procedure_code
  WHERE s.counter_id = $1::int AND s.date BETWEEN $2::date AND $3::date AND b.status <> 'cancelled'
  GROUP BY s.date, p.name, p.display_order ORDER BY p.display_order, p.name`;

/** Seven days from `from`: per day the slots, capacity, booked and free places, and people per procedure (no personal data). */
export async function weekOverview(reader: Reader, counterId: number, from: IsoDate, user: StaffPrincipal) {
  const counter = await counterOrFail(reader.db, user, counterId);
  const to = addDays(from, 6);
  const [slots, perProcedure] = await Promise.all([
    reader.db.slot.findMany({
      where: { counterId, date: { gte: dateColumn(from), lte: dateColumn(to) } },
      select: { date: true, capacity: true, reservedCapacity: true, booked: true },
    }),
    reader.query<ProcedureCount & { date: IsoDate }>(PEOPLE_BY_DAY_AND_PROCEDURE, [counterId, from, to]),
  ]);
  const days: WeekDay[] = Array.from({ length: 7 }, (_, index) => {
    const date = addDays(from, index);
    const byProcedure = perProcedure.filter((row) => row.date === date).map(({ name, people }) => ({ name, people }));
    return { date, slots: 0, capacity: 0, booked: 0, webFree: 0, heldBackFree: 0, byProcedure };
  });
  for (const slot of slots) {
    const day = days.find((candidate) => candidate.date === isoDateOfColumn(slot.date))!;
    const web = webPlacesLeft(slot);
    day.slots += 1;
    day.capacity += slot.capacity;
    day.booked += slot.booked;
    day.webFree += web;
    day.heldBackFree += allPlacesLeft(slot) - web;
  }
  return { counter: { id: counter.id, name: counter.name }, from, previous: addDays(from, -7), next: addDays(from, 7), days };
}

/** How many bookings of the counter's day are still unvisited (the preview before marking them no-shows). */
export async function previewNoShows(reader: Reader, counterId: number, date: IsoDate, user: StaffPrincipal, now = clockNow()) {
  const counter = await counterOrFail(reader.db, user, counterId);
  if (date > todayInJapan(now)) throw new AppError(400, 'future_date', 'console.noShow.future');
  return { counter, date, count: (await unvisitedOfDay(reader, counterId, date)).length };
}
