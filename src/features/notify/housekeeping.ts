// Small scheduled chores that keep the database tidy.
import type { DbTx } from '../../db/client.js';
import { jstInstant, todayInJapan } from '../../lib/jst.js';
import { recordAudit } from '../staff/audit.js';

export async function expireStaleSessions(tx: DbTx): Promise<{ deleted: number }> {
  return { deleted: await tx.$executeRaw`DELETE FROM session WHERE expire < now()` };
}

/** Job runs are kept 90 days: enough to answer "did last month's reminders go out?". */
export async function pruneJobRuns(tx: DbTx): Promise<{ pruned: number }> {
  return { pruned: await tx.$executeRaw`DELETE FROM job_runs WHERE started_at < now() - interval '90 days'` };
}

/** Active bookings whose visit ended before today (Japan time) never came: they become no-shows. */
export async function markPastBookings(tx: DbTx, now: Date): Promise<{ markedNoShow: number }> {
  const rows = await tx.$queryRaw<{ id: number }[]>`
    UPDATE bookings b SET status = 'no_show', updated_at = now()
      FROM slots s
     WHERE s.id = b.slot_id AND b.status = 'active' AND s.ends_at <= ${jstInstant(todayInJapan(now))}
    RETURNING b.id`;
  if (rows.length > 0) {
    await recordAudit(tx, { type: 'system', id: 'job:past-bookings' }, { action: 'booking.mark_no_show', targetType: 'booking', detail: { bookingIds: rows.map((row) => row.id) } });
  }
  return { markedNoShow: rows.length };
}
