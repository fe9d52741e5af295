import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';

/** An error a user can understand: a status, a stable code, and a message key for t(). */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
  }
}

export const notFound: RequestHandler = (req, res) => {
  const layout = req.originalUrl.startsWith('/staff') ? 'layouts/staff' : 'layouts/citizen';
  res.status(404).render('errors/404', { title: res.locals.t('error.404.title'), layout });
};

/** Shown when even the error page cannot be rendered: plain HTML, nothing from the error. */
function lastResortPage(requestId: string): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラーが発生しました</title></head><body><h1>エラーが発生しました</h1><p>申し訳ありません。時間をおいて再度お試しください。</p><p>受付番号: ${requestId.replace(/[^A-Za-z0-9-]/g, '')}</p></body></html>`;
}

type HttpishError = Error & { status?: number; statusCode?: number; code?: string; type?: string };

/** Japanese error pages; never a stack trace, SQL or version to the user. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: HttpishError, req, res, _next) => {
    const requestId = String(req.id ?? '');
    const layout = req.originalUrl.startsWith('/staff') ? 'layouts/staff' : 'layouts/citizen';
    const render = (status: number, view: string, locals: Record<string, unknown>) => {
      res.status(status).render(view, { layout, ...locals }, (renderError: Error | null, html?: string) => {
        if (renderError) {
          (req.log ?? logger).error({ err: renderError, requestId }, 'error page failed to render');
          res.status(status).type('html').send(lastResortPage(requestId));
        } else {
          res.send(html);
        }
      });
    };
    if (res.headersSent) {
      req.log?.error({ err: error }, 'error after response started');
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
    const status = error.status ?? error.statusCode ?? 500;
    if (status === 413) {
      render(413, 'errors/message', { title: res.locals.t('error.400.title'), messageKey: 'error.413.body', params: {} });
      return;
    }
    if (status >= 400 && status < 500) {
      render(status, 'errors/message', { title: res.locals.t('error.400.title'), messageKey: 'error.400.body', params: {} });
      return;
    }
    (req.log ?? logger).error({ err: error, requestId }, 'unhandled error');
    render(500, 'errors/500', { requestId, title: res.locals.t('error.500.title') });
  };
}
