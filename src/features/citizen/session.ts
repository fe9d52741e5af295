// The citizen's session: who logged in, a short idle timeout (CITIZEN_SESSION_IDLE_MINUTES)
// checked on the server, an absolute lifetime, and the header with log-out and the warning
// before the session ends (WCAG 2.2.1: the citizen can extend it).
import path from 'node:path';
import ejs from 'ejs';
import type { RequestHandler } from 'express';
import type { SessionData } from 'express-session';
import type { Config } from '../../config.js';
import type { Reader } from '../../db/client.js';
import { destroySession, TOUCH_EVERY_MS } from '../../web/sessions.js';
import { viewsDir } from '../../web/views.js';
import type { SessionGenerations } from './logouts.js';

declare module 'express-session' {
  interface SessionData {
    /** generation: the card holder's session generation at log-in (log-out bumps it, see logouts.ts). */
    citizen?: { cardHolderId: number; generation: number; loginAt: number; lastSeenAt: number };
    /**
     * A person booking a procedure without a notice ID, after proving their email and giving
     * who they are (applicant-routes.ts); the session lives while its verification has not ended.
     */
    applicant?: { applicantId: number; procedure: string; email: string; verificationId: string; loginAt: number; lastSeenAt: number };
  }
}

/** Who books on the citizen pages: a card holder (notice ID), or an applicant for one procedure. */
export type Booker = { cardHolderId: number } | { applicantId: number; procedure: string; email: string };

/** How the audit log and "who" columns name a citizen: the card holder's id, or applicant:<id>. */
export const citizenActorId = (who: { cardHolderId: number } | { applicantId: number }) => ('cardHolderId' in who ? String(who.cardHolderId) : `applicant:${who.applicantId}`);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares res.locals in its global namespace
  namespace Express {
    interface Locals {
      cardHolderId?: number;
      booker?: Booker;
    }
  }
}

/** Whether an applicant's session may go on (its verification not ended by a log-out); ending it. */
export interface ApplicantSessions {
  isCurrent(verificationId: string): Promise<boolean>;
  end(verificationId: string): Promise<void>;
}

export function applicantSessions(database: Reader): ApplicantSessions {
  return {
    async isCurrent(verificationId) {
      return (await database.query(`SELECT 1 FROM email_verifications WHERE id = $1::uuid AND ended_at IS NULL`, [verificationId])).length === 1;
    },
    async end(verificationId) {
      await database.query(`UPDATE email_verifications SET ended_at = now() WHERE id = $1::uuid AND ended_at IS NULL`, [verificationId]);
    },
  };
}

type SessionOf = Pick<SessionData, 'citizen' | 'applicant'>;

/** The booker a session names (undefined when none). */
function bookerOf(session: Partial<SessionOf> | undefined): Booker | undefined {
  if (session?.citizen) return { cardHolderId: session.citizen.cardHolderId };
  const applicant = session?.applicant;
  return applicant ? { applicantId: applicant.applicantId, procedure: applicant.procedure, email: applicant.email } : undefined;
}

const headerTemplate = path.join(viewsDir, 'citizen/_session-header.ejs');

/** Citizen sessions that are still good: a card holder's not logged out since, an applicant's verification not ended. */
export interface CurrentSessions {
  generations: SessionGenerations;
  applicants: ApplicantSessions;
}

/** Whether the session's log-in still holds (a cookie from before a log-out, copied or replayed, does not). */
async function isCurrent(sessions: CurrentSessions, session: SessionOf): Promise<boolean> {
  if (session.citizen) return sessions.generations.isCurrent(session.citizen.cardHolderId, session.citizen.generation ?? -1);
  return session.applicant !== undefined && sessions.applicants.isCurrent(session.applicant.verificationId);
}

/** A citizen whose session just ran past its lifetime has left: what they held is given back. */
function expiredCitizen(sessions: CurrentSessions, citizenLeft: (booker: Booker) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    const expired = req.expiredSession as SessionOf | undefined;
    const booker = bookerOf(expired);
    if (booker && (await isCurrent(sessions, expired!))) {
      await citizenLeft(booker);
      res.locals.sessionExpired = true;
    }
    next();
  };
}

export function loadCitizen(config: Config, sessions: CurrentSessions, citizenLeft: (booker: Booker) => Promise<void>): RequestHandler {
  const idleMs = config.CITIZEN_SESSION_IDLE_MINUTES * 60_000;
  const leftWhenExpired = expiredCitizen(sessions, citizenLeft);
  return async (req, res, next) => {
    const booker = bookerOf(req.session);
    const citizen = req.session?.citizen ?? req.session?.applicant;
    if (!booker || !citizen) return leftWhenExpired(req, res, next);
    if (!(await isCurrent(sessions, req.session))) {
      await destroySession(req);
      return next();
    }
    const now = Date.now();
    if (now - citizen.lastSeenAt > idleMs || now - citizen.loginAt > config.SESSION_ABSOLUTE_HOURS * 3_600_000) {
      await citizenLeft(booker);
      delete req.session.citizen;
      delete req.session.applicant;
      delete req.session.pendingBooking;
      res.locals.sessionExpired = true;
      return next();
    }
    // Written at most once a minute, so most requests do not rewrite the session row; the
    // "extend" button always renews it, and the page's time-out warning counts from this time.
    if (now - citizen.lastSeenAt > TOUCH_EVERY_MS || req.path === '/session/extend') citizen.lastSeenAt = now;
    res.locals.booker = booker;
    if ('cardHolderId' in booker) res.locals.cardHolderId = booker.cardHolderId;
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
  if (res.locals.booker === undefined) return res.redirect(303, res.locals.sessionExpired ? '/login?expired=1' : '/login');
  next();
};
