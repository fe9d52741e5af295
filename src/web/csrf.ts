import { csrfSync } from 'csrf-sync';
import type { RequestHandler } from 'express';

/**
 * Synchroniser token pattern: a secret token kept in the server-side session must come back
 * with every state-changing request, in the form field _csrf or the X-CSRF-Token header.
 */
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  // A multipart upload (J-LIS import) is streamed by its route, after this check, so its form
  // carries the token in the action URL's query instead of the body.
  getTokenFromRequest: (req) =>
    (req.body as Record<string, string> | undefined)?._csrf ??
    (req.headers['x-csrf-token'] as string | undefined) ??
    (req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : undefined),
  errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'EBADCSRFTOKEN' },
});

export const csrfProtection: RequestHandler = csrfSynchronisedProtection;

/** The session's token, created when it has none (e.g. right after log-in renewed the session). */
export const generateCsrfToken = (req: Parameters<typeof generateToken>[0]): string => generateToken(req);

/**
 * Views call `csrfToken()` in their forms. It is a function so that a page without a form
 * creates no token, and so no session for an anonymous visitor.
 */
export const exposeCsrfToken: RequestHandler = (req, res, next) => {
  let token: string | undefined;
  res.locals.csrfToken = () => (token ??= generateToken(req));
  next();
};
