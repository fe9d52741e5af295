// /staff/reports/forecast: the next eight weeks of demand against places per counter (issue 15.7).
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { AppError } from '../../../lib/app-error.js';
import { now } from '../../../lib/clock.js';
import { optionalIdSchema, parseQuery } from '../../../lib/validation.js';
import { authorize, visibleCounterIds, type StaffPrincipal } from '../../../policies/index.js';
import type { Feature } from '../../feature.js';
import { requirePermission } from '../../staff/access.js';
import { counterForecast } from './forecast.js';
import { forecastView } from './view.js';

const viewers = requirePermission('reports.view');

const forecastQuery = z.object({ counter: optionalIdSchema('forecast.badCounter') });

/** The one counter asked for (?counter=id), or null for every counter the user may see. */
function chosenCounter(query: unknown, user: StaffPrincipal): number | null {
  const { counter } = parseQuery(forecastQuery, query);
  if (counter === undefined) return null;
  authorize(user, 'reports.view', counter, 'forecast.counterForbidden');
  return counter;
}

export function forecastFeature({ db }: AppContext): Feature {
  const router = Router();
  router.get('/reports/forecast', viewers, async (req, res) => {
    const user = res.locals.staffUser!;
    const chosen = chosenCounter(req.query, user);
    const forecast = await counterForecast(db, now(), chosen === null ? visibleCounterIds(user) : [chosen], { unassigned: chosen === null });
    if (chosen !== null && !forecast.rows.some((row) => row.counterId === chosen)) throw new AppError(404, 'no_counter', 'forecast.noCounter');
    res.render('reports/forecast/index', { title: res.locals.t('forecast.title'), layout: 'layouts/staff', ...forecastView(forecast, res.locals.t) });
  });
  return {
    name: 'forecast',
    staffRouter: router,
    staffMenu: [{ href: '/staff/reports/forecast', group: 'reports', labelKey: 'forecast.menu', action: 'reports.view' }],
  };
}
