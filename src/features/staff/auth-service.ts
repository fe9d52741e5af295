import type { Database, DbTx } from '../../db/client.js';
import { transaction } from '../../db/transaction.js';
import type { StaffUser } from '../../generated/prisma/client.js';
import { giveBackAttempt, reserveAttempt } from '../../lib/attempt-budget.js';
import { auditAttempt, recordAudit } from './audit.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

export const STAFF_MAX_FAILURES = 5;
export const STAFF_LOCK_MINUTES = 30;
/** Password checks per client address and window, right ones given back: stops spraying across accounts. */
export const STAFF_ADDRESS_MAX_FAILURES = 100;
export const STAFF_ADDRESS_WINDOW_MINUTES = 15;

export type StaffLoginResult = { ok: true; user: StaffUser } | { ok: false; reason: 'invalid' | 'locked' | 'throttled' };

/**
 * Reserves one password check against the user's lockout before bcrypt runs: counts it as a
 * failure, locks on the STAFF_MAX_FAILURES-th, refuses while locked (one statement, so requests
 * fired at the same moment cannot slip past). A right password then clears the count.
 */
async function reservePasswordCheck(db: DbTx, userId: number): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: number }[]>`
    UPDATE staff_users SET failed_logins = failed_logins + 1,
      locked_until = CASE WHEN failed_logins + 1 >= ${STAFF_MAX_FAILURES}
                          THEN now() + make_interval(mins => ${STAFF_LOCK_MINUTES}) ELSE locked_until END
    WHERE id = ${userId} AND (locked_until IS NULL OR locked_until <= now())
    RETURNING id`;
  return rows.length > 0;
}

const clearFailures = (db: DbTx, userId: number) => db.staffUser.update({ where: { id: userId }, data: { failedLogins: 0, lockedUntil: null } });

/**
 * Checks a staff log-in. Unknown IDs, wrong passwords and disabled users give the same answer
 * after the same bcrypt work; every check of a real user is counted before it runs and locks the
 * account after STAFF_MAX_FAILURES failures.
 */
export async function authenticateStaff(database: Database, loginId: string, password: string, ip: string): Promise<StaffLoginResult> {
  const { db } = database;
  const user = await db.staffUser.findUnique({ where: { loginId } });
  const actor = { type: 'staff' as const, id: user ? String(user.id) : `unknown:${loginId.slice(0, 64)}`, ip };
  const address = { key: `staff-ip:${ip}`, max: STAFF_ADDRESS_MAX_FAILURES, windowMinutes: STAFF_ADDRESS_WINDOW_MINUTES };
  if ((await reserveAttempt(database, address)) === null) {
    await auditAttempt(database, actor, { action: 'staff.login.throttled' });
    return { ok: false, reason: 'throttled' };
  }
  const usable = user !== null && user.disabledAt === null;
  if (usable && !(await reservePasswordCheck(db, user.id))) {
    await auditAttempt(database, actor, { action: 'staff.login.locked' });
    return { ok: false, reason: 'locked' };
  }
  const passwordOk = await verifyPassword(password, user?.passwordHash);
  if (!usable || !passwordOk) {
    await auditAttempt(database, actor, { action: 'staff.login.failed' });
    return { ok: false, reason: 'invalid' };
  }
  const fresh = await transaction(database, actor, async (tx) => {
    await giveBackAttempt(tx, address.key);
    await recordAudit(tx, { action: 'staff.login' });
    return clearFailures(tx.db, user.id);
  });
  return { ok: true, user: fresh };
}

export type ChangePasswordResult = { ok: true } | { ok: false; messageKey: string };

export async function changeOwnPassword(database: Database, userId: number, current: string, next: string, ip: string): Promise<ChangePasswordResult> {
  const { db } = database;
  const user = await db.staffUser.findUniqueOrThrow({ where: { id: userId } });
  // The current password is a secret check like a log-in: counted first, against the same lockout.
  if (!(await reservePasswordCheck(db, userId))) return { ok: false, messageKey: 'staff.password.currentLocked' };
  if (!(await verifyPassword(current, user.passwordHash))) return { ok: false, messageKey: 'staff.password.currentWrong' };
  await clearFailures(db, userId);
  const problem = passwordProblem(next, user.loginId);
  if (problem) return { ok: false, messageKey: problem };
  if (await verifyPassword(next, user.passwordHash)) return { ok: false, messageKey: 'staff.password.same' };
  const passwordHash = await hashPassword(next);
  await transaction(database, { type: 'staff', id: String(userId), ip }, async (tx) => {
    await tx.db.staffUser.update({ where: { id: userId }, data: { passwordHash, mustChangePassword: false } });
    await recordAudit(tx, { action: 'staff.password.changed', targetType: 'staff_user', targetId: userId });
  });
  return { ok: true };
}
