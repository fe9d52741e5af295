// The FAQ pages: staff write entries at /staff/faq (faq.manage) where the call center reads and
// searches them too; citizens search the published ones at /faq (no log-in).
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { parseForm, parseQuery, pathId, type FieldErrors } from '../../lib/validation.js';
import { can } from '../../policies/index.js';
import { requirePermission, staffActor } from '../staff/access.js';
import type { Feature } from '../feature.js';
import { faqEntry, findFaq, saveFaq } from './faq.js';
import { faqForm, faqSearch, faqVersion } from './forms.js';

const managers = requirePermission('faq.manage');
const readers = requirePermission('help.read');
const layout = 'layouts/staff';

export function faqFeature({ db }: AppContext): Feature {
  const staff = Router();
  staff.get('/faq', readers, async (req, res) => {
    const { q } = parseQuery(faqSearch, req.query);
    const mayManage = can(res.locals.staffUser, 'faq.manage');
    const groups = await findFaq(db, { text: q, publishedOnly: false });
    res.render('faq/index', { title: res.locals.t('faq.title'), layout, groups, q: q ?? '', mayManage, done: req.query.done === 'saved' });
  });
  const form = (res: Response, entry: { id?: number; values: Record<string, unknown> }, errors: FieldErrors = {}, status = 200) =>
    res.status(status).render('faq/form', { title: res.locals.t(entry.id ? 'faq.form.editTitle' : 'faq.form.newTitle'), layout, ...entry, errors });
  const save = async (req: Request, res: Response, id?: number) => {
    const values = req.body as Record<string, unknown>;
    const parsed = parseForm(faqForm, req.body);
    const version = id === undefined ? undefined : parseForm(faqVersion, req.body);
    if (!parsed.ok || (version && !version.ok)) return form(res, { id, values }, { ...(parsed.ok ? {} : parsed.errors), ...(version?.ok === false ? version.errors : {}) }, 400);
    const edit = id === undefined || !version?.ok ? undefined : { id, version: version.data.version };
    const saved = await transaction(db, staffActor(req, res), (tx) => saveFaq(tx, parsed.data, edit), { models: false }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'faq_changed') return null;
      throw error;
    });
    // Someone else saved the entry since this form was opened: keep what was typed, say so.
    if (saved === null) return form(res, { id, values }, { version: 'faq.form.changed' }, 409);
    res.redirect(303, '/staff/faq?done=saved');
  };
  staff.get('/faq/new', managers, (_req, res) => form(res, { values: { published: '1', sortOrder: 0 } }));
  staff.post('/faq/new', managers, (req, res) => save(req, res));
  staff.get('/faq/:id/edit', managers, async (req, res) => {
    const entry = await faqEntry(db, pathId(req.params.id));
    form(res, { id: entry.id, values: { ...entry, published: entry.published ? '1' : '0' } });
  });
  staff.post('/faq/:id/edit', managers, async (req, res) => save(req, res, (await faqEntry(db, pathId(req.params.id))).id));

  const citizen = Router();
  citizen.get('/faq', async (req, res) => {
    const { q } = parseQuery(faqSearch, req.query);
    const groups = await findFaq(db, { text: q, publishedOnly: true });
    res.render('faq/public', { title: res.locals.t('citizen.faq.title'), groups, q: q ?? '' });
  });

  return {
    name: 'faq',
    staffRouter: staff,
    citizenRouter: citizen,
    staffMenu: [{ href: '/staff/faq', group: 'help', labelKey: 'faq.menu', action: 'help.read' }],
  };
}
