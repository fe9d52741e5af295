// Every scheduled job in one list. Adding a job is one entry here: a name, its cron schedules
// (Japan time) and a function that does its work in the transaction that holds its lock.
import path from 'node:path';
import type { Config } from '../config.js';
import { pruneBackups, takeBaseBackup } from '../db/backup.js';
import type { Tx } from '../db/transaction.js';
import { dispatchDueAlerts, postAlertWebhook } from '../features/notify/alerts.js';
import { markPastBookingsNoShow, releaseExpiredHolds } from '../features/booking/index.js';
import { expireStaleSessions, pruneJobRuns } from '../features/notify/housekeeping.js';
import { pruneEmailVerifications } from '../features/citizen/email-verification.js';
import { queueTomorrowsReminders } from '../features/booking/reminders.js';
import { regenerateHorizon } from '../features/schedule/slot-generation.js';
import { recoverInterruptedImports } from '../features/cards/import-service.js';
import { purgeExpiredRecords } from '../features/retention/purge.js';
import { raiseShortfallAlerts } from '../features/reports/forecast/shortfall-alerts.js';
import { jstMinutesOf, todayInJapan } from '../lib/jst.js';

export type JobCounts = Record<string, number>;

export interface JobContext {
  config: Config;
  now: Date;
  baseUrl: string;
  secret: string;
  /** Work that must wait until the job's transaction has committed (e.g. webhook calls). */
  afterCommit(work: () => Promise<unknown>): void;
}

export interface ScheduledJob {
  name: string;
  /** node-cron expressions, evaluated in Japan time. */
  schedules(config: Config): string[];
  /** When present, a scheduled firing runs the job only if this says so. */
  due?(now: Date, config: Config): boolean;
  run(tx: Tx, context: JobContext): Promise<JobCounts>;
}

function reminderMinutes(config: Config): number {
  const [hours, minutes] = config.REMINDER_TIME.split(':').map(Number);
  return hours * 60 + minutes;
}

/**
 * Reminders run at REMINDER_TIME and again every 15 minutes until 23:59, so a booking made
 * for tomorrow after the main run still gets its reminder (the dedupe key keeps it to one).
 */
export const reminderJob: ScheduledJob = {
  name: 'reminders',
  schedules(config) {
    const start = reminderMinutes(config);
    const hour = Math.floor(start / 60);
    const minute = start % 60;
    const catchUp = [`*/15 ${hour}-23 * * *`, '59 23 * * *'];
    return minute % 15 === 0 ? catchUp : [`${minute} ${hour} * * *`, ...catchUp];
  },
  due: (now, config) => jstMinutesOf(now) >= reminderMinutes(config),
  run: (tx, context) => queueTomorrowsReminders(tx, context.now, context.baseUrl),
};

export const slotGenerationJob: ScheduledJob = {
  name: 'slot-generation',
  schedules: () => ['30 1 * * *'],
  async run(tx, context) {
    const result = await regenerateHorizon(tx, todayInJapan(context.now));
    return { slotsWritten: result.written, conflicts: result.conflicts };
  },
};

export const sessionExpiryJob: ScheduledJob = {
  name: 'session-expiry',
  schedules: () => ['*/15 * * * *'],
  async run(tx, context) {
    return { ...(await expireStaleSessions(tx)), ...(await pruneJobRuns(tx)), ...(await pruneEmailVerifications(tx, context.now)) };
  },
};

export const pastBookingsJob: ScheduledJob = {
  name: 'past-bookings',
  schedules: () => ['5 0 * * *'],
  run: (tx, context) => markPastBookingsNoShow(tx, context.now),
};

export const alertDispatchJob: ScheduledJob = {
  name: 'alert-dispatch',
  schedules: () => ['* * * * *'],
  async run(tx, context) {
    const { config } = context;
    const notices = await dispatchDueAlerts(
      tx,
      { emails: config.ALERT_EMAILS, repeatMinutes: config.ALERT_REPEAT_MINUTES, baseUrl: context.baseUrl, secret: context.secret },
      context.now,
    );
    const webhook = config.ALERT_WEBHOOK_URL;
    if (webhook) for (const notice of notices) context.afterCommit(() => postAlertWebhook(webhook, notice));
    return { notified: notices.length };
  },
};

/** Held times that nobody confirmed go back on sale (pages also release them as they are shown). */
export const holdReleaseJob: ScheduledJob = {
  name: 'hold-release',
  schedules: () => ['* * * * *'],
  run: async (tx) => ({ released: await releaseExpiredHolds(tx) }),
};

/** Card-file imports whose process stopped mid-way (kill -9, a crash) are failed or reopened, never left stuck. */
export const importRecoveryJob: ScheduledJob = {
  name: 'import-recovery',
  schedules: () => ['* * * * *'],
  run: (tx, context) => recoverInterruptedImports(tx, context.now),
};

/** A base backup of the embedded PostgreSQL, daily at BACKUP_TIME when BACKUP_DIR is set; old ones and their WAL are pruned. */
export const baseBackupJob: ScheduledJob = {
  name: 'base-backup',
  schedules(config) {
    if (!config.BACKUP_DIR || config.DATABASE_URL) return [];
    const [hour, minute] = config.BACKUP_TIME.split(':').map(Number);
    return [`${minute} ${hour} * * *`];
  },
  async run(tx, { config }) {
    const backupDir = config.BACKUP_DIR!;
    await takeBaseBackup(tx, backupDir, `${path.resolve(config.EMBEDDED_PG_DIR)}.password`);
    return { taken: 1, ...(await pruneBackups(backupDir, config.BACKUP_KEEP)) };
  },
};

/** Personal data past its retention period (set on /staff/retention) is deleted nightly. */
export const retentionPurgeJob: ScheduledJob = {
  name: 'retention-purge',
  schedules: () => ['20 3 * * *'],
  run: (tx, context) => purgeExpiredRecords(tx, context.now),
};

/** Counters whose next eight weeks have more cards waiting than places get an alert (after the night's slot generation). */
export const forecastShortfallJob: ScheduledJob = {
  name: 'forecast-shortfall',
  schedules: () => ['10 6 * * *'],
  run: (tx, context) => raiseShortfallAlerts(tx, context.now),
};

export function scheduledJobs(): ScheduledJob[] {
  return [
    reminderJob,
    slotGenerationJob,
    sessionExpiryJob,
    pastBookingsJob,
    alertDispatchJob,
    holdReleaseJob,
    importRecoveryJob,
    baseBackupJob,
    retentionPurgeJob,
    forecastShortfallJob,
  ];
}
