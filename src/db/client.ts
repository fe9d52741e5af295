// One pg pool per process, shared by Prisma (through its driver adapter), the session store
// and the few raw SQL statements that hold invariants.
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { pgPoolConfig } from './pool-config.js';

export type Db = PrismaClient;
/** A client or an interactive transaction: services accept either so they compose. */
export type DbTx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

const pools = new WeakMap<object, pg.Pool>();

/** The pg pool behind a client made by connectDatabase (hot paths run plain SQL on it). */
export function poolOf(db: object): pg.Pool | undefined {
  return pools.get(db);
}

export function connectDatabase(databaseUrl: string, poolSize = 10): Database {
  // A request waiting longer than this for a connection fails with an error page instead of hanging.
  const pool = new pg.Pool(pgPoolConfig(databaseUrl, { max: poolSize, application_name: 'mynumber-booking', connectionTimeoutMillis: 20_000 }));
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  pools.set(prisma, pool);
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
