// Pages of the incident log: the list (and its CSV), a new incident (also from an alert), one
// incident with its alerts, linking and unlinking an alert, resolving.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/transaction.js';
import { now } from '../../lib/clock.js';
import { parseCsvEncoding, sendCsv } from '../../lib/csv.js';
import { jstDateOf, jstMinutesOf, timeText } from '../../lib/jst.js';
import { parseForm, parseQuery, pathId, type FieldErrors } from '../../lib/validation.js';
import { requirePermission, staffActor } from '../staff/access.js';
import { actorLabeler } from '../staff/actors.js';
import type { Feature } from '../feature.js';
import { alertIdOf, INCIDENT_KINDS, INCIDENT_STATUSES, incidentForm, linkForm, listQuery, resolveForm, type IncidentFilter } from './forms.js';
import {
  alertSummary,
  countersInScope,
  IncidentFieldError,
  incidentById,
  linkableAlerts,
  linkAlert,
  listIncidents,
  recordIncident,
  resolveIncident,
  unlinkAlert,
  type IncidentRow,
} from './service.js';

const viewers = requirePermission('incidents.view');
const recorders = requirePermission('incidents.record');
/** Alerts are seen by alert managers only, so only they link them (the service checks record rights too). */
const alertLinkers = requirePermission('alerts.manage');
const layout = 'layouts/staff';

export function incidentsFeature(context: AppContext): Feature {
  return {
    name: 'incidents',
    staffRouter: incidentRoutes(context),
    staffMenu: [{ href: '/staff/incidents', group: 'today', labelKey: 'incidents.menu', action: 'incidents.view' }],
  };
}

function incidentRoutes({ db }: AppContext): Router {
  const router = Router();
  const user = (res: Response) => res.locals.staffUser!;
  const inTx = <T>(req: Request, res: Response, work: Parameters<typeof transaction<T>>[2]) => transaction(db, staffActor(req, res), work);

  const newForm = async (res: Response, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200) => {
    const alertId = alertIdOf(values.alertId);
    const fromAlert = alertId === null ? null : await alertSummary(db, alertId);
    res.status(status).render('incidents/new', {
      title: res.locals.t('incidents.new.title'),
      layout,
      values,
      errors,
      kinds: INCIDENT_KINDS,
      counters: await countersInScope(db, user(res)),
      fromAlert,
    });
  };
  const showPage = async (req: Request, res: Response, errors: FieldErrors = {}, status = 200) => {
    const id = pathId(req.params.id);
    const found = await incidentById(db, user(res), id);
    const linkable = res.locals.can('alerts.manage') ? await linkableAlerts(db, id, now()) : [];
    const actorLabel = await actorLabeler(db.prisma, [found.incident.recorded_by, found.incident.resolved_by], res.locals.t);
    const today = now();
    res.status(status).render('incidents/show', {
      title: res.locals.t('incidents.show.title'),
      layout,
      ...found,
      linkable,
      actorLabel,
      errors,
      resolveValues: { endDate: jstDateOf(today), endTime: timeText(jstMinutesOf(today)), ...(status === 200 ? {} : req.body) },
      done: typeof req.query.done === 'string' ? req.query.done : null,
    });
  };
  const fieldErrorOr = (error: unknown) => {
    if (error instanceof IncidentFieldError) return { [error.field]: error.messageKey };
    throw error;
  };

  router.get('/incidents', viewers, async (req, res) => {
    const filter = parseQuery(listQuery, req.query);
    const incidents = await listIncidents(db, user(res), filter);
    res.render('incidents/index', {
      title: res.locals.t('incidents.index.title'),
      layout,
      incidents,
      filter,
      kinds: INCIDENT_KINDS,
      statuses: INCIDENT_STATUSES,
      counters: await countersInScope(db, user(res)),
      query: csvQuery(filter),
    });
  });

  router.get('/incidents.csv', viewers, async (req, res) => {
    const filter = parseQuery(listQuery, req.query);
    const incidents = await listIncidents(db, user(res), filter, 100_000);
    const actorLabel = await actorLabeler(
      db.prisma,
      incidents.flatMap((row) => [row.recorded_by, row.resolved_by]),
      res.locals.t,
    );
    await sendCsv(res, {
      filename: `${res.locals.t('incidents.csv.filename')}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: CSV_COLUMNS.map((column) => res.locals.t(`incidents.column.${column}`)),
      rows: incidents.map((row) => csvRow(row, res, actorLabel)),
    });
  });

  router.get('/incidents/new', recorders, async (req, res) => {
    const today = now();
    await newForm(res, {
      kind: 'system',
      startDate: jstDateOf(today),
      startTime: timeText(jstMinutesOf(today)),
      alertId: res.locals.can('alerts.manage') ? alertIdOf(req.query.alert)?.toString() : undefined,
    });
  });

  router.post('/incidents/new', recorders, async (req, res) => {
    const parsed = parseForm(incidentForm, req.body);
    if (!parsed.ok) return newForm(res, req.body as Record<string, unknown>, parsed.errors, 400);
    const id = await inTx(req, res, (tx) => recordIncident(tx, user(res), parsed.data)).catch(fieldErrorOr);
    if (typeof id !== 'number') return newForm(res, req.body as Record<string, unknown>, id, 400);
    res.redirect(303, `/staff/incidents/${id}?done=recorded`);
  });

  router.get('/incidents/:id', viewers, (req, res) => showPage(req, res));

  router.post('/incidents/:id/alerts', alertLinkers, async (req, res) => {
    const id = pathId(req.params.id);
    const parsed = parseForm(linkForm, req.body);
    if (!parsed.ok) return showPage(req, res, parsed.errors, 400);
    const failed = await inTx(req, res, (tx) => linkAlert(tx, user(res), id, parsed.data)).catch(fieldErrorOr);
    if (failed) return showPage(req, res, failed, 400);
    res.redirect(303, `/staff/incidents/${id}?done=linked`);
  });

  router.post('/incidents/:id/alerts/:alertId/unlink', alertLinkers, async (req, res) => {
    const id = pathId(req.params.id);
    const alertId = alertIdOf(req.params.alertId);
    if (alertId === null) return showPage(req, res, { alertId: 'incidents.field.badAlert' }, 400);
    await inTx(req, res, (tx) => unlinkAlert(tx, user(res), id, alertId));
    res.redirect(303, `/staff/incidents/${id}?done=unlinked`);
  });

  router.post('/incidents/:id/resolve', recorders, async (req, res) => {
    const id = pathId(req.params.id);
    const parsed = parseForm(resolveForm, req.body);
    if (!parsed.ok) return showPage(req, res, parsed.errors, 400);
    const outcome = await inTx(req, res, (tx) => resolveIncident(tx, user(res), id, parsed.data)).catch(fieldErrorOr);
    if (typeof outcome !== 'string') return showPage(req, res, outcome, 400);
    res.redirect(303, `/staff/incidents/${id}?done=${outcome}`);
  });
  return router;
}

const CSV_COLUMNS = [
  'id',
  'kind',
  'counter',
  'title',
  'description',
  'impact',
  'response',
  'startedAt',
  'endedAt',
  'status',
  'recordedBy',
  'resolvedBy',
  'resolvedAt',
  'alerts',
] as const;

function csvRow(row: IncidentRow, res: Response, actorLabel: (key: string | null) => string) {
  const { t, dates } = res.locals;
  const moment = (instant: Date | null) => (instant ? dates.moment(instant) : '');
  return [
    row.id,
    t(`incidents.kind.${row.kind}`),
    row.counter_name ?? '',
    row.title,
    row.description,
    row.impact,
    row.response,
    moment(row.started_at),
    moment(row.ended_at),
    t(`incidents.status.${row.status}`),
    actorLabel(row.recorded_by),
    row.resolved_by ? actorLabel(row.resolved_by) : '',
    moment(row.resolved_at),
    row.alert_count,
  ];
}

/** The filter as a query string, for the CSV link of the same list. */
function csvQuery(filter: IncidentFilter): string {
  const entries = Object.entries(filter).filter(([, value]) => value !== undefined) as [string, string | number][];
  return new URLSearchParams(entries.map(([key, value]) => [key, String(value)])).toString();
}
