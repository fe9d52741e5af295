// Staff screens under /staff/schedule: counters, opening rules with a month preview, closures,
// date overrides, booking policy, month capacity view, capacity report (HTML and CSV), conflicts.
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { parseCsvEncoding, sendCsv } from '../../lib/csv.js';
import { todayInJapan, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { parseForm, pathId, type FieldErrors } from '../../lib/validation.js';
import type { Feature } from '../feature.js';
import { requirePermission, staffActor } from '../staff/access.js';
import { authorize } from '../../policies/index.js';
import { capacityReport, monthCapacity, openConflicts } from './capacity.js';
import { CHANGE_TIMEOUT_MS, generateSlotRange, regenerateAllNow, savePolicy, type Applied } from './change.js';
import { createCounter, findCounter, listCounters, moveCounter, reinstateCounter, retireCounter, updateCounter } from './counters.js';
import {
  closureForm,
  counterForm,
  counterPolicyForm,
  formList,
  globalPolicyForm,
  month as monthSchema,
  overrideForm,
  procedureEditForm,
  procedureForm,
  reportQuery,
  ruleForm,
  slotRangeForm,
  slotRangeResult,
} from './forms.js';
import { policyRows } from './policy.js';
import { createProcedure, deleteProcedure, findProcedure, listProcedures, reinstateProcedure, retireProcedure, updateProcedure } from './procedure-admin.js';
import { PICKUP, procedureChoices } from './procedures.js';
import {
  closureCalendar,
  counterTimetablePage,
  createClosure,
  createOverrides,
  deleteClosure,
  deleteOverride,
  deleteRule,
  listClosures,
  previewRule,
  saveRule,
} from './timetable.js';
import { blankRuleValues, ruleValues, scheduleFormat } from './view-models.js';

const viewers = requirePermission('schedule.view');
const editors = requirePermission('schedule.edit');
const reporters = requirePermission('schedule.report');
const policyEditors = requirePermission('bookingPolicy.edit');

const idParam = (value: unknown): number => pathId(value, 'schedule.counter.notFound');

function render(res: Response, view: string, titleKey: string, locals: Record<string, unknown> = {}, status = 200) {
  res.status(status).render(`schedule/${view}`, { title: res.locals.t(titleKey), layout: 'layouts/staff', errors: {}, fmt: scheduleFormat, ...locals });
}

function currentMonth(value: unknown): string {
  const parsed = monthSchema.safeParse(value);
  return parsed.success ? parsed.data : todayInJapan().slice(0, 7);
}

/** Runs a change; a refusal with the given code comes back as undefined for the form to show. */
/** The range field each refusal of generateSlotRange is shown beside. */
const SLOT_RANGE_REFUSALS: Record<string, 'from' | 'to'> = { slot_range_past: 'from', slot_range_too_far: 'to' };

async function refusedAs<T>(code: string, change: () => Promise<T>): Promise<T | undefined> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof AppError && error.code === code) return undefined;
    throw error;
  }
}

export function scheduleFeature(context: AppContext): Feature {
  const db = context.db.prisma;
  const router = Router();
  /** A timetable change by the signed-in user: one transaction with its audit row and slot regeneration. */
  const change = <T>(req: Request, res: Response, work: (tx: Tx, today: IsoDate) => Promise<T>) =>
    transaction(context.db, staffActor(req, res), (tx) => work(tx, todayInJapan()), { timeoutMs: CHANGE_TIMEOUT_MS });

  const indexPage = async (req: Request, res: Response, range: { values?: unknown; errors?: FieldErrors } = {}, status = 200) => {
    const generated = slotRangeResult.safeParse(req.query);
    render(
      res,
      'index',
      'schedule.index.title',
      {
        counters: await listCounters(db, { includeRetired: true }),
        notice: req.query.done,
        generated: generated.success ? generated.data : null,
        rangeValues: range.values ?? {},
        errors: range.errors ?? {},
      },
      status,
    );
  };

  router.get('/schedule', viewers, async (req, res) => indexPage(req, res));

  // ---- slots for a chosen range (staff plan the fiscal year ahead) ----
  router.post('/schedule/slots', requirePermission('schedule.generateSlots'), async (req, res) => {
    const parsed = parseForm(slotRangeForm, req.body);
    if (!parsed.ok) return indexPage(req, res, { values: req.body, errors: parsed.errors }, 400);
    let applied;
    try {
      applied = await change(req, res, (tx, today) => generateSlotRange(tx, today, parsed.data));
    } catch (error) {
      const field = error instanceof AppError ? SLOT_RANGE_REFUSALS[error.code] : undefined;
      if (!field) throw error;
      return indexPage(req, res, { values: req.body, errors: { [field]: (error as AppError).messageKey } }, 400);
    }
    const { total, written } = applied.value;
    res.redirect(303, `/staff/schedule?${new URLSearchParams({ from: parsed.data.from, to: parsed.data.to, total: String(total), written: String(written) })}`);
  });

  // ---- counters ----
  /** The counter form, with the procedures it may offer (the active ones and any it still offers). */
  const counterFormPage = async (res: Response, counter: { id: number } | null, values: Record<string, unknown>, locals: Record<string, unknown> = {}, status = 200) => {
    const procedures = await listProcedures(db, { includeRetired: true });
    const offered = new Set(formList(values.procedures));
    render(
      res,
      'counter-form',
      counter ? 'schedule.counter.editTitle' : 'schedule.counter.newTitle',
      { counter, values, offered, procedures: procedures.filter((procedure) => !procedure.retiredAt || offered.has(procedure.code)), ...locals },
      status,
    );
  };
  const counterValues = async (counter: { id: number; purposes: string[] }) => ({
    ...counter,
    purposes: counter.purposes.join('、'),
    procedures: (await procedureChoices(context.db, counter.id, { includeRetired: true })).map((procedure) => procedure.code),
  });

  router.get('/schedule/counters/new', editors, async (_req, res) => counterFormPage(res, null, { procedures: [PICKUP] }));

  /** A new thing's form post: bad fields or a code already taken come back on the form, else the redirect. */
  const createFromForm =
    <S extends z.ZodType, T>(
      schema: S,
      page: (res: Response, values: Record<string, unknown>, errors: FieldErrors, status: number) => Promise<void> | void,
      takenCode: string,
      create: (tx: Tx, today: IsoDate, fields: z.infer<S>) => Promise<Applied<T>>,
      location: (created: T) => string,
    ) =>
    async (req: Request, res: Response) => {
      const parsed = parseForm(schema, req.body);
      if (!parsed.ok) return page(res, req.body, parsed.errors, 400);
      const created = await refusedAs(takenCode, () => change(req, res, (tx, today) => create(tx, today, parsed.data)));
      if (!created) return page(res, req.body, { code: 'schedule.error.codeTaken' }, 409);
      res.redirect(303, location(created.value));
    };

  router.post(
    '/schedule/counters',
    editors,
    createFromForm(
      counterForm,
      (res, values, errors, status) => counterFormPage(res, null, values, { errors }, status),
      'counter_code_taken',
      createCounter,
      (counter) => `/staff/schedule/counters/${counter.id}?done=saved`,
    ),
  );

  router.get('/schedule/counters/:id', viewers, async (req, res) => {
    const page = await counterTimetablePage(db, idParam(req.params.id), todayInJapan());
    render(res, 'counter', 'schedule.counter.title', { ...page, notice: req.query.done, overrideValues: { kind: 'open', capacityMode: 'slot' } });
  });

  router.get('/schedule/counters/:id/edit', editors, async (req, res) => {
    const counter = await findCounter(db, idParam(req.params.id));
    await counterFormPage(res, counter, await counterValues(counter));
  });

  router.post('/schedule/counters/:id', editors, async (req, res) => {
    const id = idParam(req.params.id);
    const parsed = parseForm(counterForm, req.body);
    const refuse = async (errors: FieldErrors, status: number) => counterFormPage(res, await findCounter(db, id), req.body, { errors }, status);
    if (!parsed.ok) return refuse(parsed.errors, 400);
    if (!(await refusedAs('counter_code_taken', () => change(req, res, (tx, today) => updateCounter(tx, today, id, parsed.data)))))
      return refuse({ code: 'schedule.error.codeTaken' }, 409);
    res.redirect(303, `/staff/schedule/counters/${id}?done=saved`);
  });

  router.post('/schedule/counters/:id/move', editors, async (req, res) => {
    await change(req, res, (tx, today) => moveCounter(tx, today, idParam(req.params.id), req.body?.direction === 'up' ? 'up' : 'down'));
    res.redirect(303, '/staff/schedule');
  });

  router.post('/schedule/counters/:id/retire', editors, async (req, res) => {
    const id = idParam(req.params.id);
    try {
      await change(req, res, (tx, today) => retireCounter(tx, today, id));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'counter_has_bookings') throw error;
      const counter = await findCounter(db, id);
      const refusal = res.locals.t(error.messageKey, error.params);
      return counterFormPage(res, counter, await counterValues(counter), { refusal }, 409);
    }
    res.redirect(303, '/staff/schedule?done=retired');
  });

  router.post('/schedule/counters/:id/reinstate', editors, async (req, res) => {
    await change(req, res, (tx, today) => reinstateCounter(tx, today, idParam(req.params.id)));
    res.redirect(303, '/staff/schedule?done=reinstated');
  });

  // ---- procedures ----
  router.get('/schedule/procedures', viewers, async (req, res) =>
    render(res, 'procedures', 'schedule.procedure.title', { procedures: await listProcedures(db, { includeRetired: true }), notice: req.query.done }),
  );

  const procedureFormPage = (
    res: Response,
    procedure: { id: number; code: string; retiredAt: Date | null } | null,
    values: Record<string, unknown>,
    locals: Record<string, unknown> = {},
    status = 200,
  ) => render(res, 'procedure-form', procedure ? 'schedule.procedure.editTitle' : 'schedule.procedure.newTitle', { procedure, values, pickup: PICKUP, ...locals }, status);
  const procedureValues = (procedure: Awaited<ReturnType<typeof findProcedure>>) => ({
    ...procedure,
    sameDayAllowed: procedure.sameDayAllowed === null ? '' : procedure.sameDayAllowed ? 'yes' : 'no',
    documents: procedure.documents.join('\n'),
  });

  router.get('/schedule/procedures/new', editors, (_req, res) => procedureFormPage(res, null, { minutes: 15, needsNoticeId: true }));

  router.post(
    '/schedule/procedures',
    editors,
    createFromForm(
      procedureForm,
      (res, values, errors, status) => procedureFormPage(res, null, values, { errors }, status),
      'procedure_code_taken',
      createProcedure,
      () => '/staff/schedule/procedures?done=procedureSaved',
    ),
  );

  router.get('/schedule/procedures/:id/edit', editors, async (req, res) => {
    const procedure = await findProcedure(db, idParam(req.params.id));
    procedureFormPage(res, procedure, procedureValues(procedure));
  });

  router.post('/schedule/procedures/:id', editors, async (req, res) => {
    const id = idParam(req.params.id);
    const parsed = parseForm(procedureEditForm, req.body);
    if (!parsed.ok) return procedureFormPage(res, await findProcedure(db, id), req.body, { errors: parsed.errors }, 400);
    await change(req, res, (tx, today) => updateProcedure(tx, today, id, parsed.data));
    res.redirect(303, '/staff/schedule/procedures?done=procedureSaved');
  });

  /** Retire, reinstate or delete; a refusal is shown on the procedure's form. */
  const procedureAction = (act: (tx: Tx, today: IsoDate, id: number) => Promise<unknown>, done: string) => async (req: Request, res: Response) => {
    const id = idParam(req.params.id);
    try {
      await change(req, res, (tx, today) => act(tx, today, id));
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 409) throw error;
      const procedure = await findProcedure(db, id);
      return procedureFormPage(res, procedure, procedureValues(procedure), { refusal: res.locals.t(error.messageKey, error.params) }, 409);
    }
    res.redirect(303, `/staff/schedule/procedures?done=${done}`);
  };
  router.post('/schedule/procedures/:id/retire', editors, procedureAction(retireProcedure, 'procedureRetired'));
  router.post('/schedule/procedures/:id/reinstate', editors, procedureAction(reinstateProcedure, 'procedureReinstated'));
  router.post('/schedule/procedures/:id/delete', editors, procedureAction(deleteProcedure, 'procedureDeleted'));

  // ---- opening rules ----
  /** The editor with the month preview of the values as typed; nothing is saved by a preview. */
  const ruleEditor = async (req: Request, res: Response, ruleId: number | undefined, values: Record<string, unknown>, showErrors = false, refusal?: AppError) => {
    const counterId = idParam(req.params.id);
    const counter = await findCounter(db, counterId);
    const month = currentMonth(values.month ?? req.query.month);
    const parsed = parseForm(ruleForm, values);
    const preview = parsed.ok ? await previewRule(db, counterId, ruleId, parsed.data, month) : null;
    const errors = showErrors && !parsed.ok ? parsed.errors : {};
    const refusalText = refusal ? res.locals.t(refusal.messageKey, refusal.params) : undefined;
    render(
      res,
      'rule-form',
      ruleId ? 'schedule.rule.editTitle' : 'schedule.rule.newTitle',
      { counter, ruleId, values, month, preview, errors, refusal: refusalText, scripts: ['/js/schedule-preview.js'] },
      refusal?.status ?? (showErrors && !parsed.ok ? 400 : 200),
    );
  };

  router.get('/schedule/counters/:id/rules/new', editors, async (req, res) => ruleEditor(req, res, undefined, blankRuleValues(todayInJapan())));

  router.get('/schedule/counters/:id/rules/:ruleId/edit', editors, async (req, res) => {
    const rule = await db.openingRule.findFirst({ where: { id: idParam(req.params.ruleId), counterId: idParam(req.params.id) } });
    if (!rule) throw new AppError(404, 'rule_not_found', 'schedule.rule.notFound');
    await ruleEditor(req, res, rule.id, ruleValues(rule));
  });

  /** The month preview alone, fetched by public/js/schedule-preview.js as the form changes. */
  router.get('/schedule/counters/:id/rules/preview', editors, async (req, res) => {
    const counterId = idParam(req.params.id);
    const parsed = parseForm(ruleForm, req.query);
    const ruleId = req.query.ruleId ? idParam(req.query.ruleId) : undefined;
    const month = currentMonth(req.query.month);
    const preview = parsed.ok ? await previewRule(db, counterId, ruleId, parsed.data, month) : null;
    res.render('schedule/_preview', { layout: false, preview, month, fmt: scheduleFormat });
  });

  const saveRuleRoute = (ruleIdOf: (req: Request) => number | undefined) => async (req: Request, res: Response) => {
    const ruleId = ruleIdOf(req);
    if (req.body?.action === 'preview') return ruleEditor(req, res, ruleId, req.body, true);
    const parsed = parseForm(ruleForm, req.body);
    if (!parsed.ok) return ruleEditor(req, res, ruleId, req.body, true);
    try {
      await change(req, res, (tx, today) => saveRule(tx, today, idParam(req.params.id), ruleId, parsed.data));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'rule_overlap') throw error;
      return ruleEditor(req, res, ruleId, req.body, true, error);
    }
    res.redirect(303, `/staff/schedule/counters/${req.params.id}?done=ruleSaved`);
  };
  router.post(
    '/schedule/counters/:id/rules',
    editors,
    saveRuleRoute(() => undefined),
  );
  router.post(
    '/schedule/counters/:id/rules/:ruleId',
    editors,
    saveRuleRoute((req) => idParam(req.params.ruleId)),
  );

  router.post('/schedule/counters/:id/rules/:ruleId/delete', editors, async (req, res) => {
    await change(req, res, (tx, today) => deleteRule(tx, today, idParam(req.params.id), idParam(req.params.ruleId)));
    res.redirect(303, `/staff/schedule/counters/${req.params.id}?done=ruleDeleted`);
  });

  // ---- date overrides ----
  router.post('/schedule/counters/:id/overrides', editors, async (req, res) => {
    const counterId = idParam(req.params.id);
    const parsed = parseForm(overrideForm, req.body);
    if (!parsed.ok) {
      const page = await counterTimetablePage(db, counterId, todayInJapan());
      return render(res, 'counter', 'schedule.counter.title', { ...page, overrideValues: req.body, errors: parsed.errors }, 400);
    }
    await change(req, res, (tx, today) => createOverrides(tx, today, counterId, parsed.data));
    res.redirect(303, `/staff/schedule/counters/${counterId}?done=overrideSaved#overrides`);
  });

  router.post('/schedule/counters/:id/overrides/:overrideId/delete', editors, async (req, res) => {
    await change(req, res, (tx, today) => deleteOverride(tx, today, idParam(req.params.id), idParam(req.params.overrideId)));
    res.redirect(303, `/staff/schedule/counters/${req.params.id}?done=overrideDeleted#overrides`);
  });

  // ---- month capacity view ----
  router.get('/schedule/counters/:id/month', viewers, async (req, res) => {
    const counterId = idParam(req.params.id);
    authorize(res.locals.staffUser!, 'schedule.view', counterId);
    render(res, 'month', 'schedule.month.title', await monthCapacity(db, counterId, currentMonth(req.query.month)));
  });

  // ---- closures ----
  const closuresPage = async (res: Response, month: string, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200) => {
    const [closures, counters, calendar] = await Promise.all([listClosures(db), listCounters(db), closureCalendar(db, month)]);
    render(res, 'closures', 'schedule.closure.title', { closures, counters, month, calendar, values, errors, notice: res.req.query.done }, status);
  };
  router.get('/schedule/closures', viewers, async (req, res) => closuresPage(res, currentMonth(req.query.month), { kind: 'single_date' }));

  router.post('/schedule/closures', editors, async (req, res) => {
    const parsed = parseForm(closureForm, req.body);
    if (!parsed.ok) return closuresPage(res, currentMonth(undefined), req.body, parsed.errors, 400);
    await change(req, res, (tx, today) => createClosure(tx, today, parsed.data));
    res.redirect(303, '/staff/schedule/closures?done=saved');
  });

  router.post('/schedule/closures/:closureId/delete', editors, async (req, res) => {
    await change(req, res, (tx, today) => deleteClosure(tx, today, idParam(req.params.closureId)));
    res.redirect(303, '/staff/schedule/closures?done=deleted');
  });

  // ---- booking policy ----
  const policyPage = async (res: Response, errors: FieldErrors = {}, status = 200, errorCounterId: number | null = null) => {
    const [rows, counters] = await Promise.all([policyRows(db), listCounters(db)]);
    render(res, 'policy', 'schedule.policy.title', { ...rows, counters, errors, errorCounterId, notice: res.req.query.done }, status);
  };
  router.get('/schedule/policy', policyEditors, async (_req, res) => policyPage(res));

  router.post('/schedule/policy', policyEditors, async (req, res) => {
    const parsed = parseForm(globalPolicyForm, req.body);
    if (!parsed.ok) return policyPage(res, parsed.errors, 400);
    await change(req, res, (tx, today) => savePolicy(tx, today, null, parsed.data));
    res.redirect(303, '/staff/schedule/policy?done=saved');
  });

  router.post('/schedule/policy/:counterId', policyEditors, async (req, res) => {
    const counterId = idParam(req.params.counterId);
    await findCounter(db, counterId);
    const parsed = parseForm(counterPolicyForm, req.body);
    if (!parsed.ok) return policyPage(res, parsed.errors, 400, counterId);
    await change(req, res, (tx, today) => savePolicy(tx, today, counterId, parsed.data));
    res.redirect(303, `/staff/schedule/policy?done=saved#policy-${counterId}`);
  });

  // ---- capacity report ----
  router.get('/schedule/report', reporters, async (req, res) => {
    const thisMonth = todayInJapan().slice(0, 7);
    const query = req.query.from ? req.query : { from: thisMonth, to: thisMonth };
    const parsed = parseForm(reportQuery, query);
    if (!parsed.ok) return render(res, 'report', 'schedule.report.title', { rows: [], values: query, errors: parsed.errors }, 400);
    const rows = await capacityReport(db, parsed.data.from, parsed.data.to);
    if (parsed.data.format === 'csv') {
      const t = res.locals.t;
      return sendCsv(res, {
        filename: `${t('schedule.report.filename')}_${parsed.data.from}_${parsed.data.to}.csv`,
        encoding: parseCsvEncoding(parsed.data.encoding),
        header: ['counterCode', 'counterName', 'month', 'openDays', 'slots', 'capacity', 'webCapacity'].map((key) => t(`schedule.report.col.${key}`)),
        rows: rows.map((row) => [row.counterCode, row.counterName, row.month, row.openDays, row.slots, row.capacity, row.webCapacity]),
      });
    }
    render(res, 'report', 'schedule.report.title', { rows, values: parsed.data });
  });

  // ---- conflicts ----
  router.get('/schedule/conflicts', reporters, async (req, res) => {
    render(res, 'conflicts', 'schedule.conflict.title', { conflicts: await openConflicts(db), notice: req.query.done, result: req.query });
  });

  router.post('/schedule/conflicts/regenerate', editors, async (req, res) => {
    const { regeneration } = await change(req, res, (tx, today) => regenerateAllNow(tx, today));
    res.redirect(303, `/staff/schedule/conflicts?done=regenerated&written=${regeneration?.written ?? 0}&found=${regeneration?.conflicts ?? 0}`);
  });

  return {
    name: 'schedule',
    staffRouter: router,
    staffMenu: [
      { href: '/staff/schedule', group: 'schedule', labelKey: 'schedule.menu.counters', action: 'schedule.view' },
      { href: '/staff/schedule/closures', group: 'schedule', labelKey: 'schedule.menu.closures', action: 'schedule.view' },
      { href: '/staff/schedule/procedures', group: 'schedule', labelKey: 'schedule.menu.procedures', action: 'schedule.view' },
      { href: '/staff/schedule/report', group: 'reports', labelKey: 'schedule.menu.report', action: 'schedule.report' },
      { href: '/staff/schedule/conflicts', group: 'schedule', labelKey: 'schedule.menu.conflicts', action: 'schedule.report' },
      { href: '/staff/schedule/policy', group: 'schedule', labelKey: 'schedule.menu.policy', action: 'bookingPolicy.edit' },
    ],
  };
}
