// The hot booking paths (hold, book) as a few plain SQL statements. They run either on a pg
// client of the app's pool in their own transaction (no ORM work, fewest round trips), or in
// the caller's Prisma transaction when given one, so the services still compose.
import type pg from 'pg';
import type { Db, DbTx } from '../../db/client.js';
import { poolOf } from '../../db/client.js';

export interface Sql {
  query<T>(text: string, values?: unknown[]): Promise<T[]>;
}

const statementNames = new Map<string, string>();

/**
 * The hot statements are prepared once per connection (named), so PostgreSQL parses them once
 * instead of on every request. Their texts are constants; a text never seen before gets a name
 * only while there are fewer than 100 of them.
 */
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < 100) statementNames.set(text, (name = `booking_${statementNames.size}`));
  return { name, text, values };
}

/** Plain SQL on the app's pool when there is one (autocommit), else through the given client. */
export function sqlOf(db: Db | DbTx): Sql {
  const pool = poolOf(db);
  if (!pool) return sqlOfTx(db);
  return { query: async <T>(text: string, values: unknown[] = []) => (await pool.query(prepared(text, values))).rows as T[] };
}

const TRANSACTION_TIMEOUT_MS = 20_000;

export const sqlOfTx = (tx: DbTx): Sql => ({ query: <T>(text: string, values: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...values) });

/**
 * Runs fn in one transaction. `begin` (a statement without parameters) is sent with BEGIN in
 * the same round trip when the transaction is ours.
 */
export async function sqlTransaction<T>(db: Db | DbTx, fn: (sql: Sql, begun: unknown[]) => Promise<T>, begin: string): Promise<T> {
  const pool = poolOf(db);
  if (!pool) {
    const run = async (tx: DbTx) => fn(sqlOfTx(tx), await tx.$queryRawUnsafe<unknown[]>(begin));
    return '$transaction' in db ? (db as Db).$transaction(run, { maxWait: TRANSACTION_TIMEOUT_MS, timeout: TRANSACTION_TIMEOUT_MS }) : run(db);
  }
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Simple protocol: the statements go in one round trip; the third result is `begin`'s rows.
    const results = (await client.query(`BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_TIMEOUT_MS}; ${begin}`)) as unknown as { rows: unknown[] }[];
    const sql: Sql = { query: async <T>(text: string, values: unknown[] = []) => (await client.query(prepared(text, values))).rows as T[] };
    const value = await fn(sql, results[2].rows);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** A list of integer ids written into SQL text (they are checked to be integers). */
export function idList(ids: number[]): string {
  if (ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id))) throw new TypeError('ids must be integers');
  return ids.join(',');
}
