// The inquiry log's console pages (issue 15.3): the list and its search, recording one (also from
// a card holder's page, the holder already chosen), handing one over, the answer, the counts per
// category and the CSV.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { transaction, type SqlTx } from '../../db/transaction.js';
import { chartView } from '../../lib/charts.js';
import { now } from '../../lib/clock.js';
import { parseCsvEncoding, sendCsv } from '../../lib/csv.js';
import { formatJstDateTime, jstDateOf, jstMinutesOf, timeText } from '../../lib/jst.js';
import { parseForm, parseId, parseQuery, pathId, type FieldErrors } from '../../lib/validation.js';
import { AppError } from '../../lib/app-error.js';
import { can, visibleCounterIds, type StaffPrincipal } from '../../policies/index.js';
import { requirePermission, staffActor } from '../staff/access.js';
import { actorLabeler, type ActorLabel } from '../staff/actors.js';
import type { Feature } from '../feature.js';
import { answerForm, countsQuery, escalateForm, filterOf, inquiryForm, searchQuery } from './forms.js';
import {
  answerInquiry,
  closeInquiry,
  escalateInquiry,
  inquiriesForExport,
  inquiryCategories,
  INQUIRY_CHANNELS,
  INQUIRY_STATUSES,
  openInquiry,
  recordInquiry,
  searchInquiries,
  type InquiryRow,
} from './inquiries.js';
import { monthTable } from './counts.js';

const recorders = requirePermission('inquiries.record');
const responders = requirePermission('inquiries.respond');
const counters = requirePermission('reports.view');
const layout = 'layouts/staff';
const user = (res: Response): StaffPrincipal => res.locals.staffUser!;

/** The form field each refusal of recordInquiry is about. */
const REFUSED_FIELDS: Record<string, string> = { inquiry_person: 'cardHolderId', inquiry_category: 'categoryCode', inquiry_counter: 'counterId' };

const CSV_COLUMNS = ['receivedAt', 'channel', 'category', 'counter', 'person', 'body', 'handledBy', 'status', 'escalatedTo', 'response', 'respondedAt'] as const;

function csvRow(row: InquiryRow, t: (key: string) => string, actorLabel: ActorLabel): (string | null)[] {
  const at = (instant: Date | null) => (instant ? formatJstDateTime(instant) : '');
  const person = row.noticeId ?? row.bookingCode ?? (row.applicantId ? t('inquiries.applicant') : '');
  return [
    at(row.receivedAt),
    t(`inquiries.channel.${row.channel}`),
    row.categoryLabel,
    row.counterName ?? '',
    person,
    row.body,
    actorLabel(row.handledBy),
    t(`inquiries.status.${row.status}`),
    row.escalatedTo,
    row.response,
    at(row.respondedAt),
  ];
}

export function inquiriesFeature({ db }: AppContext): Feature {
  const router = Router();
  const asStaff = <T>(req: Request, res: Response, work: (tx: SqlTx) => Promise<T>) => transaction(db, staffActor(req, res), work, { models: false });
  const counterChoices = (res: Response) => {
    const ids = visibleCounterIds(user(res));
    return db.prisma.counter.findMany({
      where: { retiredAt: null, ...(ids === null ? {} : { id: { in: ids } }) },
      orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }],
      select: { id: true, name: true },
    });
  };
  const choices = async (res: Response) => ({
    categories: await inquiryCategories(db),
    counters: await counterChoices(res),
    channels: INQUIRY_CHANNELS,
    statuses: INQUIRY_STATUSES,
  });

  router.get('/inquiries', recorders, async (req, res) => {
    const query = parseQuery(searchQuery, req.query);
    const rows = await asStaff(req, res, (tx) => searchInquiries(tx, user(res), filterOf(query)));
    res.render('inquiries/index', {
      title: res.locals.t('inquiries.title'),
      layout,
      rows,
      query,
      queryString: new URLSearchParams(Object.entries(query).filter(([, value]) => value !== undefined) as [string, string][]).toString(),
      mayExport: can(user(res), 'inquiries.respond'),
      mayCount: can(user(res), 'reports.view'),
      ...(await choices(res)),
    });
  });

  router.get('/inquiries/export.csv', responders, async (req, res) => {
    const query = parseQuery(searchQuery, req.query);
    const rows = await asStaff(req, res, (tx) => inquiriesForExport(tx, user(res), filterOf(query)));
    const t = res.locals.t;
    const actorLabel = await actorLabeler(
      db.prisma,
      rows.map((row) => row.handledBy),
      t,
    );
    await sendCsv(res, {
      filename: `inquiries-${jstDateOf(now())}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: CSV_COLUMNS.map((key) => t(`inquiries.csv.${key}`)),
      rows: rows.map((row) => csvRow(row, t, actorLabel)),
    });
  });

  const form = async (res: Response, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200) =>
    res.status(status).render('inquiries/new', { title: res.locals.t('inquiries.new.title'), layout, values, errors, ...(await choices(res)) });

  router.get('/inquiries/new', recorders, async (req, res) => {
    const at = now();
    const person = (name: string) => (req.query[name] === undefined ? '' : (parseId(req.query[name]) ?? ''));
    await form(res, {
      receivedDate: jstDateOf(at),
      receivedTime: timeText(jstMinutesOf(at)),
      channel: 'phone',
      cardHolderId: person('holder'),
      bookingId: person('booking'),
      applicantId: person('applicant'),
    });
  });

  router.post('/inquiries/new', recorders, async (req, res) => {
    const parsed = parseForm(inquiryForm, req.body);
    if (!parsed.ok) return form(res, req.body as Record<string, unknown>, parsed.errors, 400);
    // What only the database can check (the person, the category, the counter) comes back beside
    // its field, so an operator on a call keeps what they typed.
    const recorded = await asStaff(req, res, (tx) => recordInquiry(tx, user(res), parsed.data)).catch((error: unknown) => {
      const field = error instanceof AppError ? REFUSED_FIELDS[error.code] : undefined;
      if (!field) throw error;
      return { field, messageKey: (error as AppError).messageKey };
    });
    if (typeof recorded !== 'number') return form(res, req.body as Record<string, unknown>, { [recorded.field]: recorded.messageKey }, 400);
    res.redirect(303, `/staff/inquiries/${recorded}?done=recorded`);
  });

  /** The counts of the month asked for (this month when none is), per category, within the user's scope. */
  const countsOf = async (req: Request, res: Response) => {
    const month = parseQuery(countsQuery, req.query).month ?? jstDateOf(now()).slice(0, 7);
    const categories = await inquiryCategories(db);
    return { month, categories, table: await monthTable(db, user(res), categories, month) };
  };

  // The per-day or per-month table of the counts page for Excel (counts only: no one named, so not audited).
  router.get('/inquiries/counts/:unit.csv', counters, async (req, res) => {
    const unit = req.params.unit;
    if (unit !== 'days' && unit !== 'months') throw new AppError(404, 'not_found', 'inquiries.counts.noSuchTable');
    const { month, categories, table } = await countsOf(req, res);
    const t = res.locals.t;
    const rows = unit === 'days' ? [...table.days, { ...table.totals, period: t('inquiries.counts.total') }] : table.months;
    await sendCsv(res, {
      filename: `inquiries-counts-${unit}-${month}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: [t('inquiries.counts.period'), ...categories.map((category) => category.label), t('inquiries.counts.total')],
      rows: rows.map((row) => [row.period, ...row.counts, row.total]),
    });
  });

  router.get('/inquiries/counts', counters, async (req, res) => {
    const { month, categories, table } = await countsOf(req, res);
    const t = res.locals.t;
    const chart = chartView({
      id: 'inquiries-per-day',
      caption: t('inquiries.counts.chartCaption', { month: t('inquiries.counts.monthLabel', { year: month.slice(0, 4), month: Number(month.slice(5)) }) }),
      categoryHeading: t('inquiries.counts.day'),
      categories: table.days.map((day) => String(Number(day.period.slice(8)))),
      series: categories.map((category, index) => ({ name: category.label, kind: 'bar' as const, values: table.days.map((day) => day.counts[index]) })),
    });
    res.render('inquiries/counts', { title: t('inquiries.counts.title'), layout, month, categories, table, chart });
  });

  const existing = (req: Request, res: Response) => asStaff(req, res, (tx) => openInquiry(tx, user(res), pathId(req.params.id, 'inquiries.notFound')));
  const show = async (req: Request, res: Response, inquiry: InquiryRow, errors: FieldErrors = {}, status = 200) =>
    res.status(status).render('inquiries/show', {
      title: res.locals.t('inquiries.show.title'),
      layout,
      inquiry,
      actorLabel: await actorLabeler(db.prisma, [inquiry.handledBy, inquiry.respondedBy], res.locals.t),
      errors,
      values: req.method === 'POST' ? req.body : {},
      done: typeof req.query.done === 'string' ? req.query.done : null,
      mayRespond: can(user(res), 'inquiries.respond'),
    });

  router.get('/inquiries/:id', recorders, async (req, res) => show(req, res, await existing(req, res)));

  /** A step on one inquiry that takes a form (handing over, answering): a bad form is shown again beside the inquiry. */
  const step = <S extends z.ZodType>(
    name: string,
    guard: RequestHandler,
    schema: S,
    apply: (tx: SqlTx, by: StaffPrincipal, id: number, data: z.infer<S>) => Promise<unknown>,
    done: string,
  ) =>
    router.post(`/inquiries/:id/${name}`, guard, async (req, res) => {
      const id = pathId(req.params.id, 'inquiries.notFound');
      const parsed = parseForm(schema, req.body);
      if (!parsed.ok) return show(req, res, await existing(req, res), parsed.errors, 400);
      await asStaff(req, res, (tx) => apply(tx, user(res), id, parsed.data));
      res.redirect(303, `/staff/inquiries/${id}?done=${done}`);
    });
  step('escalate', recorders, escalateForm, (tx, by, id, form) => escalateInquiry(tx, by, id, form.escalatedTo), 'escalated');
  step('answer', responders, answerForm, (tx, by, id, form) => answerInquiry(tx, by, id, form.response), 'answered');

  router.post('/inquiries/:id/close', responders, async (req, res) => {
    const id = pathId(req.params.id, 'inquiries.notFound');
    await asStaff(req, res, (tx) => closeInquiry(tx, user(res), id));
    res.redirect(303, `/staff/inquiries/${id}?done=closed`);
  });

  return {
    name: 'inquiries',
    staffRouter: router,
    staffMenu: [
      { href: '/staff/inquiries', group: 'today', labelKey: 'inquiries.menu', action: 'inquiries.record' },
      { href: '/staff/inquiries/counts', group: 'reports', labelKey: 'inquiries.counts.menu', action: 'reports.view' },
    ],
  };
}
