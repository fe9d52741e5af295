// The sent-mail log behind "I did not get the email": every outbox row, in every mode.
// Staff and admins browse and search; operators may only look up one citizen's mail by an exact
// booking code or address. Every search and every opened mail is written to the audit log.
//
// Who may read a mail (invariant 6): a citizen's mail is read under the same rule as its booking
// in the console (bookingScope: the counters the user works at), whatever the role, since
// operators may open those bookings too. Mail that belongs to no booking (alerts to the on-call
// staff, with their acknowledgement links) is for admins only, as the alerts page is.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { hasControlCharacters } from '../../lib/validation.js';
import { toHalfWidth } from '../../lib/width.js';
import { bookingScope, can } from '../../policies/index.js';
import { keyedText, recordAudit } from '../staff/audit.js';
import type { StaffPrincipal } from '../staff/access.js';

const PAGE_SIZE = 100;

export interface MailSearch {
  q: string;
}

export function normaliseMailQuery(raw: unknown): string {
  const q = typeof raw === 'string' ? toHalfWidth(raw).trim().slice(0, 254) : '';
  if (hasControlCharacters(q)) throw new AppError(400, 'bad_query', 'validation.invalid');
  return q;
}

const summaryFields = {
  id: true,
  kind: true,
  toAddress: true,
  subject: true,
  status: true,
  attempts: true,
  createdAt: true,
  sentAt: true,
  lastError: true,
  bookingId: true,
} as const;

/** The mails this user may read. */
function mailScope(viewer: StaffPrincipal): Prisma.OutboxMessageWhereInput {
  const ofVisibleBookings = { booking: { is: bookingScope(viewer) } };
  return can(viewer, 'alerts.manage') ? { OR: [{ bookingId: null }, ofVisibleBookings] } : ofVisibleBookings;
}

export async function searchMail(tx: Tx, viewer: StaffPrincipal, q: string, pepper: string) {
  const broad = can(viewer, 'mail.browse');
  if (!q && !broad) return { rows: [], needsQuery: true };
  const address = broad ? { contains: q, mode: 'insensitive' as const } : { equals: q, mode: 'insensitive' as const };
  const matching = q ? { OR: [{ toAddress: address }, { booking: { is: { code: q.toUpperCase() } } }] } : {};
  const rows = await tx.db.outboxMessage.findMany({
    where: { AND: [matching, mailScope(viewer)] },
    select: summaryFields,
    orderBy: { id: 'desc' },
    take: PAGE_SIZE,
  });
  // Even the unfiltered list shows citizens' addresses: every list is audited.
  await recordAudit(tx, { action: 'mail.search', targetType: 'outbox_message', detail: { q: keyedText(pepper, q), results: rows.length } });
  return { rows, needsQuery: false };
}

/** One mail with its delivery attempts; a mail outside the viewer's scope is as absent (null). */
export async function showMail(tx: Tx, viewer: StaffPrincipal, id: bigint) {
  const found = await tx.db.outboxMessage.findFirst({ where: { AND: [{ id }, mailScope(viewer)] }, include: { booking: { select: { code: true } } } });
  if (!found) return null;
  const { booking, ...mail } = found;
  const attempts = await tx.db.mailAttempt.findMany({ where: { outboxMessageId: id }, orderBy: { id: 'asc' } });
  await recordAudit(tx, { action: 'mail.view', targetType: 'outbox_message', targetId: String(id), detail: { role: viewer.role } });
  return { mail, attempts, bookingCode: booking?.code ?? null };
}

export async function recentAlerts(db: DbTx) {
  return db.alert.findMany({ orderBy: [{ acknowledgedAt: { sort: 'desc', nulls: 'first' } }, { id: 'desc' }], take: 100 });
}
