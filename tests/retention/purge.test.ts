// The retention purge (issue 19.2): each kind of record past the period its city set is deleted,
// with what hangs on it, in batches; what is still in its period, or still open, stays. The audit
// log can be thinned only past its period, never rewritten; two purges at once delete each row once.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import type { BookingStatus, CardStatus } from '../../src/generated/prisma/client.js';
import { purgeExpiredRecords } from '../../src/features/retention/purge.js';
import { retentionPurgeJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { addDays, todayInJapan, type IsoDate } from '../../src/lib/jst.js';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { createApplicant, createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

let t: TestApp;
let counterId: number;
beforeAll(async () => {
  t = await createTestApp();
  counterId = (await createCounter(t.db)).id;
});

const SYSTEM = { type: 'system', id: 'test' } as const;
const daysAgo = (days: number): IsoDate => addDays(todayInJapan(), -days);
const instantDaysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
const purge = (limits?: { batchSize: number; maxBatches: number }) => transaction(t.db, SYSTEM, (tx) => purgeExpiredRecords(tx, new Date(), limits));
const code = () => randomBytes(5).toString('hex').toUpperCase();

// Each past booking gets a slot of its own start: a counter has one slot per start time, and a
// random start collided now and then when two bookings fell on the same day.
let slotsMade = 0;

/** A booking on a slot `visitDaysAgo` days back, with a sent mail and its delivery attempt. */
async function pastBooking(visitDaysAgo: number, status: BookingStatus, person: { cardHolderId?: number; applicantId?: number } = {}) {
  const slot = await createSlot(t.db, { counterId, date: daysAgo(visitDaysAgo), startMinute: 540 + (slotsMade++ % 900) });
  const cardHolderId = person.applicantId ? null : (person.cardHolderId ?? (await createCardHolder(t.db, { counterId })).holder.id);
  const booking = await t.db.prisma.booking.create({
    data: { code: code(), slotId: slot.id, cardHolderId, applicantId: person.applicantId ?? null, status, channel: 'web', email: 'purge-me@example.jp', createdBy: 'test' },
  });
  const mail = await t.db.prisma.outboxMessage.create({
    data: {
      dedupeKey: `booking:${booking.id}:confirmation`,
      kind: 'booking.confirmation',
      toAddress: 'purge-me@example.jp',
      subject: 's',
      textBody: 'b',
      bookingId: booking.id,
      status: 'sent',
    },
  });
  await t.db.prisma.mailAttempt.create({ data: { outboxMessageId: mail.id, outcome: 'sent', smtpCode: 250 } });
  return { booking, mail, slot };
}

const exists = {
  booking: async (id: number) => (await t.db.prisma.booking.count({ where: { id } })) === 1,
  mail: async (id: bigint) => (await t.db.prisma.outboxMessage.count({ where: { id } })) === 1,
  attempts: async (id: bigint) => t.db.prisma.mailAttempt.count({ where: { outboxMessageId: id } }),
  holder: async (id: number) => (await t.db.prisma.cardHolder.count({ where: { id } })) === 1,
  applicant: async (id: number) => (await t.db.prisma.applicant.count({ where: { id } })) === 1,
  audit: async (id: bigint) => (await t.db.prisma.auditLog.count({ where: { id } })) === 1,
};

async function handedOverHolder(updatedDaysAgo: number, status: CardStatus = 'handed_over') {
  const { holder } = await createCardHolder(t.db, { counterId, status: 'handed_over' });
  await t.db.prisma.cardStatusChange.create({
    data: { cardHolderId: holder.id, fromStatus: 'booked', toStatus: 'handed_over', actor: 'staff:1', at: instantDaysAgo(updatedDaysAgo) },
  });
  await t.db.pool.query(`UPDATE card_holders SET status = $2::card_status, updated_at = $3 WHERE id = $1`, [holder.id, status, instantDaysAgo(updatedDaysAgo)]);
  return holder;
}

async function oldAuditRow(daysOld: number) {
  const [row] = (
    await t.db.pool.query<{ id: string }>(
      `INSERT INTO audit_logs (actor_type, actor_id, action, detail, ip, at) VALUES ('staff', '1', 'cards.view', '{}', '192.0.2.7', $1) RETURNING id`,
      [instantDaysAgo(daysOld)],
    )
  ).rows;
  return BigInt(row.id);
}

describe('the retention purge', () => {
  it('When finished bookings are past the bookings period, then they go with their mail and attempts, a ticket keeps its row without them, and open or recent bookings stay', async () => {
    const old = await pastBooking(400, 'handed_over');
    const oldCancelled = await pastBooking(380, 'cancelled');
    const recent = await pastBooking(100, 'handed_over');
    const stillOpen = await pastBooking(400, 'checked_in');
    const ticket = await t.db.prisma.ticket.create({
      data: {
        counterId,
        date: old.slot.date,
        kind: 'booked',
        seq: 1,
        number: 'A-001',
        bookingId: old.booking.id,
        procedureCode: 'pickup',
        token: code(),
        issuedBy: 'staff:1',
        status: 'served',
        window: 1,
        calledAt: old.slot.startsAt,
        finishedAt: old.slot.endsAt,
      },
    });
    const bookedBefore = (await t.db.prisma.slot.findUniqueOrThrow({ where: { id: old.slot.id } })).booked;

    const deleted = await purge();

    expect(deleted).toMatchObject({ bookings: 2, outbox_messages: 2, mail_attempts: 2 });
    for (const gone of [old, oldCancelled]) {
      expect(await exists.booking(gone.booking.id)).toBe(false);
      expect(await exists.mail(gone.mail.id)).toBe(false);
      expect(await exists.attempts(gone.mail.id)).toBe(0);
    }
    for (const kept of [recent, stillOpen]) {
      expect(await exists.booking(kept.booking.id)).toBe(true);
      expect(await exists.mail(kept.mail.id)).toBe(true);
    }
    expect(await t.db.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({ bookingId: null, number: 'A-001', status: 'served' });
    expect((await t.db.prisma.slot.findUniqueOrThrow({ where: { id: old.slot.id } })).booked).toBe(bookedBefore);
    expect(await exists.holder(old.booking.cardHolderId!)).toBe(true); // not handed over: the card holder kind decides
    const audit = await t.db.prisma.auditLog.findFirstOrThrow({ where: { action: 'retention.purge' }, orderBy: { id: 'desc' } });
    expect(audit.actorType).toBe('system');
    expect(audit.detail).toMatchObject({ deleted: { bookings: 2, outbox_messages: 2, mail_attempts: 2 }, periods: { bookings: 365, audit: 1825 } });
  });

  it('When an applicant loses the last of their bookings to the purge, then the applicant goes too; one with a newer booking stays', async () => {
    const lonely = await createApplicant(t.db, { phone: '09011112222' });
    const regular = await createApplicant(t.db, { phone: '09033334444' });
    await pastBooking(400, 'handed_over', { applicantId: lonely.id });
    await pastBooking(400, 'no_show', { applicantId: regular.id });
    const newer = await pastBooking(10, 'handed_over', { applicantId: regular.id });
    const deleted = await purge();
    expect(deleted.applicants).toBe(1);
    expect(await exists.applicant(lonely.id)).toBe(false);
    expect(await exists.applicant(regular.id)).toBe(true);
    expect(await exists.booking(newer.booking.id)).toBe(true);
  });

  it('When card holders were handed over longer ago than their period, then they go with their history and bookings; newer and unfinished ones stay', async () => {
    const gone = await handedOverHolder(400);
    const cancelled = await handedOverHolder(500, 'cancelled');
    const goneBooking = await pastBooking(200, 'handed_over', { cardHolderId: gone.id });
    // The card had been asked for at another site and counted in a stock count: those rows go too, counted.
    const ward = await createCounter(t.db);
    await t.db.pool.query(`INSERT INTO card_transfers (card_holder_id, from_counter_id, to_counter_id, reason, requested_by) VALUES ($1, $2, $3, 'clerk', 'staff:1')`, [
      gone.id,
      counterId,
      ward.id,
    ]);
    const [{ id: countId }] = (await t.db.pool.query<{ id: number }>(`INSERT INTO stock_counts (counter_id, started_by) VALUES ($1, 'staff:1') RETURNING id`, [counterId])).rows;
    await t.db.pool.query(`INSERT INTO stock_count_scans (stock_count_id, card_holder_id, unknown_id, scanned_by) VALUES ($1, $2, '', 'staff:1')`, [countId, gone.id]);
    const recent = await handedOverHolder(30);
    const waiting = await createCardHolder(t.db, { counterId, status: 'notice_sent' });
    await t.db.pool.query(`UPDATE card_holders SET updated_at = $2 WHERE id = $1`, [waiting.holder.id, instantDaysAgo(900)]);

    const deleted = await purge();

    expect(deleted).toMatchObject({ card_holders: 2, card_status_changes: 2, card_transfers: 1, stock_count_scans: 1 });
    expect(await exists.holder(gone.id)).toBe(false);
    expect(await exists.holder(cancelled.id)).toBe(false);
    expect(await exists.booking(goneBooking.booking.id)).toBe(false);
    expect(await exists.mail(goneBooking.mail.id)).toBe(false);
    expect(await exists.holder(recent.id)).toBe(true);
    expect(await exists.holder(waiting.holder.id)).toBe(true);
  });

  it('When mail was sent or given up on before the mail period, then it goes with its attempts; mail still to send stays', async () => {
    const mail = (status: 'sent' | 'failed' | 'pending', daysOld: number) =>
      t.db.prisma.outboxMessage.create({
        data: { dedupeKey: `alert:${code()}`, kind: 'alert', toAddress: 'oncall@example.jp', subject: 's', textBody: 'b', status, createdAt: instantDaysAgo(daysOld) },
      });
    const [sent, failed, pending, fresh] = [await mail('sent', 100), await mail('failed', 200), await mail('pending', 200), await mail('sent', 10)];
    await t.db.prisma.mailAttempt.create({ data: { outboxMessageId: failed.id, outcome: 'permanent', smtpCode: 550, error: '550 no such user oncall@example.jp' } });
    const deleted = await purge();
    expect(deleted.outbox_messages).toBeGreaterThanOrEqual(2);
    expect(await exists.mail(sent.id)).toBe(false);
    expect(await exists.mail(failed.id)).toBe(false);
    expect(await exists.attempts(failed.id)).toBe(0);
    expect(await exists.mail(pending.id)).toBe(true);
    expect(await exists.mail(fresh.id)).toBe(true);
  });

  it('When audit rows are older than the audit period, then the purge deletes them and keeps younger ones; the app may still neither change nor delete a young row', async () => {
    const ancient = await oldAuditRow(2000);
    const young = await oldAuditRow(1000);
    const deleted = await purge();
    expect(deleted.audit_logs).toBeGreaterThanOrEqual(1);
    expect(await exists.audit(ancient)).toBe(false);
    expect(await exists.audit(young)).toBe(true);

    await expect(t.db.pool.query(`UPDATE audit_logs SET ip = NULL WHERE id = $1`, [young])).rejects.toThrow(/append-only/);
    await expect(t.db.pool.query(`DELETE FROM audit_logs WHERE id = $1`, [young])).rejects.toThrow(/append-only/);
    const stillAncient = await oldAuditRow(2000);
    await expect(t.db.pool.query(`DELETE FROM audit_logs WHERE id = $1`, [stillAncient])).rejects.toThrow(/append-only/); // not through the purge
    await expect(
      transaction(t.db, SYSTEM, async (tx) => {
        await tx.query(`SELECT set_config('app.retention_purge', 'on', true)`);
        await tx.query(`DELETE FROM audit_logs WHERE id = $1`, [young]);
      }),
    ).rejects.toThrow(/append-only/);
    await expect(t.db.pool.query(`UPDATE retention_periods SET days = 30 WHERE kind = 'audit'`)).rejects.toThrow(/retention_periods_audit_a_year/);
  });

  it('When log-in counts began before their period and alerts were acknowledged before theirs, then they go; running counts, lasting locks and open alerts stay', async () => {
    const throttle = (key: string, daysOld: number, data: { failures?: number; lockedUntil?: Date | null } = {}) =>
      t.db.prisma.citizenLoginThrottle.create({ data: { key, failures: data.failures ?? 1, windowStartedAt: instantDaysAgo(daysOld), lockedUntil: data.lockedUntil ?? null } });
    const tag = code();
    await throttle(`ip:192.0.2.1:${tag}`, 40);
    await throttle(`id:1111${tag}`, 40, { failures: 3, lockedUntil: instantDaysAgo(39) });
    await throttle(`id:2222${tag}`, 40, { failures: 10 }); // locked for good, as a real ID would stay
    await throttle(`ip:192.0.2.2:${tag}`, 1);
    const alert = (subjectKey: string, acknowledgedDaysAgo: number | null) =>
      t.db.prisma.alert.create({
        data: {
          kind: 'job_failed',
          subjectKey,
          summary: 's',
          acknowledgedAt: acknowledgedDaysAgo === null ? null : instantDaysAgo(acknowledgedDaysAgo),
          acknowledgementIp: '192.0.2.9',
        },
      });
    const [oldAlert, recentAlert, openAlert] = [await alert(`old-${tag}`, 400), await alert(`recent-${tag}`, 10), await alert(`open-${tag}`, null)];
    const incident = await t.db.prisma.incident.create({
      data: { kind: 'system', title: `障害 ${tag}`, startedAt: instantDaysAgo(401), recordedBy: 'system:test', updatedAt: instantDaysAgo(401) },
    });
    await t.db.prisma.incidentAlert.createMany({ data: [oldAlert, recentAlert].map((linked) => ({ incidentId: incident.id, alertId: linked.id, linkedBy: 'system:test' })) });

    const deleted = await purge();

    const keys = (await t.db.prisma.citizenLoginThrottle.findMany({ where: { key: { contains: tag } } })).map((row) => row.key).sort();
    expect(keys).toEqual([`id:2222${tag}`, `ip:192.0.2.2:${tag}`]);
    expect(deleted.citizen_login_throttles).toBeGreaterThanOrEqual(2);
    const alerts = (await t.db.prisma.alert.findMany({ where: { subjectKey: { contains: tag } } })).map((row) => row.id);
    expect(alerts.sort()).toEqual([recentAlert.id, openAlert.id].sort());
    expect(alerts).not.toContain(oldAlert.id);
    // The old alert's link to an incident goes with it and is counted; the incident and its recent alert's link stay.
    expect(deleted.incident_alerts).toBeGreaterThanOrEqual(1);
    expect((await t.db.prisma.incidentAlert.findMany({ where: { incidentId: incident.id } })).map((link) => link.alertId)).toEqual([recentAlert.id]);
  });

  it('When the purge runs again at once, then it deletes nothing more and still records its run', async () => {
    await pastBooking(400, 'no_show');
    await purge();
    const before = await t.db.prisma.auditLog.count({ where: { action: 'retention.purge' } });
    expect(await purge()).toEqual({});
    expect(await t.db.prisma.auditLog.count({ where: { action: 'retention.purge' } })).toBe(before + 1);
  });

  it('When two purges run at the same moment in small batches, then each old row is deleted by exactly one of them and neither fails', async () => {
    await purge();
    const made = await Promise.all(Array.from({ length: 12 }, (_, index) => pastBooking(400 + index, 'handed_over')));
    const holders = await Promise.all(Array.from({ length: 6 }, () => handedOverHolder(400)));
    const limits = { batchSize: 2, maxBatches: 1000 };
    const [first, second] = await Promise.all([purge(limits), purge(limits)]);
    const sum = (table: string) => (first[table] ?? 0) + (second[table] ?? 0);
    expect(sum('bookings')).toBe(12);
    expect(sum('outbox_messages')).toBe(12);
    expect(sum('mail_attempts')).toBe(12);
    expect(sum('card_holders')).toBe(6);
    for (const { booking } of made) expect(await exists.booking(booking.id)).toBe(false);
    for (const holder of holders) expect(await exists.holder(holder.id)).toBe(false);
  });

  it('When the scheduled job fires in two processes at once, then one purges and the other skips (the job lock)', async () => {
    await pastBooking(400, 'handed_over');
    const context = { config: t.context.config, now: new Date(), baseUrl: 'http://127.0.0.1', secret: TEST_SECRETS.sessionSecret };
    const results = await Promise.all([runJob(t.db, retentionPurgeJob, context), runJob(t.db, retentionPurgeJob, context)]);
    expect(results.map((result) => result.status).sort()).toEqual(['ok', 'skipped']);
    const ran = results.find((result) => result.status === 'ok');
    expect(ran).toMatchObject({ counts: { bookings: 1 } });
  });

  it('When the admin has set a shorter bookings period, then the purge uses it', async () => {
    const kept = await pastBooking(100, 'handed_over');
    await t.db.pool.query(`INSERT INTO retention_periods (kind, days, updated_at, updated_by) VALUES ('bookings', 60, now(), 'test') ON CONFLICT (kind) DO UPDATE SET days = 60`);
    try {
      await purge();
      expect(await exists.booking(kept.booking.id)).toBe(false);
    } finally {
      await t.db.pool.query(`DELETE FROM retention_periods WHERE kind = 'bookings'`);
    }
  });
});
