// Tests call services in a transaction of their own, opened as a route, job or CLI command would.
import type { Database } from '../../src/db/client.js';
import { transaction, type Tx } from '../../src/db/transaction.js';
import type { Actor } from '../../src/lib/actor.js';

export const TEST_ACTOR: Actor = { type: 'system', id: 'test' };

/** Runs `work` in one transaction for `actor` (a system actor unless a test needs someone else). */
export function inTx<T>(database: Database, work: (tx: Tx) => Promise<T>, actor: Actor = TEST_ACTOR): Promise<T> {
  return transaction(database, actor, work, { timeoutMs: 60_000 });
}
