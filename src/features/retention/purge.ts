// The retention purge: every kind's records past its period deleted in batches, and one audit row
// saying how many rows of each table went. Run by the scheduled job (src/jobs/registry.ts) in the
// transaction that holds the job's advisory lock; safe to run again at once (nothing is left to do)
// and, should two ever run together, each row is deleted by one of them (records.ts locks).
import type { SqlTx } from '../../db/transaction.js';
import { recordAudit } from '../staff/audit.js';
import { RETENTION_KINDS } from './kinds.js';
import { retentionPeriods } from './periods.js';
import type { TableCounts } from './records.js';

export interface PurgeLimits {
  batchSize: number;
  /** Batches per kind in one run: a long backlog is worked off over several nights. */
  maxBatches: number;
}

const DEFAULT_LIMITS: PurgeLimits = { batchSize: 500, maxBatches: 200 };
const DAY_MS = 86_400_000;

export async function purgeExpiredRecords(tx: SqlTx, now: Date, limits: PurgeLimits = DEFAULT_LIMITS): Promise<TableCounts> {
  const periods = await retentionPeriods(tx);
  const deleted: TableCounts = {};
  const cutoffs: Record<string, string> = {};
  for (const kind of RETENTION_KINDS) {
    const cutoff = new Date(now.getTime() - periods[kind.key] * DAY_MS);
    cutoffs[kind.key] = cutoff.toISOString();
    for (let batch = 0; batch < limits.maxBatches; batch += 1) {
      const result = await kind.purgeBatch(tx, cutoff, limits.batchSize);
      for (const [table, count] of Object.entries(result.deleted)) deleted[table] = (deleted[table] ?? 0) + count;
      if (result.taken < limits.batchSize) break;
    }
  }
  await recordAudit(tx, { action: 'retention.purge', detail: { periods, cutoffs, deleted } });
  return deleted;
}
