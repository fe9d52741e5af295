import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { queueBookingMail } from '../../src/features/booking/mail.js';
import { createMailer } from '../../src/features/notify/mailer.js';
import { enqueueMail } from '../../src/features/notify/outbox.js';
import { OutboxWorker } from '../../src/features/notify/outbox-worker.js';
import { createTestDatabase } from '../helpers/db.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { createBooking } from '../helpers/bookings.js';
import { inTx } from '../helpers/tx.js';

const db = await createTestDatabase();
const smtp = await startSmtpServer();
const FROM = 'マイナンバーカード交付予約 <no-reply@example.lg.jp>';
const mailer = createMailer(smtp.url, FROM);
afterAll(() => mailer.close());

beforeEach(async () => {
  smtp.messages.length = 0;
  smtp.failNext(550, 0);
  await db.pool.query('TRUNCATE outbox_messages, mail_attempts');
});

function worker(database: Database = db, options = {}) {
  return new OutboxWorker(database, mailer, { backoffBaseSeconds: 0, ...options });
}

async function queueSimple(key: string, to = 'taro@example.jp') {
  await inTx(db, (tx) => enqueueMail(tx, { dedupeKey: key, kind: 'test', to, subject: `件名 ${key}`, text: `本文 ${key}` }));
}

describe('outbox sender with a real SMTP server', () => {
  it('When a booking is confirmed, then the received mail carries its details in Japanese and a parseable .ics for the visit', async () => {
    const booking = await createBooking(db, { date: '2026-12-01', startMinute: 9 * 60 + 30, email: 'hanako@example.jp' });
    await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'confirmation', eventKey: 'created', baseUrl: 'https://yoyaku.example.lg.jp' }));

    expect(await worker().drain()).toEqual({ sent: 1, retried: 0, failed: 0 });

    const [mail] = smtp.messages;
    expect(mail.envelopeTo).toEqual(['hanako@example.jp']);
    expect(mail.subject).toBe('【予約完了】マイナンバーカード交付予約 2026年12月1日(火) 9:30〜10:00');
    expect(mail.headers.get('from')).toContain('no-reply@example.lg.jp');
    for (const part of [booking.code, '中央区役所 市民課', '中央区本町1-1-1', '2026年12月1日(火) 9:30〜10:00', '交付通知書', 'https://yoyaku.example.lg.jp/login']) {
      expect(mail.text).toContain(part);
      expect(mail.html).toContain(part);
    }
    const [ics] = mail.attachments;
    expect(ics.filename).toBe('booking.ics');
    expect(ics.contentType).toBe('text/calendar');
    expect(ics.content).toMatch(/^BEGIN:VCALENDAR/);
    expect(ics.content).toContain('DTSTART:20261201T003000Z'); // 9:30 in Japan
    expect(ics.content).toContain('DTEND:20261201T010000Z');
    expect(ics.content).toContain(`UID:${booking.code}@mynumber-card-booking`);

    const row = await db.prisma.outboxMessage.findFirstOrThrow();
    expect(row.status).toBe('sent');
    expect(row.sentAt).not.toBeNull();
    expect(await db.prisma.mailAttempt.count({ where: { outboxMessageId: row.id, outcome: 'sent' } })).toBe(1);
  });

  it('When a booking is confirmed, moved and cancelled, then the mails arrive in that order, the change .ics has the same UID and a higher SEQUENCE, and the cancellation none', async () => {
    const booking = await createBooking(db, { date: '2026-12-01', email: 'hanako@example.jp' });
    const baseUrl = 'https://yoyaku.example.lg.jp';
    await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'confirmation', eventKey: 'created', baseUrl }));
    const later = await createBooking(db, { date: '2026-12-03', startMinute: 14 * 60 });
    await db.prisma.booking.update({ where: { id: booking.id }, data: { slotId: later.slotId, updatedAt: new Date(Date.now() + 5000) } });
    await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'change', eventKey: 'moved-1', baseUrl }));
    await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'cancellation', eventKey: 'cancelled', baseUrl }));
    await worker().drain();
    const [confirmation, change, cancellation] = smtp.messages.filter((mail) => mail.envelopeTo[0] === 'hanako@example.jp');
    expect(change.subject).toBe('【予約変更】マイナンバーカード交付予約 2026年12月3日(木) 14:00〜14:30');
    expect(change.attachments[0].content).toContain('DTSTART:20261203T050000Z');
    const sequenceOf = (ics: string) => Number(ics.match(/SEQUENCE:(\d+)/)![1]);
    const uidOf = (ics: string) => ics.match(/UID:(\S+)/)![1];
    expect(uidOf(change.attachments[0].content)).toBe(uidOf(confirmation.attachments[0].content));
    expect(sequenceOf(change.attachments[0].content)).toBeGreaterThan(sequenceOf(confirmation.attachments[0].content));
    expect(cancellation.subject).toBe('【予約取消】マイナンバーカード交付予約');
    expect(cancellation.attachments).toEqual([]);
  });

  it('When the server answers 451 then accepts, then the mail is retried after a backoff and delivered once with both attempts recorded', async () => {
    await queueSimple('transient');
    smtp.failNext(451);
    const slow = worker(db, { backoffBaseSeconds: 60 });
    expect(await slow.drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
    let row = await db.prisma.outboxMessage.findFirstOrThrow();
    expect(row.status).toBe('pending');
    expect(row.lastError).toMatch(/451|Try again/);
    expect(row.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 50_000); // backoff, not a hot loop
    expect(await slow.drain()).toEqual({ sent: 0, retried: 0, failed: 0 }); // not due yet

    await db.prisma.outboxMessage.update({ where: { id: row.id }, data: { nextAttemptAt: new Date() } }); // time passes
    expect(await slow.drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    row = await db.prisma.outboxMessage.findFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(smtp.messages).toHaveLength(1);
    const attempts = await db.prisma.mailAttempt.findMany({ orderBy: { id: 'asc' } });
    expect(attempts.map((attempt) => [attempt.outcome, attempt.smtpCode])).toEqual([
      ['transient', 451],
      ['sent', null],
    ]);
  });

  it('When the server answers 421, then it counts as temporary too', async () => {
    await queueSimple('421');
    smtp.failNext(421);
    expect(await worker().drain()).toMatchObject({ retried: 1 });
  });

  it('When the server answers 550, then the mail is failed for good with the reason and is not retried', async () => {
    await queueSimple('permanent', 'nobody@example.jp');
    smtp.failNext(550);
    expect(await worker().drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const row = await db.prisma.outboxMessage.findFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.lastError).toMatch(/550|Mailbox unavailable/);
    expect(await worker().drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it('When two senders with their own pools drain the same outbox at once, then every mail arrives exactly once', async () => {
    for (let index = 0; index < 60; index += 1) await queueSimple(`parallel-${index}`, `p${index}@example.jp`);
    const other = connectDatabase(db.url, 4);
    try {
      const [first, second] = await Promise.all([worker(db, { batchSize: 5 }).drain(), worker(other, { batchSize: 5 }).drain()]);
      expect(first.sent + second.sent).toBe(60);
      expect(first.sent).toBeGreaterThan(0);
      expect(second.sent).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
    const subjects = smtp.messages.map((mail) => mail.subject);
    expect(new Set(subjects).size).toBe(60);
    expect(subjects).toHaveLength(60);
  });

  it('When a sender crashed after claiming a mail, then another sender takes it over once the lease has run out', async () => {
    await queueSimple('crashed');
    const [claimed] = await worker(db, { leaseSeconds: 300 }).claim(); // ...and the process dies
    expect(claimed).toBeDefined();
    expect(await worker().drain()).toMatchObject({ sent: 0 }); // lease still held
    await db.prisma.outboxMessage.update({ where: { id: BigInt(claimed.id) }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    expect(await worker().drain()).toMatchObject({ sent: 1 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('When SMTP is down for a while and comes back, then every queued mail is delivered, none lost and none twice', async () => {
    await smtp.down();
    for (let index = 0; index < 5; index += 1) await queueSimple(`outage-${index}`);
    const sender = worker();
    expect(await sender.drain()).toEqual({ sent: 0, retried: 5, failed: 0 });
    expect((await db.prisma.outboxMessage.findFirstOrThrow()).lastError).toMatch(/ECONNREFUSED|connect/i);
    await db.pool.query('UPDATE outbox_messages SET next_attempt_at = now()'); // the hour passes
    expect(await sender.drain()).toEqual({ sent: 0, retried: 5, failed: 0 });
    await smtp.up();
    await db.pool.query('UPDATE outbox_messages SET next_attempt_at = now()');
    expect(await sender.drain()).toEqual({ sent: 5, retried: 0, failed: 0 });
    expect(smtp.messages.map((mail) => mail.subject).sort()).toEqual([0, 1, 2, 3, 4].map((index) => `件名 outage-${index}`));
    expect(await db.prisma.outboxMessage.count({ where: { status: 'sent', attempts: 3 } })).toBe(5);
  });

  it('When many mails are due in one batch, then they are sent in the order they were queued', async () => {
    const keys = Array.from({ length: 15 }, (_value, index) => `order-${String(index).padStart(2, '0')}`);
    for (const key of keys) await queueSimple(key);
    await worker().drain();
    expect(smtp.messages.map((mail) => mail.subject)).toEqual(keys.map((key) => `件名 ${key}`));
  });

  it('When the same logical email is queued twice, then one row and one delivery result', async () => {
    await queueSimple('same');
    await queueSimple('same');
    expect(await worker().drain()).toMatchObject({ sent: 1 });
    expect(smtp.messages).toHaveLength(1);
  });
});

/** A mail whose subject and attachment name carry CR/LF and header text. */
function queueInjected(to: string) {
  return inTx(db, (tx) =>
    enqueueMail(tx, {
      dedupeKey: `inject:${to}`,
      kind: 'test',
      to,
      subject: '件名\r\nBcc: attacker@example.jp\nX-Injected: 1',
      text: '本文',
      attachments: [{ filename: 'a.ics\r\nX-Injected: 1', contentType: 'text/calendar\r\nX-Injected: 2', content: 'BEGIN:VCALENDAR' }],
    }),
  );
}

describe('header injection', () => {
  it('When CR/LF reaches the address, the subject or an attachment name, then no extra header or recipient appears', async () => {
    await queueInjected('victim@example.jp\r\nBcc: attacker@example.jp');
    expect(await worker().drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(smtp.messages.flatMap((mail) => mail.envelopeTo)).not.toContain('attacker@example.jp');
    expect((await db.prisma.outboxMessage.findFirstOrThrow()).lastError).toBe('invalid recipient address');
    for (const mail of smtp.messages) {
      expect(mail.headerLines.some((line) => /^(bcc|x-injected):/i.test(line))).toBe(false);
      expect(mail.raw).not.toMatch(/\r\nX-Injected:/i);
      expect(mail.raw).not.toMatch(/\r\nBcc:/i);
      expect(mail.subject).not.toMatch(/[\r\n]/);
    }
  });

  it('When CR/LF reaches the subject or an attachment name of a mail to a valid address, then it is delivered with no injected header', async () => {
    await queueInjected('victim@example.jp');
    expect(await worker().drain()).toMatchObject({ sent: 1 });
    const [mail] = smtp.messages;
    expect(mail.envelopeTo).toEqual(['victim@example.jp']);
    expect(mail.subject).toBe('件名 Bcc: attacker@example.jp X-Injected: 1');
    expect(mail.raw).not.toMatch(/\nX-Injected:/i);
    expect(mail.raw).not.toMatch(/\nBcc:/i);
    expect(mail.attachments[0].filename).not.toMatch(/[\r\n]/);
  });

  it('When a booking email address carries CR/LF, then nothing reaches the injected address', async () => {
    const booking = await createBooking(db, { date: '2026-12-02', email: 'a@example.jp\r\nBcc: attacker@example.jp' });
    await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'confirmation', eventKey: 'x', baseUrl: 'http://x' }));
    await worker().drain();
    expect(smtp.messages.flatMap((mail) => mail.envelopeTo)).not.toContain('attacker@example.jp');
    for (const mail of smtp.messages) expect(mail.headerLines.some((line) => /^bcc:/i.test(line))).toBe(false);
  });
});
