// The incident log (issue 15.4): operational incidents of the system or of a counter, the alerts
// that belong to them, and their resolution. Counter incidents follow the counter scope; system
// incidents belong to no counter, so everyone who may see incidents sees them.
import type { Reader } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { AppError } from '../../lib/app-error.js';
import { now } from '../../lib/clock.js';
import { addDays, jstInstant } from '../../lib/jst.js';
import { authorize, visibleCounterIds, type StaffPrincipal } from '../../policies/index.js';
import { recordAudit } from '../staff/audit.js';
import type { IncidentFilter, IncidentInput } from './forms.js';

export interface IncidentRow {
  id: number;
  kind: 'system' | 'counter';
  counter_id: number | null;
  counter_name: string | null;
  title: string;
  description: string;
  impact: string;
  response: string;
  started_at: Date;
  ended_at: Date | null;
  status: 'open' | 'resolved';
  recorded_by: string;
  resolved_by: string | null;
  resolved_at: Date | null;
  alert_count: number;
}

export interface LinkedAlert {
  id: bigint;
  kind: string;
  summary: string;
  opened_at: Date;
  acknowledged_at: Date | null;
}

/** A field error that the form shows beside its field (a 400 that changes nothing). */
export class IncidentFieldError extends AppError {
  constructor(
    readonly field: string,
    messageKey: string,
  ) {
    super(400, 'invalid_incident', messageKey);
  }
}

const notFound = () => new AppError(404, 'not_found', 'error.404.body');

/** Incidents in the user's scope: system ones and those of the counters they may see ($1). */
const IN_SCOPE = `(i.counter_id IS NULL OR $1::int[] IS NULL OR i.counter_id = ANY($1::int[]))`;
const SELECT = `
  SELECT i.id, i.kind, i.counter_id, c.name AS counter_name, i.title, i.description, i.impact, i.response,
         i.started_at, i.ended_at, i.status, i.recorded_by, i.resolved_by, i.resolved_at,
         (SELECT count(*)::int FROM incident_alerts ia WHERE ia.incident_id = i.id) AS alert_count
    FROM incidents i LEFT JOIN counters c ON c.id = i.counter_id`;

/** The list: open ones first, then the latest; filtered by kind, status, counter and the Japan dates it started. */
export async function listIncidents(db: Reader, user: StaffPrincipal, filter: IncidentFilter, limit = 500): Promise<IncidentRow[]> {
  const values: unknown[] = [visibleCounterIds(user)];
  const where = [IN_SCOPE];
  const add = (condition: string, value: unknown) => {
    values.push(value);
    where.push(condition.replace('?', `$${values.length}`));
  };
  if (filter.kind) add(`i.kind = ?::incident_kind`, filter.kind);
  if (filter.status) add(`i.status = ?::incident_status`, filter.status);
  if (filter.counter) add(`i.counter_id = ?`, filter.counter);
  if (filter.from) add(`i.started_at >= ?`, jstInstant(filter.from));
  if (filter.to) add(`i.started_at < ?`, jstInstant(addDays(filter.to, 1)));
  values.push(limit);
  return db.query<IncidentRow>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY i.status = 'resolved', i.started_at DESC, i.id DESC LIMIT $${values.length}`, values);
}

/** One incident in the user's scope with its alerts, or a 404 (out of scope reads as missing). */
export async function incidentById(db: Reader, user: StaffPrincipal, id: number): Promise<{ incident: IncidentRow; alerts: LinkedAlert[] }> {
  const [incident] = await db.query<IncidentRow>(`${SELECT} WHERE ${IN_SCOPE} AND i.id = $2`, [visibleCounterIds(user), id]);
  if (!incident) throw notFound();
  const alerts = await db.query<LinkedAlert>(
    `SELECT a.id, a.kind, a.summary, a.opened_at, a.acknowledged_at FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = $1 ORDER BY a.opened_at, a.id`,
    [id],
  );
  return { incident, alerts };
}

export async function openIncidentCount(db: Reader, user: StaffPrincipal): Promise<number> {
  const [row] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM incidents i WHERE ${IN_SCOPE} AND i.status = 'open'`, [visibleCounterIds(user)]);
  return row.count;
}

async function ensureAlert(tx: Tx, alertId: bigint): Promise<void> {
  const [found] = await tx.query(`SELECT 1 FROM alerts WHERE id = $1`, [alertId]);
  if (!found) throw new IncidentFieldError('alertId', 'incidents.field.badAlert');
}

async function linkRow(tx: Tx, incidentId: number, alertId: bigint): Promise<boolean> {
  const rows = await tx.query(`INSERT INTO incident_alerts (incident_id, alert_id, linked_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING alert_id`, [
    incidentId,
    alertId,
    actorKey(tx.actor),
  ]);
  return rows.length > 0;
}

/** Records an incident (from an alert, linked to it, when alertId is given). */
export async function recordIncident(tx: Tx, user: StaffPrincipal, input: IncidentInput): Promise<number> {
  authorize(user, 'incidents.record', input.counterId === null ? undefined : input.counterId);
  if (input.counterId !== null && !(await tx.query(`SELECT 1 FROM counters WHERE id = $1`, [input.counterId])).length)
    throw new IncidentFieldError('counterId', 'incidents.field.chooseCounter');
  if (input.alertId !== null) {
    authorize(user, 'alerts.manage');
    await ensureAlert(tx, input.alertId);
  }
  const [{ id }] = await tx.query<{ id: number }>(
    `INSERT INTO incidents (kind, counter_id, title, description, impact, response, started_at, ended_at, recorded_by, updated_at)
     VALUES ($1::incident_kind, $2, $3, $4, $5, $6, $7, $8, $9, now()) RETURNING id`,
    [input.kind, input.counterId, input.title, input.description, input.impact, input.response, input.startedAt, input.endedAt, actorKey(tx.actor)],
  );
  if (input.alertId !== null) await linkRow(tx, id, input.alertId);
  await recordAudit(tx, {
    action: 'incidents.record',
    targetType: 'incident',
    targetId: id,
    detail: { kind: input.kind, counterId: input.counterId, alertId: input.alertId?.toString() ?? null },
  });
  return id;
}

/** The incident, locked, if the user may change it (record rights on its counter). */
async function changeable(tx: Tx, user: StaffPrincipal, id: number): Promise<IncidentRow> {
  const [incident] = await tx.query<IncidentRow>(`SELECT * FROM incidents i WHERE ${IN_SCOPE} AND i.id = $2 FOR UPDATE`, [visibleCounterIds(user), id]);
  if (!incident) throw notFound();
  authorize(user, 'incidents.record', { counterId: incident.counter_id });
  return incident;
}

export async function linkAlert(tx: Tx, user: StaffPrincipal, incidentId: number, alertId: bigint): Promise<void> {
  authorize(user, 'alerts.manage');
  await changeable(tx, user, incidentId);
  await ensureAlert(tx, alertId);
  if (await linkRow(tx, incidentId, alertId))
    await recordAudit(tx, { action: 'incidents.linkAlert', targetType: 'incident', targetId: incidentId, detail: { alertId: alertId.toString() } });
}

export async function unlinkAlert(tx: Tx, user: StaffPrincipal, incidentId: number, alertId: bigint): Promise<void> {
  authorize(user, 'alerts.manage');
  await changeable(tx, user, incidentId);
  const removed = await tx.query(`DELETE FROM incident_alerts WHERE incident_id = $1 AND alert_id = $2 RETURNING alert_id`, [incidentId, alertId]);
  if (removed.length > 0) await recordAudit(tx, { action: 'incidents.unlinkAlert', targetType: 'incident', targetId: incidentId, detail: { alertId: alertId.toString() } });
}

/**
 * Resolves an open incident. The UPDATE is conditional on the incident still being open, so of
 * two people resolving at once one wins and the other is told it was already resolved.
 */
export async function resolveIncident(tx: Tx, user: StaffPrincipal, id: number, resolution: { endedAt: Date; response: string }): Promise<'resolved' | 'already'> {
  const [incident] = await tx.query<IncidentRow>(`SELECT * FROM incidents i WHERE ${IN_SCOPE} AND i.id = $2`, [visibleCounterIds(user), id]);
  if (!incident) throw notFound();
  authorize(user, 'incidents.record', { counterId: incident.counter_id });
  if (resolution.endedAt < incident.started_at) throw new IncidentFieldError('endDate', 'incidents.field.endAfterStart');
  const updated = await tx.query(
    `UPDATE incidents SET status = 'resolved', ended_at = $2, response = CASE WHEN $3 = '' THEN response ELSE $3 END,
            resolved_by = $4, resolved_at = $5, updated_at = now()
      WHERE id = $1 AND status = 'open' RETURNING id`,
    [id, resolution.endedAt, resolution.response, actorKey(tx.actor), now()],
  );
  if (updated.length === 0) return 'already';
  await recordAudit(tx, { action: 'incidents.resolve', targetType: 'incident', targetId: id, detail: { endedAt: resolution.endedAt.toISOString() } });
  return 'resolved';
}

/** Counters the user may record an incident at, for the form and the filter. */
export function countersInScope(db: Reader, user: StaffPrincipal): Promise<{ id: number; name: string }[]> {
  return db.query(`SELECT id, name FROM counters WHERE retired_at IS NULL AND ($1::int[] IS NULL OR id = ANY($1::int[])) ORDER BY display_order, id`, [visibleCounterIds(user)]);
}

/** Alerts that could be linked to the incident: open ones and those of the last 30 days, not yet linked. */
export function linkableAlerts(db: Reader, incidentId: number, now: Date): Promise<LinkedAlert[]> {
  return db.query(
    `SELECT a.id, a.kind, a.summary, a.opened_at, a.acknowledged_at FROM alerts a
      WHERE (a.acknowledged_at IS NULL OR a.opened_at >= $2)
        AND NOT EXISTS (SELECT 1 FROM incident_alerts ia WHERE ia.incident_id = $1 AND ia.alert_id = a.id)
      ORDER BY a.opened_at DESC, a.id DESC LIMIT 50`,
    [incidentId, new Date(now.getTime() - 30 * 86_400_000)],
  );
}

export async function alertSummary(db: Reader, alertId: bigint): Promise<string | null> {
  const [alert] = await db.query<{ summary: string }>(`SELECT summary FROM alerts WHERE id = $1`, [alertId]);
  return alert?.summary ?? null;
}
