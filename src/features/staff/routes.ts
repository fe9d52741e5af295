import { Router } from 'express';
import type { AppContext } from '../../app.js';

export function staffRoutes(_context: AppContext): Router {
  const router = Router();
  router.get('/login', (_req, res) => {
    res.render('staff/login', { title: res.locals.t('staff.login.title'), layout: 'layouts/staff', loginId: '', error: null });
  });
  return router;
}
