// Proving an email address before booking a procedure that needs no notice ID: the code is
// mailed, kept only hashed, good once, for 15 minutes, in the session that asked; requests and
// guesses are counted atomically, so bursts fired at the same moment get no further.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CODE_MINUTES,
  MAX_CONFIRM_ATTEMPTS,
  REQUESTS_PER_ADDRESS,
  REQUESTS_PER_EMAIL,
  VERIFY_REFUSALS,
  confirmEmailCode,
  emailDigest,
  pruneEmailVerifications,
  requestEmailCode,
  type CodeRequest,
} from '../../src/features/citizen/email-verification.js';
import { transaction } from '../../src/db/transaction.js';
import { auditTextKey } from '../../src/features/staff/audit.js';
import { createMailer } from '../../src/features/notify/mailer.js';
import { OutboxWorker } from '../../src/features/notify/outbox-worker.js';
import { translator } from '../../src/lib/i18n.js';
import type { Secrets } from '../../src/secrets.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createTestDatabase } from '../helpers/db.js';
import { startSmtpServer } from '../helpers/smtp.js';

const db = await createTestDatabase(20);
const smtp = await startSmtpServer();
const mailer = createMailer(smtp.url, 'マイナンバーカード交付予約 <no-reply@example.lg.jp>');
afterAll(() => mailer.close());
const secrets: Secrets = { sessionSecret: 'test-session-secret-test-session-secret', birthDatePepper: 'test-pepper-test-pepper-test-pepper-x' };
const { now } = pinClock(WORKING_WEDNESDAY);
const minutesLater = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

await db.prisma.procedure.createMany({
  data: [
    { code: 'application', name: 'マイナンバーカードの申請', needsNoticeId: false },
    { code: 'old-renewal', name: '電子証明書の更新(旧)', needsNoticeId: false, retiredAt: new Date('2026-01-01T00:00:00Z') },
  ],
});

beforeEach(async () => {
  smtp.messages.length = 0;
  await db.pool.query('TRUNCATE email_verifications, outbox_messages, mail_attempts, citizen_login_throttles');
});

let serial = 0;
const request = (overrides: Partial<CodeRequest> = {}) =>
  requestEmailCode(db, secrets, {
    email: `person${(serial += 1)}@example.jp`,
    procedureCode: 'application',
    sessionNonce: 'session-a',
    ip: '192.0.2.1',
    baseUrl: 'https://yoyaku.example.lg.jp',
    now,
    ...overrides,
  });

/** Asks for a code and reads it from the queued mail, as the citizen would. */
async function requestCode(overrides: Partial<CodeRequest> = {}) {
  const result = await request(overrides);
  if (!result.ok) throw new Error(`no code: ${result.reason}`);
  const { rows } = await db.pool.query<{ text: string }>(`SELECT text_body AS text FROM outbox_messages WHERE dedupe_key = $1`, [`email-verification:${result.verificationId}`]);
  const code = rows[0].text.match(/確認コード: (\d{6})/)![1];
  return { verificationId: result.verificationId, code };
}

const confirm = (verificationId: string, code: string, overrides: { sessionNonce?: string; now?: Date } = {}) =>
  confirmEmailCode(db, secrets, { verificationId, code, sessionNonce: 'session-a', ip: '192.0.2.1', now, ...overrides });

const counts = async () => {
  const { rows } = await db.pool.query<{ verifications: number; mails: number }>(
    `SELECT (SELECT count(*)::int FROM email_verifications) AS verifications, (SELECT count(*)::int FROM outbox_messages) AS mails`,
  );
  return rows[0];
};
const attemptsOn = async (verificationId: string) =>
  (await db.pool.query<{ attempts: number }>(`SELECT attempts FROM email_verifications WHERE id = $1`, [verificationId])).rows[0].attempts;

/** A guess that is surely not the code. */
const wrongFor = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

describe('email verification: the code', () => {
  it('When a citizen asks for a code, then a Japanese mail brings it, and neither the verification nor the audit log holds the code or the plain address', async () => {
    const { verificationId, code } = await requestCode({ email: '  Hanako.Yamada@Example.JP ' });
    expect(await new OutboxWorker(db, mailer, { backoffBaseSeconds: 0 }).drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    const [mail] = smtp.messages;
    expect(mail.envelopeTo).toEqual(['Hanako.Yamada@example.jp']);
    expect(mail.subject).toBe('【確認コード】マイナンバーカード関連手続きの予約');
    expect(mail.text).toContain(`確認コード: ${code}`);
    expect(mail.text).toContain(`${CODE_MINUTES}分間有効`);
    expect(mail.text).toContain('マイナンバーカードの申請');

    const { rows } = await db.pool.query<{ row: string }>(`SELECT row_to_json(v)::text AS row FROM email_verifications v WHERE id = $1`, [verificationId]);
    expect(rows[0].row).not.toContain(code);
    const audit = await db.pool.query<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM audit_logs a WHERE target_id = $1`, [verificationId]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].row).toContain(auditTextKey(secrets.birthDatePepper, 'Hanako.Yamada@example.jp'));
    expect(audit.rows[0].row).not.toContain(emailDigest('Hanako.Yamada@example.jp'));
    expect(audit.rows[0].row).not.toMatch(/hanako/i);
    expect(audit.rows[0].row).not.toContain(code);
  });

  it('When the right code is given in the same session, then it works once and the second use is refused', async () => {
    const { verificationId, code } = await requestCode({ email: ' Taro@EXAMPLE.jp' });
    expect(await confirm(verificationId, code)).toEqual({ ok: true, email: 'Taro@example.jp', procedureCode: 'application' });
    expect(await confirm(verificationId, code)).toEqual({ ok: false, reason: 'used' });
    const audit = await db.pool.query<{ action: string; row: string }>(`SELECT action, row_to_json(a)::text AS row FROM audit_logs a WHERE target_id = $1 ORDER BY id`, [
      verificationId,
    ]);
    expect(audit.rows.map((row) => row.action)).toEqual(['citizen.email.requested', 'citizen.email.verified', 'citizen.email.failed']);
    for (const row of audit.rows) expect(row.row).not.toMatch(/taro|"\d{6}"/i);
  });

  it('When the code is typed in full-width digits, then it is accepted', async () => {
    const { verificationId, code } = await requestCode();
    const wide = code.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    expect(await confirm(verificationId, ` ${wide} `)).toMatchObject({ ok: true });
  });

  it(`When ${CODE_MINUTES} minutes have passed, then the code is refused as expired (and a second before, it works)`, async () => {
    const late = await requestCode();
    expect(await confirm(late.verificationId, late.code, { now: minutesLater(CODE_MINUTES) })).toEqual({ ok: false, reason: 'expired' });
    const justInTime = await requestCode();
    expect(await confirm(justInTime.verificationId, justInTime.code, { now: new Date(minutesLater(CODE_MINUTES).getTime() - 1000) })).toMatchObject({ ok: true });
  });

  it('When the right code is replayed from another session, then it is refused and the try still counts', async () => {
    const { verificationId, code } = await requestCode({ sessionNonce: 'session-a' });
    expect(await confirm(verificationId, code, { sessionNonce: 'session-b' })).toEqual({ ok: false, reason: 'invalid' });
    expect(await attemptsOn(verificationId)).toBe(1);
    expect(await confirm(verificationId, code, { sessionNonce: 'session-a' })).toMatchObject({ ok: true });
  });

  it('When the code or the verification is wrong, then the answers say only "invalid", and after the allowed tries even the right code is refused', async () => {
    const { verificationId, code } = await requestCode();
    expect(await confirm('00000000-0000-4000-8000-000000000000', code)).toEqual({ ok: false, reason: 'invalid' });
    expect(await confirm('not-a-verification', code)).toEqual({ ok: false, reason: 'invalid' });
    for (let n = 1; n <= MAX_CONFIRM_ATTEMPTS; n += 1) expect(await confirm(verificationId, wrongFor(code, n))).toEqual({ ok: false, reason: 'invalid' });
    expect(await confirm(verificationId, code)).toEqual({ ok: false, reason: 'too_many' });
    expect(await attemptsOn(verificationId)).toBe(MAX_CONFIRM_ATTEMPTS);
  });

  it('When every refusal is shown, then each has a Japanese message', () => {
    const t = translator();
    for (const reason of VERIFY_REFUSALS) expect(t(`citizen.verify.error.${reason}`), reason).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
  });
});

describe('email verification: bursts fired at the same moment', () => {
  it(`When 50 guesses at one code arrive at once, then at most ${MAX_CONFIRM_ATTEMPTS} are checked, and the right code sent afterwards is refused`, async () => {
    const { verificationId, code } = await requestCode();
    const results = await Promise.all(Array.from({ length: 50 }, (_, n) => confirm(verificationId, wrongFor(code, n + 1))));
    expect(results.filter((result) => !result.ok && result.reason === 'invalid')).toHaveLength(MAX_CONFIRM_ATTEMPTS);
    expect(results.filter((result) => !result.ok && result.reason === 'too_many')).toHaveLength(50 - MAX_CONFIRM_ATTEMPTS);
    expect(await attemptsOn(verificationId)).toBe(MAX_CONFIRM_ATTEMPTS);
    expect(await confirm(verificationId, code)).toEqual({ ok: false, reason: 'too_many' });
  });

  it(`When the right code is hidden among 50 guesses arriving at once, then at most ${MAX_CONFIRM_ATTEMPTS} are checked and it succeeds only if it was among them`, async () => {
    const { verificationId, code } = await requestCode();
    const guesses = Array.from({ length: 50 }, (_, n) => (n === 25 ? code : wrongFor(code, n + 1)));
    const results = await Promise.all(guesses.map((guess) => confirm(verificationId, guess)));
    const checked = results.filter((result) => result.ok || result.reason === 'invalid');
    expect(checked.length).toBeLessThanOrEqual(MAX_CONFIRM_ATTEMPTS);
    expect(results.filter((result) => result.ok).length).toBeLessThanOrEqual(1);
    expect(await attemptsOn(verificationId)).toBeLessThanOrEqual(MAX_CONFIRM_ATTEMPTS);
    // The right code succeeded only if it was counted before the tries ran out (then the rest met a used code).
    if (results[25].ok) expect(results.filter((result) => !result.ok && result.reason === 'used').length).toBe(50 - checked.length);
    else expect(results.filter((result) => !result.ok && result.reason === 'too_many')).toHaveLength(50 - MAX_CONFIRM_ATTEMPTS);
  });

  it('When the right code is sent 20 times at once, then it works exactly once', async () => {
    const { verificationId, code } = await requestCode();
    const results = await Promise.all(Array.from({ length: 20 }, () => confirm(verificationId, code)));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok && result.reason === 'used')).toHaveLength(19);
  });

  it(`When 30 codes are asked for from one address at once, then only ${REQUESTS_PER_ADDRESS} are created and mailed, the rest throttled`, async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => request({ ip: '198.51.100.7' })));
    expect(results.filter((result) => result.ok)).toHaveLength(REQUESTS_PER_ADDRESS);
    expect(results.filter((result) => !result.ok && result.reason === 'throttled')).toHaveLength(30 - REQUESTS_PER_ADDRESS);
    expect(await counts()).toEqual({ verifications: REQUESTS_PER_ADDRESS, mails: REQUESTS_PER_ADDRESS });
  });

  it(`When 30 codes are asked for one email address at once from many addresses, then only ${REQUESTS_PER_EMAIL} are created and mailed, the rest throttled`, async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, n) => request({ email: 'target@example.jp', ip: `203.0.113.${n + 1}` })));
    expect(results.filter((result) => result.ok)).toHaveLength(REQUESTS_PER_EMAIL);
    expect(results.filter((result) => !result.ok && result.reason === 'throttled')).toHaveLength(30 - REQUESTS_PER_EMAIL);
    expect(await counts()).toEqual({ verifications: REQUESTS_PER_EMAIL, mails: REQUESTS_PER_EMAIL });
    // The address is named in the budget only by its hash.
    const keys = await db.pool.query<{ key: string }>(`SELECT key FROM citizen_login_throttles WHERE key LIKE 'verify-email:%'`);
    expect(keys.rows).toEqual([{ key: `verify-email:${emailDigest('target@example.jp')}` }]);
  });
});

describe('email verification: procedures', () => {
  it.each([
    ['needs a notice ID', 'pickup'],
    ['is retired', 'old-renewal'],
    ['does not exist', 'no-such-procedure'],
  ])('When the procedure %s, then the request is refused and nothing is created', async (_, procedureCode) => {
    expect(await request({ procedureCode })).toEqual({ ok: false, reason: 'procedure_unavailable' });
    expect(await counts()).toEqual({ verifications: 0, mails: 0 });
  });
});

describe('email verification: housekeeping', () => {
  it('When verifications are more than a day old, then housekeeping deletes them and empties their sent code mails; newer ones, and mail not yet sent, stay', async () => {
    const [old, recent, unsent] = [await requestCode(), await requestCode(), await requestCode()];
    const age = (id: string, hours: number) =>
      db.pool.query(
        `WITH v AS (UPDATE email_verifications SET created_at = $2 WHERE id = $1 RETURNING id)
         UPDATE outbox_messages SET created_at = $2, status = CASE WHEN $3 THEN 'sent'::outbox_status ELSE status END WHERE dedupe_key = 'email-verification:' || $1`,
        [id, new Date(now.getTime() - hours * 3_600_000), id !== unsent.verificationId],
      );
    await age(old.verificationId, 25);
    await age(recent.verificationId, 23);
    await age(unsent.verificationId, 25);
    const result = await transaction(db, { type: 'system', id: 'test' }, (tx) => pruneEmailVerifications(tx, now));
    expect(result).toEqual({ verificationsPruned: 2, codeMailsEmptied: 1 });
    const left = await db.pool.query<{ id: string }>(`SELECT id FROM email_verifications`);
    expect(left.rows.map((row) => row.id)).toEqual([recent.verificationId]);
    const bodies = await db.pool.query<{ key: string; text: string }>(`SELECT dedupe_key AS key, text_body AS text FROM outbox_messages ORDER BY id`);
    const emptied = (row: { key: string; text: string }) => row.key === `email-verification:${old.verificationId}`;
    expect(bodies.rows.find(emptied)?.text).toBe('');
    expect(bodies.rows.filter((row) => !emptied(row)).map((row) => /確認コード: \d{6}/.test(row.text))).toEqual([true, true]);
    expect(await confirm(recent.verificationId, recent.code)).toMatchObject({ ok: true });
  });
});
