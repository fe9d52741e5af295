import { Router } from 'express';
import type { AppContext } from '../../app.js';
import type { Feature } from '../feature.js';

export function citizenRoutes(_context: AppContext, features: Feature[] = []): Router {
  const router = Router();
  for (const feature of features) if (feature.citizenRouter) router.use(feature.citizenRouter);
  router.get('/', (_req, res) => {
    res.render('citizen/start', { title: res.locals.t('citizen.start.title') });
  });
  return router;
}
