import type { RequestHandler } from 'express';
import type { Db } from '../../db/client.js';
import { can, type Action, type StaffPrincipal, type Subject } from '../../policies/index.js';

declare module 'express-session' {
  interface SessionData {
    staff?: { id: number; loginAt: number };
  }
}

export type { StaffPrincipal } from '../../policies/index.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      staffUser?: StaffPrincipal;
      /** can() for the signed-in user, for views and menus. */
      can: (action: Action, subject?: Subject) => boolean;
    }
  }
}

/**
 * Loads the signed-in staff user on every request (so disabling a user or changing a role
 * takes effect at once) and ends sessions past their absolute lifetime.
 */
export function loadStaff(db: Db, absoluteHours: number): RequestHandler {
  return async (req, res, next) => {
    res.locals.can = () => false;
    const session = req.session?.staff;
    if (!session) return next();
    if (Date.now() - session.loginAt > absoluteHours * 3_600_000) {
      delete req.session.staff;
      return next();
    }
    const user = await db.staffUser.findUnique({ where: { id: session.id }, include: { counters: true } });
    if (!user || user.disabledAt) {
      delete req.session.staff;
      return next();
    }
    const staffUser: StaffPrincipal = {
      id: user.id,
      loginId: user.loginId,
      displayName: user.displayName,
      role: user.role,
      mustChangePassword: user.mustChangePassword,
      counterIds: user.counters.length > 0 ? user.counters.map((link) => link.counterId) : null,
    };
    res.locals.staffUser = staffUser;
    res.locals.can = (action, subject) => can(staffUser, action, subject);
    if (user.mustChangePassword && !['/password', '/logout'].includes(req.path)) return res.redirect(303, '/staff/password');
    next();
  };
}

/** Allows only signed-in staff; others go to the log-in page. */
export const signedIn: RequestHandler = (req, res, next) => {
  if (!res.locals.staffUser) return res.redirect(303, `/staff/login?next=${encodeURIComponent(req.originalUrl)}`);
  next();
};

/** Allows only signed-in staff who may take the action; others go to the log-in page or get 403. */
export function requirePermission(action: Action): RequestHandler {
  return (req, res, next) => {
    const user = res.locals.staffUser;
    if (!user) return res.redirect(303, `/staff/login?next=${encodeURIComponent(req.originalUrl)}`);
    if (!can(user, action))
      return res.status(403).render('errors/message', { title: res.locals.t('error.403.title'), messageKey: 'staff.forbidden', params: {}, layout: 'layouts/staff' });
    next();
  };
}

/** A same-site path to return to after log-in; anything else falls back to the console home. */
export function safeNextPath(next: unknown): string {
  return typeof next === 'string' && /^\/staff(\/[A-Za-z0-9/_\-?=&%.]*)?$/.test(next) && !next.includes('//') ? next : '/staff';
}

/** The audit actor for the signed-in staff user of this request. */
export function staffActor(req: import('express').Request, res: import('express').Response) {
  return { type: 'staff' as const, id: String(res.locals.staffUser!.id), ip: req.ip ?? undefined };
}
