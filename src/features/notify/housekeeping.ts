// Small scheduled chores that keep the database tidy.
import type { DbTx } from '../../db/client.js';
import { jstInstant, todayInJapan } from '../../lib/jst.js';
import { CARD_REASONS, CardTransitionError, changeCardStatus } from '../cards/status.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';

const PAST_BOOKINGS_JOB: AuditActor = { type: 'system', id: 'past-bookings' };

export async function expireStaleSessions(tx: DbTx): Promise<{ deleted: number }> {
  return { deleted: await tx.$executeRaw`DELETE FROM session WHERE expire < now()` };
}

/** Job runs are kept 90 days: enough to answer "did last month's reminders go out?". */
export async function pruneJobRuns(tx: DbTx): Promise<{ pruned: number }> {
  return { pruned: await tx.$executeRaw`DELETE FROM job_runs WHERE started_at < now() - interval '90 days'` };
}

/**
 * Active bookings whose visit ended before today (Japan time) never came: they become no-shows
 * and their cards go back to "notice sent" (as a no-show marked at the counter does), so the
 * person can book again.
 */
export async function markPastBookings(tx: DbTx, now: Date): Promise<{ markedNoShow: number }> {
  const rows = await tx.$queryRaw<{ id: number; cardHolderId: number }[]>`
    UPDATE bookings b SET status = 'no_show', updated_at = now()
      FROM slots s
     WHERE s.id = b.slot_id AND b.status = 'active' AND s.ends_at <= ${jstInstant(todayInJapan(now))}
    RETURNING b.id, b.card_holder_id AS "cardHolderId"`;
  for (const row of rows) {
    try {
      await changeCardStatus(tx, row.cardHolderId, 'notice_sent', PAST_BOOKINGS_JOB, CARD_REASONS.no_show);
    } catch (error) {
      if (!(error instanceof CardTransitionError)) throw error; // a card put on hold meanwhile stays as it is
    }
  }
  if (rows.length > 0) {
    await recordAudit(tx, PAST_BOOKINGS_JOB, { action: 'booking.mark_no_show', targetType: 'booking', detail: { bookingIds: rows.map((row) => row.id) } });
  }
  return { markedNoShow: rows.length };
}
