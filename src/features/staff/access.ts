import type { RequestHandler } from 'express';
import type { Db } from '../../db/client.js';
import type { StaffRole } from '../../generated/prisma/client.js';

declare module 'express-session' {
  interface SessionData {
    staff?: { id: number; loginAt: number };
  }
}

export interface StaffPrincipal {
  id: number;
  loginId: string;
  displayName: string;
  role: StaffRole;
  mustChangePassword: boolean;
  /** Counters this user may work at; null means every counter. */
  counterIds: number[] | null;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      staffUser?: StaffPrincipal;
    }
  }
}

/**
 * Loads the signed-in staff user on every request (so disabling a user or changing a role
 * takes effect at once) and ends sessions past their absolute lifetime.
 */
export function loadStaff(db: Db, absoluteHours: number): RequestHandler {
  return async (req, res, next) => {
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
    res.locals.staffUser = {
      id: user.id,
      loginId: user.loginId,
      displayName: user.displayName,
      role: user.role,
      mustChangePassword: user.mustChangePassword,
      counterIds: user.counters.length > 0 ? user.counters.map((link) => link.counterId) : null,
    };
    if (user.mustChangePassword && !['/password', '/logout'].includes(req.path)) return res.redirect(303, '/staff/password');
    next();
  };
}

/** Allows only signed-in staff with one of the roles; others go to the log-in page or get 403. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (req, res, next) => {
    const user = res.locals.staffUser;
    if (!user) return res.redirect(303, `/staff/login?next=${encodeURIComponent(req.originalUrl)}`);
    if (!roles.includes(user.role)) return res.status(403).render('errors/message', { title: res.locals.t('error.403.title'), messageKey: 'staff.forbidden', params: {}, layout: 'layouts/staff' });
    next();
  };
}

export const anyStaff = requireRole('admin', 'staff', 'operator');

export function canUseCounter(user: StaffPrincipal, counterId: number): boolean {
  return user.counterIds === null || user.counterIds.includes(counterId);
}

/** A same-site path to return to after log-in; anything else falls back to the console home. */
export function safeNextPath(next: unknown): string {
  return typeof next === 'string' && /^\/staff(\/[A-Za-z0-9/_\-?=&%.]*)?$/.test(next) && !next.includes('//') ? next : '/staff';
}

/** The audit actor for the signed-in staff user of this request. */
export function staffActor(req: import('express').Request, res: import('express').Response) {
  return { type: 'staff' as const, id: String(res.locals.staffUser!.id), ip: req.ip ?? undefined };
}
