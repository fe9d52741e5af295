import { beforeEach, describe, expect, it } from 'vitest';
import { queueBookingMail } from '../../src/features/booking/mail.js';
import { enqueueMail } from '../../src/features/notify/outbox.js';
import { auditTextKey, keyedText } from '../../src/features/staff/audit.js';
import { createTestApp, TEST_SECRETS } from '../helpers/app.js';
import { truncateAll } from '../helpers/db.js';
import { createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { createBooking } from '../helpers/bookings.js';
import { inTx } from '../helpers/tx.js';

const { app, db } = await createTestApp(); // no SMTP_URL: the embedded default

// audit_logs is append-only and survives truncateAll (ids restart): look only at new entries.
let auditWatermark = 0n;
beforeEach(async () => {
  await truncateAll(db);
  auditWatermark = (await db.prisma.auditLog.aggregate({ _max: { id: true } }))._max.id ?? 0n;
});
const newAudits = (where: object) => db.prisma.auditLog.findMany({ where: { ...where, id: { gt: auditWatermark } }, orderBy: { id: 'asc' } });

async function signedIn(role: 'admin' | 'staff' | 'operator') {
  const { user, password } = await createStaff(db, { role });
  return { user, agent: await staffAgent(app, user.loginId, password) };
}

async function bookingWithMail(email: string) {
  const booking = await createBooking(db, { date: '2026-12-10', email });
  await inTx(db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'confirmation', eventKey: 'created', baseUrl: 'http://localhost:3000' }));
  return booking;
}

describe('sent-mail log in the staff console', () => {
  it('When no SMTP is configured, then staff see the kept mail, its full text and a note that it was not sent, and the viewing is audited', async () => {
    const booking = await bookingWithMail('hanako@example.jp');
    const { user, agent } = await signedIn('staff');
    const list = await agent.get('/staff/mail');
    expect(list.status).toBe(200);
    const [audit] = await newAudits({ action: 'mail.search', actorId: String(user.id) });
    expect(audit.detail).toEqual({ q: '', results: 1 }); // the unfiltered list shows addresses too
    expect(list.text).toContain('メール送信(SMTP)が設定されていない');
    expect(list.text).toContain('hanako@example.jp');
    expect(list.text).toContain('送信待ち');
    const row = await db.prisma.outboxMessage.findFirstOrThrow();
    const detail = await agent.get(`/staff/mail/${row.id}`);
    expect(detail.text).toContain(booking.code);
    expect(detail.text).toContain('【持ち物】');
    expect(detail.text).toContain('booking.ics');
  });

  it('When staff search by part of an address or by booking code, then only matching mails show and the search is audited', async () => {
    const hanako = await bookingWithMail('hanako@example.jp');
    await bookingWithMail('jiro@example.jp');
    const { user, agent } = await signedIn('staff');
    const byAddress = await agent.get('/staff/mail').query({ q: 'HANAKO@' });
    expect(byAddress.text).toContain('hanako@example.jp');
    expect(byAddress.text).not.toContain('jiro@example.jp');
    const byCode = await agent.get('/staff/mail').query({ q: hanako.code.toLowerCase() });
    expect(byCode.text).toContain('hanako@example.jp');
    expect(byCode.text).not.toContain('jiro@example.jp');
    const audits = await newAudits({ action: 'mail.search', actorId: String(user.id) });
    expect(audits.map((audit) => audit.detail)).toEqual([
      { q: { key: auditTextKey(TEST_SECRETS.birthDatePepper, 'hanako@'), masked: 'H*****@*' }, results: 1 },
      { q: keyedText(TEST_SECRETS.birthDatePepper, hanako.code.toLowerCase()), results: 1 },
    ]);
  });

  it('When an operator opens the log, then nothing is listed until they give an exact address or booking code, and each view is audited', async () => {
    await bookingWithMail('hanako@example.jp');
    await bookingWithMail('jiro@example.jp');
    const { user, agent } = await signedIn('operator');
    const empty = await agent.get('/staff/mail');
    expect(empty.text).toContain('メールアドレスまたは予約番号を入力して検索してください');
    expect(empty.text).not.toContain('@example.jp');
    expect((await agent.get('/staff/mail').query({ q: 'example.jp' })).text).toContain('該当するメールはありません');
    const exact = await agent.get('/staff/mail').query({ q: 'jiro@example.jp' });
    expect(exact.text).toContain('jiro@example.jp');
    expect(exact.text).not.toContain('hanako@example.jp');
    const row = await db.prisma.outboxMessage.findFirstOrThrow({ where: { toAddress: 'jiro@example.jp' } });
    expect((await agent.get(`/staff/mail/${row.id}`)).status).toBe(200);
    expect(await newAudits({ action: 'mail.view', actorId: String(user.id), targetId: String(row.id) })).toHaveLength(1);
  });

  it('When a mail failed, then its attempts and the SMTP error are shown', async () => {
    await inTx(db, (tx) => enqueueMail(tx, { dedupeKey: 'x', kind: 'test', to: 'nobody@example.jp', subject: '件名', text: '本文' }));
    const row = await db.prisma.outboxMessage.findFirstOrThrow();
    await db.prisma.outboxMessage.update({ where: { id: row.id }, data: { status: 'failed', attempts: 1, lastError: '550 Mailbox unavailable' } });
    await db.prisma.mailAttempt.create({ data: { outboxMessageId: row.id, outcome: 'permanent', smtpCode: 550, error: '550 Mailbox unavailable' } });
    const { agent } = await signedIn('admin');
    const detail = await agent.get(`/staff/mail/${row.id}`);
    expect(detail.text).toContain('失敗(宛先不明など) (550)');
    expect(detail.text).toContain('550 Mailbox unavailable');
  });

  it('When a mail id does not exist or is not a number, then a Japanese 404 page shows', async () => {
    const { agent } = await signedIn('staff');
    expect((await agent.get('/staff/mail/999999')).status).toBe(404);
    expect((await agent.get('/staff/mail/abc')).status).toBe(404);
  });

  it('When nobody is signed in, then the log is not shown', async () => {
    const response = await (await import('supertest')).default(app).get('/staff/mail');
    expect(response.status).toBe(303);
    expect(response.headers.location).toContain('/staff/login');
  });
});
