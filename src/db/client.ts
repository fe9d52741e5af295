// One pg pool per process (AppPool), shared by Prisma (through its driver adapter), the
// session store, transactions (src/db/transaction.ts) and the few plain SQL statements.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { pgPoolConfig } from './pool-config.js';
import { AppPool, preparedQuery } from './transaction.js';

export type Db = PrismaClient;
/** Prisma's models without the power to open a transaction (inside one, or for reads). */
export type DbTx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** Plain SQL; a constant text is prepared once per connection. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
}

/** What reads need, in a transaction (Tx) or outside one (Database): Prisma's models and plain SQL. */
export interface Reader extends Queryable {
  readonly db: DbTx;
}

export interface Database extends Reader {
  prisma: PrismaClient;
  pool: AppPool;
  /** Plain SQL outside a transaction (each statement commits alone); for reads on hot paths. */
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export function connectDatabase(databaseUrl: string, poolSize = 10): Database {
  // A request waiting longer than this for a connection fails with an error page instead of hanging.
  // pipeline: statements sent one after another without waiting go out at once and are answered
  // in order (a transaction's BEGIN with its first statement; writes whose answers are awaited
  // together, as in bookSlot), each with its own Sync, so an error still ends only its own statement
  // and, in a transaction, aborts the rest. pg refuses cursors and COPY on such a connection.
  const pool = new AppPool(pgPoolConfig(databaseUrl, { max: poolSize, application_name: 'mynumber-booking', connectionTimeoutMillis: 20_000, pipeline: true }));
  // A client that loses its server must not crash the process: the pool handles it while idle;
  // while checked out (an open transaction between two statements) pg emits the server's farewell
  // as an 'error' event on the client, which would end the process unheard. The transaction's next
  // statement fails instead, and the pool drops the client when it comes back.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    db: prisma,
    pool,
    query: async <Row>(text: string, values: unknown[] = []) => (await pool.query(preparedQuery(text, values))).rows as Row[],
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
