// Citizen log-in with the notice ID and the birth month/day (only 366 values), defended by
// counts kept in PostgreSQL so they hold across app processes and restarts:
// - per notice ID: a short lock after every CITIZEN_LOCK_AFTER failures, and after
//   CITIZEN_MAX_FAILURES in total the ID stays locked until staff unlock it;
// - per client address: at most ADDRESS_MAX_FAILURES failures per window.
// An unknown ID gets the same answer after the same work (its failures are counted too).
import type { Db, DbTx } from '../../db/client.js';
import { noticeIdOf } from '../../lib/notice-id.js';
import { birthKey, birthKeyMatches } from '../cards/birth-key.js';
import { sqlOf } from '../booking/sql.js';
import { recordAudit } from '../staff/audit.js';

export const CITIZEN_LOCK_AFTER = 5;
export const CITIZEN_LOCK_MINUTES = 15;
export const CITIZEN_MAX_FAILURES = 10;
export const ADDRESS_MAX_FAILURES = 30;
export const ADDRESS_WINDOW_MINUTES = 15;

export type CitizenLoginResult =
  | { ok: true; cardHolderId: number }
  | { ok: false; reason: 'invalid' | 'locked' | 'locked_until_unlocked' | 'throttled' };

/** Birth month/day as typed: 0401, ０４０１, 04/01, 4月1日, 4-1 all become 0401. */
export function normaliseMonthDay(value: string): string {
  const half = value.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).trim();
  const parts = half.match(/^(\d{1,2})\s*[\/\-.月／・\s]\s*(\d{1,2})\s*日?$/);
  if (parts) return parts[1].padStart(2, '0') + parts[2].padStart(2, '0');
  return half.replace(/\s/g, '');
}

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

async function countAddressFailure(db: DbTx, ip: string): Promise<void> {
  await db.$executeRaw`
    INSERT INTO citizen_login_throttles (key, failures, window_started_at) VALUES (${`ip:${ip}`}, 1, now())
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN citizen_login_throttles.window_started_at > now() - make_interval(mins => ${ADDRESS_WINDOW_MINUTES})
                      THEN citizen_login_throttles.failures + 1 ELSE 1 END,
      window_started_at = CASE WHEN citizen_login_throttles.window_started_at > now() - make_interval(mins => ${ADDRESS_WINDOW_MINUTES})
                      THEN citizen_login_throttles.window_started_at ELSE now() END`;
}

/** Counts a failure against the ID (a card holder, or an unknown ID kept aside) and returns the new count. */
async function countIdFailure(db: DbTx, cardHolderId: number | null, noticeId: string): Promise<number> {
  const rows = cardHolderId
    ? await db.$queryRaw<{ failures: number }[]>`
        UPDATE card_holders SET failed_logins = failed_logins + 1, updated_at = now(),
          locked_until = CASE WHEN (failed_logins + 1) % ${CITIZEN_LOCK_AFTER} = 0
                              THEN now() + make_interval(mins => ${CITIZEN_LOCK_MINUTES}) ELSE locked_until END
        WHERE id = ${cardHolderId} RETURNING failed_logins AS failures`
    : await db.$queryRaw<{ failures: number }[]>`
        INSERT INTO citizen_login_throttles AS t (key, failures, locked_until) VALUES (${`id:${noticeId}`}, 1, NULL)
        ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1,
          locked_until = CASE WHEN (t.failures + 1) % ${CITIZEN_LOCK_AFTER} = 0
                              THEN now() + make_interval(mins => ${CITIZEN_LOCK_MINUTES}) ELSE t.locked_until END
        RETURNING failures`;
  return rows[0]?.failures ?? 0;
}

interface LoginStateRow {
  address_failures: number | null;
  id: number | null;
  birth_key: string | null;
  failed_logins: number | null;
  locked_until: Date | null;
  unknown_failures: number | null;
  unknown_locked_until: Date | null;
}

/** The client address's failures in the window, the card holder, and an unknown ID's counts: one round trip. */
async function loginState(db: DbTx, noticeId: string, ip: string) {
  const [row] = await sqlOf(db).query<LoginStateRow>(
    `SELECT (SELECT failures FROM citizen_login_throttles
             WHERE key = $1 AND window_started_at > now() - make_interval(mins => $2::int)) AS address_failures,
            h.id, h.birth_key, h.failed_logins, h.locked_until,
            u.failures AS unknown_failures, u.locked_until AS unknown_locked_until
     FROM (SELECT 1) AS one
     LEFT JOIN card_holders h ON h.notice_id = $3
     LEFT JOIN citizen_login_throttles u ON u.key = $4`,
    [`ip:${ip}`, ADDRESS_WINDOW_MINUTES, noticeId, `id:${noticeId}`],
  );
  return {
    addressFailures: row.address_failures ?? 0,
    holder: row.id === null ? null : { id: row.id, birthKey: row.birth_key!, failedLogins: row.failed_logins!, lockedUntil: row.locked_until },
    unknownIdState: row.unknown_failures === null ? null : { failures: row.unknown_failures, lockedUntil: row.unknown_locked_until },
  };
}

const DUMMY_KEY = birthKey('not-a-real-pepper-not-a-real-pepper', 'none', '0000');

/** Checks a notice ID and birth month/day. Never says whether the ID exists. */
export async function authenticateCitizen(db: Db, pepper: string, rawNoticeId: string, rawMonthDay: string, ip: string): Promise<CitizenLoginResult> {
  const noticeId = noticeIdOf(rawNoticeId).slice(0, 64);
  const mmdd = normaliseMonthDay(rawMonthDay).slice(0, 8);
  const { addressFailures, holder, unknownIdState } = await loginState(db, noticeId, ip);
  if (addressFailures >= ADDRESS_MAX_FAILURES) return { ok: false, reason: 'throttled' };
  const matches = birthKeyMatches(pepper, noticeId, mmdd, holder?.birthKey ?? DUMMY_KEY) && holder !== null;
  const state = holder ? { failures: holder.failedLogins, lockedUntil: holder.lockedUntil } : unknownIdState;
  const actor = { type: 'citizen' as const, id: holder ? String(holder.id) : 'unknown', ip };
  const locked = lockReason(state, new Date());
  if (locked) {
    await countAddressFailure(db, ip);
    await recordAudit(db, actor, { action: 'citizen.login.locked' });
    return { ok: false, reason: locked };
  }
  if (matches) {
    if (holder.failedLogins > 0 || holder.lockedUntil) await db.cardHolder.update({ where: { id: holder.id }, data: { failedLogins: 0, lockedUntil: null } });
    await recordAudit(db, actor, { action: 'citizen.login', targetType: 'card_holder', targetId: holder.id });
    return { ok: true, cardHolderId: holder.id };
  }
  const failures = await countIdFailure(db, holder?.id ?? null, noticeId);
  await countAddressFailure(db, ip);
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
