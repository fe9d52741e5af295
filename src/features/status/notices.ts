// Notices on the public status page: planned maintenance announced ahead, and incidents while
// they last. Staff write them for the public, so they hold no personal data; who posted one is
// kept for the console only.
import type { Queryable } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { translator } from '../../lib/i18n.js';
import { recordAudit } from '../staff/audit.js';

export type NoticeKind = 'maintenance' | 'incident';

export interface StatusNotice {
  id: number;
  kind: NoticeKind;
  title: string;
  body: string;
  startsAt: Date;
  /** null: an incident still going on. */
  endsAt: Date | null;
}

/** How far back the page's history goes. */
export const HISTORY_DAYS = 30;

const NOTICE_COLUMNS = `id, kind::text AS kind, title, body, starts_at AS "startsAt", ends_at AS "endsAt"`;

/** Notices not ended before `since`, newest first (the public page sorts them into now, coming and past). */
export function noticesSince(reader: Queryable, since: Date): Promise<StatusNotice[]> {
  return reader.query<StatusNotice>(`SELECT ${NOTICE_COLUMNS} FROM status_notices WHERE ends_at IS NULL OR ends_at >= $1::timestamptz ORDER BY starts_at DESC, id DESC`, [since]);
}

export function noticeById(reader: Queryable, id: number): Promise<StatusNotice | undefined> {
  return reader.query<StatusNotice>(`SELECT ${NOTICE_COLUMNS} FROM status_notices WHERE id = $1::int`, [id]).then(([notice]) => notice);
}

export type NoticeInput = Omit<StatusNotice, 'id'>;

/** Posts a notice, or changes one (`id`); audited. */
export async function saveNotice(tx: SqlTx, notice: NoticeInput, id?: number): Promise<number> {
  const values = [notice.kind, notice.title, notice.body, notice.startsAt, notice.endsAt];
  const [row] =
    id === undefined
      ? await tx.query<{ id: number }>(
          `INSERT INTO status_notices (kind, title, body, starts_at, ends_at, created_by, updated_at)
           VALUES ($1::status_notice_kind, $2, $3, $4, $5, $6, now()) RETURNING id`,
          [...values, actorKey(tx.actor)],
        )
      : await tx.query<{ id: number }>(
          `UPDATE status_notices SET kind = $1::status_notice_kind, title = $2, body = $3, starts_at = $4, ends_at = $5, updated_at = now()
           WHERE id = $6::int RETURNING id`,
          [...values, id],
        );
  if (row)
    await recordAudit(tx, {
      action: id === undefined ? 'status.notice.create' : 'status.notice.update',
      targetType: 'status_notice',
      targetId: row.id,
      detail: { kind: notice.kind },
    });
  return row?.id ?? 0;
}

/** Who posts the outages the health monitor detects (not a person). */
const DETECTED_BY = 'system:monitor';
const DETECTED_LOCK = 7_310_701;

/**
 * An outage a health monitor detected (the database did not answer from `since` until `until`),
 * on the public page as an ended incident. Every app process sees the same outage: the notices
 * that overlap it are one notice, widened to cover them all.
 */
export async function recordDetectedOutage(tx: SqlTx, since: Date, until: Date): Promise<void> {
  const ends = new Date(Math.max(until.getTime(), since.getTime() + 1000));
  await tx.query('SELECT pg_advisory_xact_lock($1)', [DETECTED_LOCK]);
  const widened = await tx.query(
    `UPDATE status_notices SET starts_at = least(starts_at, $1::timestamptz), ends_at = greatest(ends_at, $2::timestamptz), updated_at = now()
      WHERE created_by = $3 AND starts_at <= $2::timestamptz AND ends_at >= $1::timestamptz RETURNING id`,
    [since, ends, DETECTED_BY],
  );
  if (widened.length > 0) return;
  const t = translator();
  await tx.query(`INSERT INTO status_notices (kind, title, body, starts_at, ends_at, created_by, updated_at) VALUES ('incident', $1, $2, $3, $4, $5, now())`, [
    t('status.detected.title'),
    t('status.detected.body'),
    since,
    ends,
    DETECTED_BY,
  ]);
}
