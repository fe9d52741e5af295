// Runs one scheduled job in a transaction that first takes a transaction-level advisory lock
// (pg_try_advisory_xact_lock): with several app processes exactly one does the work, the lock is
// released with the transaction even through a pool, and a crash mid-run rolls everything back.
import type { Database } from '../db/client.js';
import { transaction } from '../db/transaction.js';
import type { Actor } from '../lib/actor.js';
import { raiseAlert } from '../features/notify/alerts.js';
import { translator } from '../lib/i18n.js';
import type { JobContext, JobCounts, ScheduledJob } from './registry.js';

const jobActor = (name: string): Actor => ({ type: 'system', id: name });

export type JobRunResult = { status: 'ok'; counts: JobCounts } | { status: 'skipped' } | { status: 'failed'; error: string };

export async function runJob(db: Database, job: ScheduledJob, context: Omit<JobContext, 'afterCommit'>): Promise<JobRunResult> {
  const startedAt = new Date();
  const deferred: (() => Promise<unknown>)[] = [];
  try {
    const counts = await transaction(
      db,
      jobActor(job.name),
      async (tx) => {
        const [{ locked }] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [`job:${job.name}`]);
        if (!locked) return null;
        return job.run(tx, { ...context, afterCommit: (work) => deferred.push(work) });
      },
      { timeoutMs: 10 * 60_000 },
    );
    if (counts === null) return { status: 'skipped' };
    await db.prisma.jobRun.create({ data: { job: job.name, startedAt, finishedAt: new Date(), status: 'ok', counts } });
    for (const work of deferred) await work();
    return { status: 'ok', counts };
  } catch (failure) {
    const error = String((failure as Error)?.message ?? failure).slice(0, 1000);
    await recordFailure(db, job.name, startedAt, error);
    return { status: 'failed', error };
  }
}

const t = translator();
/** The job's name for staff (locales: job.name.*); a job without one (a test's) by its code. */
const jobLabel = (name: string) => {
  const label = t(`job.name.${name}`);
  return label === `job.name.${name}` ? name : label;
};

async function recordFailure(db: Database, name: string, startedAt: Date, error: string): Promise<void> {
  try {
    await transaction(db, jobActor(name), async (tx) => {
      await tx.db.jobRun.create({ data: { job: name, startedAt, finishedAt: new Date(), status: 'failed', error } });
      await raiseAlert(tx, { kind: 'job_failed', subjectKey: name, summary: t('alert.summary.job_failed', { job: jobLabel(name) }), detail: error });
    });
  } catch {
    // The database itself is failing; the health monitor alerts on that directly.
  }
}
