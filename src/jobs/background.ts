// The work an app process does besides answering requests: the outbox sender, the scheduled
// jobs and the health monitor. server.ts starts it after listening and stops it before the
// database pool closes; createApp never starts it, so tests build apps freely.
import cron, { type ScheduledTask } from 'node-cron';
import type { AppContext } from '../context.js';
import { createMailer, type Mailer } from '../features/notify/mailer.js';
import { HealthMonitor } from '../features/notify/monitor.js';
import { OutboxWorker } from '../features/notify/outbox-worker.js';
import { scheduledJobs, type ScheduledJob } from './registry.js';
import { runJob } from './runner.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

export interface BackgroundOptions {
  /** The embedded PostgreSQL's data directory (its disk is watched); null for an external server. */
  dataDir?: string | null;
  monitorIntervalMs?: number;
}

export function baseUrlOf(context: AppContext): string {
  return context.config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? `http://localhost:${context.config.PORT}`;
}

export function startBackgroundWork(context: AppContext, options: BackgroundOptions = {}): BackgroundWork {
  const { config, db, logger } = context;
  if (!config.BACKGROUND_WORK) return { stop: async () => {} };
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const tracked = work.catch((error) => logger.error({ err: error }, 'background work failed')).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  const mailer: Mailer | null = config.SMTP_URL ? createMailer(config.SMTP_URL, config.MAIL_FROM) : null;
  if (!mailer) logger.warn('SMTP_URL is not set: mail is kept in the outbox and shown in the staff console, not sent');

  if (mailer) {
    const worker = new OutboxWorker(db, mailer);
    let draining = false;
    const poll = () => {
      if (stopped || draining) return;
      draining = true;
      track(worker.drain().finally(() => (draining = false)));
    };
    timers.push(setInterval(poll, config.OUTBOX_POLL_SECONDS * 1000));
    poll();
  }

  const baseUrl = baseUrlOf(context);
  const runScheduled = (job: ScheduledJob) => {
    const now = new Date();
    if (stopped || (job.due && !job.due(now, config))) return;
    track(
      runJob(db, job, { config, now, baseUrl, secret: context.secrets.sessionSecret }).then((result) => {
        if (result.status === 'failed') logger.error({ job: job.name, error: result.error }, 'scheduled job failed');
      }),
    );
  };
  const tasks: ScheduledTask[] = scheduledJobs().flatMap((job) =>
    job.schedules(config).map((expression) => cron.schedule(expression, () => runScheduled(job), { timezone: 'Asia/Tokyo', name: `${job.name} ${expression}`, noOverlap: true })),
  );

  const monitor = new HealthMonitor({ db, config, baseUrl, mailer, logger, dataDir: options.dataDir ?? null });
  timers.push(
    setInterval(() => {
      if (!stopped) track(monitor.check());
    }, options.monitorIntervalMs ?? 60_000),
  );

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(tasks.map((task) => task.destroy()));
      await Promise.all(inFlight);
      mailer?.close();
    },
  };
}
