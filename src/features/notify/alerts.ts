// Alerts for the on-call staff: raised when something fails, mailed (through the outbox) and
// POSTed to an optional webhook, repeated every N minutes until someone acknowledges them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SqlTx, Tx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { translator } from '../../lib/i18n.js';
import { recordAudit } from '../staff/audit.js';
import { enqueueMail, headerSafe } from './outbox.js';

export type AlertKind = 'db_unreachable' | 'outbox_backlog' | 'job_failed' | 'disk_full' | 'identity_checks' | 'forecast_shortfall';

export interface AlertInput {
  kind: AlertKind;
  /** What failed (a job name, a data directory); one open alert per kind and subject. */
  subjectKey: string;
  summary: string;
  detail?: string;
  openedAt?: Date;
}

export interface AlertSettings {
  emails: string[];
  repeatMinutes: number;
  baseUrl: string;
  secret: string;
}

export interface AlertNotice {
  id: string;
  kind: string;
  subjectKey: string;
  summary: string;
  detail: string;
  openedAt: string;
  notification: number;
  acknowledgeUrl: string;
}

interface AlertRow {
  id: bigint;
  kind: string;
  subject_key: string;
  summary: string;
  detail: string;
  opened_at: Date;
  notifications: number;
}

/** Opens an alert, or counts one more occurrence of the open alert for the same failure. */
export async function raiseAlert(tx: Tx, alert: AlertInput): Promise<bigint> {
  const rows = await tx.db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO alerts (kind, subject_key, summary, detail, opened_at, last_seen_at)
    VALUES (${alert.kind}, ${alert.subjectKey}, ${alert.summary}, ${alert.detail ?? ''}, ${alert.openedAt ?? new Date()}, now())
    ON CONFLICT (kind, subject_key) WHERE acknowledged_at IS NULL
    DO UPDATE SET last_seen_at = now(), occurrences = alerts.occurrences + 1, detail = EXCLUDED.detail
    RETURNING id`;
  return rows[0].id;
}

/**
 * Closes the open alerts of a kind whose subject is not in `stillOpen` (the condition they warned
 * of has passed), as acknowledged by the transaction's actor; returns how many.
 */
export async function clearAlerts(tx: SqlTx, kind: AlertKind, stillOpen: string[]): Promise<number> {
  const cleared = await tx.query(
    `UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $3, acknowledged_via = 'system'
      WHERE kind = $1 AND acknowledged_at IS NULL AND NOT (subject_key = ANY ($2::text[]))
     RETURNING id`,
    [kind, stillOpen, actorKey(tx.actor)],
  );
  return cleared.length;
}

/** A link token for one alert and one on-call address: an HMAC, so it cannot be forged or moved. */
export function acknowledgementToken(secret: string, alertId: bigint | string, address: string): string {
  const payload = Buffer.from(`${alertId}\n${address}`).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`alert-ack:${payload}`).digest('base64url');
}

export function verifyAcknowledgementToken(secret: string, token: string): { alertId: bigint; address: string } | null {
  const [payload, signature] = token.split('.');
  if (!payload || !signature || !/^[\w-]+$/.test(payload)) return null;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const [id, address] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
  if (!/^\d+$/.test(id ?? '') || !address) return null;
  return { alertId: BigInt(id), address };
}

export function alertNotice(row: AlertRow, settings: AlertSettings, address = 'webhook'): AlertNotice {
  const token = acknowledgementToken(settings.secret, row.id, address);
  return {
    id: String(row.id),
    kind: row.kind,
    subjectKey: row.subject_key,
    summary: row.summary,
    detail: row.detail,
    openedAt: row.opened_at.toISOString(),
    notification: row.notifications,
    acknowledgeUrl: `${settings.baseUrl}/alerts/ack?token=${encodeURIComponent(token)}`,
  };
}

export function composeAlertMail(notice: AlertNotice, locale = 'ja') {
  const t = translator(locale);
  const params = { summary: notice.summary, count: notice.notification };
  const text = [
    t('alert.mail.lead'),
    '',
    `${t('alert.field.summary')}: ${notice.summary}`,
    `${t('alert.field.kind')}: ${t(`alert.kind.${notice.kind}`)}`,
    `${t('alert.field.openedAt')}: ${notice.openedAt}`,
    ...(notice.detail ? [`${t('alert.field.detail')}: ${notice.detail}`] : []),
    '',
    t('alert.mail.ack', { url: notice.acknowledgeUrl }),
    t('alert.mail.repeat'),
  ].join('\n');
  return { subject: headerSafe(t('alert.mail.subject', params)), text };
}

/**
 * Takes the unacknowledged alerts whose repeat is due, counts one more notification, and queues
 * a mail per on-call address in the caller's transaction. Returns the notices for the webhook,
 * to be posted after commit.
 */
export async function dispatchDueAlerts(tx: Tx, settings: AlertSettings, now = new Date()): Promise<AlertNotice[]> {
  const due = await tx.db.$queryRaw<AlertRow[]>`
    UPDATE alerts SET notifications = notifications + 1, last_notified_at = ${now}
     WHERE acknowledged_at IS NULL
       AND (last_notified_at IS NULL OR last_notified_at <= ${now}::timestamptz - make_interval(mins => ${settings.repeatMinutes}))
    RETURNING id, kind, subject_key, summary, detail, opened_at, notifications`;
  for (const row of due) {
    for (const address of settings.emails) {
      const mail = composeAlertMail(alertNotice(row, settings, address));
      await enqueueMail(tx, { dedupeKey: `alert:${row.id}:${row.notifications}:${address}`, kind: 'alert', to: address, ...mail });
    }
  }
  return due.map((row) => alertNotice(row, settings));
}

/** JSON POST of one alert to the city's webhook (e.g. a phone-call service). Never throws. */
export async function postAlertWebhook(url: string, notice: AlertNotice): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'alert', ...notice }),
      signal: AbortSignal.timeout(5000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

export type AcknowledgeResult = { ok: true; alertId: bigint } | { ok: false; reason: 'not_found' | 'already'; acknowledgedBy?: string | null; acknowledgedAt?: Date | null };

/**
 * Acknowledges an alert once, for the transaction's actor: a guarded UPDATE, so a second click,
 * a second link or a second admin is told who acknowledged it first. Audited.
 */
export async function acknowledgeAlert(tx: Tx, alertId: bigint, via: 'console' | 'mail'): Promise<AcknowledgeResult> {
  const { actor } = tx;
  const updated = await tx.db.$executeRaw`
    UPDATE alerts SET acknowledged_at = now(), acknowledged_by = ${actorKey(actor)}, acknowledged_via = ${via}, acknowledgement_ip = ${actor.ip ?? null}
     WHERE id = ${alertId} AND acknowledged_at IS NULL`;
  if (updated === 1) {
    await recordAudit(tx, { action: 'alert.acknowledge', targetType: 'alert', targetId: String(alertId), detail: { via } });
    return { ok: true, alertId };
  }
  const alert = await tx.db.alert.findUnique({ where: { id: alertId } });
  if (!alert) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'already', acknowledgedBy: alert.acknowledgedBy, acknowledgedAt: alert.acknowledgedAt };
}
