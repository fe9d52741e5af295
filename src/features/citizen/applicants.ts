// A person who books a procedure that needs no notice ID (docs/decisions/0016) says who they are
// with what the city chose (APPLICANT_IDENTITY): the name in kana and the birth date, or the
// name in kana and a phone number. They are found again by a keyed hash of those fields, so one
// person always has one row (and so one open booking per procedure). The birth date is never
// stored, only its HMAC; the audit log names the row, never the fields.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { SqlTx } from '../../db/transaction.js';
import { now as clockNow } from '../../lib/clock.js';
import { todayInJapan } from '../../lib/jst.js';
import { isCalendarDate, requiredLineSchema } from '../../lib/validation.js';
import { toHalfWidth } from '../../lib/width.js';
import { recordAudit } from '../staff/audit.js';
import { citizenActorId } from './session.js';

export const IDENTITY_MODES = ['kana-birth', 'phone'] as const;
export type IdentityMode = (typeof IDENTITY_MODES)[number];

export type Identity = { mode: 'kana-birth'; nameKana: string; birthDate: string } | { mode: 'phone'; nameKana: string; phone: string };

const MAX_KANA = 50;

/** The name as katakana without spaces: half-width kana widened (NFKC), hiragana turned to katakana. */
export function normaliseKana(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u3041-\u3096\u309d\u309e]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0x60))
    .replace(/[\s\u3000]/g, '');
}

/** Katakana letters, the long-vowel mark and the middle dot of foreign names; nothing else. */
const isKatakana = (text: string) => /^[\u30a1-\u30fe]+$/.test(text);

const compactDigits = (typed: string) => toHalfWidth(typed).replace(/[\s/.-]/g, '');

/** 'YYYY-MM-DD' from eight digits as typed (full-width digits and separators allowed), or null. */
export function birthDateOf(typed: string, today = todayInJapan()): string | null {
  const digits = compactDigits(typed);
  if (!/^\d{8}$/.test(digits)) return null;
  const date = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`;
  return isCalendarDate(date) && date <= today ? date : null;
}

/** The digits of a Japanese phone number (0 and 9 or 10 more digits; hyphens and spaces dropped), or null. */
export function phoneDigitsOf(typed: string): string | null {
  const digits = toHalfWidth(typed).replace(/[\s\u2010-\u2015\u2212\u30fc-]/g, '');
  return /^0\d{9,10}$/.test(digits) ? digits : null;
}

const error = (name: string) => `citizen.identity.error.${name}`;

const nameKana = requiredLineSchema(100, error('kanaRequired'), error('kana'))
  .transform(normaliseKana)
  .refine((kana) => kana.length <= MAX_KANA && isKatakana(kana), error('kana'));

const birthDate = requiredLineSchema(32, error('birthRequired'), error('birthFormat'))
  .refine((typed) => /^\d{8}$/.test(compactDigits(typed)), error('birthFormat'))
  .transform((typed, context) => birthDateOf(typed) ?? (context.addIssue({ code: 'custom', message: error('birthDate') }), z.NEVER));

const phone = requiredLineSchema(32, error('phoneRequired'), error('phone')).transform(
  (typed, context) => phoneDigitsOf(typed) ?? (context.addIssue({ code: 'custom', message: error('phone') }), z.NEVER),
);

/** The identity form of each mode; messages are translation keys. */
export const identityForms = {
  'kana-birth': z.object({ nameKana, birthDate }).transform((fields) => ({ mode: 'kana-birth' as const, ...fields })),
  phone: z.object({ nameKana, phone }).transform((fields) => ({ mode: 'phone' as const, ...fields })),
} satisfies Record<IdentityMode, z.ZodType<Identity>>;

const hmac = (pepper: string, text: string) => createHmac('sha256', pepper).update(text).digest('base64url');

/** The key one person is found by: the normalised fields of the mode, tagged with it (a phone never meets a birth date). */
export function personKey(pepper: string, identity: Identity): string {
  const fields = identity.mode === 'kana-birth' ? [identity.nameKana, identity.birthDate] : [identity.phone];
  return hmac(pepper, [identity.mode, ...fields].join('\u0000'));
}

/** The birth date as stored: its HMAC (the date itself is never kept). */
export const applicantBirthKey = (pepper: string, birthDate: string) => hmac(pepper, `applicant-birth-date\u0000${birthDate}`);

/**
 * The applicant row of this person, made on first use, in the caller's transaction. Requests
 * for the same person at the same moment meet on the unique person key and get the one row;
 * the name stays as first given.
 */
export async function findOrCreateApplicant(tx: SqlTx, pepper: string, identity: Identity): Promise<{ applicantId: number; created: boolean }> {
  const [row] = await tx.query<{ id: number; created: boolean }>(
    `INSERT INTO applicants (person_key, name_kana, birth_key, phone, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (person_key) DO UPDATE SET updated_at = now()
     RETURNING id, (xmax = 0) AS created`,
    [
      personKey(pepper, identity),
      identity.nameKana,
      identity.mode === 'kana-birth' ? applicantBirthKey(pepper, identity.birthDate) : null,
      identity.mode === 'phone' ? identity.phone : null,
    ],
  );
  await recordAudit(
    tx,
    { action: 'citizen.applicant.identified', targetType: 'applicant', targetId: row.id, detail: { mode: identity.mode, created: row.created } },
    { ...tx.actor, id: citizenActorId({ applicantId: row.id }) },
  );
  return { applicantId: row.id, created: row.created };
}

/** How long after its code was confirmed a verification may still be used to say who one is. */
export const IDENTIFY_WITHIN_MINUTES = 30;

export interface Identification {
  verificationId: string;
  procedureCode: string;
  email: string;
  identity: Identity;
  now?: Date;
}

/**
 * The applicant of a confirmed email verification (for this procedure and address, not ended by
 * a log-out, confirmed a short while ago, not used by an identity step before: marked so here by
 * one guarded UPDATE), or null when the verification does not allow it.
 */
export async function identifyApplicant(tx: SqlTx, pepper: string, identification: Identification): Promise<number | null> {
  const { verificationId, procedureCode, email, identity, now = clockNow() } = identification;
  const confirmed = await tx.query(
    `UPDATE email_verifications SET identified_at = $4::timestamptz
     WHERE id = $1::uuid AND procedure_code = $2 AND email = $3 AND ended_at IS NULL AND identified_at IS NULL
       AND used_at > $4::timestamptz - make_interval(mins => $5::int)
     RETURNING 1`,
    [verificationId, procedureCode, email, now, IDENTIFY_WITHIN_MINUTES],
  );
  if (confirmed.length === 0) return null;
  return (await findOrCreateApplicant(tx, pepper, identity)).applicantId;
}
