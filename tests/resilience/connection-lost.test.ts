// The database connection of an open transaction is lost between two statements (its server
// crashed, a failover ended it, an administrator terminated it). PostgreSQL's farewell message
// then reaches a client that is checked out of the pool and has no query running: pg emits it as
// an 'error' event nobody listens to, which ends the whole process (found by the failover drill,
// bench/failover-drill.ts). The transaction must fail like any other, and the process go on.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { createTestDatabase } from '../helpers/db.js';
import { TEST_ACTOR } from '../helpers/tx.js';

const database = await createTestDatabase(4);

/** Ends the backend of the connection that ran `SELECT pg_backend_pid()`, from another connection. */
async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  await admin.end();
  await sleep(200); // the farewell message arrives while the transaction's client is idle
}

describe('a transaction whose connection is lost', () => {
  for (const models of [false, true]) {
    it(`When the server ends the connection between two statements of a ${models ? 'Prisma' : 'plain SQL'} transaction, then the transaction fails, the process goes on and the next transaction works`, async () => {
      const attempt = transaction(
        database,
        TEST_ACTOR,
        async (tx) => {
          const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await terminate(pid);
          await tx.query('SELECT 1');
        },
        { models },
      );
      await expect(attempt).rejects.toThrow();
      const [{ answer }] = await transaction(database, TEST_ACTOR, (tx) => tx.query<{ answer: number }>('SELECT 42 AS answer'), { models });
      expect(answer).toBe(42);
    });
  }

  it('When every pooled connection is ended while idle, then the next statements open new ones', async () => {
    const pids = await Promise.all(
      Array.from({ length: 4 }, () => transaction(database, TEST_ACTOR, (tx) => tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'), { models: false })),
    );
    for (const [{ pid }] of pids) await terminate(pid);
    const [{ answer }] = await database.query<{ answer: number }>('SELECT 7 AS answer');
    expect(answer).toBe(7);
  });
});
