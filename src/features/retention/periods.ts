// The retention periods in force: a kind's row in retention_periods, or its default.
import type { Queryable } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { recordAudit } from '../staff/audit.js';
import { RETENTION_KINDS } from './kinds.js';

export type Periods = Record<string, number>;

export async function retentionPeriods(reader: Queryable): Promise<Periods> {
  const rows = await reader.query<{ kind: string; days: number }>(`SELECT kind, days FROM retention_periods`);
  return Object.fromEntries(RETENTION_KINDS.map((kind) => [kind.key, rows.find((row) => row.kind === kind.key)?.days ?? kind.defaultDays]));
}

/** Writes the periods that changed (the form holds every kind) and audits them, from and to. */
export async function saveRetentionPeriods(tx: SqlTx, wanted: Periods): Promise<number> {
  // One save at a time (readers and the purge do not wait): a save sent twice at once finds the
  // first one's periods in force, so it changes and audits nothing.
  await tx.query(`LOCK TABLE retention_periods IN SHARE ROW EXCLUSIVE MODE`);
  const before = await retentionPeriods(tx);
  const changed = RETENTION_KINDS.filter((kind) => wanted[kind.key] !== undefined && wanted[kind.key] !== before[kind.key]);
  if (changed.length === 0) return 0;
  await tx.query(
    `INSERT INTO retention_periods (kind, days, updated_at, updated_by) SELECT kind, days, now(), $3 FROM unnest($1::text[], $2::int[]) AS w(kind, days)
     ON CONFLICT (kind) DO UPDATE SET days = EXCLUDED.days, updated_at = now(), updated_by = EXCLUDED.updated_by`,
    [changed.map((kind) => kind.key), changed.map((kind) => wanted[kind.key]), actorKey(tx.actor)],
  );
  await recordAudit(tx, { action: 'retention.update', detail: Object.fromEntries(changed.map((kind) => [kind.key, { from: before[kind.key], to: wanted[kind.key] }])) });
  return changed.length;
}
