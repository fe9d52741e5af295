// What each kind of record deletes once it is past its retention period, one batch at a time, in
// an order that respects the foreign keys. Every batch locks the rows it takes with SKIP LOCKED,
// so two purges at once never take the same row and never wait on each other.
import type { SqlTx } from '../../db/transaction.js';
import { CITIZEN_MAX_FAILURES } from '../citizen/login-service.js';

/** Rows deleted per table. */
export type TableCounts = Record<string, number>;

export interface BatchResult {
  /** Records of the kind taken in this batch: fewer than the limit means none are left. */
  taken: number;
  deleted: TableCounts;
}

const FINISHED = `('handed_over', 'no_show', 'cancelled')`;

async function deletedCount(tx: SqlTx, sql: string, values: unknown[]): Promise<number> {
  const [{ n }] = await tx.query<{ n: number }>(`WITH gone AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM gone`, values);
  return n;
}

function add(into: TableCounts, table: string, count: number): void {
  if (count > 0) into[table] = (into[table] ?? 0) + count;
}

/**
 * Deletes bookings the caller has locked, with their mail, and the applicants left with no
 * booking and no hold. Tickets stay (the floor's counts and waiting estimates use them): their
 * booking_id is set to null by its foreign key.
 */
async function deleteBookings(tx: SqlTx, ids: number[], deleted: TableCounts): Promise<void> {
  if (ids.length === 0) return;
  add(
    deleted,
    'mail_attempts',
    await deletedCount(tx, `DELETE FROM mail_attempts WHERE outbox_message_id IN (SELECT id FROM outbox_messages WHERE booking_id = ANY($1::int[]))`, [ids]),
  );
  add(deleted, 'outbox_messages', await deletedCount(tx, `DELETE FROM outbox_messages WHERE booking_id = ANY($1::int[])`, [ids]));
  const gone = await tx.query<{ applicantId: number | null }>(`DELETE FROM bookings WHERE id = ANY($1::int[]) RETURNING applicant_id AS "applicantId"`, [ids]);
  add(deleted, 'bookings', gone.length);
  const applicantIds = [...new Set(gone.flatMap((row) => row.applicantId ?? []))];
  if (applicantIds.length === 0) return;
  const lonely = `DELETE FROM applicants a WHERE a.id = ANY($1::int[])
    AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.applicant_id = a.id) AND NOT EXISTS (SELECT 1 FROM slot_holds h WHERE h.applicant_id = a.id)`;
  add(deleted, 'applicants', await deletedCount(tx, lonely, [applicantIds]));
}

/** Bookings whose visit ended before the cutoff and that are over (handed over, no-show, cancelled). */
export async function purgeFinishedBookings(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  const rows = await tx.query<{ id: number }>(
    `SELECT b.id FROM bookings b JOIN slots s ON s.id = b.slot_id
      WHERE b.status IN ${FINISHED} AND s.ends_at < $1::timestamptz
      ORDER BY b.id LIMIT $2::int FOR UPDATE OF b SKIP LOCKED`,
    [cutoff, limit],
  );
  const deleted: TableCounts = {};
  await deleteBookings(
    tx,
    rows.map((row) => row.id),
    deleted,
  );
  return { taken: rows.length, deleted };
}

/**
 * Card holders whose card was handed over (or cancelled) and untouched since the cutoff, with
 * their status history and bookings. A holder whose bookings another purge holds is left for the
 * next run: waiting for it could deadlock two purges.
 */
export async function purgeHandedOverCardHolders(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  const holders = await tx.query<{ id: number }>(
    `SELECT h.id FROM card_holders h
      WHERE h.status IN ('handed_over', 'cancelled') AND h.updated_at < $1::timestamptz
        AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.card_holder_id = h.id AND b.status NOT IN ${FINISHED})
      ORDER BY h.id LIMIT $2::int FOR UPDATE OF h SKIP LOCKED`,
    [cutoff, limit],
  );
  const holderIds = holders.map((row) => row.id);
  const deleted: TableCounts = {};
  if (holderIds.length === 0) return { taken: 0, deleted };
  const locked = await tx.query<{ id: number }>(`SELECT id FROM bookings WHERE card_holder_id = ANY($1::int[]) FOR UPDATE SKIP LOCKED`, [holderIds]);
  const lockedIds = locked.map((row) => row.id);
  const busy = await tx.query<{ holderId: number }>(
    `SELECT DISTINCT card_holder_id AS "holderId" FROM bookings WHERE card_holder_id = ANY($1::int[]) AND NOT (id = ANY($2::int[]))`,
    [holderIds, lockedIds],
  );
  const free = holderIds.filter((id) => !busy.some((row) => row.holderId === id));
  const bookings = await tx.query<{ id: number }>(`SELECT id FROM bookings WHERE card_holder_id = ANY($1::int[]) AND id = ANY($2::int[])`, [free, lockedIds]);
  await deleteBookings(
    tx,
    bookings.map((row) => row.id),
    deleted,
  );
  add(deleted, 'card_status_changes', await deletedCount(tx, `DELETE FROM card_status_changes WHERE card_holder_id = ANY($1::int[])`, [free]));
  // What the card's logistics recorded (its foreign keys would cascade, uncounted): deleted and counted in one statement.
  const [logistics] = await tx.query<TableCounts>(
    `WITH card_transfers AS (DELETE FROM card_transfers WHERE card_holder_id = ANY($1::int[]) RETURNING 1),
          stock_count_scans AS (DELETE FROM stock_count_scans WHERE card_holder_id = ANY($1::int[]) RETURNING 1),
          stock_count_findings AS (DELETE FROM stock_count_findings WHERE card_holder_id = ANY($1::int[]) RETURNING 1)
     SELECT (SELECT count(*)::int FROM card_transfers) AS card_transfers, (SELECT count(*)::int FROM stock_count_scans) AS stock_count_scans,
            (SELECT count(*)::int FROM stock_count_findings) AS stock_count_findings`,
    [free],
  );
  for (const [table, count] of Object.entries(logistics)) add(deleted, table, count);
  add(deleted, 'card_holders', await deletedCount(tx, `DELETE FROM card_holders WHERE id = ANY($1::int[])`, [free]));
  return { taken: holderIds.length, deleted };
}

/** Mail that was sent or given up on before the cutoff, with its delivery attempts; mail still to send stays. */
export async function purgeOldMail(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  const rows = await tx.query<{ id: string }>(
    `SELECT id FROM outbox_messages WHERE status IN ('sent', 'failed') AND created_at < $1::timestamptz ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED`,
    [cutoff, limit],
  );
  const ids = rows.map((row) => row.id);
  const deleted: TableCounts = {};
  if (ids.length === 0) return { taken: 0, deleted };
  add(deleted, 'mail_attempts', await deletedCount(tx, `DELETE FROM mail_attempts WHERE outbox_message_id = ANY($1::bigint[])`, [ids]));
  add(deleted, 'outbox_messages', await deletedCount(tx, `DELETE FROM outbox_messages WHERE id = ANY($1::bigint[])`, [ids]));
  return { taken: ids.length, deleted };
}

/**
 * Audit rows older than the cutoff and than the audit period the database holds: the append-only
 * trigger lets this transaction delete those, and only those (docs/decisions/0022).
 */
export async function purgeOldAudit(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  await tx.query(`SELECT set_config('app.retention_purge', 'on', true)`);
  const n = await deletedCount(
    tx,
    `DELETE FROM audit_logs WHERE id IN (
       SELECT id FROM audit_logs
        WHERE at < $1::timestamptz AND at < now() - make_interval(days => (SELECT days FROM retention_periods WHERE kind = 'audit'))
        ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
    [cutoff, limit],
  );
  await tx.query(`SELECT set_config('app.retention_purge', '', true)`);
  return { taken: n, deleted: n > 0 ? { audit_logs: n } : {} };
}

/**
 * Log-in and request counts whose window began before the cutoff (their keys name client
 * addresses and mistyped notice IDs). An unknown ID locked for good stays, as a real one does
 * until staff unlock it, so its absence does not tell that the ID does not exist.
 */
export async function purgeOldLoginAttempts(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  const n = await deletedCount(
    tx,
    `DELETE FROM citizen_login_throttles WHERE key IN (
       SELECT key FROM citizen_login_throttles
        WHERE window_started_at < $1::timestamptz AND (locked_until IS NULL OR locked_until < now())
          AND NOT (key LIKE 'id:%' AND failures >= $3::int)
        ORDER BY key LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
    [cutoff, limit, CITIZEN_MAX_FAILURES],
  );
  return { taken: n, deleted: n > 0 ? { citizen_login_throttles: n } : {} };
}

/** Alerts acknowledged before the cutoff (who acknowledged them, from which address); open ones stay. */
export async function purgeAcknowledgedAlerts(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  // An alert's links to incidents would cascade, uncounted: deleted and counted in the same statement.
  const [counts] = await tx.query<TableCounts>(
    `WITH chosen AS (SELECT id FROM alerts WHERE acknowledged_at < $1::timestamptz ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED),
          incident_alerts AS (DELETE FROM incident_alerts WHERE alert_id IN (SELECT id FROM chosen) RETURNING 1),
          alerts AS (DELETE FROM alerts WHERE id IN (SELECT id FROM chosen) RETURNING 1)
     SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM incident_alerts) AS incident_alerts`,
    [cutoff, limit],
  );
  const deleted: TableCounts = {};
  for (const [table, count] of Object.entries(counts)) add(deleted, table, count);
  return { taken: counts.alerts, deleted };
}

/** Inquiries answered or closed and received before the cutoff (what callers said); open and handed-over ones stay. */
export async function purgeSettledInquiries(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult> {
  const n = await deletedCount(
    tx,
    `DELETE FROM inquiries WHERE id IN (
       SELECT id FROM inquiries WHERE received_at < $1::timestamptz AND status IN ('answered', 'closed') ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
    [cutoff, limit],
  );
  return { taken: n, deleted: n > 0 ? { inquiries: n } : {} };
}
