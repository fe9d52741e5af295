import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';
import type { RequestHandler } from 'express';

export interface SessionOptions {
  pool: pg.Pool;
  secret: string;
  secure: boolean;
  idleMinutes: number;
}

declare module 'express-session' {
  interface SessionData {
    createdAt: number;
    locale: string;
  }
}

/**
 * Sessions live in PostgreSQL so several app processes share them and a restart logs nobody
 * out. The cookie carries only a random id; idle timeout is the rolling cookie lifetime.
 */
export function sessions(options: SessionOptions): RequestHandler {
  const PgStore = connectPgSimple(session);
  return session({
    store: new PgStore({ pool: options.pool, tableName: 'session', createTableIfMissing: false, pruneSessionInterval: false }),
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
}

/** Issues a fresh session id (log-in, privilege change) keeping nothing from before. */
export function regenerateSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

export function destroySession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
}
