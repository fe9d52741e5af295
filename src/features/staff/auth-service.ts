import type { Db } from '../../db/client.js';
import type { StaffUser } from '../../generated/prisma/client.js';
import { recordAudit } from './audit.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

export const STAFF_MAX_FAILURES = 5;
export const STAFF_LOCK_MINUTES = 30;

export type StaffLoginResult =
  | { ok: true; user: StaffUser }
  | { ok: false; reason: 'invalid' | 'locked' };

/**
 * Checks a staff log-in. Unknown IDs, wrong passwords and disabled users give the same answer
 * after the same bcrypt work; failures are counted in the database and lock the account.
 */
export async function authenticateStaff(db: Db, loginId: string, password: string, ip: string): Promise<StaffLoginResult> {
  const user = await db.staffUser.findUnique({ where: { loginId } });
  const passwordOk = await verifyPassword(password, user?.passwordHash);
  const actor = { type: 'staff' as const, id: user ? String(user.id) : `unknown:${loginId.slice(0, 64)}`, ip };
  if (!user || user.disabledAt) {
    await recordAudit(db, actor, { action: 'staff.login.failed' });
    return { ok: false, reason: 'invalid' };
  }
  if (user.lockedUntil && user.lockedUntil > new Date()) {
    await recordAudit(db, actor, { action: 'staff.login.locked' });
    return { ok: false, reason: 'locked' };
  }
  if (!passwordOk) {
    await db.$executeRaw`
      UPDATE staff_users SET failed_logins = failed_logins + 1,
        locked_until = CASE WHEN failed_logins + 1 >= ${STAFF_MAX_FAILURES}
                            THEN now() + make_interval(mins => ${STAFF_LOCK_MINUTES}) ELSE locked_until END
      WHERE id = ${user.id}`;
    await recordAudit(db, actor, { action: 'staff.login.failed' });
    return { ok: false, reason: 'invalid' };
  }
  const fresh = await db.staffUser.update({ where: { id: user.id }, data: { failedLogins: 0, lockedUntil: null } });
  await recordAudit(db, actor, { action: 'staff.login' });
  return { ok: true, user: fresh };
}

export type ChangePasswordResult = { ok: true } | { ok: false; messageKey: string };

export async function changeOwnPassword(db: Db, userId: number, current: string, next: string, ip: string): Promise<ChangePasswordResult> {
  const user = await db.staffUser.findUniqueOrThrow({ where: { id: userId } });
  if (!(await verifyPassword(current, user.passwordHash))) return { ok: false, messageKey: 'staff.password.currentWrong' };
  const problem = passwordProblem(next, user.loginId);
  if (problem) return { ok: false, messageKey: problem };
  if (await verifyPassword(next, user.passwordHash)) return { ok: false, messageKey: 'staff.password.same' };
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id: userId }, data: { passwordHash: await hashPassword(next), mustChangePassword: false } });
    await recordAudit(tx, { type: 'staff', id: String(userId), ip }, { action: 'staff.password.changed', targetType: 'staff_user', targetId: userId });
  });
  return { ok: true };
}
