import { createHmac } from 'node:crypto';
import type { Database, Reader } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { noticeIdOf } from '../../lib/notice-id.js';
import { transaction, type SqlTx } from '../../db/transaction.js';
import type { Actor } from '../../lib/actor.js';

/** Who an audit row names (the transaction's actor). */
export type AuditActor = Actor;

/**
 * Every action the audit log records, and every kind of thing it names. recordAudit takes only
 * these, and tests/staff/audit-labels.test.ts checks each has a Japanese label for the audit page.
 */
export const AUDIT_ACTIONS = [
  'alert.acknowledge',
  'booking.create',
  'booking.move',
  'booking.cancel',
  'booking.family.add',
  'booking.family.remove',
  'booking.check_in',
  'booking.hand_over',
  'booking.no_show',
  'booking.no_show.bulk',
  'booking.mark_no_show',
  'cards.search',
  'cards.view',
  'cards.export',
  'cards.followUp.export',
  'cards.import.upload',
  'cards.import.view',
  'cards.import.commit',
  'cards.import.discard',
  'cards.import.errorsExport',
  'cards.profile.save',
  'cards.pullList',
  'cards.quickAdd',
  'cards.status.change',
  'cards.status.bulkChange',
  'citizen.login',
  'citizen.login.failed',
  'citizen.login.locked',
  'citizen.login.unlock',
  'citizen.email.requested',
  'citizen.email.verified',
  'citizen.email.failed',
  'citizen.applicant.identified',
  'console.capacity.override',
  'console.export',
  'console.holder.view',
  'console.applicant.view',
  'console.identity.failed',
  'console.search',
  'console.day.view',
  'console.day.refresh',
  'console.print',
  'status.notice.create',
  'status.notice.update',
  'mail.search',
  'mail.view',
  'schedule.closure.create',
  'schedule.closure.delete',
  'schedule.counter.create',
  'schedule.counter.update',
  'schedule.counter.move',
  'schedule.counter.retire',
  'schedule.counter.reinstate',
  'schedule.override.create',
  'schedule.override.delete',
  'schedule.policy.update',
  'schedule.rule.delete',
  'schedule.setup.load',
  'schedule.slots.regenerate',
  'staff.login',
  'staff.login.failed',
  'staff.login.locked',
  'staff.login.throttled',
  'staff.password.changed',
  'staff.user.created',
  'staff.user.updated',
  'staff.user.disabled',
  'staff.user.enabled',
  'staff.user.unlocked',
  'staff.user.password_reset',
  'citizen.login.throttled',
  'console.identity.refused',
  'schedule.rule.create',
  'schedule.rule.update',
  'schedule.slots.generate',
  'schedule.procedure.create',
  'schedule.procedure.update',
  'schedule.procedure.retire',
  'schedule.procedure.reinstate',
  'schedule.procedure.delete',
  'floor.walk_in',
  'floor.ranges.save',
  'retention.update',
  'retention.purge',
  'handover.export',
  'handover.import',
  'logistics.transfer.request',
  'logistics.transfer.cancel',
  'logistics.shipment.create',
  'logistics.shipment.view',
  'logistics.shipment.ship',
  'logistics.shipment.discard',
  'logistics.shipment.finish',
  'logistics.receive',
  'logistics.putAway',
  'logistics.returned',
  'logistics.returns.view',
  'logistics.stockCount.start',
  'logistics.stockCount.finish',
  'logistics.stockCount.view',
  'incidents.record',
  'incidents.linkAlert',
  'incidents.unlinkAlert',
  'incidents.resolve',
  'inquiries.record',
  'inquiries.view',
  'inquiries.search',
  'inquiries.export',
  'inquiries.escalate',
  'inquiries.answer',
  'inquiries.close',
  'faq.save',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGETS = [
  'alert',
  'applicant',
  'booking',
  'card_holder',
  'email_verification',
  'closure',
  'counter',
  'date_override',
  'import_batch',
  'import_profile',
  'opening_rule',
  'outbox_message',
  'status_notice',
  'slot',
  'staff_user',
  'slots',
  'policy',
  'procedure',
  'ticket',
  'shipment',
  'stock_count',
  'incident',
  'inquiry',
  'faq_entry',
] as const;
export type AuditTarget = (typeof AUDIT_TARGETS)[number];

export interface AuditEntry {
  action: AuditAction;
  targetType?: AuditTarget;
  targetId?: string | number;
  detail?: Record<string, unknown>;
}

/**
 * Appends to the audit log in the transaction of the change (both commit together), naming the
 * transaction's actor, or `actor` when the row is about someone found inside it (a log-in attempt).
 */
export async function recordAudit(tx: SqlTx, entry: AuditEntry, actor: AuditActor = tx.actor): Promise<void> {
  const detail = entry.detail ?? {};
  const insert = `INSERT INTO audit_logs (actor_type, actor_id, ip, action, target_type, target_id, detail, text_keys) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`;
  await tx.query(insert, [
    actor.type,
    actor.id,
    actor.ip ?? null,
    entry.action,
    entry.targetType ?? null,
    entry.targetId === undefined ? null : String(entry.targetId),
    JSON.stringify(detail),
    textKeysOf(detail),
  ]);
}

const isKeyedText = (value: unknown): value is KeyedText => typeof value === 'object' && value !== null && 'key' in value && 'masked' in value;

/** The keys of the keyed texts in a detail (at its top or one level down, as the callers put them); null when none. */
function textKeysOf(detail: Record<string, unknown>): string[] | null {
  const keys: string[] = [];
  for (const value of Object.values(detail)) {
    if (isKeyedText(value)) keys.push(value.key);
    else if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) if (isKeyedText(inner)) keys.push(inner.key);
  }
  return keys.length > 0 ? keys : null;
}

/**
 * Audits in a commit of its own, for attempts counted outside any transaction (log-ins, identity
 * checks): the row stays whatever the request does next.
 */
export async function auditAttempt(database: Database, actor: Actor, entry: AuditEntry): Promise<void> {
  await transaction(database, actor, (tx) => recordAudit(tx, entry), { models: false });
}

/**
 * A search text (a notice ID, an email address, part of a name) as the audit log keeps it: an
 * HMAC keyed with the pepper (as birth dates are kept as birth keys) and a masked hint, never the
 * text itself. An auditor finds who searched for a text by keying it again (auditTextKey).
 */
export interface KeyedText {
  key: string;
  masked: string;
}

/** Spellings of one text that key alike: full-width, case, spaces, and a notice ID's hyphens. */
const keyForm = (text: string) => {
  const plain = text.normalize('NFKC').trim().toLowerCase();
  return plain.includes('@') ? plain : plain.replace(/[\s\-‐-―−]/g, '');
};

export const auditTextKey = (pepper: string, text: string): string =>
  createHmac('sha256', pepper)
    .update(`audit-text\u0000${keyForm(text)}`)
    .digest('base64url')
    .slice(0, 22);

/** The first character and stars; an address keeps its @ so the hint says what was searched. */
function masked(text: string): string {
  const hide = (part: string) => [...part].slice(0, 1).join('') + '*'.repeat(Math.min(Math.max([...part].length - 1, 1), 8));
  const at = text.lastIndexOf('@');
  return at < 0 ? hide(text) : `${hide(text.slice(0, at))}@${hide(text.slice(at + 1))}`;
}

/** The text keyed and masked for an audit row; an empty text stays empty. */
export function keyedText(pepper: string, text: string): KeyedText | '' {
  const trimmed = text.trim();
  return trimmed === '' ? '' : { key: auditTextKey(pepper, trimmed), masked: masked(trimmed) };
}

/** How many rows a search by text returns at most, newest first. */
const TEXT_SEARCH_ROWS = 1000;

/**
 * The audit rows about a text an auditor asks about: those whose detail holds its key (a search
 * for it, keyed as keyedText keys it) and, for a notice ID, those that name its card holder.
 */
export async function auditRowsAbout(reader: Reader, pepper: string, text: string): Promise<Prisma.AuditLogWhereInput> {
  const keyed = await reader.query<{ id: bigint }>(`SELECT id FROM audit_logs WHERE text_keys @> ARRAY[$1] ORDER BY id DESC LIMIT ${TEXT_SEARCH_ROWS}`, [
    auditTextKey(pepper, text),
  ]);
  const holder = await reader.db.cardHolder.findUnique({ where: { noticeId: noticeIdOf(text) }, select: { id: true } });
  const about: Prisma.AuditLogWhereInput[] = [{ id: { in: keyed.map((row) => BigInt(row.id)) } }];
  if (holder) about.push({ targetType: 'card_holder', targetId: String(holder.id) });
  return { OR: about };
}
