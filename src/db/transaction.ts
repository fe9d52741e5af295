// The one place a transaction begins and ends. Routes, jobs and CLI commands open it at the
// edge with `transaction(database, actor, fn)`; services take the `Tx` they run in, so they
// compose. Prisma's models (`tx.db`) and plain SQL (`tx.query`) run on the same connection.
// Work that needs only plain SQL (the booking commands on a citizen's path, the log-in) takes a
// `SqlTx` and is run with `{ models: false }`: no Prisma transaction around it, which costs
// about half a millisecond of CPU per transaction (docs/decisions/0014).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyStream } from 'pg-copy-streams';
import { actorKey, type Actor } from '../lib/actor.js';
import type { Database, DbTx, Queryable } from './client.js';

/** A transaction for plain SQL: what the booking commands, the audit log, the outbox and card statuses need. */
export interface SqlTx extends Queryable {
  /** Who acts: audit rows and "who" columns written in this transaction name them. */
  readonly actor: Actor;
  /**
   * COPY ... FROM STDIN fed by `source` (text in COPY's format), for bulk loads; resolves with
   * the rows copied. Nothing else may run on the transaction meanwhile. When the source fails,
   * the COPY is abandoned (so the transaction is too) and its error comes out.
   */
  copyFrom(text: string, source: Iterable<string> | AsyncIterable<string>): Promise<number>;
}

/** A transaction with Prisma's models too. */
export interface Tx extends SqlTx {
  /** Prisma's models, in this transaction. */
  readonly db: DbTx;
}

export interface TransactionOptions {
  /** Statement and transaction time-out; long batch work (imports, set-up files) asks for more. */
  timeoutMs?: number;
  /**
   * Opened on purpose while another transaction of this request is open, to commit at once on
   * its own (progress another request reads while the long one runs). It must not touch rows
   * the open transaction has locked, or both wait for ever.
   */
  alongside?: boolean;
  /** false: plain SQL only (fn takes a SqlTx), without Prisma's transaction around it. */
  models?: boolean;
  /** 'snapshot': every statement sees the database as it was at the first (REPEATABLE READ), for a consistent export. */
  isolation?: 'snapshot';
  /**
   * 'generic': PostgreSQL plans each statement once per connection and runs that plan again
   * (plan_cache_mode), instead of planning afresh whenever it judges the values might want
   * another plan. For the booking commands: their statements look rows up by key, so the values
   * never change the best plan, and planning them at every booking cost 1.9 ms of PostgreSQL's
   * CPU per booking (bench/README.md, "Planned once").
   */
  plans?: 'generic';
}

const DEFAULT_TIMEOUT_MS = 20_000;
/** How long a transaction may wait for a free connection before the request fails. */
const MAX_WAIT_MS = 20_000;

/** The connection a transaction got from the pool, caught as Prisma's adapter takes it. */
interface Opening {
  client?: pg.PoolClient;
  /** The transaction's settings: the actor key, the time-out and how statements are planned. */
  settings: { actor: string; timeoutMs: number; plans?: 'generic' };
}
const opening = new AsyncLocalStorage<Opening>();

/**
 * The app's pg pool. Prisma's adapter takes a connection from it to begin a transaction; while
 * `transaction` opens one, that connection is noted so plain SQL runs on it too.
 */
export class AppPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (callback) return super.connect(callback);
    const open = opening.getStore();
    const started = super.connect();
    if (!open || open.client) return started;
    return started.then((client) => (open.client = client));
  }
}

const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;

/** A constant statement text gets a name, so PostgreSQL parses it once per connection. */
export function preparedQuery(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) statementNames.set(text, (name = `s${statementNames.size}`));
  return { name, text, values };
}

/**
 * Runs fn in one transaction and commits when it returns (rolls back when it throws). The
 * per-transaction settings reach PostgreSQL here and nowhere else: the acting user as
 * `app.actor`, the statement time-out and, when asked, generic plans.
 */
export function transaction<T>(database: Database, actor: Actor, fn: (tx: SqlTx) => Promise<T>, options: TransactionOptions & { models: false }): Promise<T>;
export function transaction<T>(database: Database, actor: Actor, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
export async function transaction<T>(database: Database, actor: Actor, fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  // A transaction opened inside another would wait on the outer one's locks from a second connection.
  if (opening.getStore() && !options.alongside) throw new Error('transactions do not nest: pass the open Tx down instead');
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runOnce(database, actor, fn, options);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

// A deadlock or a serialization failure is PostgreSQL rolling the transaction back and asking for
// it to be run again (its work was all undone): it is, a few times, before the error goes on.
const MAX_ATTEMPTS = 3;
const RETRYABLE = new Set(['40P01', '40001', 'P2034']); // P2034: Prisma's name for the same
const isRetryable = (error: unknown): boolean =>
  RETRYABLE.has(String((error as { code?: unknown })?.code)) || (error instanceof Error && error.cause !== undefined && isRetryable(error.cause));

/** One attempt: the transaction opened with its settings, the callback run in it, then COMMIT. */
async function runOnce<T>(database: Database, actor: Actor, fn: (tx: Tx) => Promise<T>, options: TransactionOptions): Promise<T> {
  const open: Opening = { settings: settingsOf(actor, options) };
  if (options.models !== false) return opening.run(open, () => modelTransaction(database, open, actor, fn, options.isolation));
  const client = await database.pool.connect(); // taken before `open` is current: nothing to catch here
  return opening.run({ ...open, client }, () => plainTransaction(client, open, actor, fn as (tx: SqlTx) => Promise<T>, options.isolation));
}

/**
 * Makes the statements sent on a connection in one tick leave in one write: the connection
 * pipelines them (connectDatabase), and a socket write costs the app more CPU than building a
 * statement (bench/README.md, "Fewer writes"). pg corks its socket around each statement's
 * messages; this holds the cork until the tick ends.
 */
function writeTogether(client: pg.PoolClient): () => void {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  let corked = false;
  return () => {
    if (corked || !stream?.cork || !stream.uncork) return;
    corked = true;
    stream.cork();
    process.nextTick(() => {
      corked = false;
      stream.uncork!();
    });
  };
}

/** Plain SQL on the transaction's connection, refused once the transaction has ended. */
function queryOn(client: pg.PoolClient) {
  let ended = false;
  let running = 0;
  const together = writeTogether(client);
  const query = async <Row>(text: string, values: unknown[] = []) => {
    if (ended) throw new Error('a query was sent after its transaction ended');
    together();
    running += 1;
    try {
      return (await client.query(preparedQuery(text, values))).rows as Row[];
    } finally {
      running -= 1;
    }
  };
  const copyFrom = async (text: string, source: Iterable<string> | AsyncIterable<string>) => {
    if (ended) throw new Error('a query was sent after its transaction ended');
    if (running > 0) throw new Error('COPY waits for the statements sent before it');
    return copyAlone(client, text, source);
  };
  return { query, copyFrom, together, end: () => (ended = true) };
}

/** What a COPY's source may run ahead of PostgreSQL by, on each side of the stream. */
const COPY_BUFFER_BYTES = 256 * 1024;

/**
 * pg refuses COPY on a pipelined connection (connectDatabase): once everything sent before it is
 * answered (a plain transaction's BEGIN too), the connection stops pipelining for the COPY and
 * starts again after it.
 */
async function copyAlone(client: pg.PoolClient, text: string, source: Iterable<string> | AsyncIterable<string>): Promise<number> {
  await client.query('SELECT 1'); // answered after everything sent before it
  const connection = client as unknown as { pipeline: boolean };
  const pipelined = connection.pipeline;
  connection.pipeline = false;
  try {
    // The source runs ahead while PostgreSQL works on what it was sent.
    const copy = client.query(copyStream(text, { highWaterMark: COPY_BUFFER_BYTES }));
    await pipeline(Readable.from(source, { objectMode: false, highWaterMark: COPY_BUFFER_BYTES }), copy);
    return copy.rowCount;
  } finally {
    connection.pipeline = pipelined;
  }
}

/** Prisma's interactive transaction, with plain SQL on the connection it took. */
function modelTransaction<T>(database: Database, open: Opening, actor: Actor, fn: (tx: Tx) => Promise<T>, isolation?: 'snapshot'): Promise<T> {
  return database.prisma.$transaction(
    async (db) => {
      const client = open.client;
      if (!client) throw new Error('the transaction did not get its connection from AppPool');
      const { query, copyFrom, end } = queryOn(client);
      await client.query(settingsSql(open.settings)); // Prisma sent BEGIN on its own
      try {
        return await fn({ db, query, copyFrom, actor });
      } finally {
        end();
      }
    },
    { maxWait: MAX_WAIT_MS, timeout: open.settings.timeoutMs + 5_000, isolationLevel: isolation === 'snapshot' ? 'RepeatableRead' : undefined },
  );
}

/** BEGIN (with the settings) and COMMIT on a pool connection, for work that needs plain SQL only. */
async function plainTransaction<T>(client: pg.PoolClient, open: Opening, actor: Actor, fn: (tx: SqlTx) => Promise<T>, isolation?: 'snapshot'): Promise<T> {
  const { query, copyFrom, together, end } = queryOn(client);
  let broken: Error | undefined;
  try {
    together();
    // BEGIN goes out with the first statement (the connection pipelines, see connectDatabase).
    // It cannot fail alone on a working connection, and a failed setting aborts the transaction
    // block, so every statement after it fails too; its own error is the one reported.
    const begun = client.query(`BEGIN${isolation === 'snapshot' ? ' ISOLATION LEVEL REPEATABLE READ' : ''}; ${settingsSql(open.settings)}`);
    begun.catch(() => {});
    const value = await fn({ query, copyFrom, actor });
    await begun;
    const committed = await client.query('COMMIT');
    // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
    if (committed.command !== 'COMMIT') throw new Error(`the transaction was rolled back at COMMIT (${committed.command})`);
    return value;
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    end();
    client.release(broken);
  }
}

const settingsOf = (actor: Actor, options: TransactionOptions): Opening['settings'] => ({
  actor: actorKey(actor),
  timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  plans: options.plans,
});

/** The per-transaction settings as literals (in a plain transaction they go with BEGIN, a simple query without parameters). */
const settingsSql = (settings: Opening['settings']) =>
  `SELECT set_config('app.actor', ${pg.escapeLiteral(settings.actor)}, true), set_config('statement_timeout', '${Math.floor(settings.timeoutMs)}ms', true)${
    settings.plans === 'generic' ? `, set_config('plan_cache_mode', 'force_generic_plan', true)` : ''
  }`;

/** What a transaction opened with these options sends with BEGIN (bench/booking-sql.ts replays it). */
export const settingsSqlFor = (actor: Actor, options: TransactionOptions = {}): string => settingsSql(settingsOf(actor, options));
