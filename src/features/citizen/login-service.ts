// Citizen log-in with the notice ID and the birth month/day (only 366 values), defended by
// counts kept in PostgreSQL so they hold across app processes and restarts:
// - per notice ID: a short lock after every CITIZEN_LOCK_AFTER failures, and after
//   CITIZEN_MAX_FAILURES in total the ID stays locked until staff unlock it;
// - per client address: at most ADDRESS_MAX_FAILURES failures per window.
// An unknown ID gets the same answer after the same work (its failures are counted too).
// Each attempt is counted atomically (one statement) before its answer can be learnt, so a
// burst of requests fired at the same moment learns no more than the counts allow. An attempt
// is one transaction (one commit): its counts are committed before its answer is told, and the
// rows it counts on stay locked until then, so attempts at the same moment wait for each other.
import type { Database } from '../../db/client.js';
import { transaction, type SqlTx, type Tx } from '../../db/transaction.js';
import { budgetSpent, reserveAttempt, type AttemptBudget } from '../../lib/attempt-budget.js';
import { noticeIdOf } from '../../lib/notice-id.js';
import { toHalfWidth } from '../../lib/width.js';
import { recordAudit, type AuditEntry } from '../staff/audit.js';
import { birthKey, birthKeyMatches } from './birth-key.js';

export const CITIZEN_LOCK_AFTER = 5;
export const CITIZEN_LOCK_MINUTES = 15;
export const CITIZEN_MAX_FAILURES = 10;
export const ADDRESS_MAX_FAILURES = 30;
export const ADDRESS_WINDOW_MINUTES = 15;

export type CitizenLoginResult =
  /** sessionGeneration: the card holder's, for the session cookie (log-out bumps it). */
  { ok: true; cardHolderId: number; sessionGeneration: number } | { ok: false; reason: 'invalid' | 'locked' | 'locked_until_unlocked' | 'throttled' };

/** Birth month/day as typed: 0401, ０４０１, 04/01, 4月1日, 4-1 all become 0401. */
export function normaliseMonthDay(value: string): string {
  const half = toHalfWidth(value).trim();
  const parts = half.match(/^(\d{1,2})\s*[/\-.月／・\s]\s*(\d{1,2})\s*日?$/);
  if (parts) return parts[1].padStart(2, '0') + parts[2].padStart(2, '0');
  return half.replace(/\s/g, '');
}

const addressBudget = (ip: string) => ({ key: `ip:${ip}`, max: ADDRESS_MAX_FAILURES, windowMinutes: ADDRESS_WINDOW_MINUTES });

interface LockState {
  failures: number;
  lockedUntil: Date | null;
}

/** How a log-in with this ID is met now: locked for a while, locked until staff unlock it, or open. */
export function lockReason(state: LockState | null, now: Date): 'locked' | 'locked_until_unlocked' | null {
  if (!state) return null;
  if (state.failures >= CITIZEN_MAX_FAILURES) return 'locked_until_unlocked';
  if (state.lockedUntil && state.lockedUntil > now) return 'locked';
  return null;
}

/**
 * Reserves one attempt against the ID before its birth date is checked (a card holder, or an
 * unknown ID kept aside): one statement that counts the attempt, sets the short lock on every
 * CITIZEN_LOCK_AFTER-th, and refuses while locked. Returns the new count, or null when refused.
 */
async function reserveIdAttempt(tx: SqlTx, cardHolderId: number | null, noticeId: string): Promise<number | null> {
  const rows = cardHolderId
    ? await tx.query<{ failures: number }>(RESERVE_HOLDER_ATTEMPT, [cardHolderId, CITIZEN_LOCK_AFTER, CITIZEN_LOCK_MINUTES, CITIZEN_MAX_FAILURES])
    : await tx.query<{ failures: number }>(RESERVE_UNKNOWN_ATTEMPT, [`id:${noticeId}`, CITIZEN_LOCK_AFTER, CITIZEN_LOCK_MINUTES, CITIZEN_MAX_FAILURES]);
  return rows[0]?.failures ?? null;
}

const RESERVE_HOLDER_ATTEMPT = `
  UPDATE card_holders SET failed_logins = failed_logins + 1, updated_at = now(),
    locked_until = CASE WHEN (failed_logins + 1) % $2::int = 0 THEN now() + make_interval(mins => $3::int) ELSE locked_until END
  WHERE id = $1::int AND failed_logins < $4::int AND (locked_until IS NULL OR locked_until <= now())
  RETURNING failed_logins AS failures`;
const RESERVE_UNKNOWN_ATTEMPT = `
  INSERT INTO citizen_login_throttles AS t (key, failures, locked_until) VALUES ($1, 1, NULL)
  ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1,
    locked_until = CASE WHEN (t.failures + 1) % $2::int = 0 THEN now() + make_interval(mins => $3::int) ELSE t.locked_until END
  WHERE t.failures < $4::int AND (t.locked_until IS NULL OR t.locked_until <= now())
  RETURNING failures`;

/** Why a reservation was refused: the total cap (until staff unlock) or the short lock. */
async function refusalReason(tx: SqlTx, cardHolderId: number | null, noticeId: string): Promise<'locked' | 'locked_until_unlocked'> {
  const [row] = cardHolderId
    ? await tx.query<{ failures: number }>(`SELECT failed_logins AS failures FROM card_holders WHERE id = $1::int`, [cardHolderId])
    : await tx.query<{ failures: number }>(`SELECT failures FROM citizen_login_throttles WHERE key = $1`, [`id:${noticeId}`]);
  return (row?.failures ?? 0) >= CITIZEN_MAX_FAILURES ? 'locked_until_unlocked' : 'locked';
}

const DUMMY_KEY = birthKey('not-a-real-pepper-not-a-real-pepper', 'none', '0000');

const THROTTLED = { ok: false, reason: 'throttled' } as const;

/**
 * Checks a notice ID and birth month/day. Never says whether the ID exists.
 * - The ID's attempt is reserved before the check (a burst for one ID is checked at most until
 *   its lock); a right answer clears the ID's count.
 * - The client address counts failures: a wrong answer is told only when its failure could be
 *   counted within the address's budget (one atomic statement, before answering); a right one
 *   only while that budget is not spent. So right answers from many people behind one address
 *   at the same moment do not throttle each other, and a burst learns at most the budget's
 *   worth of wrong answers.
 */
export async function authenticateCitizen(database: Database, pepper: string, rawNoticeId: string, rawMonthDay: string, ip: string): Promise<CitizenLoginResult> {
  const noticeId = noticeIdOf(rawNoticeId).slice(0, 64);
  const mmdd = normaliseMonthDay(rawMonthDay).slice(0, 8);
  // Who tries is known only once the ID is looked up, inside the transaction; its audit rows name them.
  return transaction(database, { type: 'citizen', id: 'unknown', ip }, (tx) => checkAnswer(tx, { pepper, noticeId, mmdd, ip }), { models: false });
}

interface Attempt {
  pepper: string;
  noticeId: string;
  mmdd: string;
  ip: string;
}

async function checkAnswer(tx: SqlTx, { pepper, noticeId, mmdd, ip }: Attempt): Promise<CitizenLoginResult> {
  const address = addressBudget(ip);
  // Two reads that need no answer from each other go out together (the connection pipelines them).
  const [spent, [holder]] = await Promise.all([
    budgetSpent(tx, address),
    tx.query<{ id: number; birthKey: string }>(`SELECT id, birth_key AS "birthKey" FROM card_holders WHERE notice_id = $1`, [noticeId]),
  ]);
  if (spent) return THROTTLED;
  const audit = (entry: AuditEntry) => recordAudit(tx, entry, { type: 'citizen', id: holder ? String(holder.id) : 'unknown', ip });
  const failures = await reserveIdAttempt(tx, holder?.id ?? null, noticeId);
  if (failures === null) {
    await reserveAttempt(tx, address); // trying a locked ID still counts against the address
    await audit({ action: 'citizen.login.locked' });
    return { ok: false, reason: await refusalReason(tx, holder?.id ?? null, noticeId) };
  }
  if (birthKeyMatches(pepper, noticeId, mmdd, holder?.birthKey ?? DUMMY_KEY) && holder) return loginSucceeded(tx, holder.id, address, audit);
  if ((await reserveAttempt(tx, address)) === null) {
    await audit({ action: 'citizen.login.throttled' });
    return THROTTLED;
  }
  await audit({ action: 'citizen.login.failed' });
  if (failures >= CITIZEN_MAX_FAILURES) return { ok: false, reason: 'locked_until_unlocked' };
  return { ok: false, reason: failures % CITIZEN_LOCK_AFTER === 0 ? 'locked' : 'invalid' };
}

/** A right answer logs in, unless the address has spent its budget (it may be a burst's guess). */
async function loginSucceeded(tx: SqlTx, cardHolderId: number, address: AttemptBudget, audit: (entry: AuditEntry) => Promise<void>): Promise<CitizenLoginResult> {
  if (await budgetSpent(tx, address)) {
    await audit({ action: 'citizen.login.throttled' });
    return THROTTLED;
  }
  const [[cleared]] = await Promise.all([
    tx.query<{ generation: number }>(
      `UPDATE card_holders SET failed_logins = 0, locked_until = NULL, updated_at = now() WHERE id = $1 RETURNING session_generation AS generation`,
      [cardHolderId],
    ),
    audit({ action: 'citizen.login', targetType: 'card_holder', targetId: cardHolderId }),
  ]);
  return { ok: true, cardHolderId, sessionGeneration: cleared.generation };
}

/** Staff (the transaction's actor) unlock an ID after checking the caller's identity on the phone or at the counter. */
export async function unlockCitizenLogin(tx: Tx, cardHolderId: number): Promise<void> {
  await tx.db.cardHolder.update({ where: { id: cardHolderId }, data: { failedLogins: 0, lockedUntil: null } });
  await recordAudit(tx, { action: 'citizen.login.unlock', targetType: 'card_holder', targetId: cardHolderId });
}
