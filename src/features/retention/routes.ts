// The admin page of the retention periods (/staff/retention): each kind's period as the city's
// contract sets it, its default, and what the last purge deleted.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/transaction.js';
import { parseForm, type FieldErrors } from '../../lib/validation.js';
import { requirePermission, staffActor } from '../staff/access.js';
import type { Feature } from '../feature.js';
import { MAX_RETENTION_DAYS, RETENTION_KINDS } from './kinds.js';
import { retentionPeriods, saveRetentionPeriods } from './periods.js';

const admins = requirePermission('retention.manage');
const PURGE_JOB = 'retention-purge';

/** Every kind's days: a whole number of days in the kind's range, sent once. */
export const periodsForm = z.object(
  Object.fromEntries(
    RETENTION_KINDS.map((kind) => [
      kind.key,
      z
        .string({ message: 'retention.form.days' })
        .trim()
        .regex(/^\d{1,6}$/, 'retention.form.days')
        .transform(Number)
        .refine((days) => days >= kind.minDays && days <= MAX_RETENTION_DAYS, 'retention.form.range'),
    ]),
  ),
);

export function retentionFeature({ db }: AppContext): Feature {
  const router = Router();
  const show = async (res: Response, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200) => {
    const lastRun = await db.prisma.jobRun.findFirst({ where: { job: PURGE_JOB }, orderBy: { id: 'desc' } });
    res.status(status).render('retention/index', {
      title: res.locals.t('retention.title'),
      layout: 'layouts/staff',
      kinds: RETENTION_KINDS,
      maxDays: MAX_RETENTION_DAYS,
      values,
      errors,
      lastRun,
      saved: res.req.query.saved === '1',
    });
  };
  router.get('/retention', admins, async (_req, res) => show(res, await retentionPeriods(db)));
  router.post('/retention', admins, async (req, res) => {
    const parsed = parseForm(periodsForm, req.body);
    if (!parsed.ok) return show(res, typeof req.body === 'object' && req.body !== null ? req.body : {}, parsed.errors, 400);
    await transaction(db, staffActor(req, res), (tx) => saveRetentionPeriods(tx, parsed.data as Record<string, number>), { models: false });
    res.redirect(303, '/staff/retention?saved=1');
  });
  return { name: 'retention', staffRouter: router, staffMenu: [{ href: '/staff/retention', group: 'admin', labelKey: 'retention.menu', action: 'retention.manage' }] };
}
