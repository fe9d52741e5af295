// /staff/reports/forecast: the next eight weeks of demand against places per counter (issue 15.7).
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { AppError } from '../../../lib/app-error.js';
import { now } from '../../../lib/clock.js';
import { parseCsvEncoding, sendCsv } from '../../../lib/csv.js';
import { todayInJapan } from '../../../lib/jst.js';
import { optionalIdSchema, parseQuery } from '../../../lib/validation.js';
import { authorize, visibleCounterIds, type StaffPrincipal } from '../../../policies/index.js';
import type { Feature } from '../../feature.js';
import { requirePermission } from '../../staff/access.js';
import { counterForecast } from './forecast.js';
import { FORECAST_TABLES, forecastCsv, forecastView } from './view.js';

const viewers = requirePermission('reports.view');

const forecastQuery = z.object({ counter: optionalIdSchema('forecast.badCounter'), encoding: z.unknown().optional() });
const tableParam = z.object({ table: z.enum(FORECAST_TABLES, { message: 'forecast.badTable' }) });

/** The one counter asked for (?counter=id), or null for every counter the user may see, and the CSV's encoding. */
function forecastQueryOf(query: unknown, user: StaffPrincipal): { counter: number | null; encoding: unknown } {
  const { counter, encoding } = parseQuery(forecastQuery, query);
  if (counter !== undefined) authorize(user, 'reports.view', counter, 'forecast.counterForbidden');
  return { counter: counter ?? null, encoding };
}

export function forecastFeature({ db }: AppContext): Feature {
  const router = Router();
  const forecastOf = async (query: unknown, res: Response) => {
    const user = res.locals.staffUser!;
    const { counter: chosen, encoding } = forecastQueryOf(query, user);
    const at = now();
    const forecast = await counterForecast(db, at, chosen === null ? visibleCounterIds(user) : [chosen], { unassigned: chosen === null });
    if (chosen !== null && !forecast.rows.some((row) => row.counterId === chosen)) throw new AppError(404, 'no_counter', 'forecast.noCounter');
    return { forecast, counter: chosen, encoding, date: todayInJapan(at) };
  };

  router.get('/reports/forecast', viewers, async (req, res) => {
    const { forecast, counter } = await forecastOf(req.query, res);
    res.render('reports/forecast/index', {
      title: res.locals.t('forecast.title'),
      layout: 'layouts/staff',
      csvQuery: counter === null ? '' : `?counter=${counter}`,
      ...forecastView(forecast, res.locals.t),
    });
  });

  // Counts only (no one named), so a download is not written to the audit log, as the monthly report's.
  router.get('/reports/forecast/:table.csv', viewers, async (req, res) => {
    const { table } = parseQuery(tableParam, req.params);
    const { forecast, encoding, date } = await forecastOf(req.query, res);
    const { caption, header, rows } = forecastCsv(forecast, res.locals.t, table);
    await sendCsv(res, {
      filename: `${res.locals.t('forecast.csv.filename', { date })}_${caption}.csv`,
      encoding: parseCsvEncoding(encoding),
      header,
      rows,
    });
  });
  return {
    name: 'forecast',
    staffRouter: router,
    staffMenu: [{ href: '/staff/reports/forecast', group: 'reports', labelKey: 'forecast.menu', action: 'reports.view' }],
  };
}
