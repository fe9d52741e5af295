// Card holders for the staff console: search, counts, export, follow-up, quick add, detail and
// status changes. Every read of personal data and every change is audited in its transaction.
import { reconcileTransfers } from './logistics/transfers.js';
import { spendUnverifiedCheck } from '../citizen/identity-checks.js';
import type { Database, Db, DbTx, Reader } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import type { CardStatus, Prisma } from '../../generated/prisma/client.js';
import { pagedRows } from '../../lib/csv.js';
import { addDays, dateColumn, todayInJapan, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { translator } from '../../lib/i18n.js';
import type { StaffPrincipal } from '../staff/access.js';
import { can, ensureCounter, visibleCounterIds } from '../../policies/index.js';
import { keyedText, recordAudit, type AuditActor } from '../staff/audit.js';
import { openBooking } from '../../domain/booking-rules.js';
import { checkCardRow, keyUnder, type CardRow, type RawCardRow, type RowProblem } from './card-row.js';
import { CARD_REASONS, CardTransitionError, canMoveCard, changeCardStatus } from './status.js';

const statusLabel = (status: CardStatus) => translator()(`cards.status.${status}`);
export const CARD_STATUSES: CardStatus[] = ['data_received', 'card_arrived', 'notice_sent', 'booked', 'handed_over', 'returned_undelivered', 'on_hold', 'cancelled'];

export interface CardFilter {
  q?: string;
  status?: CardStatus;
  counterId?: number;
  booking?: 'booked' | 'not_booked';
  sentFrom?: IsoDate;
  sentTo?: IsoDate;
}

function counterScope(user: StaffPrincipal, counterId: number | undefined): Prisma.CardHolderWhereInput {
  if (counterId !== undefined) {
    ensureCounter(user, counterId, 'cards.counterForbidden');
    return { counterId };
  }
  const ids = visibleCounterIds(user);
  return ids === null ? {} : { counterId: { in: ids } };
}

function whereOf(filter: CardFilter, user: StaffPrincipal, withStatus = true): Prisma.CardHolderWhereInput {
  const sent =
    filter.sentFrom || filter.sentTo ? { gte: filter.sentFrom ? dateColumn(filter.sentFrom) : undefined, lte: filter.sentTo ? dateColumn(filter.sentTo) : undefined } : undefined;
  const bookings = filter.booking === 'booked' ? { some: openBooking } : filter.booking === 'not_booked' ? { none: openBooking } : undefined;
  const text = filter.q ? { OR: [{ noticeId: filter.q }, { cardNumber: filter.q }, { name: { contains: filter.q } }, { nameKana: { contains: filter.q } }] } : {};
  return { ...counterScope(user, filter.counterId), ...text, status: withStatus ? filter.status : undefined, noticeSentOn: sent, bookings };
}

const LIST_SELECT = {
  id: true,
  noticeId: true,
  name: true,
  nameKana: true,
  cardNumber: true,
  storagePlace: true,
  status: true,
  noticeSentOn: true,
  noticeValidUntil: true,
  counter: { select: { name: true } },
  bookings: { where: openBooking, take: 1, select: { code: true, slot: { select: { startsAt: true, counter: { select: { name: true } } } } } },
} satisfies Prisma.CardHolderSelect;

export type CardListRow = Prisma.CardHolderGetPayload<{ select: typeof LIST_SELECT }>;
export const PAGE_SIZE = 100;

/** A filter as the audit log keeps it: the search text keyed, never in clear. */
const auditedFilter = (pepper: string, filter: CardFilter) => ({ ...filter, q: keyedText(pepper, filter.q ?? '') });

/** One page of matching card holders and the counts per status; the search is audited. */
export async function searchCards(tx: Tx, filter: CardFilter, user: StaffPrincipal, pepper: string, page = 1, pageSize = PAGE_SIZE) {
  const where = whereOf(filter, user);
  const [rows, total, grouped] = await Promise.all([
    tx.db.cardHolder.findMany({ where, select: LIST_SELECT, orderBy: { id: 'asc' }, skip: (page - 1) * pageSize, take: pageSize }),
    tx.db.cardHolder.count({ where }),
    tx.db.cardHolder.groupBy({ by: ['status'], where: whereOf(filter, user, false), _count: { _all: true } }),
  ]);
  const counts = Object.fromEntries(CARD_STATUSES.map((status) => [status, grouped.find((group) => group.status === status)?._count._all ?? 0]));
  await recordAudit(tx, { action: 'cards.search', targetType: 'card_holder', detail: { filter: auditedFilter(pepper, filter), page, shown: rows.length } });
  return { rows, total, counts: counts as Record<CardStatus, number> };
}

/** Pages of 1,000 card holders, read (after the audit has committed) through `reader`. */
const pagesOf = (reader: Reader, where: Prisma.CardHolderWhereInput): AsyncGenerator<CardListRow> =>
  pagedRows((after) => reader.db.cardHolder.findMany({ where: { ...where, id: { gt: Number(after ?? 0) } }, select: LIST_SELECT, orderBy: { id: 'asc' }, take: 1000 }));

/**
 * Every matching card holder (for CSV): the export is audited in `tx`, and the rows are read
 * through `reader` as the CSV is written, after `tx` has committed.
 */
export async function exportCards(tx: Tx, reader: Reader, filter: CardFilter, user: StaffPrincipal, pepper: string): Promise<AsyncGenerator<CardListRow>> {
  await recordAudit(tx, { action: 'cards.export', targetType: 'card_holder', detail: { filter: auditedFilter(pepper, filter) } });
  return pagesOf(reader, whereOf(filter, user));
}

/** Notice sent at least `days` days ago, still waiting at notice_sent with no booking. */
function followUpWhere(days: number, user: StaffPrincipal, counterId?: number): Prisma.CardHolderWhereInput {
  return { ...counterScope(user, counterId), status: 'notice_sent', noticeSentOn: { lte: dateColumn(addDays(todayInJapan(), -days)) }, bookings: { none: openBooking } };
}

export async function followUpCounts(db: Db, days: number, user: StaffPrincipal) {
  const grouped = await db.cardHolder.groupBy({ by: ['counterId'], where: followUpWhere(days, user), _count: { _all: true } });
  const counters = await db.counter.findMany({
    where: { id: { in: grouped.flatMap((group) => (group.counterId === null ? [] : [group.counterId])) } },
    select: { id: true, name: true },
  });
  return grouped
    .map((group) => ({ counterId: group.counterId, counterName: counters.find((counter) => counter.id === group.counterId)?.name ?? '', count: group._count._all }))
    .sort((a, b) => b.count - a.count);
}

/** The follow-up list as CSV rows: audited in `tx`, read through `reader` (as exportCards). */
export async function followUpRows(tx: Tx, reader: Reader, days: number, user: StaffPrincipal, counterId?: number): Promise<AsyncGenerator<CardListRow>> {
  await recordAudit(tx, { action: 'cards.followUp.export', targetType: 'card_holder', detail: { days, counterId: counterId ?? null } });
  return pagesOf(reader, followUpWhere(days, user, counterId));
}

export interface QuickAddProblem extends RowProblem {
  index: number;
}

async function resolveCounters(tx: DbTx, rows: CardRow[]) {
  const codes = [...new Set(rows.map((row) => row.counterCode).filter((code) => code !== ''))];
  const counters = await tx.counter.findMany({ where: { code: { in: codes }, retiredAt: null }, select: { id: true, code: true } });
  return new Map(counters.map((counter) => [counter.code, counter.id]));
}

/** Adds a handful of card holders typed by staff, checked exactly like import lines; all or none. */
export async function quickAddCards(tx: Tx, raws: RawCardRow[], pepper: string): Promise<{ ok: true; ids: number[] } | { ok: false; problems: QuickAddProblem[] }> {
  const problems: QuickAddProblem[] = [];
  const rows: CardRow[] = [];
  raws.forEach((raw, index) => {
    const checked = checkCardRow(raw, keyUnder(pepper), 'YYYY-MM-DD');
    if (!checked.ok) problems.push({ index, ...checked.problem });
    else if (rows.some((row) => row.noticeId === checked.row.noticeId)) problems.push({ index, field: 'noticeId', key: 'cards.row.duplicateInForm' });
    else rows.push(checked.row);
  });
  if (problems.length > 0) return { ok: false, problems };
  const counters = await resolveCounters(tx.db, rows);
  const existing = await tx.db.cardHolder.findMany({ where: { noticeId: { in: rows.map((row) => row.noticeId) } }, select: { noticeId: true } });
  rows.forEach((row, index) => {
    if (row.counterCode !== '' && !counters.has(row.counterCode))
      problems.push({ index, field: 'counterCode', key: 'cards.row.unknownCounter', params: { code: row.counterCode } });
    if (existing.some((holder) => holder.noticeId === row.noticeId)) problems.push({ index, field: 'noticeId', key: 'cards.row.exists' });
  });
  if (problems.length > 0) return { ok: false, problems };
  const ids: number[] = [];
  for (const row of rows) {
    const { counterCode, noticeSentOn, noticeValidUntil, ...data } = row;
    const holder = await tx.db.cardHolder.create({
      data: {
        ...data,
        counterId: counterCode === '' ? null : counters.get(counterCode)!,
        noticeSentOn: noticeSentOn ? dateColumn(noticeSentOn) : null,
        noticeValidUntil: noticeValidUntil ? dateColumn(noticeValidUntil) : null,
        statusChanges: { create: { fromStatus: null, toStatus: 'data_received', actor: actorKey(tx.actor), reason: CARD_REASONS.quickAdded } },
      },
    });
    ids.push(holder.id);
  }
  await recordAudit(tx, { action: 'cards.quickAdd', targetType: 'card_holder', detail: { ids } });
  return { ok: true, ids };
}

async function scopedHolder(tx: DbTx, id: number, user: StaffPrincipal) {
  const holder = await tx.cardHolder.findUnique({ where: { id }, include: { counter: { select: { name: true } } } });
  // A card outside the user's counters answers like an absent one, so ids cannot be probed.
  const visible = holder !== null && can(user, 'cards.view', holder);
  if (!visible) throw new AppError(404, 'card_not_found', 'cards.notFound');
  return holder;
}

/** One card holder with its history and bookings (and so its storage place beside the booking). */
export async function showCard(tx: Tx, id: number, user: StaffPrincipal) {
  const holder = await scopedHolder(tx.db, id, user);
  const history = await tx.db.cardStatusChange.findMany({ where: { cardHolderId: id }, orderBy: { id: 'desc' } });
  const bookings = await tx.db.booking.findMany({ where: { cardHolderId: id }, orderBy: { id: 'desc' }, include: { slot: { include: { counter: { select: { name: true } } } } } });
  await recordAudit(tx, { action: 'cards.view', targetType: 'card_holder', targetId: id });
  return { holder, history, bookings };
}

/**
 * Before staff lift the log-in lock on a card holder's notice ID (unlockCitizenLogin), the check
 * of the caller's identity it rests on is spent from the staff user's budget (committed on its own).
 */
export async function spendCheckForUnlock(database: Database, id: number, check: { user: StaffPrincipal; actor: AuditActor }): Promise<void> {
  const holder = await scopedHolder(database.db, id, check.user);
  await spendUnverifiedCheck(database, check, holder.id);
}

/** A manual status change, within the allowed transitions, written to history and audit together. */
export async function changeStatusByStaff(tx: Tx, id: number, to: CardStatus, reason: string, user: StaffPrincipal): Promise<void> {
  const holder = await scopedHolder(tx.db, id, user);
  try {
    await changeCardStatus(tx, id, to, reason);
    // A cancelled card is sent nowhere any more.
    await reconcileTransfers(tx, [id]);
  } catch (error) {
    if (error instanceof CardTransitionError) throw new AppError(409, 'bad_transition', 'cards.status.notAllowed', { from: statusLabel(error.from), to: statusLabel(error.to) });
    throw error;
  }
  await recordAudit(tx, { action: 'cards.status.change', targetType: 'card_holder', targetId: id, detail: { from: holder.status, to, reason } });
}

// ---- bulk status change: select by filter or by ticked cards, preview, confirm ----

/** Statuses a bulk change may set; booking and hand-over move cards on their own. */
export const BULK_TARGETS = ['card_arrived', 'notice_sent', 'returned_undelivered', 'on_hold', 'cancelled'] as const satisfies readonly CardStatus[];
/** Booked cards follow their booking: a bulk change never moves them. */
const BULK_NEVER_FROM: CardStatus[] = ['booked'];
export const BULK_MAX = 20_000;

export interface BulkSelection {
  filter: CardFilter;
  /** Ticked cards; when empty, every card matching the filter. */
  ids: number[];
}

export interface BulkGroup {
  from: CardStatus;
  count: number;
  /** null when the move is allowed, else the translation key of why not. */
  refusal: string | null;
}

function bulkWhere(selection: BulkSelection, user: StaffPrincipal): Prisma.CardHolderWhereInput {
  return selection.ids.length > 0 ? { ...counterScope(user, undefined), id: { in: selection.ids } } : whereOf(selection.filter, user);
}

function bulkRefusal(from: CardStatus, to: CardStatus): string | null {
  if (from === to) return 'cards.bulk.refusal.same';
  if (BULK_NEVER_FROM.includes(from)) return 'cards.bulk.refusal.booked';
  return canMoveCard(from, to) ? null : 'cards.bulk.refusal.notAllowed';
}

/** How many selected cards would move to `to`, per current status, and which are refused and why. Changes nothing. */
export async function previewBulkStatus(db: Db | DbTx, selection: BulkSelection, to: CardStatus, user: StaffPrincipal) {
  const grouped = await db.cardHolder.groupBy({ by: ['status'], where: bulkWhere(selection, user), _count: { _all: true } });
  const groups: BulkGroup[] = CARD_STATUSES.flatMap((from) => {
    const count = grouped.find((group) => group.status === from)?._count._all ?? 0;
    return count === 0 ? [] : [{ from, count, refusal: bulkRefusal(from, to) }];
  });
  const sum = (list: BulkGroup[]) => list.reduce((total, group) => total + group.count, 0);
  return { groups, total: sum(groups), allowed: sum(groups.filter((group) => group.refusal === null)) };
}

/** A bulk change of up to BULK_MAX cards may take this long (the route's transaction time-out). */
export const BULK_TIMEOUT_MS = 120_000;

const MOVE_SELECTED = `
  WITH target AS (SELECT id, status FROM card_holders WHERE id = ANY($1::int[]) AND status::text = ANY($2::text[]) FOR UPDATE),
  moved AS (UPDATE card_holders h SET status = $3::card_status, updated_at = now() FROM target WHERE h.id = target.id RETURNING h.id, target.status AS from_status)
  INSERT INTO card_status_changes (card_holder_id, from_status, to_status, reason, actor)
  SELECT id, from_status, $3::card_status, $4, $5 FROM moved
  RETURNING card_holder_id AS id`;

/**
 * Moves every allowed selected card to `to` in the caller's transaction, with a history row each
 * and one audit row. `expected` is the count the clerk saw in the preview: if the cards changed
 * meanwhile nothing is changed and the clerk is asked to look again.
 */
export async function applyBulkStatus(
  tx: Tx,
  selection: BulkSelection,
  change: { to: CardStatus; reason: string; expected: number },
  user: StaffPrincipal,
  pepper: string,
): Promise<number> {
  const { to, reason, expected } = change;
  if (!(BULK_TARGETS as readonly CardStatus[]).includes(to)) throw new AppError(400, 'bad_target', 'cards.bulk.badTarget');
  const from = CARD_STATUSES.filter((status) => bulkRefusal(status, to) === null);
  const candidates = await tx.db.cardHolder.findMany({ where: { AND: [bulkWhere(selection, user), { status: { in: from } }] }, select: { id: true }, take: BULK_MAX + 1 });
  if (candidates.length > BULK_MAX) throw new AppError(400, 'too_many', 'cards.bulk.tooMany');
  const moved = await tx.query<{ id: number }>(MOVE_SELECTED, [candidates.map((card) => card.id), from, to, reason || CARD_REASONS.bulkChange, actorKey(tx.actor)]);
  if (moved.length !== expected) throw new AppError(409, 'selection_changed', 'cards.bulk.changed', { expected, now: moved.length });
  await reconcileTransfers(
    tx,
    moved.map((row) => row.id),
  );
  await recordAudit(tx, {
    action: 'cards.status.bulkChange',
    targetType: 'card_holder',
    detail: { to, reason, count: moved.length, ids: moved.map((row) => row.id), filter: selection.ids.length > 0 ? null : auditedFilter(pepper, selection.filter) },
  });
  return moved.length;
}
