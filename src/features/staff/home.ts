// The staff home's "today at a glance": what is happening at the user's counters today and what
// waits for someone, each figure with the page where it is acted on.
import type { Reader } from '../../db/client.js';
import { todayInJapan, type IsoDate } from '../../lib/jst.js';
import { can, visibleCounterIds, type Action, type StaffPrincipal } from '../../policies/index.js';
import { openIncidentCount } from '../incidents/service.js';
import { unansweredEscalationCount } from '../inquiries/inquiries.js';

export interface CounterToday {
  counterId: number;
  name: string;
  /** Bookings for today that are not cancelled. */
  booked: number;
  /** Booked people who came (checked in or already handed their card). */
  visited: number;
  handedOver: number;
  noShows: number;
  /** Walk-in tickets issued today. */
  walkIns: number;
}

export interface Waiting {
  /** What the figure counts (a locale key). */
  labelKey: string;
  count: number;
  href: string;
}

export interface Glance {
  date: IsoDate;
  counters: CounterToday[];
  waiting: Waiting[];
}

interface CounterRow {
  counter_id: number;
  name: string;
  booked: number;
  visited: number;
  handed_over: number;
  no_shows: number;
  walk_ins: number;
}

/**
 * Per counter in scope that opens today or has visitors: bookings by status and walk-ins, in one
 * statement (bookings JOIN slots grouped by counter, tickets grouped by counter).
 */
const COUNTERS_TODAY = `
  WITH scope AS (SELECT id FROM counters WHERE $2::int[] IS NULL OR id = ANY($2::int[])),
  booked AS (
    SELECT s.counter_id,
           count(*) FILTER (WHERE b.status <> 'cancelled')::int AS booked,
           count(*) FILTER (WHERE b.status IN ('checked_in', 'handed_over'))::int AS visited,
           count(*) FILTER (WHERE b.status = 'handed_over')::int AS handed_over,
           count(*) FILTER (WHERE b.status = 'no_show')::int AS no_shows
      FROM bookings b JOIN slots s ON s.id = b.slot_id
     WHERE s.date = $1::date AND s.counter_id IN (SELECT id FROM scope)
     GROUP BY s.counter_id),
  walk_ins AS (
    SELECT counter_id, count(*)::int AS walk_ins FROM tickets
     WHERE date = $1::date AND kind = 'walk_in' AND counter_id IN (SELECT id FROM scope)
     GROUP BY counter_id),
  open_today AS (
    SELECT DISTINCT counter_id FROM slots WHERE date = $1::date AND counter_id IN (SELECT id FROM scope)
    UNION SELECT counter_id FROM walk_ins)
  SELECT c.id AS counter_id, c.name,
         coalesce(b.booked, 0) AS booked, coalesce(b.visited, 0) AS visited,
         coalesce(b.handed_over, 0) AS handed_over, coalesce(b.no_shows, 0) AS no_shows,
         coalesce(w.walk_ins, 0) AS walk_ins
    FROM open_today o JOIN counters c ON c.id = o.counter_id
    LEFT JOIN booked b ON b.counter_id = c.id
    LEFT JOIN walk_ins w ON w.counter_id = c.id
   ORDER BY c.display_order, c.id`;

const OPEN_ALERTS = `SELECT count(*)::int AS count FROM alerts WHERE acknowledged_at IS NULL`;
const IMPORTS_WAITING = `SELECT count(*)::int AS count FROM import_batches WHERE status IN ('uploaded', 'previewing', 'previewed', 'committing')`;

async function countOf(db: Reader, sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ count: number }>(sql, values);
  return row?.count ?? 0;
}

/**
 * Figures that wait for someone, each shown only to users who may act on it. Every console hit of
 * /staff pays for these, so the independent counts run at the same time.
 */
async function waitingFor(db: Reader, user: StaffPrincipal): Promise<Waiting[]> {
  const figures: { action: Action; labelKey: string; href: string; count: () => Promise<number> }[] = [
    { action: 'alerts.manage', labelKey: 'staff.home.openAlerts', href: '/staff/alerts', count: () => countOf(db, OPEN_ALERTS) },
    { action: 'incidents.view', labelKey: 'staff.home.openIncidents', href: '/staff/incidents?status=open', count: () => openIncidentCount(db, user) },
    {
      action: 'inquiries.respond',
      labelKey: 'staff.home.unansweredEscalations',
      href: '/staff/inquiries?status=escalated',
      count: () => unansweredEscalationCount(db, user),
    },
    { action: 'cards.import', labelKey: 'staff.home.importsWaiting', href: '/staff/cards/imports', count: () => countOf(db, IMPORTS_WAITING) },
  ];
  const shown = figures.filter((figure) => can(user, figure.action));
  const counts = await Promise.all(shown.map((figure) => figure.count()));
  return shown.map(({ labelKey, href }, index) => ({ labelKey, count: counts[index], href }));
}

export async function todayAtAGlance(db: Reader, user: StaffPrincipal, now: Date): Promise<Glance> {
  const date = todayInJapan(now);
  const [rows, waiting] = await Promise.all([db.query<CounterRow>(COUNTERS_TODAY, [date, visibleCounterIds(user)]), waitingFor(db, user)]);
  const counters = rows.map((row) => ({
    counterId: row.counter_id,
    name: row.name,
    booked: row.booked,
    visited: row.visited,
    handedOver: row.handed_over,
    noShows: row.no_shows,
    walkIns: row.walk_ins,
  }));
  return { date, counters, waiting };
}
