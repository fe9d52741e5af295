// The public status page (/status: no log-in, no personal data, served even when the database
// is down) and the console pages where staff post maintenance and incident notices.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { jstDateOf, jstMinutesOf, timeText } from '../../lib/jst.js';
import { parseForm, pathId, type FieldErrors } from '../../lib/validation.js';
import { now as clockNow } from '../../lib/clock.js';
import { requirePermission, staffActor } from '../staff/access.js';
import type { Feature } from '../feature.js';
import { StatusBoard } from './board.js';
import { noticeForm } from './forms.js';
import { noticeById, noticesSince, saveNotice, type StatusNotice } from './notices.js';

const managers = requirePermission('status.manage');
const layout = 'layouts/staff';

/** The public page, mounted before sessions: it needs no cookie and no database to answer. */
export function publicStatusRoutes(board: StatusBoard): Router {
  const router = Router();
  router.get('/status', async (_req, res) => {
    const view = await board.view();
    res.set('Cache-Control', 'no-store');
    res.render('status/public', { title: res.locals.t('status.title'), layout: 'layouts/citizen', ...view });
  });
  return router;
}

/** A notice as the form shows it (Japan time). */
function formValues(notice: StatusNotice) {
  const at = (instant: Date | null) => (instant ? { date: jstDateOf(instant), time: timeText(jstMinutesOf(instant)) } : { date: '', time: '' });
  const [start, end] = [at(notice.startsAt), at(notice.endsAt)];
  return { kind: notice.kind, title: notice.title, body: notice.body, startDate: start.date, startTime: start.time, endDate: end.date, endTime: end.time };
}

export function statusFeature({ db }: AppContext, board: StatusBoard): Feature {
  const router = Router();
  const list = async (req: Request, res: Response) => {
    const notices = await noticesSince(db, new Date(0));
    res.render('status/notices', { title: res.locals.t('status.notices.title'), layout, notices, done: req.query.done === 'saved' });
  };
  const form = (res: Response, notice: { id?: number; values: Record<string, unknown> }, errors: FieldErrors = {}, status = 200) =>
    res.status(status).render('status/form', { title: res.locals.t(notice.id ? 'status.form.editTitle' : 'status.form.newTitle'), layout, ...notice, errors });
  const save = async (req: Request, res: Response, id?: number) => {
    const parsed = parseForm(noticeForm, req.body);
    if (!parsed.ok) return form(res, { id, values: req.body as Record<string, unknown> }, parsed.errors, 400);
    await transaction(db, staffActor(req, res), (tx) => saveNotice(tx, parsed.data, id), { models: false });
    board.expire();
    res.redirect(303, '/staff/status?done=saved');
  };
  const existing = async (req: Request) => {
    const notice = await noticeById(db, pathId(req.params.id));
    if (!notice) throw new AppError(404, 'not_found', 'error.404.body');
    return notice;
  };

  router.get('/status', managers, list);
  router.get('/status/new', managers, (_req, res) => form(res, { values: formValues({ id: 0, kind: 'maintenance', title: '', body: '', startsAt: clockNow(), endsAt: null }) }));
  router.post('/status/new', managers, (req, res) => save(req, res));
  router.get('/status/:id/edit', managers, async (req, res) => {
    const notice = await existing(req);
    form(res, { id: notice.id, values: formValues(notice) });
  });
  router.post('/status/:id/edit', managers, async (req, res) => save(req, res, (await existing(req)).id));
  return { name: 'status', staffRouter: router, staffMenu: [{ href: '/staff/status', group: 'admin', labelKey: 'status.menu', action: 'status.manage' }] };
}
