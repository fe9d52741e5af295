import { Router } from 'express';
import type { AppContext } from '../../app.js';

export function citizenRoutes(_context: AppContext): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.render('citizen/start', { title: res.locals.t('citizen.start.title') });
  });
  return router;
}
