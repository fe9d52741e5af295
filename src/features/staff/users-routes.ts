import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { isCalendarDate, lineSchema, parseForm, parseId, pathId } from '../../lib/validation.js';
import { requirePermission, staffActor } from './access.js';
import { actorLabeler } from './actors.js';
import { auditRowsAbout } from './audit.js';
import { createStaffUser, issueTemporaryPassword, listStaffUsers, resetStaffPassword, setStaffUserDisabled, unlockStaffUser, updateStaffUser } from './users-service.js';

const ROLES = ['admin', 'staff', 'operator'] as const;
const counterIds = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) =>
    value === undefined
      ? []
      : [value]
          .flat()
          .map(parseId)
          .filter((id): id is number => id !== undefined),
  );

const userForm = z.object({
  displayName: z.string().trim().min(1, 'validation.required').max(60, 'staff.users.tooLong'),
  role: z.enum(ROLES, { message: 'staff.users.roleRequired' }),
  counterIds,
});
const newUserForm = userForm.extend({
  loginId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{3,32}$/, 'staff.users.loginIdFormat'),
});

/** Admin screens for staff accounts (/staff/users) and the audit log (/staff/audit). */
export function usersRoutes(context: AppContext): Router {
  const db = context.db.prisma;
  const router = Router();
  const asAdmin = <T>(req: import('express').Request, res: import('express').Response, work: (tx: Tx) => Promise<T>) => transaction(context.db, staffActor(req, res), work);
  router.use('/users', requirePermission('users.manage'));
  router.use('/audit', requirePermission('audit.view'));

  const counters = () => db.counter.findMany({ where: { retiredAt: null }, orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }] });
  const renderForm = async (res: import('express').Response, status: number, locals: Record<string, unknown>) =>
    res.status(status).render('staff/users/form', {
      layout: 'layouts/staff',
      title: res.locals.t(locals.user ? 'staff.users.edit' : 'staff.users.new'),
      counters: await counters(),
      errors: {},
      roles: ROLES,
      user: null,
      values: {},
      ...locals,
    });

  router.get('/users', async (req, res) => {
    res.render('staff/users/index', {
      layout: 'layouts/staff',
      title: res.locals.t('staff.users.title'),
      users: await listStaffUsers(db),
      notice: req.session.flash ?? null,
      now: new Date(), // the real time, not the app's clock: PostgreSQL sets and checks staff locks with its own now() (auth-service.ts)
    });
    delete req.session.flash;
  });

  router.get('/users/new', (_req, res) => renderForm(res, 200, {}));

  router.post('/users', async (req, res) => {
    const parsed = parseForm(newUserForm, req.body);
    if (!parsed.ok) return renderForm(res, 400, { errors: parsed.errors, values: req.body });
    const temporary = await issueTemporaryPassword();
    const created = await asAdmin(req, res, (tx) => createStaffUser(tx, parsed.data, temporary));
    res.render('staff/users/temporary-password', {
      layout: 'layouts/staff',
      title: res.locals.t('staff.users.created'),
      loginId: parsed.data.loginId,
      password: created.temporaryPassword,
    });
  });

  router.get('/users/:id/edit', async (req, res) => {
    const user = await db.staffUser.findUniqueOrThrow({ where: { id: pathId(req.params.id) }, include: { counters: true } });
    return renderForm(res, 200, { user, values: { displayName: user.displayName, role: user.role, counterIds: user.counters.map((c) => c.counterId) } });
  });

  router.post('/users/:id', async (req, res) => {
    const id = pathId(req.params.id);
    const parsed = parseForm(userForm, req.body);
    const user = await db.staffUser.findUniqueOrThrow({ where: { id } });
    if (!parsed.ok) return renderForm(res, 400, { user, errors: parsed.errors, values: req.body });
    await asAdmin(req, res, (tx) => updateStaffUser(tx, id, parsed.data));
    req.session.flash = res.locals.t('staff.users.saved');
    res.redirect(303, '/staff/users');
  });

  const action = (path: string, run: (id: number, req: import('express').Request, res: import('express').Response) => Promise<string | void>, flashKey: string) =>
    router.post(`/users/:id/${path}`, async (req, res) => {
      const id = pathId(req.params.id);
      const password = await run(id, req, res);
      if (password) {
        const user = await db.staffUser.findUniqueOrThrow({ where: { id } });
        return res.render('staff/users/temporary-password', { layout: 'layouts/staff', title: res.locals.t('staff.users.passwordReset'), loginId: user.loginId, password });
      }
      req.session.flash = res.locals.t(flashKey);
      res.redirect(303, '/staff/users');
    });
  action('disable', (id, req, res) => asAdmin(req, res, (tx) => setStaffUserDisabled(tx, id, true)), 'staff.users.disabledDone');
  action('enable', (id, req, res) => asAdmin(req, res, (tx) => setStaffUserDisabled(tx, id, false)), 'staff.users.enabledDone');
  action('unlock', (id, req, res) => asAdmin(req, res, (tx) => unlockStaffUser(tx, id)), 'staff.users.unlockedDone');
  action(
    'reset-password',
    async (id, req, res) => {
      const temporary = await issueTemporaryPassword();
      return asAdmin(req, res, (tx) => resetStaffPassword(tx, id, temporary));
    },
    '',
  );

  router.get('/audit', async (req, res) => {
    const filters = auditFilters.parse(req.query);
    const entries = await db.auditLog.findMany({
      where: {
        ...(filters.action ? { action: { startsWith: filters.action } } : {}),
        ...(filters.actorId ? { actorId: filters.actorId } : {}),
        ...(filters.targetId ? { targetId: filters.targetId } : {}),
        ...(filters.text ? await auditRowsAbout(context.db, context.secrets.birthDatePepper, filters.text) : {}),
        at: {
          gte: filters.from ? new Date(`${filters.from}T00:00:00+09:00`) : undefined,
          lt: filters.to ? new Date(Date.parse(`${filters.to}T00:00:00+09:00`) + 86_400_000) : undefined,
        },
        ...(filters.before ? { id: { lt: BigInt(filters.before) } } : {}),
      },
      orderBy: { id: 'desc' },
      take: 100,
    });
    const actorLabel = await actorLabeler(
      db,
      entries.map((entry) => `${entry.actorType}:${entry.actorId}`),
      res.locals.t,
    );
    res.render('staff/audit', { layout: 'layouts/staff', title: res.locals.t('staff.audit.title'), entries, filters, actorLabel, labelOf: translatedOr(res.locals.t) });
  });

  return router;
}

/** The translation of `prefix + code`; a code without one (a row older than its label) reads as a generic label, never as the code. */
const translatedOr = (t: (key: string) => string) => (prefix: string, code: string | null) => {
  if (!code) return '';
  const key = `${prefix}${code}`;
  const label = t(key);
  return label === key ? t('staff.audit.unlabelled') : label;
};

const isoDate = z.string().refine(isCalendarDate).optional().catch(undefined);
const auditFilters = z.object({
  action: lineSchema(64).optional().catch(undefined),
  actorId: lineSchema(80).optional().catch(undefined),
  targetId: lineSchema(80).optional().catch(undefined),
  text: lineSchema(254).optional().catch(undefined),
  from: isoDate,
  to: isoDate,
  before: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional()
    .catch(undefined),
});

declare module 'express-session' {
  interface SessionData {
    flash?: string;
  }
}
