// Admin use cases on staff accounts. Each writes the audit log in the same transaction.
import type { Db } from '../../db/client.js';
import type { StaffRole } from '../../generated/prisma/client.js';
import { randomCode } from '../../lib/random-code.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit, type AuditActor } from './audit.js';
import { hashPassword } from './passwords.js';

export interface StaffUserInput {
  loginId: string;
  displayName: string;
  role: StaffRole;
  counterIds: number[];
}

/** A temporary password the admin hands over; the user must change it at first log-in. */
function temporaryPassword(): string {
  return `${randomCode(4)}-${randomCode(4)}-${randomCode(4)}-${randomCode(4)}`;
}

export async function createStaffUser(db: Db, actor: AuditActor, input: StaffUserInput): Promise<{ id: number; temporaryPassword: string }> {
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  return db.$transaction(async (tx) => {
    if (await tx.staffUser.findUnique({ where: { loginId: input.loginId } })) throw new AppError(409, 'login_id_taken', 'staff.users.loginIdTaken');
    const user = await tx.staffUser.create({
      data: {
        loginId: input.loginId, displayName: input.displayName, role: input.role, passwordHash, mustChangePassword: true,
        counters: { create: input.counterIds.map((counterId) => ({ counterId })) },
      },
    });
    await recordAudit(tx, actor, { action: 'staff.user.created', targetType: 'staff_user', targetId: user.id, detail: { role: input.role, counterIds: input.counterIds } });
    return { id: user.id, temporaryPassword: password };
  });
}

export async function updateStaffUser(db: Db, actor: AuditActor, id: number, input: Omit<StaffUserInput, 'loginId'>): Promise<void> {
  await db.$transaction(async (tx) => {
    const before = await tx.staffUser.findUniqueOrThrow({ where: { id }, include: { counters: true } });
    if (String(id) === actor.id && input.role !== 'admin') throw new AppError(400, 'own_role', 'staff.users.ownRole');
    await tx.staffCounter.deleteMany({ where: { staffUserId: id } });
    await tx.staffUser.update({
      where: { id },
      data: { displayName: input.displayName, role: input.role, counters: { create: input.counterIds.map((counterId) => ({ counterId })) } },
    });
    await recordAudit(tx, actor, {
      action: 'staff.user.updated', targetType: 'staff_user', targetId: id,
      detail: { role: [before.role, input.role], counterIds: [before.counters.map((c) => c.counterId), input.counterIds] },
    });
  });
}

export async function setStaffUserDisabled(db: Db, actor: AuditActor, id: number, disabled: boolean): Promise<void> {
  if (disabled && String(id) === actor.id) throw new AppError(400, 'disable_self', 'staff.users.disableSelf');
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id }, data: { disabledAt: disabled ? new Date() : null } });
    if (disabled) await tx.$executeRaw`DELETE FROM session WHERE (sess -> 'staff' ->> 'id')::int = ${id}`;
    await recordAudit(tx, actor, { action: disabled ? 'staff.user.disabled' : 'staff.user.enabled', targetType: 'staff_user', targetId: id });
  });
}

export async function resetStaffPassword(db: Db, actor: AuditActor, id: number): Promise<string> {
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id }, data: { passwordHash, mustChangePassword: true, failedLogins: 0, lockedUntil: null } });
    await tx.$executeRaw`DELETE FROM session WHERE (sess -> 'staff' ->> 'id')::int = ${id}`;
    await recordAudit(tx, actor, { action: 'staff.user.password_reset', targetType: 'staff_user', targetId: id });
  });
  return password;
}

export async function unlockStaffUser(db: Db, actor: AuditActor, id: number): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id }, data: { failedLogins: 0, lockedUntil: null } });
    await recordAudit(tx, actor, { action: 'staff.user.unlocked', targetType: 'staff_user', targetId: id });
  });
}

export function listStaffUsers(db: Db) {
  return db.staffUser.findMany({ orderBy: [{ disabledAt: { sort: 'asc', nulls: 'first' } }, { loginId: 'asc' }], include: { counters: { include: { counter: true } } } });
}
