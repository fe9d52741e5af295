import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import type { Feature } from '../feature.js';
import { findFaq } from '../faq/faq.js';
import { generateCsrfToken } from '../../web/csrf.js';
import { noStore } from '../../web/security-headers.js';
import { destroySession, regenerateSession } from '../../web/sessions.js';
import { lineSchema, parseForm } from '../../lib/validation.js';
import { authenticateCitizen, type CitizenLoginResult } from './login-service.js';
import { applicantRoutes } from './applicant-routes.js';
import { watchLogouts } from './logouts.js';
import { applicantSessions, loadCitizen, type Booker } from './session.js';

const loginForm = z.object({
  noticeId: lineSchema(64, 'citizen.login.failed').pipe(z.string().min(1, 'citizen.login.noticeIdRequired')),
  birth: lineSchema(16, 'citizen.login.failed').pipe(z.string().min(1, 'citizen.login.birthRequired')),
});

const FAILURE_MESSAGES: Record<Exclude<CitizenLoginResult, { ok: true }>['reason'], [number, string]> = {
  invalid: [401, 'citizen.login.failed'],
  locked: [401, 'citizen.login.locked'],
  locked_until_unlocked: [401, 'citizen.login.lockedForGood'],
  throttled: [429, 'citizen.login.throttled'],
};

/** The groups of WCAG 2.2 AA criteria on the accessibility page, in its order (locales: citizen.accessibility.sc.*). */
export const ACCESSIBILITY_CRITERIA = ['nonText', 'contrast', 'reflow', 'keyboard', 'focus', 'timing', 'bypass', 'target', 'language', 'errors', 'status'];

/** Citizen pages: the start page, log-in and log-out, and the features' citizen pages. */
export function citizenRoutes(context: AppContext, features: Feature[] = []): Router {
  const { db, config, secrets } = context;
  const router = Router();
  const citizenLeft = async (booker: Booker) => {
    for (const feature of features) await feature.citizenLeft?.(booker);
  };
  const generations = watchLogouts(db, config.SESSION_ABSOLUTE_HOURS);
  const applicants = applicantSessions(db);
  router.use(loadCitizen(config, { generations, applicants }, citizenLeft));

  router.get('/', async (_req, res) => {
    // The start page still serves when the database does not answer: the FAQ is then left out (and the failure logged).
    const faq = await findFaq(db, { publishedOnly: true }).catch((error: unknown) => {
      context.logger.warn({ err: error }, 'start page without the FAQ: the database did not answer');
      return [];
    });
    res.render('citizen/start', { faq }); // the page title is the site name alone
  });

  // The accessibility policy and test results (試験結果表示); each group is tested by the e2e suite.
  router.get('/accessibility', (_req, res) => {
    res.render('citizen/accessibility', { title: res.locals.t('citizen.accessibility.title'), criteria: ACCESSIBILITY_CRITERIA });
  });

  const renderLogin = (
    res: import('express').Response,
    status: number,
    locals: { noticeId?: string; errors?: Record<string, string>; error?: string | null; notice?: string | null },
  ) => res.status(status).render('citizen/login', { title: res.locals.t('citizen.login.title'), noticeId: '', errors: {}, error: null, notice: null, ...locals });

  router.get('/login', noStore, (req, res) => {
    if (res.locals.booker !== undefined) return res.redirect(303, '/booking');
    renderLogin(res, 200, {
      notice: req.query.expired || res.locals.sessionExpired ? res.locals.t('citizen.login.expired') : req.query.loggedOut ? res.locals.t('citizen.login.loggedOut') : null,
    });
  });

  router.post('/login', noStore, async (req, res) => {
    const noticeId = typeof req.body?.noticeId === 'string' ? req.body.noticeId.slice(0, 64) : '';
    const parsed = parseForm(loginForm, req.body);
    if (!parsed.ok) return renderLogin(res, 400, { noticeId, errors: parsed.errors });
    const result = await authenticateCitizen(db, secrets.birthDatePepper, parsed.data.noticeId, parsed.data.birth, req.ip ?? '');
    if (!result.ok) {
      const [status, messageKey] = FAILURE_MESSAGES[result.reason];
      return renderLogin(res, status, { noticeId, error: res.locals.t(messageKey, { minutes: 15 }) });
    }
    await regenerateSession(req);
    const now = Date.now();
    req.session.citizen = { cardHolderId: result.cardHolderId, generation: result.sessionGeneration, loginAt: now, lastSeenAt: now };
    // The new session's CSRF token now, so it is sealed into this cookie, not by the next page.
    generateCsrfToken(req);
    res.redirect(303, '/booking');
  });

  router.post('/logout', async (req, res) => {
    const booker = res.locals.booker;
    if (booker) await citizenLeft(booker);
    if (booker && 'cardHolderId' in booker) await generations.logOut(booker.cardHolderId);
    if (req.session.applicant) await applicants.end(req.session.applicant.verificationId);
    await destroySession(req); // the cookie is cleared as the response goes out
    res.redirect(303, '/login?loggedOut=1');
  });

  /** The "extend" button of the time-out warning: any request renews the idle timer. */
  router.post('/session/extend', (req, res) => {
    if (res.locals.booker === undefined) return res.status(401).json({ ok: false });
    res.json({ ok: true, idleSeconds: config.CITIZEN_SESSION_IDLE_MINUTES * 60 });
  });

  router.use(applicantRoutes(context));
  for (const feature of features) if (feature.citizenRouter) router.use(feature.citizenRouter);
  return router;
}
