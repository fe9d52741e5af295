// Card holders for the staff console: search, counts, export, follow-up, quick add, detail and
// status changes. Every read of personal data and every change is audited in its transaction.
import { spendUnverifiedCheck } from '../citizen/identity-checks.js';
import { unlockCitizenLogin } from '../citizen/login-service.js';
import type { Db, DbTx } from '../../db/client.js';
import type { CardStatus, Prisma } from '../../generated/prisma/client.js';
import { pagedRows } from '../../lib/csv.js';
import { addDays, dateColumn, todayInJapan, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../web/errors.js';
import { translator } from '../../web/i18n.js';
import { canUseCounter, type StaffPrincipal } from '../staff/access.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';
import { checkCardRow, type CardRow, type RawCardRow, type RowProblem } from './card-row.js';
import { CardTransitionError, changeCardStatus } from './status.js';

export const CARD_STATUSES: CardStatus[] = ['data_received', 'card_arrived', 'notice_sent', 'booked', 'handed_over', 'returned_undelivered', 'on_hold', 'cancelled'];
const OPEN_BOOKING: Prisma.BookingWhereInput = { status: { in: ['active', 'checked_in'] } };

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
    if (!canUseCounter(user, counterId)) throw new AppError(403, 'counter_forbidden', 'cards.counterForbidden');
    return { counterId };
  }
  return user.counterIds === null ? {} : { counterId: { in: user.counterIds } };
}

function whereOf(filter: CardFilter, user: StaffPrincipal, withStatus = true): Prisma.CardHolderWhereInput {
  const sent = filter.sentFrom || filter.sentTo ? { gte: filter.sentFrom ? dateColumn(filter.sentFrom) : undefined, lte: filter.sentTo ? dateColumn(filter.sentTo) : undefined } : undefined;
  const bookings = filter.booking === 'booked' ? { some: OPEN_BOOKING } : filter.booking === 'not_booked' ? { none: OPEN_BOOKING } : undefined;
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
  bookings: { where: OPEN_BOOKING, take: 1, select: { code: true, slot: { select: { startsAt: true, counter: { select: { name: true } } } } } },
} satisfies Prisma.CardHolderSelect;

export type CardListRow = Prisma.CardHolderGetPayload<{ select: typeof LIST_SELECT }>;
export const PAGE_SIZE = 100;

/** One page of matching card holders and the counts per status; the search is audited. */
export async function searchCards(db: Db, filter: CardFilter, user: StaffPrincipal, actor: AuditActor, page = 1, pageSize = PAGE_SIZE) {
  const where = whereOf(filter, user);
  return db.$transaction(async (tx) => {
    const [rows, total, grouped] = await Promise.all([
      tx.cardHolder.findMany({ where, select: LIST_SELECT, orderBy: { id: 'asc' }, skip: (page - 1) * pageSize, take: pageSize }),
      tx.cardHolder.count({ where }),
      tx.cardHolder.groupBy({ by: ['status'], where: whereOf(filter, user, false), _count: { _all: true } }),
    ]);
    const counts = Object.fromEntries(CARD_STATUSES.map((status) => [status, grouped.find((group) => group.status === status)?._count._all ?? 0]));
    await recordAudit(tx, actor, { action: 'cards.search', targetType: 'card_holder', detail: { filter: { ...filter }, page, shown: rows.length } });
    return { rows, total, counts: counts as Record<CardStatus, number> };
  });
}

/** Every matching card holder, a page of 1,000 at a time (for CSV); the export is audited first. */
export async function exportCards(db: Db, filter: CardFilter, user: StaffPrincipal, actor: AuditActor): Promise<AsyncGenerator<CardListRow>> {
  const where = whereOf(filter, user);
  await recordAudit(db, actor, { action: 'cards.export', targetType: 'card_holder', detail: { filter: { ...filter } } });
  return pagedRows((after) => db.cardHolder.findMany({ where: { ...where, id: { gt: Number(after ?? 0) } }, select: LIST_SELECT, orderBy: { id: 'asc' }, take: 1000 }));
}

/** Notice sent at least `days` days ago, still waiting at notice_sent with no booking. */
function followUpWhere(days: number, user: StaffPrincipal, counterId?: number): Prisma.CardHolderWhereInput {
  return { ...counterScope(user, counterId), status: 'notice_sent', noticeSentOn: { lte: dateColumn(addDays(todayInJapan(), -days)) }, bookings: { none: OPEN_BOOKING } };
}

export async function followUpCounts(db: Db, days: number, user: StaffPrincipal) {
  const grouped = await db.cardHolder.groupBy({ by: ['counterId'], where: followUpWhere(days, user), _count: { _all: true } });
  const counters = await db.counter.findMany({ where: { id: { in: grouped.flatMap((group) => (group.counterId === null ? [] : [group.counterId])) } }, select: { id: true, name: true } });
  return grouped
    .map((group) => ({ counterId: group.counterId, counterName: counters.find((counter) => counter.id === group.counterId)?.name ?? '', count: group._count._all }))
    .sort((a, b) => b.count - a.count);
}

export async function followUpRows(db: Db, days: number, user: StaffPrincipal, actor: AuditActor, counterId?: number): Promise<AsyncGenerator<CardListRow>> {
  const where = followUpWhere(days, user, counterId);
  await recordAudit(db, actor, { action: 'cards.followUp.export', targetType: 'card_holder', detail: { days, counterId: counterId ?? null } });
  return pagedRows((after) => db.cardHolder.findMany({ where: { ...where, id: { gt: Number(after ?? 0) } }, select: LIST_SELECT, orderBy: { id: 'asc' }, take: 1000 }));
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
export async function quickAddCards(db: Db, raws: RawCardRow[], actor: AuditActor, pepper: string): Promise<{ ok: true; ids: number[] } | { ok: false; problems: QuickAddProblem[] }> {
  const problems: QuickAddProblem[] = [];
  const rows: CardRow[] = [];
  raws.forEach((raw, index) => {
    const checked = checkCardRow(raw, pepper, 'YYYY-MM-DD');
    if (!checked.ok) problems.push({ index, ...checked.problem });
    else if (rows.some((row) => row.noticeId === checked.row.noticeId)) problems.push({ index, field: 'noticeId', key: 'cards.row.duplicateInForm' });
    else rows.push(checked.row);
  });
  if (problems.length > 0) return { ok: false, problems };
  return db.$transaction(async (tx) => {
    const counters = await resolveCounters(tx, rows);
    const existing = await tx.cardHolder.findMany({ where: { noticeId: { in: rows.map((row) => row.noticeId) } }, select: { noticeId: true } });
    rows.forEach((row, index) => {
      if (row.counterCode !== '' && !counters.has(row.counterCode)) problems.push({ index, field: 'counterCode', key: 'cards.row.unknownCounter', params: { code: row.counterCode } });
      if (existing.some((holder) => holder.noticeId === row.noticeId)) problems.push({ index, field: 'noticeId', key: 'cards.row.exists' });
    });
    if (problems.length > 0) return { ok: false as const, problems };
    const ids: number[] = [];
    for (const row of rows) {
      const { counterCode, noticeSentOn, noticeValidUntil, ...data } = row;
      const holder = await tx.cardHolder.create({
        data: {
          ...data,
          counterId: counterCode === '' ? null : counters.get(counterCode)!,
          noticeSentOn: noticeSentOn ? dateColumn(noticeSentOn) : null,
          noticeValidUntil: noticeValidUntil ? dateColumn(noticeValidUntil) : null,
          statusChanges: { create: { fromStatus: null, toStatus: 'data_received', actor: actor.id, reason: translator()('cards.history.quickAdded') } },
        },
      });
      ids.push(holder.id);
    }
    await recordAudit(tx, actor, { action: 'cards.quickAdd', targetType: 'card_holder', detail: { ids } });
    return { ok: true as const, ids };
  });
}

async function scopedHolder(tx: DbTx, id: number, user: StaffPrincipal) {
  const holder = await tx.cardHolder.findUnique({ where: { id }, include: { counter: { select: { name: true } } } });
  if (!holder) throw new AppError(404, 'card_not_found', 'cards.notFound');
  if (holder.counterId !== null && !canUseCounter(user, holder.counterId)) throw new AppError(403, 'counter_forbidden', 'cards.counterForbidden');
  return holder;
}

/** One card holder with its history and bookings (and so its storage place beside the booking). */
export async function showCard(db: Db, id: number, user: StaffPrincipal, actor: AuditActor) {
  return db.$transaction(async (tx) => {
    const holder = await scopedHolder(tx, id, user);
    const history = await tx.cardStatusChange.findMany({ where: { cardHolderId: id }, orderBy: { id: 'desc' } });
    const bookings = await tx.booking.findMany({ where: { cardHolderId: id }, orderBy: { id: 'desc' }, include: { slot: { include: { counter: { select: { name: true } } } } } });
    await recordAudit(tx, actor, { action: 'cards.view', targetType: 'card_holder', targetId: id });
    return { holder, history, bookings, actorNames: await staffNames(tx, history.map((change) => change.actor)) };
  });
}

/**
 * After checking the caller's identity, staff lift the log-in lock on a card holder's notice ID;
 * the check it rests on is spent from the staff user's identity-check budget.
 */
export async function unlockLoginByStaff(db: Db, id: number, user: StaffPrincipal, actor: AuditActor): Promise<void> {
  const holder = await scopedHolder(db, id, user);
  await spendUnverifiedCheck(db, { user, actor }, holder.noticeId);
  await unlockCitizenLogin(db, id, { type: 'staff', id: actor.id, ip: actor.ip });
}

/** A manual status change, within the allowed transitions, written to history and audit together. */
export async function changeStatusByStaff(db: Db, id: number, to: CardStatus, reason: string, user: StaffPrincipal, actor: AuditActor): Promise<void> {
  await db.$transaction(async (tx) => {
    const holder = await scopedHolder(tx, id, user);
    try {
      await changeCardStatus(tx, id, to, actor.id, reason);
    } catch (error) {
      if (error instanceof CardTransitionError) throw new AppError(409, 'bad_transition', 'cards.status.notAllowed', { from: error.from, to: error.to });
      throw error;
    }
    await recordAudit(tx, actor, { action: 'cards.status.change', targetType: 'card_holder', targetId: id, detail: { from: holder.status, to, reason } });
  });
}

/** Display names of staff recorded by id (history and batches keep the id, not the name). */
export async function staffNames(tx: DbTx, ids: string[]): Promise<Record<string, string>> {
  const numeric = [...new Set(ids.filter((value) => /^\d+$/.test(value)).map(Number))];
  const users = await tx.staffUser.findMany({ where: { id: { in: numeric } }, select: { id: true, displayName: true } });
  return Object.fromEntries(users.map((user) => [String(user.id), user.displayName]));
}
