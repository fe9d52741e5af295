import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';
import type { Request, RequestHandler, Response } from 'express';
import { cookieSessions } from './cookie-session.js';

export interface SessionOptions {
  pool: pg.Pool;
  secret: string;
  secure: boolean;
  /** Staff sessions' idle time-out (the cookie's rolling lifetime). */
  idleMinutes: number;
  /** Citizen sessions: the cookie's lifetime and the absolute lifetime of its payload. */
  citizenIdleMinutes: number;
  absoluteHours: number;
}

export const STAFF_PATH = /^\/staff(\/|$)/;

/**
 * Staff pages (/staff/...) keep their session in PostgreSQL, as before; every other page (the
 * citizen's) keeps it in an encrypted cookie, so a citizen request reads and writes no session
 * row (docs/decisions/0015-citizen-sessions-in-a-cookie.md).
 */
export function sessions(options: SessionOptions): RequestHandler {
  const staff = staffSessions(options);
  const citizen = cookieSessions({ secret: options.secret, secure: options.secure, maxAgeMs: options.citizenIdleMinutes * 60_000, absoluteMs: options.absoluteHours * 3_600_000 });
  return (req, res, next) => (STAFF_PATH.test(req.path) ? staff(req, res, next) : citizen(req, res, next));
}

declare module 'express-session' {
  interface SessionData {
    createdAt: number;
    /** When the row was last written (ms): an unchanged session is re-written at most every TOUCH_EVERY_MS. */
    touchedAt: number;
  }
}

/** An unchanged session's row expiry is pushed forward at most this often (idle time-outs are ±1 min). */
export const TOUCH_EVERY_MS = 60_000;

type PgStoreClass = ReturnType<typeof connectPgSimple>;
type StoredSession = session.SessionData & { touchedAt?: number };

/**
 * connect-pg-simple, but a request that changed nothing does not rewrite the row every time
 * (express-session touches the store on every such request): only when the last write is
 * TOUCH_EVERY_MS old, and then as a full write so the new time is stored with it.
 */
function throttledStore(PgStore: PgStoreClass) {
  return class ThrottledPgStore extends PgStore {
    override set(sid: string, sess: StoredSession, callback?: (error?: unknown) => void): void {
      sess.touchedAt = Date.now();
      super.set(sid, sess, callback);
    }

    override touch(sid: string, sess: StoredSession, callback?: (error?: unknown) => void): void {
      if (Date.now() - (sess.touchedAt ?? 0) < TOUCH_EVERY_MS) return callback?.();
      this.set(sid, sess, callback);
    }
  };
}

/**
 * Staff sessions live in PostgreSQL so several app processes share them and a restart logs nobody
 * out. The cookie carries only a random id; idle timeout is the rolling cookie lifetime (the row's
 * expiry follows it to within TOUCH_EVERY_MS).
 */
/**
 * The store's few statements (read, write, delete a session) run on every request: as named
 * prepared statements PostgreSQL parses them once per connection.
 */
const statementNames = new Map<string, string>(); // one per process: a name always means one text

function preparingPool(pool: pg.Pool): pg.Pool {
  const query = (text: string, values?: unknown[]) => {
    let name = statementNames.get(text);
    if (name === undefined && statementNames.size < 20) statementNames.set(text, (name = `session_${statementNames.size}`));
    return pool.query({ name, text, values });
  };
  return { query } as unknown as pg.Pool;
}

function staffSessions(options: SessionOptions): RequestHandler {
  const PgStore = throttledStore(connectPgSimple(session));
  const middleware = session({
    store: new PgStore({ pool: preparingPool(options.pool), tableName: 'session', createTableIfMissing: false, pruneSessionInterval: false }),
    name: options.secure ? '__Host-sid' : 'sid',
    secret: options.secret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: undefined,
    cookie: {
      httpOnly: true,
      secure: options.secure,
      sameSite: 'lax',
      path: '/',
      maxAge: options.idleMinutes * 60_000,
    },
  });
  return (req, res, next) =>
    middleware(req, res, (error?: unknown) => {
      if (error) return next(error);
      saveBeforeRedirect(req, res);
      next();
    });
}

/**
 * express-session stores a changed session only as the response ends, after the headers (a
 * redirect's Location) have gone out, and a browser follows a redirect at once: the next page
 * could still read the session from before the change (a log-in bounced back to the log-in
 * page). So after a form (any request but GET and HEAD) the session is stored before the
 * redirect is sent; express-session then has nothing left to write.
 */
function saveBeforeRedirect(req: Request, res: Response): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    if (!req.session) return redirect(...args); // destroyed (log-out): nothing to store
    req.session.save(() => redirect(...args)); // a failed save is retried, and reported, as the response ends
  }) as Response['redirect'];
}

/** Issues a fresh session id (log-in, privilege change) keeping nothing from before. */
export function regenerateSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

export function destroySession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
}
