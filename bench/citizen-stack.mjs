// The middleware every citizen request passes in the app, taken from the compiled build, for the
// benches that measure the stack without the app (storm-floor.mjs, stack-request.mjs): the
// security headers, the form parser and the citizen session cookie.
import express from 'express';
import { cookieSessions } from '../dist/web/cookie-session.js';
import { formBodies } from '../dist/web/forms.js';
import { securityHeaders } from '../dist/web/security-headers.js';

/** Express as the app sets it up, without middleware. */
export function bareExpress() {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  return app;
}

/** The three middlewares, in the app's order. */
export const citizenMiddleware = (sessionSecret) => ({
  helmet: securityHeaders({ tls: false }),
  formParser: formBodies(),
  sessionCookie: cookieSessions({ secret: sessionSecret, secure: false, maxAgeMs: 1_800_000, absoluteMs: 86_400_000 }),
});
