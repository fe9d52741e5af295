// The citizen's session: who logged in, a short idle timeout (CITIZEN_SESSION_IDLE_MINUTES)
// checked on the server, an absolute lifetime, and the header with log-out and the warning
// before the session ends (WCAG 2.2.1: the citizen can extend it).
import path from 'node:path';
import ejs from 'ejs';
import type { RequestHandler } from 'express';
import type { SessionData } from 'express-session';
import type { Config } from '../../config.js';
import { destroySession, TOUCH_EVERY_MS } from '../../web/sessions.js';
import { viewsDir } from '../../web/views.js';
import type { SessionGenerations } from './logouts.js';

declare module 'express-session' {
  interface SessionData {
    /** generation: the card holder's session generation at log-in (log-out bumps it, see logouts.ts). */
    citizen?: { cardHolderId: number; generation: number; loginAt: number; lastSeenAt: number };
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares res.locals in its global namespace
  namespace Express {
    interface Locals {
      cardHolderId?: number;
    }
  }
}

const headerTemplate = path.join(viewsDir, 'citizen/_session-header.ejs');

type CitizenOfSession = NonNullable<SessionData['citizen']>;

/** A citizen whose session just ran past its lifetime has left: what they held is given back. */
function expiredCitizen(generations: SessionGenerations, citizenLeft: (cardHolderId: number) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    const citizen = req.expiredSession?.citizen as CitizenOfSession | undefined;
    if (citizen && (await generations.isCurrent(citizen.cardHolderId, citizen.generation ?? -1))) {
      await citizenLeft(citizen.cardHolderId);
      res.locals.sessionExpired = true;
    }
    next();
  };
}

export function loadCitizen(config: Config, generations: SessionGenerations, citizenLeft: (cardHolderId: number) => Promise<void>): RequestHandler {
  const idleMs = config.CITIZEN_SESSION_IDLE_MINUTES * 60_000;
  const leftWhenExpired = expiredCitizen(generations, citizenLeft);
  return async (req, res, next) => {
    const citizen = req.session?.citizen;
    if (!citizen) return leftWhenExpired(req, res, next);
    // A cookie from before a log-out (copied, or replayed) is refused: the citizen logs in again.
    if (!(await generations.isCurrent(citizen.cardHolderId, citizen.generation ?? -1))) {
      await destroySession(req);
      return next();
    }
    const now = Date.now();
    if (now - citizen.lastSeenAt > idleMs || now - citizen.loginAt > config.SESSION_ABSOLUTE_HOURS * 3_600_000) {
      await citizenLeft(citizen.cardHolderId);
      delete req.session.citizen;
      delete req.session.pendingBooking;
      res.locals.sessionExpired = true;
      return next();
    }
    // Written at most once a minute, so most requests do not rewrite the session row; the
    // "extend" button always renews it, and the page's time-out warning counts from this time.
    if (now - citizen.lastSeenAt > TOUCH_EVERY_MS || req.path === '/session/extend') citizen.lastSeenAt = now;
    res.locals.cardHolderId = citizen.cardHolderId;
    res.locals.scripts = ['/js/citizen-session.js'];
    res.locals.headerExtra = await ejs.renderFile(
      headerTemplate,
      { ...res.locals, idleSeconds: Math.round((idleMs - (now - citizen.lastSeenAt)) / 1000) },
      { cache: config.NODE_ENV === 'production' },
    );
    next();
  };
}

export const requireCitizen: RequestHandler = (_req, res, next) => {
  if (res.locals.cardHolderId === undefined) return res.redirect(303, res.locals.sessionExpired ? '/login?expired=1' : '/login');
  next();
};
