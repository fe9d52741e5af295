// Staff pages under /staff/reports: the monthly report (実績報告書) of the counters in the user's
// scope, printable on A4, and each of its tables as a CSV download for Excel.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { parseCsvEncoding, sendCsv } from '../../lib/csv.js';
import { formatJstDateTime, todayInJapan } from '../../lib/jst.js';
import { now } from '../../lib/clock.js';
import { monthSchema, optionalIdSchema, parseQuery } from '../../lib/validation.js';
import { AppError } from '../../lib/app-error.js';
import { authorize, can, type StaffPrincipal } from '../../policies/index.js';
import type { Feature } from '../feature.js';
import { requirePermission } from '../staff/access.js';
import { listCounters } from '../schedule/counters.js';
import type { DbTx } from '../../db/client.js';
import { monthReport, REPORT_TABLES, type ReportCounter } from './report.js';

const viewers = requirePermission('reports.view');

const reportQuery = z.object({
  month: monthSchema('reports.error.month').optional(),
  counter: optionalIdSchema('reports.error.counter'),
  encoding: z.unknown().optional(),
});

const tableParam = z.object({ table: z.enum(REPORT_TABLES, { message: 'reports.error.table' }) });

/**
 * The counters in the user's scope, and those the report covers: the one asked for (refused
 * when outside the scope), or every one in scope.
 */
async function reportCounters(db: DbTx, user: StaffPrincipal, counterId: number | undefined): Promise<{ scope: ReportCounter[]; chosen: ReportCounter[] }> {
  const scope = (await listCounters(db, { includeRetired: true })).filter((counter) => can(user, 'reports.view', counter.id)).map(({ id, name }) => ({ id, name }));
  if (counterId === undefined) return { scope, chosen: scope };
  authorize(user, 'reports.view', counterId, 'reports.error.counterForbidden');
  const counter = scope.find((candidate) => candidate.id === counterId);
  if (!counter) throw new AppError(400, 'bad_query', 'reports.error.counter');
  return { scope, chosen: [counter] };
}

export function reportsFeature(context: AppContext): Feature {
  const { db } = context;
  const router = Router();

  const report = async (query: unknown, res: Response) => {
    const parsed = parseQuery(reportQuery, query);
    const user = res.locals.staffUser!;
    const month = parsed.month ?? todayInJapan().slice(0, 7);
    const { scope, chosen } = await reportCounters(db.db, user, parsed.counter);
    return { parsed, month, scope, report: await monthReport(db, month, chosen, res.locals.t, { unassigned: parsed.counter === undefined }) };
  };

  router.get('/reports', viewers, async (req, res) => {
    const { parsed, month, scope, report: monthly } = await report(req.query, res);
    res.render('reports/month', {
      title: res.locals.t('reports.title'),
      layout: 'layouts/staff',
      report: monthly,
      month,
      counterId: parsed.counter ?? '',
      scope,
      printedAt: formatJstDateTime(now()),
    });
  });

  // The figures are counts only (no one named), so a download is not written to the audit log.
  router.get('/reports/:table.csv', viewers, async (req, res) => {
    const { table } = parseQuery(tableParam, req.params);
    const { parsed, month, report: monthly } = await report(req.query, res);
    const chosen = monthly.tables[table];
    await sendCsv(res, {
      filename: `${res.locals.t('reports.filename', { month })}_${chosen.caption}.csv`,
      encoding: parseCsvEncoding(parsed.encoding),
      header: chosen.columns,
      rows: chosen.rows.map((row) => [row.heading, ...row.cells]),
    });
  });

  return {
    name: 'reports',
    staffRouter: router,
    staffMenu: [{ href: '/staff/reports', group: 'reports', labelKey: 'reports.menu', action: 'reports.view' }],
  };
}
