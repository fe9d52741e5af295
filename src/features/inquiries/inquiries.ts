// The inquiry and complaint log (issue 15.3): operators and staff record each call or counter
// inquiry; one may be handed over to city staff (escalated), who answer it. An inquiry belongs to
// the counter of the person it names (or the one the recorder chose), and follows the card pages'
// counter scope and audit: reading or exporting one that names a person is written to the log.
import { Prisma } from '../../generated/prisma/client.js';
import type { Queryable } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { AppError } from '../../lib/app-error.js';
import { now } from '../../lib/clock.js';
import { containsPattern } from '../../lib/validation.js';
import { visibleCounterIds, type StaffPrincipal } from '../../policies/index.js';
import { recordAudit } from '../staff/audit.js';

export const INQUIRY_CHANNELS = ['phone', 'counter', 'mail', 'other'] as const;
export type InquiryChannel = (typeof INQUIRY_CHANNELS)[number];
export const INQUIRY_STATUSES = ['open', 'escalated', 'answered', 'closed'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];

export interface InquiryCategory {
  code: string;
  label: string;
}

export interface InquiryRow {
  id: number;
  receivedAt: Date;
  channel: InquiryChannel;
  categoryCode: string;
  categoryLabel: string;
  body: string;
  bookingId: number | null;
  bookingCode: string | null;
  cardHolderId: number | null;
  noticeId: string | null;
  holderName: string | null;
  applicantId: number | null;
  counterId: number | null;
  counterName: string | null;
  /** Actor keys (actorKey): shown through actorLabeler. */
  handledBy: string;
  status: InquiryStatus;
  escalatedTo: string;
  escalatedAt: Date | null;
  response: string;
  respondedAt: Date | null;
  respondedBy: string | null;
}

export interface InquiryInput {
  receivedAt: Date;
  channel: InquiryChannel;
  categoryCode: string;
  body: string;
  bookingId?: number;
  cardHolderId?: number;
  applicantId?: number;
  /** The recorder's choice when no person is named. */
  counterId?: number;
  escalatedTo?: string;
}

export interface InquiryFilter {
  text?: string;
  categoryCode?: string;
  channel?: InquiryChannel;
  status?: InquiryStatus;
  from?: Date;
  /** Exclusive. */
  until?: Date;
  cardHolderId?: number;
}

/** Categories in use, in their order. */
export function inquiryCategories(reader: Queryable): Promise<InquiryCategory[]> {
  return reader.query<InquiryCategory>(`SELECT code, label FROM inquiry_categories WHERE retired_at IS NULL ORDER BY display_order, code`);
}

/** The inquiries this user may see: those of their counters and those that belong to none. */
function scopeSql(user: StaffPrincipal): Prisma.Sql {
  const ids = visibleCounterIds(user);
  return ids === null ? Prisma.sql`true` : Prisma.sql`(i.counter_id IS NULL OR i.counter_id = ANY(${ids}::int[]))`;
}

function filterSql(filter: InquiryFilter): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (filter.text) conditions.push(Prisma.sql`(i.body LIKE ${containsPattern(filter.text)} OR i.response LIKE ${containsPattern(filter.text)})`);
  if (filter.categoryCode) conditions.push(Prisma.sql`i.category_code = ${filter.categoryCode}`);
  if (filter.channel) conditions.push(Prisma.sql`i.channel = ${filter.channel}::inquiry_channel`);
  if (filter.status) conditions.push(Prisma.sql`i.status = ${filter.status}::inquiry_status`);
  if (filter.from) conditions.push(Prisma.sql`i.received_at >= ${filter.from}`);
  if (filter.until) conditions.push(Prisma.sql`i.received_at < ${filter.until}`);
  if (filter.cardHolderId) conditions.push(Prisma.sql`i.card_holder_id = ${filter.cardHolderId}::int`);
  return conditions.length === 0 ? Prisma.sql`true` : Prisma.join(conditions, ' AND ');
}

const SELECT = Prisma.sql`
  SELECT i.id, i.received_at AS "receivedAt", i.channel::text AS channel, i.category_code AS "categoryCode", c.label AS "categoryLabel", i.body,
         i.booking_id AS "bookingId", b.code AS "bookingCode", i.card_holder_id AS "cardHolderId", h.notice_id AS "noticeId", h.name AS "holderName",
         i.applicant_id AS "applicantId", i.counter_id AS "counterId", co.name AS "counterName", i.handled_by AS "handledBy",
         i.status::text AS status, i.escalated_to AS "escalatedTo", i.escalated_at AS "escalatedAt", i.response, i.responded_at AS "respondedAt",
         i.responded_by AS "respondedBy"
    FROM inquiries i
    JOIN inquiry_categories c ON c.code = i.category_code
    LEFT JOIN bookings b ON b.id = i.booking_id
    LEFT JOIN card_holders h ON h.id = i.card_holder_id
    LEFT JOIN counters co ON co.id = i.counter_id`;

const run = <T>(reader: Queryable, sql: Prisma.Sql) => reader.query<T>(sql.text, sql.values);

/** A person named by an inquiry (for the audit): which of booking, holder, applicant. */
const namesPerson = (row: Pick<InquiryRow, 'bookingId' | 'cardHolderId' | 'applicantId'>) => row.bookingId !== null || row.cardHolderId !== null || row.applicantId !== null;

/** The page of the user's inquiries that match, newest first; audited (the list shows what callers said). */
export async function searchInquiries(tx: SqlTx, user: StaffPrincipal, filter: InquiryFilter, limit = 100): Promise<InquiryRow[]> {
  const rows = await run<InquiryRow>(tx, Prisma.sql`${SELECT} WHERE ${scopeSql(user)} AND ${filterSql(filter)} ORDER BY i.received_at DESC, i.id DESC LIMIT ${limit}`);
  await recordAudit(tx, { action: 'inquiries.search', targetType: 'inquiry', detail: { filter: auditedFilter(filter), shown: rows.length } });
  return rows;
}

/** Every matching inquiry of the user's scope, oldest first, for the CSV; audited. */
export async function inquiriesForExport(tx: SqlTx, user: StaffPrincipal, filter: InquiryFilter): Promise<InquiryRow[]> {
  const rows = await run<InquiryRow>(tx, Prisma.sql`${SELECT} WHERE ${scopeSql(user)} AND ${filterSql(filter)} ORDER BY i.received_at, i.id LIMIT 100000`);
  await recordAudit(tx, { action: 'inquiries.export', targetType: 'inquiry', detail: { filter: auditedFilter(filter), rows: rows.length } });
  return rows;
}

/** What the audit keeps of a search: never the searched text itself (it may be a name). */
function auditedFilter(filter: InquiryFilter) {
  return { ...filter, text: filter.text ? true : undefined, from: filter.from?.toISOString(), until: filter.until?.toISOString() };
}

/** One inquiry the user may see, or a 404 (one outside the scope does not exist for them); audited when it names a person. */
export async function openInquiry(tx: SqlTx, user: StaffPrincipal, id: number): Promise<InquiryRow> {
  const [row] = await run<InquiryRow>(tx, Prisma.sql`${SELECT} WHERE i.id = ${id}::int AND ${scopeSql(user)}`);
  if (!row) throw new AppError(404, 'not_found', 'inquiries.notFound');
  if (namesPerson(row)) await recordAudit(tx, { action: 'inquiries.view', targetType: 'inquiry', targetId: id });
  return row;
}

/** The counter of the person the inquiry names, after checking the user may see them; undefined when it names nobody. */
async function personCounter(tx: SqlTx, user: StaffPrincipal, input: InquiryInput): Promise<{ counterId: number | null } | undefined> {
  const ids = visibleCounterIds(user);
  const inScope = (counterId: number | null) => counterId === null || ids === null || ids.includes(counterId);
  let found: { counterId: number | null } | undefined;
  const take = (row: { counterId: number | null } | undefined) => {
    if (!row || !inScope(row.counterId)) throw new AppError(400, 'inquiry_person', 'inquiries.field.personNotFound');
    found ??= row;
  };
  if (input.bookingId !== undefined)
    take((await tx.query<{ counterId: number }>(`SELECT s.counter_id AS "counterId" FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = $1::int`, [input.bookingId]))[0]);
  if (input.cardHolderId !== undefined)
    take((await tx.query<{ counterId: number | null }>(`SELECT counter_id AS "counterId" FROM card_holders WHERE id = $1::int`, [input.cardHolderId]))[0]);
  if (input.applicantId !== undefined) {
    // An applicant belongs to no counter: one booked at the user's counters is theirs to name.
    const [applicant] = await tx.query<{ counterId: number | null }>(
      `SELECT (SELECT s.counter_id FROM bookings b JOIN slots s ON s.id = b.slot_id
                WHERE b.applicant_id = a.id AND ($2::int[] IS NULL OR s.counter_id = ANY($2::int[])) ORDER BY b.id DESC LIMIT 1) AS "counterId"
         FROM applicants a WHERE a.id = $1::int`,
      [input.applicantId, ids],
    );
    take(applicant && (ids === null || applicant.counterId !== null) ? applicant : undefined);
  }
  return found;
}

/** A counter in use that the user works at. */
async function counterChoosable(tx: SqlTx, user: StaffPrincipal, counterId: number): Promise<boolean> {
  const ids = visibleCounterIds(user);
  if (ids !== null && !ids.includes(counterId)) return false;
  return (await tx.query(`SELECT 1 FROM counters WHERE id = $1::int AND retired_at IS NULL`, [counterId])).length > 0;
}

/** Records an inquiry (and hands it over at once when `escalatedTo` is given); audited. */
export async function recordInquiry(tx: SqlTx, user: StaffPrincipal, input: InquiryInput): Promise<number> {
  const person = await personCounter(tx, user, input);
  const counterId = person ? person.counterId : (input.counterId ?? null);
  if (!person && counterId !== null && !(await counterChoosable(tx, user, counterId))) throw new AppError(400, 'inquiry_counter', 'inquiries.field.counterInvalid');
  const [category] = await tx.query(`SELECT 1 FROM inquiry_categories WHERE code = $1 AND retired_at IS NULL`, [input.categoryCode]);
  if (!category) throw new AppError(400, 'inquiry_category', 'inquiries.field.categoryInvalid');
  const by = actorKey(tx.actor);
  const escalated = Boolean(input.escalatedTo);
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO inquiries (received_at, channel, category_code, body, booking_id, card_holder_id, applicant_id, counter_id, handled_by, status, escalated_to, escalated_by, escalated_at)
     VALUES ($1, $2::inquiry_channel, $3, $4, $5::int, $6::int, $7::int, $8::int, $9, $10::inquiry_status, $11, $12, CASE WHEN $13::boolean THEN $14::timestamptz END) RETURNING id`,
    [
      input.receivedAt,
      input.channel,
      input.categoryCode,
      input.body,
      input.bookingId ?? null,
      input.cardHolderId ?? null,
      input.applicantId ?? null,
      counterId,
      by,
      escalated ? 'escalated' : 'open',
      input.escalatedTo ?? '',
      escalated ? by : null,
      escalated,
      now(),
    ],
  );
  await recordAudit(tx, { action: 'inquiries.record', targetType: 'inquiry', targetId: row.id, detail: { category: input.categoryCode, channel: input.channel, escalated } });
  return row.id;
}

/**
 * Moves an inquiry on, in one conditional UPDATE: it changes only while the inquiry is still in
 * one of the `from` statuses (and in the user's scope), so of two staff acting at once one wins
 * and the other is told the inquiry changed meanwhile.
 */
async function moveInquiry(tx: SqlTx, user: StaffPrincipal, id: number, from: InquiryStatus[], set: Prisma.Sql): Promise<void> {
  const sql = Prisma.sql`UPDATE inquiries i SET ${set}, updated_at = now() WHERE i.id = ${id}::int AND i.status::text = ANY(${from}::text[]) AND ${scopeSql(user)} RETURNING i.id`;
  const [moved] = await run<{ id: number }>(tx, sql);
  if (moved) return;
  const [exists] = await run<{ id: number }>(tx, Prisma.sql`SELECT i.id FROM inquiries i WHERE i.id = ${id}::int AND ${scopeSql(user)}`);
  if (!exists) throw new AppError(404, 'not_found', 'inquiries.notFound');
  throw new AppError(409, 'inquiry_changed', 'inquiries.changedMeanwhile');
}

/** Hands an open inquiry over to city staff, with a note of whom and why. */
export async function escalateInquiry(tx: SqlTx, user: StaffPrincipal, id: number, escalatedTo: string): Promise<void> {
  const by = actorKey(tx.actor);
  await moveInquiry(tx, user, id, ['open'], Prisma.sql`status = 'escalated', escalated_to = ${escalatedTo}, escalated_by = ${by}, escalated_at = ${now()}`);
  await recordAudit(tx, { action: 'inquiries.escalate', targetType: 'inquiry', targetId: id });
}

/** City staff answer an inquiry handed over to them; only the first answer counts. */
export async function answerInquiry(tx: SqlTx, user: StaffPrincipal, id: number, response: string): Promise<void> {
  const by = actorKey(tx.actor);
  await moveInquiry(tx, user, id, ['escalated'], Prisma.sql`status = 'answered', response = ${response}, responded_by = ${by}, responded_at = ${now()}`);
  await recordAudit(tx, { action: 'inquiries.answer', targetType: 'inquiry', targetId: id });
}

/** Closes an inquiry that needs nothing more (open or answered). */
export async function closeInquiry(tx: SqlTx, user: StaffPrincipal, id: number): Promise<void> {
  await moveInquiry(tx, user, id, ['open', 'answered'], Prisma.sql`status = 'closed'`);
  await recordAudit(tx, { action: 'inquiries.close', targetType: 'inquiry', targetId: id });
}

export interface CategoryCount {
  /** 'YYYY-MM-DD' (per day) or 'YYYY-MM' (per month), Japan time. */
  period: string;
  categoryCode: string;
  count: number;
}

/** Inquiries of the user's scope received in [from, until), counted per category and per day or month (Japan time). */
export function countsByCategory(reader: Queryable, user: StaffPrincipal, unit: 'day' | 'month', from: Date, until: Date): Promise<CategoryCount[]> {
  const format = unit === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM';
  return run<CategoryCount>(
    reader,
    Prisma.sql`SELECT to_char(i.received_at AT TIME ZONE 'Asia/Tokyo', ${format}) AS period, i.category_code AS "categoryCode", count(*)::int AS count
                 FROM inquiries i WHERE i.received_at >= ${from} AND i.received_at < ${until} AND ${scopeSql(user)}
                GROUP BY 1, 2 ORDER BY 1, 2`,
  );
}

export interface CategoryTotal {
  categoryCode: string;
  received: number;
  /** Of them, handed over to city staff. */
  escalated: number;
}

/**
 * For the monthly report: inquiries received in [from, until) at these counters (and, with
 * `unassigned`, those that belong to no counter), per category (the report's counters are
 * already in the user's scope).
 */
export function categoryTotals(reader: Queryable, input: { from: Date; until: Date; counterIds: number[]; unassigned: boolean }): Promise<CategoryTotal[]> {
  return run<CategoryTotal>(
    reader,
    Prisma.sql`SELECT i.category_code AS "categoryCode", count(*)::int AS received, count(i.escalated_at)::int AS escalated
                 FROM inquiries i
                WHERE i.received_at >= ${input.from} AND i.received_at < ${input.until}
                  AND (i.counter_id = ANY(${input.counterIds}::int[]) OR (${input.unassigned} AND i.counter_id IS NULL))
                GROUP BY 1`,
  );
}

/**
 * For the staff home: how many inquiries are handed over to city staff and not answered yet, within
 * the user's counter scope (those of no counter included).
 */
export async function unansweredEscalationCount(reader: Queryable, user: StaffPrincipal): Promise<number> {
  const [row] = await run<{ count: number }>(reader, Prisma.sql`SELECT count(*)::int AS count FROM inquiries i WHERE i.status = 'escalated' AND ${scopeSql(user)}`);
  return row.count;
}
