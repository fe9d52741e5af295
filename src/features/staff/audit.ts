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
  // Raw INSERT without RETURNING: it is on every log-in and booking, so it skips the ORM's work.
  await db.$executeRaw`
    INSERT INTO audit_logs (actor_type, actor_id, ip, action, target_type, target_id, detail)
    VALUES (${actor.type}, ${actor.id}, ${actor.ip ?? null}, ${entry.action}, ${entry.targetType ?? null},
            ${entry.targetId === undefined ? null : String(entry.targetId)}, ${JSON.stringify(entry.detail ?? {})}::jsonb)`;
}
