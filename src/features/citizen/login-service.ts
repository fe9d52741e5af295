// Citizen log-in with the notice ID and the birth month/day (only 366 values), defended by
// counts kept in PostgreSQL so they hold across app processes and restarts:
// - per notice ID: a short lock after every CITIZEN_LOCK_AFTER failures, and after
//   CITIZEN_MAX_FAILURES in total the ID stays locked until staff unlock it;
// - per client address: at most ADDRESS_MAX_FAILURES failures per window.
// An unknown ID gets the same answer after the same work (its failures are counted too).
// Each attempt is counted atomically BEFORE the birth date is checked, so a burst of requests
// fired at the same moment is checked at most as often as the counts allow.
import type { Db, DbTx } from '../../db/client.js';
import { birthKey, birthKeyMatches } from '../cards/birth-key.js';
import { recordAudit } from '../staff/audit.js';
import { giveBackAttempt, reserveAttempt } from './attempt-budget.js';

export const CITIZEN_LOCK_AFTER = 5;
export const CITIZEN_LOCK_MINUTES = 15;
export const CITIZEN_MAX_FAILURES = 10;
export const ADDRESS_MAX_FAILURES = 30;
export const ADDRESS_WINDOW_MINUTES = 15;

export type CitizenLoginResult =
  | { ok: true; cardHolderId: number }
  | { ok: false; reason: 'invalid' | 'locked' | 'locked_until_unlocked' | 'throttled' };

/** Notice IDs as typed: full-width digits, spaces and hyphens are forgiven. */
export function normaliseNoticeId(value: string): string {
  return value.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[\s\-‐－ー−_]/g, '').toUpperCase();
}

/** Birth month/day as typed: 0401, ０４０１, 04/01, 4月1日, 4-1 all become 0401. */
export function normaliseMonthDay(value: string): string {
  const half = value.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).trim();
  const parts = half.match(/^(\d{1,2})\s*[\/\-.月／・\s]\s*(\d{1,2})\s*日?$/);
  if (parts) return parts[1].padStart(2, '0') + parts[2].padStart(2, '0');
  return half.replace(/\s/g, '');
}

const addressBudget = (ip: string) => ({ key: `ip:${ip}`, max: ADDRESS_MAX_FAILURES, windowMinutes: ADDRESS_WINDOW_MINUTES });

/**
 * Reserves one attempt against the ID before its birth date is checked (a card holder, or an
 * unknown ID kept aside): one statement that counts the attempt, sets the short lock on every
 * CITIZEN_LOCK_AFTER-th, and refuses while locked. Returns the new count, or null when refused.
 */
async function reserveIdAttempt(db: DbTx, cardHolderId: number | null, noticeId: string): Promise<number | null> {
  const rows = cardHolderId
    ? await db.$queryRaw<{ failures: number }[]>`
        UPDATE card_holders SET failed_logins = failed_logins + 1, updated_at = now(),
          locked_until = CASE WHEN (failed_logins + 1) % ${CITIZEN_LOCK_AFTER} = 0
                              THEN now() + make_interval(mins => ${CITIZEN_LOCK_MINUTES}) ELSE locked_until END
        WHERE id = ${cardHolderId} AND failed_logins < ${CITIZEN_MAX_FAILURES} AND (locked_until IS NULL OR locked_until <= now())
        RETURNING failed_logins AS failures`
    : await db.$queryRaw<{ failures: number }[]>`
        INSERT INTO citizen_login_throttles AS t (key, failures, locked_until) VALUES (${`id:${noticeId}`}, 1, NULL)
        ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1,
          locked_until = CASE WHEN (t.failures + 1) % ${CITIZEN_LOCK_AFTER} = 0
                              THEN now() + make_interval(mins => ${CITIZEN_LOCK_MINUTES}) ELSE t.locked_until END
        WHERE t.failures < ${CITIZEN_MAX_FAILURES} AND (t.locked_until IS NULL OR t.locked_until <= now())
        RETURNING failures`;
  return rows[0]?.failures ?? null;
}

/** Why a reservation was refused: the total cap (until staff unlock) or the short lock. */
async function refusalReason(db: DbTx, cardHolderId: number | null, noticeId: string): Promise<'locked' | 'locked_until_unlocked'> {
  const [row] = cardHolderId
    ? await db.$queryRaw<{ failures: number }[]>`SELECT failed_logins AS failures FROM card_holders WHERE id = ${cardHolderId}`
    : await db.$queryRaw<{ failures: number }[]>`SELECT failures FROM citizen_login_throttles WHERE key = ${`id:${noticeId}`}`;
  return (row?.failures ?? 0) >= CITIZEN_MAX_FAILURES ? 'locked_until_unlocked' : 'locked';
}

const DUMMY_KEY = birthKey('not-a-real-pepper-not-a-real-pepper', 'none', '0000');

/**
 * Checks a notice ID and birth month/day. Never says whether the ID exists. Every check is
 * first reserved against the client address and the ID; a right answer gives the address its
 * attempt back and clears the ID's count.
 */
export async function authenticateCitizen(db: Db, pepper: string, rawNoticeId: string, rawMonthDay: string, ip: string): Promise<CitizenLoginResult> {
  const noticeId = normaliseNoticeId(rawNoticeId).slice(0, 64);
  const mmdd = normaliseMonthDay(rawMonthDay).slice(0, 8);
  const address = addressBudget(ip);
  if ((await reserveAttempt(db, address)) === null) return { ok: false, reason: 'throttled' };
  const holder = await db.cardHolder.findUnique({ where: { noticeId }, select: { id: true, birthKey: true } });
  const actor = { type: 'citizen' as const, id: holder ? String(holder.id) : 'unknown', ip };
  const failures = await reserveIdAttempt(db, holder?.id ?? null, noticeId);
  if (failures === null) {
    await recordAudit(db, actor, { action: 'citizen.login.locked' });
    return { ok: false, reason: await refusalReason(db, holder?.id ?? null, noticeId) };
  }
  if (birthKeyMatches(pepper, noticeId, mmdd, holder?.birthKey ?? DUMMY_KEY) && holder) {
    await db.cardHolder.update({ where: { id: holder.id }, data: { failedLogins: 0, lockedUntil: null } });
    await giveBackAttempt(db, address.key);
    await recordAudit(db, actor, { action: 'citizen.login', targetType: 'card_holder', targetId: holder.id });
    return { ok: true, cardHolderId: holder.id };
  }
  await recordAudit(db, actor, { action: 'citizen.login.failed' });
  if (failures >= CITIZEN_MAX_FAILURES) return { ok: false, reason: 'locked_until_unlocked' };
  return { ok: false, reason: failures % CITIZEN_LOCK_AFTER === 0 ? 'locked' : 'invalid' };
}

/** Staff unlock an ID after checking the caller's identity on the phone or at the counter. */
export async function unlockCitizenLogin(db: Db, cardHolderId: number, actor: { type: 'staff'; id: string; ip?: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.cardHolder.update({ where: { id: cardHolderId }, data: { failedLogins: 0, lockedUntil: null } });
    await recordAudit(tx, actor, { action: 'citizen.login.unlock', targetType: 'card_holder', targetId: cardHolderId });
  });
}
