import type { DbTx } from '../../db/client.js';

export interface AuditActor {
  type: 'staff' | 'citizen' | 'system';
  id: string;
  ip?: string;
}

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string | number;
  detail?: Record<string, unknown>;
}

/** Appends to the audit log; pass the transaction of the change so both commit together. */
export async function recordAudit(db: DbTx, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId === undefined ? null : String(entry.targetId),
      detail: (entry.detail ?? {}) as object,
    },
  });
}
