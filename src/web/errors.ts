import type { ErrorRequestHandler, RequestHandler } from 'express';
import pg from 'pg';
import type { Logger } from 'pino';
import { AppError } from '../lib/app-error.js';

export const notFound: RequestHandler = (req, res) => {
  const layout = req.originalUrl.startsWith('/staff') ? 'layouts/staff' : 'layouts/citizen';
  res.status(404).render('errors/404', { title: res.locals.t('error.404.title'), layout });
};

/** Shown when even the error page cannot be rendered: plain HTML, nothing from the error. */
function lastResortPage(requestId: string): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラーが発生しました</title></head><body><h1>エラーが発生しました</h1><p>申し訳ありません。時間をおいて再度お試しください。</p><p>受付番号: ${requestId.replace(/[^A-Za-z0-9-]/g, '')}</p></body></html>`;
}

type HttpishError = Error & { status?: number; statusCode?: number; code?: string; type?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };

/**
 * The status for a database refusal that bad input caused, should a value slip past the route's
 * parsing (lib/validation.ts): PostgreSQL's data exceptions (class 22: NUL byte, number out of
 * range, impossible date...) are the client's 400, a duplicate (23505) a 409, a missing record
 * (Prisma P2025) a 404. Anything else stays a 500.
 */
function inputErrorStatus(error: HttpishError): number | undefined {
  const sqlState = error.meta?.driverAdapterError?.cause?.originalCode ?? (error instanceof pg.DatabaseError ? error.code : undefined);
  if (sqlState?.startsWith('22')) return 400;
  if (sqlState === '23505') return 409;
  if (error.code === 'P2025') return 404;
  return undefined;
}

// The database cannot be reached or has just gone away (a restart, a failover, a network cut):
// the connection errors of node and pg, PostgreSQL's shutdown and connection classes, Prisma's.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', 'P1001', 'P1002', 'P1017', 'P2024']);
const UNREACHABLE_MESSAGES =
  /connect (ENOENT|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH)|Connection terminated|timeout exceeded when trying to connect|not queryable|is not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/;

/** Whether the error means the database is out of reach for now (a 503 and a retry, not a 500). */
export function databaseUnreachable(error: HttpishError | undefined, depth = 0): boolean {
  if (!error || depth > 4) return false;
  const sqlState = error.meta?.driverAdapterError?.cause?.originalCode ?? error.code;
  if (sqlState && (UNREACHABLE_CODES.has(sqlState) || sqlState.startsWith('08'))) return true;
  // A Unix socket that is not there: the server is down (its socket goes with it).
  if (sqlState === 'ENOENT' && (error as { syscall?: string }).syscall === 'connect') return true;
  if (UNREACHABLE_MESSAGES.test(error.message ?? '')) return true;
  return databaseUnreachable(error.cause as HttpishError | undefined, depth + 1);
}

/** Japanese error pages; never a stack trace, SQL or version to the user. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: HttpishError, req, res, _next) => {
    const requestId = String(req.id ?? '');
    const layout = req.originalUrl.startsWith('/staff') ? 'layouts/staff' : 'layouts/citizen';
    const render = (status: number, view: string, locals: Record<string, unknown>) => {
      res.status(status).render(view, { layout, ...locals }, (renderError: Error | null, html?: string) => {
        if (renderError) {
          logger.error({ err: renderError, requestId }, 'error page failed to render');
          res.status(status).type('html').send(lastResortPage(requestId));
        } else {
          res.send(html);
        }
      });
    };
    if (res.headersSent) {
      logger.error({ err: error, requestId }, 'error after response started');
      res.end();
      return;
    }
    if (error instanceof AppError) {
      render(error.status, 'errors/message', { title: res.locals.t('error.400.title'), messageKey: error.messageKey, params: error.params });
      return;
    }
    if (error.code === 'EBADCSRFTOKEN') {
      render(403, 'errors/message', { title: res.locals.t('error.403.title'), messageKey: 'error.csrf.body', params: {} });
      return;
    }
    if (databaseUnreachable(error)) {
      logger.warn({ err: error, requestId }, 'database unreachable');
      res.set('Retry-After', '30');
      render(503, 'errors/message', { title: res.locals.t('error.503.title'), messageKey: 'error.503.body', params: {}, statusLink: true });
      return;
    }
    const refused = inputErrorStatus(error);
    if (refused) {
      logger.warn({ err: error, requestId }, 'database refused the input');
      render(refused, 'errors/message', {
        title: res.locals.t(refused === 404 ? 'error.404.title' : 'error.400.title'),
        messageKey: refused === 404 ? 'error.404.body' : refused === 409 ? 'error.409.body' : 'error.400.body',
        params: {},
      });
      return;
    }
    const status = error.status ?? error.statusCode ?? 500;
    if (status === 413) {
      render(413, 'errors/message', { title: res.locals.t('error.400.title'), messageKey: 'error.413.body', params: {} });
      return;
    }
    if (status >= 400 && status < 500) {
      render(status, 'errors/message', { title: res.locals.t('error.400.title'), messageKey: 'error.400.body', params: {} });
      return;
    }
    logger.error({ err: error, requestId }, 'unhandled error');
    render(500, 'errors/500', { requestId, title: res.locals.t('error.500.title') });
  };
}
