// Admin use cases on staff accounts. Each writes the audit log in the same transaction.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { StaffRole } from '../../generated/prisma/client.js';
import { randomCode } from '../../lib/random-code.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit } from './audit.js';
import { roleCan } from '../../policies/index.js';
import { hashPassword } from './passwords.js';

export interface StaffUserInput {
  loginId: string;
  displayName: string;
  role: StaffRole;
  counterIds: number[];
}

export interface TemporaryPassword {
  password: string;
  passwordHash: string;
}

/**
 * A temporary password the admin hands over; the user must change it at first log-in. Hashed
 * before the transaction opens, so bcrypt does not hold a connection.
 */
export async function issueTemporaryPassword(): Promise<TemporaryPassword> {
  const password = `${randomCode(4)}-${randomCode(4)}-${randomCode(4)}-${randomCode(4)}`;
  return { password, passwordHash: await hashPassword(password) };
}

const isActor = (tx: Tx, id: number) => tx.actor.type === 'staff' && tx.actor.id === String(id);

export async function createStaffUser(tx: Tx, input: StaffUserInput, temporary: TemporaryPassword): Promise<{ id: number; temporaryPassword: string }> {
  if (await tx.db.staffUser.findUnique({ where: { loginId: input.loginId } })) throw new AppError(409, 'login_id_taken', 'staff.users.loginIdTaken');
  const user = await tx.db.staffUser.create({
    data: {
      loginId: input.loginId,
      displayName: input.displayName,
      role: input.role,
      passwordHash: temporary.passwordHash,
      mustChangePassword: true,
      counters: { create: input.counterIds.map((counterId) => ({ counterId })) },
    },
  });
  await recordAudit(tx, { action: 'staff.user.created', targetType: 'staff_user', targetId: user.id, detail: { role: input.role, counterIds: input.counterIds } });
  return { id: user.id, temporaryPassword: temporary.password };
}

export async function updateStaffUser(tx: Tx, id: number, input: Omit<StaffUserInput, 'loginId'>): Promise<void> {
  const before = await tx.db.staffUser.findUniqueOrThrow({ where: { id }, include: { counters: true } });
  if (isActor(tx, id) && !roleCan(input.role, 'users.manage')) throw new AppError(400, 'own_role', 'staff.users.ownRole');
  await tx.db.staffCounter.deleteMany({ where: { staffUserId: id } });
  await tx.db.staffUser.update({
    where: { id },
    data: { displayName: input.displayName, role: input.role, counters: { create: input.counterIds.map((counterId) => ({ counterId })) } },
  });
  await recordAudit(tx, {
    action: 'staff.user.updated',
    targetType: 'staff_user',
    targetId: id,
    detail: { role: [before.role, input.role], counterIds: [before.counters.map((c) => c.counterId), input.counterIds] },
  });
}

const SIGN_OUT_STAFF = `DELETE FROM session WHERE (sess -> 'staff' ->> 'id')::int = $1`;

export async function setStaffUserDisabled(tx: Tx, id: number, disabled: boolean): Promise<void> {
  if (disabled && isActor(tx, id)) throw new AppError(400, 'disable_self', 'staff.users.disableSelf');
  await tx.db.staffUser.update({ where: { id }, data: { disabledAt: disabled ? new Date() : null } });
  if (disabled) await tx.query(SIGN_OUT_STAFF, [id]);
  await recordAudit(tx, { action: disabled ? 'staff.user.disabled' : 'staff.user.enabled', targetType: 'staff_user', targetId: id });
}

export async function resetStaffPassword(tx: Tx, id: number, temporary: TemporaryPassword): Promise<string> {
  await tx.db.staffUser.update({ where: { id }, data: { passwordHash: temporary.passwordHash, mustChangePassword: true, failedLogins: 0, lockedUntil: null } });
  await tx.query(SIGN_OUT_STAFF, [id]);
  await recordAudit(tx, { action: 'staff.user.password_reset', targetType: 'staff_user', targetId: id });
  return temporary.password;
}

export async function unlockStaffUser(tx: Tx, id: number): Promise<void> {
  await tx.db.staffUser.update({ where: { id }, data: { failedLogins: 0, lockedUntil: null } });
  await recordAudit(tx, { action: 'staff.user.unlocked', targetType: 'staff_user', targetId: id });
}

export function listStaffUsers(db: DbTx) {
  return db.staffUser.findMany({ orderBy: [{ disabledAt: { sort: 'asc', nulls: 'first' } }, { loginId: 'asc' }], include: { counters: { include: { counter: true } } } });
}
