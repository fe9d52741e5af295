// The sent-mail log behind "I did not get the email": every outbox row, in every mode.
// Staff and admins browse and search; operators may only look up one citizen's mail by an exact
// booking code or address. Every search and every opened mail is written to the audit log.
import type { DbTx } from '../../db/client.js';
import { AppError } from '../../web/errors.js';
import { hasControlCharacters, toHalfWidth } from '../../web/validation.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';
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

const summaryFields = { id: true, kind: true, toAddress: true, subject: true, status: true, attempts: true, createdAt: true, sentAt: true, lastError: true, bookingId: true } as const;

export async function searchMail(db: DbTx, viewer: StaffPrincipal, q: string, actor: AuditActor) {
  const broad = viewer.role !== 'operator';
  if (!q && !broad) return { rows: [], needsQuery: true };
  const bookings = q ? await db.booking.findMany({ where: { code: q.toUpperCase() }, select: { id: true } }) : [];
  const address = broad ? { contains: q, mode: 'insensitive' as const } : { equals: q, mode: 'insensitive' as const };
  const rows = await db.outboxMessage.findMany({
    where: q ? { OR: [{ toAddress: address }, { bookingId: { in: bookings.map((booking) => booking.id) } }] } : {},
    select: summaryFields,
    orderBy: { id: 'desc' },
    take: PAGE_SIZE,
  });
  // Even the unfiltered list shows citizens' addresses: every list is audited.
  await recordAudit(db, actor, { action: 'mail.search', targetType: 'outbox_message', detail: { q, results: rows.length } });
  return { rows, needsQuery: false };
}

/** One mail with its delivery attempts; operators see only mails their search can find. */
export async function showMail(db: DbTx, viewer: StaffPrincipal, id: bigint, actor: AuditActor) {
  const mail = await db.outboxMessage.findUnique({ where: { id } });
  if (!mail) return null;
  const attempts = await db.mailAttempt.findMany({ where: { outboxMessageId: id }, orderBy: { id: 'asc' } });
  const booking = mail.bookingId ? await db.booking.findUnique({ where: { id: mail.bookingId }, select: { code: true } }) : null;
  await recordAudit(db, actor, { action: 'mail.view', targetType: 'outbox_message', targetId: String(id), detail: { role: viewer.role } });
  return { mail, attempts, bookingCode: booking?.code ?? null };
}

export async function recentAlerts(db: DbTx) {
  return db.alert.findMany({ orderBy: [{ acknowledgedAt: { sort: 'desc', nulls: 'first' } }, { id: 'desc' }], take: 100 });
}
