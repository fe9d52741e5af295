import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { formatDateJa, formatMinutes, jstDateOf, jstMinutesOf } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { parseForm } from '../../lib/validation.js';
import type { Feature } from '../feature.js';
import { transaction } from '../../db/transaction.js';
import { requirePermission, staffActor } from '../staff/access.js';
import { actorLabeler } from '../staff/actors.js';
import { acknowledgeAlert, verifyAcknowledgementToken } from './alerts.js';
import { normaliseMailQuery, recentAlerts, searchMail, showMail } from './mail-log.js';

const idParam = z.object({ id: z.string().regex(/^\d{1,18}$/) });
const tokenForm = z.object({ token: z.string().min(1).max(2000) });

const mailReaders = requirePermission('mail.view');
const alertManagers = requirePermission('alerts.manage');

/** Dates in the console read as Japan time, whatever the server's TZ. */
const viewHelpers: RequestHandler = (_req, res, next) => {
  res.locals.jstDateTime = (instant: Date) => `${formatDateJa(jstDateOf(instant))} ${formatMinutes(jstMinutesOf(instant))}`;
  next();
};

function parseId(params: unknown): bigint {
  const parsed = parseForm(idParam, params);
  if (!parsed.ok) throw new AppError(404, 'not_found', 'error.404.body');
  return BigInt(parsed.data.id);
}

export function notifyFeature(context: AppContext): Feature {
  return {
    name: 'notify',
    staffRouter: staffRouter(context),
    citizenRouter: alertLinkRouter(context),
    staffMenu: [
      { href: '/staff/mail', group: 'admin', labelKey: 'notify.menu.mail', action: 'mail.view' },
      { href: '/staff/alerts', group: 'admin', labelKey: 'notify.menu.alerts', action: 'alerts.manage' },
    ],
  };
}

function staffRouter({ db, config, secrets }: AppContext): Router {
  const router = Router();
  router.use(['/mail', '/alerts'], viewHelpers);
  const layout = 'layouts/staff';

  router.get('/mail', mailReaders, async (req, res) => {
    const q = normaliseMailQuery(req.query.q);
    const result = await transaction(db, staffActor(req, res), (tx) => searchMail(tx, res.locals.staffUser!, q, secrets.birthDatePepper));
    res.render('notify/mail-index', { title: res.locals.t('notify.mail.title'), layout, q, ...result, smtpConfigured: Boolean(config.SMTP_URL) });
  });

  router.get('/mail/:id', mailReaders, async (req, res) => {
    const found = await transaction(db, staffActor(req, res), (tx) => showMail(tx, res.locals.staffUser!, parseId(req.params)));
    if (!found) throw new AppError(404, 'not_found', 'error.404.body');
    res.render('notify/mail-show', { title: res.locals.t('notify.mail.showTitle'), layout, ...found, smtpConfigured: Boolean(config.SMTP_URL) });
  });

  router.get('/alerts', alertManagers, async (req, res) => {
    const alerts = await recentAlerts(db.prisma);
    const actorLabel = await actorLabeler(
      db.prisma,
      alerts.map((alert) => alert.acknowledgedBy),
      res.locals.t,
    );
    res.render('notify/alerts-index', { title: res.locals.t('notify.alerts.title'), layout, alerts, actorLabel, done: req.query.done ?? null });
  });

  router.post('/alerts/:id/acknowledge', alertManagers, async (req, res) => {
    const result = await transaction(db, staffActor(req, res), (tx) => acknowledgeAlert(tx, parseId(req.params), 'console'));
    if (!result.ok && result.reason === 'not_found') throw new AppError(404, 'not_found', 'error.404.body');
    res.redirect(303, `/staff/alerts?done=${result.ok ? 'acknowledged' : 'already'}`);
  });
  return router;
}

/** The link in an alert mail: GET shows a confirmation (mail scanners prefetch links), POST acknowledges. */
function alertLinkRouter({ db, secrets }: AppContext): Router {
  const router = Router();
  router.use('/alerts/ack', viewHelpers);
  const render = (res: import('express').Response, status: number, state: string, locals: Record<string, unknown> = {}) =>
    res.status(status).render('notify/alert-ack', { title: res.locals.t('notify.ack.title'), state, token: '', ...locals });

  router.get('/alerts/ack', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const verified = verifyAcknowledgementToken(secrets.sessionSecret, token);
    if (!verified) return render(res, 400, 'invalid');
    const alert = await db.prisma.alert.findUnique({ where: { id: verified.alertId } });
    if (!alert) return render(res, 404, 'invalid');
    if (alert.acknowledgedAt) return render(res, 200, 'already', { alert, actorLabel: await actorLabeler(db.prisma, [alert.acknowledgedBy], res.locals.t) });
    render(res, 200, 'confirm', { alert, token });
  });

  router.post('/alerts/ack', async (req, res) => {
    const parsed = parseForm(tokenForm, req.body);
    const verified = parsed.ok ? verifyAcknowledgementToken(secrets.sessionSecret, parsed.data.token) : null;
    if (!verified) return render(res, 400, 'invalid');
    const result = await transaction(db, { type: 'system', id: `mail:${verified.address}`, ip: req.ip }, (tx) => acknowledgeAlert(tx, verified.alertId, 'mail'));
    if (!result.ok && result.reason === 'not_found') return render(res, 404, 'invalid');
    const alert = await db.prisma.alert.findUnique({ where: { id: verified.alertId } });
    render(res, 200, result.ok ? 'done' : 'already', { alert, actorLabel: await actorLabeler(db.prisma, [alert?.acknowledgedBy], res.locals.t) });
  });
  return router;
}
