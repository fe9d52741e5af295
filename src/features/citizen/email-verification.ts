// A citizen who books a procedure without a notice ID first proves an email address: a 6-digit
// code is mailed to it, good once, for CODE_MINUTES, and only in the session that asked for it
// (the caller keeps a random session nonce). The code is stored only as an HMAC.
// Anti-abuse as for the log-in, without CAPTCHA: requests are counted per client address and per
// email address, reserved atomically before anything is created; each confirmation is counted
// on its verification (one guarded UPDATE) before the code is compared, so guesses fired at the
// same moment check at most MAX_CONFIRM_ATTEMPTS.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../db/client.js';
import { transaction, type SqlTx } from '../../db/transaction.js';
import type { Actor } from '../../lib/actor.js';
import { reserveAttempt } from '../../lib/attempt-budget.js';
import { now as clockNow } from '../../lib/clock.js';
import { translator } from '../../lib/i18n.js';
import { languageOf } from '../../lib/languages.js';
import { randomCode } from '../../lib/random-code.js';
import { toHalfWidth } from '../../lib/width.js';
import type { Secrets } from '../../secrets.js';
import { enqueueMail } from '../notify/outbox.js';
import { keyedText, recordAudit } from '../staff/audit.js';

export const CODE_LENGTH = 6;
export const CODE_MINUTES = 15;
export const MAX_CONFIRM_ATTEMPTS = 5;
export const REQUESTS_PER_ADDRESS = 10;
export const REQUESTS_PER_EMAIL = 5;
export const REQUEST_WINDOW_MINUTES = 60;

export type RequestRefusal = 'procedure_unavailable' | 'throttled';
export type ConfirmRefusal = 'invalid' | 'expired' | 'used' | 'too_many';
/** Every refusal, for the check that each has a message people can read: t(`citizen.verify.error.<reason>`). */
export const VERIFY_REFUSALS: readonly (RequestRefusal | ConfirmRefusal)[] = ['procedure_unavailable', 'throttled', 'invalid', 'expired', 'used', 'too_many'];

export type RequestCodeResult = { ok: true; verificationId: string } | { ok: false; reason: RequestRefusal };
export type ConfirmCodeResult = { ok: true; email: string; procedureCode: string } | { ok: false; reason: ConfirmRefusal };

export interface CodeRequest {
  email: string;
  procedureCode: string;
  sessionNonce: string;
  ip: string;
  baseUrl: string;
  /** The language of the page the code was asked for on: the mail is in it. */
  language?: string;
  now?: Date;
}

export interface CodeConfirmation {
  verificationId: string;
  code: string;
  sessionNonce: string;
  ip: string;
  now?: Date;
}

/** Trimmed, with the domain lower-cased (the local part may be case-sensitive). */
export function normaliseEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : trimmed.slice(0, at) + trimmed.slice(at).toLowerCase();
}

/** How an email address is named where it must not appear in plain (budget keys, audit rows). */
export const emailDigest = (normalisedEmail: string) => createHash('sha256').update(normalisedEmail).digest('hex');

const codeKey = (secrets: Secrets) => Buffer.from(hkdfSync('sha256', secrets.sessionSecret, 'mynumber-booking', 'email-verification-code/v1', 32));
const codeHash = (secrets: Secrets, code: string) => createHmac('sha256', codeKey(secrets)).update(code).digest('hex');

const citizen = (ip: string): Actor => ({ type: 'citizen', id: 'unknown', ip });

/** Mails a code for this email and procedure, unless the procedure is not bookable this way or a budget is spent. */
export async function requestEmailCode(database: Database, secrets: Secrets, request: CodeRequest): Promise<RequestCodeResult> {
  const email = normaliseEmail(request.email);
  return transaction(database, citizen(request.ip), (tx) => createVerification(tx, secrets, { ...request, email }), { models: false });
}

async function createVerification(tx: SqlTx, secrets: Secrets, request: CodeRequest): Promise<RequestCodeResult> {
  const { email, procedureCode, sessionNonce, ip, baseUrl, now = clockNow() } = request;
  const [procedure] = await tx.query<{ name: string }>(`SELECT name FROM procedures WHERE code = $1 AND retired_at IS NULL AND NOT needs_notice_id`, [procedureCode]);
  if (!procedure) return { ok: false, reason: 'procedure_unavailable' };
  const digest = emailDigest(email);
  // Counted before anything is created: a spent budget leaves only its count behind.
  if ((await reserveAttempt(tx, { key: `verify-ip:${ip}`, max: REQUESTS_PER_ADDRESS, windowMinutes: REQUEST_WINDOW_MINUTES })) === null) return THROTTLED;
  if ((await reserveAttempt(tx, { key: `verify-email:${digest}`, max: REQUESTS_PER_EMAIL, windowMinutes: REQUEST_WINDOW_MINUTES })) === null) return THROTTLED;
  const code = randomCode(CODE_LENGTH, '0123456789');
  const [{ id }] = await tx.query<{ id: string }>(
    `INSERT INTO email_verifications (email, procedure_code, session_nonce, code_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5::timestamptz + make_interval(mins => $6::int)) RETURNING id`,
    [email, procedureCode, sessionNonce, codeHash(secrets, code), now, CODE_MINUTES],
  );
  await Promise.all([
    enqueueMail(tx, { dedupeKey: `email-verification:${id}`, kind: 'email.verification', to: email, ...codeMail(code, procedure.name, baseUrl, request.language) }),
    recordAudit(tx, {
      action: 'citizen.email.requested',
      targetType: 'email_verification',
      targetId: id,
      detail: { email: keyedText(secrets.birthDatePepper, email), procedureCode },
    }),
  ]);
  return { ok: true, verificationId: id };
}

const THROTTLED = { ok: false, reason: 'throttled' } as const;

function codeMail(code: string, procedure: string, baseUrl: string, language?: string): { subject: string; text: string } {
  const t = translator(languageOf(language).code);
  const text = [
    t('citizen.verify.mail.lead', { procedure }),
    '',
    t('citizen.verify.mail.code', { code }),
    t('citizen.verify.mail.validity', { minutes: CODE_MINUTES }),
    '',
    t('citizen.verify.mail.notYou'),
    t('citizen.verify.mail.site', { url: baseUrl }),
    '',
    t('mail.footer'),
  ].join('\n');
  return { subject: t('citizen.verify.mail.subject'), text };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a code once (single use), in the session that asked for it; never says whether the email exists. */
export async function confirmEmailCode(database: Database, secrets: Secrets, confirmation: CodeConfirmation): Promise<ConfirmCodeResult> {
  if (!UUID.test(confirmation.verificationId)) return { ok: false, reason: 'invalid' };
  return transaction(database, citizen(confirmation.ip), (tx) => checkCode(tx, secrets, confirmation), { models: false });
}

interface Counted {
  email: string;
  procedureCode: string;
  sessionNonce: string;
  codeHash: string;
}

// The attempt is counted, and the row locked until commit, before the code is compared.
const COUNT_ATTEMPT = `
  UPDATE email_verifications SET attempts = attempts + 1
  WHERE id = $1::uuid AND used_at IS NULL AND expires_at > $2::timestamptz AND attempts < $3::int
  RETURNING email, procedure_code AS "procedureCode", session_nonce AS "sessionNonce", code_hash AS "codeHash"`;

async function checkCode(tx: SqlTx, secrets: Secrets, { verificationId, code, sessionNonce, now = clockNow() }: CodeConfirmation): Promise<ConfirmCodeResult> {
  const [row] = await tx.query<Counted>(COUNT_ATTEMPT, [verificationId, now, MAX_CONFIRM_ATTEMPTS]);
  if (!row) return refused(tx, verificationId, await whyNotCounted(tx, verificationId, now));
  const typed = toHalfWidth(code).replace(/\s/g, '');
  // Both are compared whatever the other's outcome, in constant time.
  const sameSession = sameText(sha256(row.sessionNonce), sha256(sessionNonce));
  const rightCode = sameText(row.codeHash, codeHash(secrets, typed));
  if (!(sameSession && rightCode)) return refused(tx, verificationId, 'invalid', { email: keyedText(secrets.birthDatePepper, row.email), otherSession: !sameSession });
  await Promise.all([
    tx.query(`UPDATE email_verifications SET used_at = $2::timestamptz WHERE id = $1::uuid`, [verificationId, now]),
    recordAudit(tx, {
      action: 'citizen.email.verified',
      targetType: 'email_verification',
      targetId: verificationId,
      detail: { email: keyedText(secrets.birthDatePepper, row.email), procedureCode: row.procedureCode },
    }),
  ]);
  return { ok: true, email: row.email, procedureCode: row.procedureCode };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Why the attempt could not be counted: an unknown id, a used code, an expired one, or one out of attempts. */
async function whyNotCounted(tx: SqlTx, verificationId: string, now: Date): Promise<ConfirmRefusal> {
  const [row] = await tx.query<{ used: boolean; expired: boolean }>(
    `SELECT used_at IS NOT NULL AS used, expires_at <= $2::timestamptz AS expired FROM email_verifications WHERE id = $1::uuid`,
    [verificationId, now],
  );
  if (!row) return 'invalid';
  if (row.used) return 'used';
  return row.expired ? 'expired' : 'too_many';
}

async function refused(tx: SqlTx, verificationId: string, reason: ConfirmRefusal, detail: Record<string, unknown> = {}): Promise<ConfirmCodeResult> {
  await recordAudit(tx, { action: 'citizen.email.failed', targetType: 'email_verification', targetId: verificationId, detail: { reason, ...detail } });
  return { ok: false, reason };
}

/** Verifications are kept a day: past any session they started (SESSION_ABSOLUTE_HOURS is at most 24). */
export const VERIFICATION_KEPT_HOURS = 24;

/**
 * Housekeeping: deletes verifications older than a day and empties the text of their code
 * mails once sent or given up (a code is worthless after CODE_MINUTES, and the address stays in
 * the mail log as for any mail).
 */
export async function pruneEmailVerifications(tx: SqlTx, now = clockNow()): Promise<{ verificationsPruned: number; codeMailsEmptied: number }> {
  const before = new Date(now.getTime() - VERIFICATION_KEPT_HOURS * 3_600_000);
  const [deleted, emptied] = await Promise.all([
    tx.query(`DELETE FROM email_verifications WHERE created_at < $1::timestamptz RETURNING id`, [before]),
    tx.query(
      `UPDATE outbox_messages SET text_body = '', html_body = NULL
       WHERE kind = 'email.verification' AND status <> 'pending' AND created_at < $1::timestamptz AND text_body <> '' RETURNING id`,
      [before],
    ),
  ]);
  return { verificationsPruned: deleted.length, codeMailsEmptied: emptied.length };
}
