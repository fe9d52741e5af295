import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import type { Feature, StaffMenuItem } from '../feature.js';
import { usersRoutes } from './users-routes.js';
import { destroySession, regenerateSession } from '../../web/sessions.js';
import { noStore } from '../../web/security-headers.js';
import { lineSchema, parseForm } from '../../lib/validation.js';
import { loadStaff, signedIn, safeNextPath } from './access.js';
import { authenticateStaff, changeOwnPassword } from './auth-service.js';
import { todayAtAGlance } from './home.js';
import { groupedMenu } from './menu.js';
import { now } from '../../lib/clock.js';

const ADMIN_MENU: StaffMenuItem[] = [
  { href: '/staff/users', group: 'admin', labelKey: 'staff.menu.users', action: 'users.manage' },
  { href: '/staff/audit', group: 'admin', labelKey: 'staff.menu.audit', action: 'audit.view' },
];

const loginForm = z.object({
  loginId: lineSchema(64, 'staff.login.required').pipe(z.string().min(1, 'staff.login.required')),
  password: z.string().min(1, 'staff.login.required').max(128, 'staff.login.required'),
  next: z.string().optional(),
});

const passwordForm = z
  .object({
    current: z.string().min(1, 'validation.required').max(128),
    next: z.string().min(1, 'validation.required').max(256),
    confirm: z.string(),
  })
  .refine((form) => form.next === form.confirm, { message: 'staff.password.mismatch', path: ['confirm'] });

/** The staff console's entry: log-in, log-out, own password, home. Features mount beneath. */
export function staffRoutes(context: AppContext, features: Feature[] = []): Router {
  const { db, config } = context;
  const router = Router();
  router.use(noStore);
  router.use(loadStaff(db.prisma, config.SESSION_ABSOLUTE_HOURS));
  const menu = [...features.flatMap((feature) => feature.staffMenu ?? []), ...ADMIN_MENU];
  router.use((req, res, next) => {
    res.locals.staffMenu = groupedMenu(menu, res.locals.staffUser, req.originalUrl.split('?')[0]);
    next();
  });

  router.get('/login', (req, res) => {
    if (res.locals.staffUser) return res.redirect(303, '/staff');
    res.render('staff/login', { title: res.locals.t('staff.login.title'), layout: 'layouts/staff', loginId: '', error: null, next: safeNextPath(req.query.next) });
  });

  router.post('/login', async (req, res) => {
    const parsed = parseForm(loginForm, req.body);
    const loginId = typeof req.body?.loginId === 'string' ? req.body.loginId.slice(0, 64) : '';
    const next = safeNextPath(req.body?.next);
    const fail = (messageKey: string, status = 401) =>
      res.status(status).render('staff/login', { title: res.locals.t('staff.login.title'), layout: 'layouts/staff', loginId, error: res.locals.t(messageKey), next });
    if (!parsed.ok) return fail('staff.login.failed');
    const result = await authenticateStaff(db, parsed.data.loginId, parsed.data.password, req.ip ?? '');
    if (!result.ok && result.reason === 'throttled') return fail('staff.login.throttled', 429);
    if (!result.ok) return fail(result.reason === 'locked' ? 'staff.login.locked' : 'staff.login.failed');
    await regenerateSession(req);
    req.session.staff = { id: result.user.id, loginAt: Date.now() };
    res.redirect(303, result.user.mustChangePassword ? '/staff/password' : next);
  });

  router.post('/logout', async (req, res) => {
    await destroySession(req);
    res.clearCookie(config.COOKIE_SECURE ? '__Host-sid' : 'sid', { path: '/' });
    res.redirect(303, '/staff/login');
  });

  router.get('/', signedIn, async (req, res) => {
    const glance = await todayAtAGlance(db, res.locals.staffUser!, now());
    res.render('staff/home', { title: res.locals.t('staff.home.title'), layout: 'layouts/staff', query: req.query, glance });
  });

  router.get('/password', signedIn, (_req, res) => {
    res.render('staff/password', { title: res.locals.t('staff.password.title'), layout: 'layouts/staff', errors: {}, done: false });
  });

  router.post('/password', signedIn, async (req, res) => {
    const render = (status: number, errors: Record<string, string>, done = false) =>
      res.status(status).render('staff/password', { title: res.locals.t('staff.password.title'), layout: 'layouts/staff', errors, done });
    const parsed = parseForm(passwordForm, req.body);
    if (!parsed.ok) return render(400, parsed.errors);
    const user = res.locals.staffUser!;
    const result = await changeOwnPassword(db, user.id, parsed.data.current, parsed.data.next, req.ip ?? '');
    if (!result.ok) return render(400, { [result.messageKey.startsWith('staff.password.current') ? 'current' : 'next']: result.messageKey });
    await regenerateSession(req);
    req.session.staff = { id: user.id, loginAt: Date.now() };
    res.redirect(303, '/staff?passwordChanged=1');
  });

  router.use(usersRoutes(context));
  for (const feature of features) if (feature.staffRouter) router.use(feature.staffRouter);
  return router;
}
