// The one place a transaction begins and ends. Routes, jobs and CLI commands open it at the
// edge with `transaction(database, actor, fn)`; services take the `Tx` they run in, so they
// compose. Prisma's models (`tx.db`) and plain SQL (`tx.query`) run on the same connection.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { actorKey, type Actor } from '../lib/actor.js';
import type { Database, DbTx } from './client.js';

export interface Tx {
  /** Prisma's models, in this transaction. */
  readonly db: DbTx;
  /** Plain SQL in this transaction; its text is prepared once per connection (keep it constant). */
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Who acts: audit rows and "who" columns written in this transaction name them. */
  readonly actor: Actor;
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
}

const DEFAULT_TIMEOUT_MS = 20_000;
/** How long a transaction may wait for a free connection before the request fails. */
const MAX_WAIT_MS = 20_000;

/** The connection a transaction got from the pool, caught as Prisma's adapter takes it. */
interface Opening {
  client?: pg.PoolClient;
  /** The transaction's settings: the actor key and the time-out. */
  settings: { actor: string; timeoutMs: number };
  /** Whether they went with the BEGIN (else they are sent on their own). */
  settingsSent?: boolean;
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
    return started.then((client) => {
      open.client = client;
      sendSettingsWithBegin(client, open);
      return client;
    });
  }
}

/**
 * The adapter's first statement on the connection is its BEGIN, sent as a simple query: the
 * settings go in the same round trip. (Anything else first, and they are sent on their own.)
 */
function sendSettingsWithBegin(client: pg.PoolClient, open: Opening): void {
  const query = client.query;
  client.query = function (this: pg.PoolClient, config: unknown, ...rest: unknown[]) {
    delete (client as Partial<pg.PoolClient>).query; // the client's own method again, from the next statement on
    const isBegin = typeof config === 'object' && config !== null && (config as pg.QueryConfig).text === 'BEGIN' && !(config as pg.QueryConfig).values?.length;
    if (isBegin) {
      open.settingsSent = true;
      config = { ...(config as pg.QueryConfig), text: `BEGIN; ${settingsSql(client, open)}` };
    }
    return (query as (...args: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof client.query;
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
 * `app.actor` and the statement time-out.
 */
export async function transaction<T>(database: Database, actor: Actor, fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  // A transaction opened inside another would wait on the outer one's locks from a second connection.
  if (opening.getStore() && !options.alongside) throw new Error('transactions do not nest: pass the open Tx down instead');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const open: Opening = { settings: { actor: actorKey(actor), timeoutMs } };
  return opening.run(open, () =>
    database.prisma.$transaction(
      async (db) => {
        const client = open.client;
        if (!client) throw new Error('the transaction did not get its connection from AppPool');
        let ended = false;
        const query = async <Row>(text: string, values: unknown[] = []) => {
          if (ended) throw new Error('a query was sent after its transaction ended');
          return (await client.query(preparedQuery(text, values))).rows as Row[];
        };
        if (!open.settingsSent) await client.query(settingsSql(client, open));
        try {
          return await fn({ db, query, actor });
        } finally {
          ended = true;
        }
      },
      { maxWait: MAX_WAIT_MS, timeout: timeoutMs + 5_000 },
    ),
  );
}

/** The per-transaction settings as literals (they go with BEGIN, which takes no parameters). */
const settingsSql = (client: pg.PoolClient, { settings }: Opening) =>
  `SELECT set_config('app.actor', ${client.escapeLiteral(settings.actor)}, true), set_config('statement_timeout', '${Math.floor(settings.timeoutMs)}ms', true)`;
