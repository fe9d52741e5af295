// The counts of the monthly report (実績報告書), each counted once in SQL with GROUPING SETS: the
// whole range, per counter, per procedure, per channel and per day, from the rows that made them.
// Bookings made, moved and cancelled count on the Japan day they happened; visits, hand-overs and
// no-shows on the visit's day (booking_events, docs/decisions/0026); walk-ins are the walk-in
// tickets; capacity is the slots' places against the places booked; cards come from their history.
import type { Queryable } from '../../db/client.js';
import { isoDateOfColumn, jstInstant, addDays, type IsoDate } from '../../lib/jst.js';
import { CARD_REASONS } from '../cards/status.js';

export interface ReportRange {
  from: IsoDate;
  to: IsoDate;
  counterIds: number[];
}

export const ACTIVITY_MEASURES = ['made', 'moved', 'cancelled', 'visits', 'handedOver', 'noShows', 'walkIns'] as const;
export type ActivityMeasure = (typeof ACTIVITY_MEASURES)[number];
export type Activity = Record<ActivityMeasure, number>;

/** The channels counted: a booking's own, and walk-ins (a visit without a booking). */
export const REPORT_CHANNELS = ['web', 'phone', 'counter', 'walk_in'] as const;

interface ActivityRow extends Activity {
  set: 'all' | 'counter' | 'procedure' | 'channel' | 'day';
  counterId: number | null;
  procedureCode: string | null;
  channel: string | null;
  date: Date | null;
}

// $1 from, $2 to, $3 counters. A visit is a check-in, or a hand-over without one; GROUPING
// tells the sets apart (a group's own key is never NULL).
const ACTIVITY = `
  WITH facts AS (
    SELECT e.day AS date, e.counter_id, e.procedure_code, e.channel::text AS channel, e.kind::text AS kind, e.booking_id
      FROM booking_events e
     WHERE e.day BETWEEN $1::date AND $2::date AND e.counter_id = ANY($3::int[]) AND e.kind IN ('booked', 'moved', 'cancelled')
    UNION ALL
    SELECT e.slot_date, e.counter_id, e.procedure_code, e.channel::text, e.kind::text, e.booking_id
      FROM booking_events e
     WHERE e.slot_date BETWEEN $1::date AND $2::date AND e.counter_id = ANY($3::int[]) AND e.kind IN ('checked_in', 'handed_over', 'no_show')
    UNION ALL
    SELECT t.date, t.counter_id, t.procedure_code, 'walk_in', 'walk_in', NULL
      FROM tickets t
     WHERE t.date BETWEEN $1::date AND $2::date AND t.counter_id = ANY($3::int[]) AND t.kind = 'walk_in')
  SELECT CASE WHEN GROUPING(counter_id) = 0 THEN 'counter' WHEN GROUPING(procedure_code) = 0 THEN 'procedure'
              WHEN GROUPING(channel) = 0 THEN 'channel' WHEN GROUPING(date) = 0 THEN 'day' ELSE 'all' END AS set,
         counter_id AS "counterId", procedure_code AS "procedureCode", channel, date,
         count(*) FILTER (WHERE kind = 'booked')::int AS made,
         count(*) FILTER (WHERE kind = 'moved')::int AS moved,
         count(*) FILTER (WHERE kind = 'cancelled')::int AS cancelled,
         count(DISTINCT booking_id) FILTER (WHERE kind IN ('checked_in', 'handed_over'))::int AS visits,
         count(*) FILTER (WHERE kind = 'handed_over')::int AS "handedOver",
         count(*) FILTER (WHERE kind = 'no_show')::int AS "noShows",
         count(*) FILTER (WHERE kind = 'walk_in')::int AS "walkIns"
    FROM facts
   GROUP BY GROUPING SETS ((), (counter_id), (procedure_code), (channel), (date))`;

export interface CapacityCount {
  /** Places the slots offered. */
  offered: number;
  /** Places booked in them. */
  used: number;
}

interface CapacityRow extends CapacityCount {
  counterId: number | null;
  date: Date | null;
  grouped: 'all' | 'counter' | 'day';
}

const CAPACITY = `
  SELECT CASE WHEN GROUPING(counter_id) = 0 THEN 'counter' WHEN GROUPING(date) = 0 THEN 'day' ELSE 'all' END AS grouped,
         counter_id AS "counterId", date, coalesce(sum(capacity), 0)::int AS offered, coalesce(sum(booked), 0)::int AS used
    FROM slots
   WHERE date BETWEEN $1::date AND $2::date AND counter_id = ANY($3::int[])
   GROUP BY GROUPING SETS ((), (counter_id), (date))`;

/** How long an unbooked card has waited since it was registered (imported), in months. */
export const AGE_BANDS = ['under1', 'from1to3', 'from3to6', 'over6'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];
export type CardCount = { imported: number; returned: number } & Record<AgeBand, number>;

interface CardRow extends CardCount {
  counterId: number | null;
}

// $1 first instant, $2 instant after the range, $3 counters, $4 the reason of a card added by
// hand (not imported). A card is unbooked at the end when its last status before then is
// arrived or notice sent.
const CARDS = `
  WITH cards AS (
    SELECT h.id, h.counter_id, h.created_at,
           (SELECT c.to_status FROM card_status_changes c WHERE c.card_holder_id = h.id AND c.at < $2::timestamptz ORDER BY c.at DESC, c.id DESC LIMIT 1) AS status_then
      FROM card_holders h
     WHERE h.counter_id = ANY($3::int[]) AND h.created_at < $2::timestamptz
       -- Only a card unbooked now, or changed since, can have been unbooked then.
       AND (h.status IN ('card_arrived', 'notice_sent') OR h.id IN (SELECT card_holder_id FROM card_status_changes WHERE at >= $2::timestamptz))),
  moves AS (
    SELECT h.counter_id,
           count(*) FILTER (WHERE c.from_status IS NULL AND c.reason <> $4::text)::int AS imported,
           count(*) FILTER (WHERE c.to_status = 'returned_undelivered' AND c.from_status IS DISTINCT FROM 'returned_undelivered')::int AS returned
      FROM card_status_changes c JOIN card_holders h ON h.id = c.card_holder_id
     WHERE c.at >= $1::timestamptz AND c.at < $2::timestamptz AND h.counter_id = ANY($3::int[])
     GROUP BY h.counter_id),
  waiting AS (
    SELECT counter_id,
           count(*) FILTER (WHERE created_at > $2::timestamptz - interval '1 month')::int AS under1,
           count(*) FILTER (WHERE created_at <= $2::timestamptz - interval '1 month' AND created_at > $2::timestamptz - interval '3 months')::int AS "from1to3",
           count(*) FILTER (WHERE created_at <= $2::timestamptz - interval '3 months' AND created_at > $2::timestamptz - interval '6 months')::int AS "from3to6",
           count(*) FILTER (WHERE created_at <= $2::timestamptz - interval '6 months')::int AS over6
      FROM cards WHERE status_then IN ('card_arrived', 'notice_sent')
     GROUP BY counter_id),
  per_counter AS (
    SELECT c.id AS counter_id, coalesce(m.imported, 0) AS imported, coalesce(m.returned, 0) AS returned,
           coalesce(w.under1, 0) AS under1, coalesce(w."from1to3", 0) AS "from1to3", coalesce(w."from3to6", 0) AS "from3to6", coalesce(w.over6, 0) AS over6
      FROM unnest($3::int[]) AS c(id) LEFT JOIN moves m ON m.counter_id = c.id LEFT JOIN waiting w ON w.counter_id = c.id)
  SELECT counter_id AS "counterId", sum(imported)::int AS imported, sum(returned)::int AS returned,
         sum(under1)::int AS under1, sum("from1to3")::int AS "from1to3", sum("from3to6")::int AS "from3to6", sum(over6)::int AS over6
    FROM per_counter GROUP BY GROUPING SETS ((), (counter_id))`;

export interface Counts {
  all: Activity;
  byCounter: Map<number, Activity>;
  byProcedure: Map<string, Activity>;
  byChannel: Map<string, Activity>;
  byDay: Map<IsoDate, Activity>;
  capacity: { all: CapacityCount; byCounter: Map<number, CapacityCount>; byDay: Map<IsoDate, CapacityCount> };
  cards: { all: CardCount; byCounter: Map<number, CardCount> };
}

const activityOf = (row: ActivityRow): Activity => Object.fromEntries(ACTIVITY_MEASURES.map((measure) => [measure, row[measure]])) as Activity;
export const NO_ACTIVITY: Activity = Object.fromEntries(ACTIVITY_MEASURES.map((measure) => [measure, 0])) as Activity;
const NO_CARDS: CardCount = { imported: 0, returned: 0, under1: 0, from1to3: 0, from3to6: 0, over6: 0 };
const cardOf = ({ counterId: _counterId, ...count }: CardRow): CardCount => count;

/** Every count of the report for the days and counters (three statements, read together). */
export async function reportCounts(db: Queryable, range: ReportRange): Promise<Counts> {
  const values = [range.from, range.to, range.counterIds];
  const [activity, capacity, cards] = await Promise.all([
    db.query<ActivityRow>(ACTIVITY, values),
    db.query<CapacityRow>(CAPACITY, values),
    db.query<CardRow>(CARDS, [jstInstant(range.from), jstInstant(addDays(range.to, 1)), range.counterIds, CARD_REASONS.quickAdded]),
  ]);
  const of = (set: ActivityRow['set']) => activity.filter((row) => row.set === set);
  const capacityOf = (set: CapacityRow['grouped']) => capacity.filter((row) => row.grouped === set);
  const capacityCount = (row: CapacityRow): CapacityCount => ({ offered: row.offered, used: row.used });
  return {
    all: of('all').map(activityOf)[0] ?? NO_ACTIVITY,
    byCounter: new Map(of('counter').map((row) => [row.counterId!, activityOf(row)])),
    byProcedure: new Map(of('procedure').map((row) => [row.procedureCode!, activityOf(row)])),
    byChannel: new Map(of('channel').map((row) => [row.channel!, activityOf(row)])),
    byDay: new Map(of('day').map((row) => [isoDateOfColumn(row.date!), activityOf(row)])),
    capacity: {
      all: capacityOf('all').map(capacityCount)[0] ?? { offered: 0, used: 0 },
      byCounter: new Map(capacityOf('counter').map((row) => [row.counterId!, capacityCount(row)])),
      byDay: new Map(capacityOf('day').map((row) => [isoDateOfColumn(row.date!), capacityCount(row)])),
    },
    cards: {
      all: cards.filter((row) => row.counterId === null).map(cardOf)[0] ?? NO_CARDS,
      byCounter: new Map(cards.filter((row) => row.counterId !== null).map((row) => [row.counterId!, cardOf(row)])),
    },
  };
}
