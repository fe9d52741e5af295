import cron from 'node-cron';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/client.js';
import { queueTomorrowsReminders } from '../../src/features/booking/reminders.js';
import { horizonEnd } from '../../src/features/schedule/slot-generation.js';
import { pastBookingsJob, reminderJob, scheduledJobs, sessionExpiryJob, slotGenerationJob, type ScheduledJob } from '../../src/jobs/registry.js';
import { translator } from '../../src/lib/i18n.js';
import { runJob } from '../../src/jobs/runner.js';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { createTestDatabase, truncateAll } from '../helpers/db.js';
import { createCounter, createWeekdayRule } from '../helpers/factories.js';
import { createBooking } from '../helpers/bookings.js';

const db = await createTestDatabase();
const config = loadConfig({ NODE_ENV: 'test' });
const TEN_JST_DEC_1 = jstInstant('2026-12-01', 10 * 60);
const context = (now = TEN_JST_DEC_1) => ({ config, now, baseUrl: 'https://yoyaku.example.lg.jp', secret: 'x'.repeat(40) });

beforeEach(() => truncateAll(db));

async function remindersQueued() {
  return db.prisma.outboxMessage.findMany({ where: { kind: 'booking.reminder' }, orderBy: { id: 'asc' } });
}

describe('reminder job (Japan time)', () => {
  it('When it runs at 10:00 JST, then exactly the active bookings of the next Japan day with an email get a reminder', async () => {
    const counter = await createCounter(db);
    const first = await createBooking(db, { date: '2026-12-02', startMinute: 9 * 60, counterId: counter.id });
    const late = await createBooking(db, { date: '2026-12-02', startMinute: 23 * 60 + 30, counterId: counter.id });
    await createBooking(db, { date: '2026-12-02', startMinute: 10 * 60, email: null, counterId: counter.id });
    await createBooking(db, { date: '2026-12-02', startMinute: 11 * 60, status: 'cancelled', counterId: counter.id });
    await createBooking(db, { date: '2026-12-01', startMinute: 15 * 60, counterId: counter.id }); // today
    await createBooking(db, { date: '2026-12-03', startMinute: 0, counterId: counter.id }); // midnight after tomorrow

    const result = await runJob(db, reminderJob, context());
    expect(result).toEqual({ status: 'ok', counts: { bookings: 2, queued: 2 } });
    const mails = await remindersQueued();
    expect(mails.map((mail) => mail.bookingId).sort()).toEqual([first.id, late.id].sort());
    expect(mails[0].subject).toContain('【明日のご予約】');
    expect(mails[0].dedupeKey).toBe(`booking:${first.code}:reminder:2026-12-02`);
    const run = await db.prisma.jobRun.findFirstOrThrow({ where: { job: 'reminders' } });
    expect(run).toMatchObject({ status: 'ok', counts: { bookings: 2, queued: 2 } });
  });

  it('When the clock is 00:30 JST (still the previous day in UTC), then "tomorrow" is the Japan tomorrow', async () => {
    const booking = await createBooking(db, { date: '2026-12-03' });
    await createBooking(db, { date: '2026-12-02' }); // today in Japan: no reminder
    await runJob(db, reminderJob, context(jstInstant('2026-12-02', 30)));
    expect((await remindersQueued()).map((mail) => mail.bookingId)).toEqual([booking.id]);
  });

  it('When the job runs twice, then each booking still has one reminder, and a booking made after the first run gets one at the next', async () => {
    await createBooking(db, { date: '2026-12-02' });
    await runJob(db, reminderJob, context());
    expect(await runJob(db, reminderJob, context(jstInstant('2026-12-01', 10 * 60 + 15)))).toEqual({ status: 'ok', counts: { bookings: 1, queued: 0 } });
    const later = await createBooking(db, { date: '2026-12-02', startMinute: 14 * 60 });
    expect(await runJob(db, reminderJob, context(jstInstant('2026-12-01', 21 * 60 + 45)))).toEqual({ status: 'ok', counts: { bookings: 2, queued: 1 } });
    const mails = await remindersQueued();
    expect(mails).toHaveLength(2);
    expect(mails[1].bookingId).toBe(later.id);
  });

  it('When several processes run the job at the same moment, then each booking gets exactly one reminder', async () => {
    const counter = await createCounter(db);
    for (let index = 0; index < 30; index += 1) await createBooking(db, { date: '2026-12-02', startMinute: 9 * 60 + index, counterId: counter.id });
    const pools = [db, connectDatabase(db.url, 3), connectDatabase(db.url, 3), connectDatabase(db.url, 3)];
    try {
      const results = await Promise.all(pools.map((pool) => runJob(pool, reminderJob, context())));
      const queued = results.reduce((sum, result) => sum + (result.status === 'ok' ? result.counts.queued : 0), 0);
      expect(queued).toBe(30);
      expect(results.every((result) => result.status !== 'failed')).toBe(true);
    } finally {
      for (const pool of pools.slice(1)) await pool.close();
    }
    const mails = await remindersQueued();
    expect(mails).toHaveLength(30);
    expect(new Set(mails.map((mail) => mail.bookingId)).size).toBe(30);
  });

  it('When another process holds the job lock, then this run is skipped and queues nothing', async () => {
    await createBooking(db, { date: '2026-12-02' });
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('job:reminders'))");
      expect(await runJob(db, reminderJob, context())).toEqual({ status: 'skipped' });
      expect(await remindersQueued()).toHaveLength(0);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await runJob(db, reminderJob, context())).toMatchObject({ status: 'ok' }); // transaction-level lock is gone
  });

  it('When the process dies in the middle of a run, then nothing half-done remains and the next run queues every reminder', async () => {
    for (let index = 0; index < 3; index += 1) await createBooking(db, { date: '2026-12-02', startMinute: 9 * 60 + index });
    const crashing: ScheduledJob = {
      ...reminderJob,
      async run(tx, jobContext) {
        await queueTomorrowsReminders(tx, jobContext.now, jobContext.baseUrl);
        throw new Error('process killed');
      },
    };
    expect(await runJob(db, crashing, context())).toMatchObject({ status: 'failed', error: 'process killed' });
    expect(await remindersQueued()).toHaveLength(0);
    expect(await runJob(db, reminderJob, context())).toEqual({ status: 'ok', counts: { bookings: 3, queued: 3 } });
  });

  it('When REMINDER_TIME is 10:00, then the job is scheduled from 10:00 every 15 minutes until 23:59 and is not due before 10:00 JST', () => {
    expect(reminderJob.schedules(config)).toEqual(['*/15 10-23 * * *', '59 23 * * *']);
    const odd = loadConfig({ REMINDER_TIME: '09:40' });
    expect(reminderJob.schedules(odd)).toEqual(['40 9 * * *', '*/15 9-23 * * *', '59 23 * * *']);
    for (const expression of reminderJob.schedules(odd)) expect(cron.validate(expression)).toBe(true);
    expect(reminderJob.due!(jstInstant('2026-12-01', 9 * 60 + 59), config)).toBe(false);
    expect(reminderJob.due!(jstInstant('2026-12-01', 10 * 60), config)).toBe(true);
    expect(() => loadConfig({ REMINDER_TIME: '25:00' })).toThrow(/REMINDER_TIME/);
  });
});

describe('other scheduled jobs', () => {
  it('When a job fails, then its run is logged as failed and an alert is opened for it', async () => {
    const failing: ScheduledJob = { name: 'broken', schedules: () => ['* * * * *'], run: async () => Promise.reject(new Error('disk on fire')) };
    await runJob(db, failing, context());
    await runJob(db, failing, context());
    expect(await db.prisma.jobRun.count({ where: { job: 'broken', status: 'failed', error: 'disk on fire' } })).toBe(2);
    const alerts = await db.prisma.alert.findMany();
    expect(alerts).toHaveLength(1); // one open alert, counted twice
    expect(alerts[0]).toMatchObject({ kind: 'job_failed', subjectKey: 'broken', occurrences: 2, summary: '定期処理「broken」が失敗しました' });
  });

  it('When a scheduled job of the app fails, then its alert names it in Japanese, as every scheduled job has a name for staff', async () => {
    const t = translator();
    for (const job of scheduledJobs()) expect(t(`job.name.${job.name}`), job.name).not.toBe(`job.name.${job.name}`);
    await runJob(db, { ...slotGenerationJob, run: async () => Promise.reject(new Error('disk on fire')) }, context());
    const alert = await db.prisma.alert.findFirstOrThrow({ where: { subjectKey: 'slot-generation' } });
    expect(alert.summary).toBe('定期処理「予約枠の作成」が失敗しました');
  });

  it('When stale sessions exist, then the expiry job deletes only those and logs the count', async () => {
    await db.pool.query(`INSERT INTO session (sid, sess, expire) VALUES ('old', '{}', now() - interval '1 minute'), ('live', '{}', now() + interval '1 hour')`);
    expect(await runJob(db, sessionExpiryJob, context())).toMatchObject({ status: 'ok', counts: { deleted: 1 } });
    expect((await db.pool.query('SELECT sid FROM session')).rows).toEqual([{ sid: 'live' }]);
  });

  it("When yesterday's bookings were never checked in, then they are marked no-show (Japan days), their cards return to notice sent, and the change is audited", async () => {
    const yesterday = await createBooking(db, { date: '2026-11-30', startMinute: 16 * 60 });
    const today = await createBooking(db, { date: '2026-12-01', startMinute: 9 * 60 });
    const checkedIn = await createBooking(db, { date: '2026-11-30', status: 'checked_in' });
    await db.prisma.cardHolder.update({ where: { id: yesterday.cardHolderId! }, data: { status: 'booked' } });
    expect(await runJob(db, pastBookingsJob, context(jstInstant('2026-12-01', 5)))).toMatchObject({ counts: { markedNoShow: 1 } });
    const card = await db.prisma.cardHolder.findUniqueOrThrow({ where: { id: yesterday.cardHolderId! } });
    expect(card.status).toBe('notice_sent'); // the person may book again, as after a no-show marked at the counter
    const statuses = await db.prisma.booking.findMany({ where: { id: { in: [yesterday.id, today.id, checkedIn.id] } }, orderBy: { id: 'asc' } });
    expect(statuses.map((booking) => booking.status)).toEqual(['no_show', 'active', 'checked_in']);
    expect(await db.prisma.auditLog.count({ where: { action: 'booking.mark_no_show', actorType: 'system' } })).toBe(1);
  });

  it('When the slot job runs, then slots exist across the booking horizon and a second run adds none', async () => {
    const counter = await createCounter(db);
    await createWeekdayRule(db, counter.id, 2);
    const first = await runJob(db, slotGenerationJob, context());
    expect(first.status === 'ok' && first.counts.slotsWritten).toBeGreaterThan(90);
    // The horizon is the longest "opens N days ahead" of any counter (60 by default) plus a margin.
    const end = await horizonEnd(db.prisma, '2026-12-01');
    const last = await db.prisma.slot.findFirstOrThrow({ orderBy: { startsAt: 'desc' } });
    expect(last.startsAt.getTime()).toBeLessThanOrEqual(jstInstant(end, 24 * 60).getTime());
    expect(last.startsAt.getTime()).toBeGreaterThan(jstInstant(addDays(end, -7)).getTime());
    const count = await db.prisma.slot.count();
    await runJob(db, slotGenerationJob, context());
    expect(await db.prisma.slot.count()).toBe(count);
    expect(await db.prisma.jobRun.count({ where: { job: 'slot-generation', status: 'ok' } })).toBe(2);
  });
});
