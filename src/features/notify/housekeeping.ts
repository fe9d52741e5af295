// Small scheduled chores that keep the database tidy.
// (Past bookings becoming no-shows is the booking module's markPastBookingsNoShow.)
import type { Tx } from '../../db/transaction.js';

export async function expireStaleSessions(tx: Tx): Promise<{ deleted: number }> {
  return { deleted: await tx.db.$executeRaw`DELETE FROM session WHERE expire < now()` };
}

/** Job runs are kept 90 days: enough to answer "did last month's reminders go out?". */
export async function pruneJobRuns(tx: Tx): Promise<{ pruned: number }> {
  return { pruned: await tx.db.$executeRaw`DELETE FROM job_runs WHERE started_at < now() - interval '90 days'` };
}
