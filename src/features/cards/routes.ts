// Staff pages of the cards feature, under /staff/cards. Handlers parse, call one service, render.
import { CITIZEN_MAX_FAILURES, lockReason, unlockCitizenLogin } from '../citizen/login-service.js';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { transaction, type Tx, type TransactionOptions } from '../../db/transaction.js';
import { parseCsvEncoding, sendCsv } from '../../lib/csv.js';
import { formatDateJa, isoDateOfColumn, jstDateOf, formatMinutes, jstMinutesOf } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { now } from '../../lib/clock.js';
import { blankAsMissing, idSchema, isoDateSchema, lineSchema, optionalIdSchema, parseForm, parseQuery } from '../../lib/validation.js';
import { requirePermission, staffActor, type StaffPrincipal } from '../staff/access.js';
import { can } from '../../policies/index.js';
import { CARD_FIELDS } from './card-row.js';
import {
  applyBulkStatus,
  BULK_MAX,
  BULK_TARGETS,
  BULK_TIMEOUT_MS,
  CARD_STATUSES,
  changeStatusByStaff,
  previewBulkStatus,
  type BulkSelection,
  spendCheckForUnlock,
  exportCards,
  followUpCounts,
  followUpRows,
  quickAddCards,
  searchCards,
  showCard,
  type CardFilter,
  type CardListRow,
  PAGE_SIZE,
} from './card-service.js';
import {
  batchProgress,
  beginCommit,
  createImportBatch,
  discardImportBatch,
  importErrorRows,
  listImportBatches,
  previewImportBatch,
  removeUpload,
  showImportBatch,
  type ImportSettings,
} from './import-service.js';
import { findProfile, formOf, listProfiles, profileForm, saveProfile, START_STATUSES } from './import-profiles.js';
import { nextOpeningDay, noticeBarcode, pullList } from './pull-list.js';
import { CARD_TRANSITIONS, reasonText } from './status.js';
import { OPEN_TRANSFER_STATUSES, transfersOfCard } from './logistics/transfers.js';
import { actorLabeler } from '../staff/actors.js';
import { receiveImportFile } from './upload.js';

const viewers = requirePermission('cards.view');
const editors = requirePermission('cards.edit');
const exporters = requirePermission('cards.export');
const importers = requirePermission('cards.import');
const profileEditors = requirePermission('cards.importProfiles');
const isoDate = isoDateSchema('cards.filter.badDate');
const id = idSchema();

const filterSchema = z.object({
  q: blankAsMissing(lineSchema(40)),
  status: blankAsMissing(z.enum(CARD_STATUSES as [string, ...string[]])),
  counterId: optionalIdSchema(),
  booking: blankAsMissing(z.enum(['booked', 'not_booked'])),
  sentFrom: blankAsMissing(isoDate),
  sentTo: blankAsMissing(isoDate),
  page: optionalIdSchema(),
});
const statusForm = z.object({
  to: z.enum(CARD_STATUSES as [string, ...string[]], { message: 'cards.status.choose' }),
  reason: z.string().trim().max(200, 'cards.status.reasonTooLong').default(''),
});
const followUpSchema = z.object({ days: blankAsMissing(z.coerce.number().int().min(0).max(3650)), counterId: optionalIdSchema() });
const pullSchema = z.object({ counterId: optionalIdSchema(), date: blankAsMissing(isoDate) });
const uploadFields = z.object({ profileId: idSchema('cards.import.unknownProfile'), encoding: z.enum(['auto', 'utf8', 'sjis']).default('auto') });
const QUICK_ADD_ROWS = 5;
const idList = z.preprocess(
  (value) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : String(value).split(',')),
  z.array(id).max(BULK_MAX, 'cards.bulk.tooMany'),
);
const bulkSchema = filterSchema.extend({ id: idList, to: blankAsMissing(z.enum(BULK_TARGETS, { message: 'cards.bulk.badTarget' })) });
const bulkForm = bulkSchema.extend({
  to: z.enum(BULK_TARGETS, { message: 'cards.bulk.badTarget' }),
  reason: z.string().trim().max(200, 'cards.status.reasonTooLong').default(''),
  expected: z.coerce.number().int().min(1, 'cards.bulk.nothing'),
});

function user(res: Response): StaffPrincipal {
  return res.locals.staffUser!;
}

function page(res: Response, view: string, titleKey: string, locals: Record<string, unknown> = {}) {
  res.render(`cards/${view}`, { title: res.locals.t(titleKey), layout: 'layouts/staff', ...locals });
}

/** The citizen's log-in as they meet it now: the message key and its numbers, or null when nothing to show. */
function loginLockOf(holder: { failedLogins: number; lockedUntil: Date | null }) {
  // The real time, not the app's clock: PostgreSQL sets and checks the lock with its own now() (login-service.ts).
  const locked = lockReason({ failures: holder.failedLogins, lockedUntil: holder.lockedUntil }, new Date());
  const params = { count: holder.failedLogins, max: CITIZEN_MAX_FAILURES, until: holder.lockedUntil ? formatMinutes(jstMinutesOf(holder.lockedUntil)) : '' };
  if (locked === 'locked_until_unlocked') return { key: 'cards.unlock.lockedForGood', params };
  if (locked === 'locked') return { key: 'cards.unlock.lockedUntil', params };
  return holder.failedLogins > 0 ? { key: 'cards.unlock.failures', params } : null;
}

const dateText = (value: Date | null) => (value ? isoDateOfColumn(value) : '');
const dateTimeText = (value: Date) => `${jstDateOf(value)} ${formatMinutes(jstMinutesOf(value))}`;
const bookingText = (row: CardListRow) => {
  const booking = row.bookings[0];
  return booking ? `${jstDateOf(booking.slot.startsAt)} ${formatMinutes(jstMinutesOf(booking.slot.startsAt))}` : '';
};

function csvRows(rows: AsyncIterable<CardListRow>, t: Response['locals']['t']) {
  return (async function* () {
    for await (const row of rows) {
      yield [
        row.noticeId,
        row.name,
        row.nameKana,
        row.cardNumber,
        t(`cards.status.${row.status}`),
        row.counter?.name ?? '',
        row.storagePlace,
        dateText(row.noticeSentOn),
        dateText(row.noticeValidUntil),
        bookingText(row),
      ];
    }
  })();
}

const CSV_HEADER_KEYS = ['noticeId', 'name', 'nameKana', 'cardNumber', 'status', 'counter', 'storagePlace', 'noticeSentOn', 'noticeValidUntil', 'booking'];

function runInBackground(context: AppContext, work: Promise<unknown>): void {
  work.catch((error: unknown) => {
    if (!(error instanceof AppError)) context.logger.error({ err: error }, 'import work failed');
  });
}

export function cardRoutes(context: AppContext): Router {
  const { db, config } = context;
  const settings: ImportSettings = { dir: config.IMPORT_DIR, pepper: context.secrets.birthDatePepper };
  const router = Router();
  /** The request's work in one transaction, for the signed-in staff user. */
  const asStaff = <T>(req: Request, res: Response, work: (tx: Tx) => Promise<T>, options?: TransactionOptions) => transaction(db, staffActor(req, res), work, options);
  const counters = () =>
    db.prisma.counter.findMany({ where: { retiredAt: null }, orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }], select: { id: true, code: true, name: true } });

  router.get('/cards', viewers, async (req, res) => {
    const { page: pageNo = 1, ...filter } = parseQuery(filterSchema, req.query);
    const print = req.query.print === '1' && can(user(res), 'cards.export'); // a printed list is a bulk export
    const result = await asStaff(req, res, (tx) => searchCards(tx, filter as CardFilter, user(res), settings.pepper, print ? 1 : pageNo, print ? 5000 : PAGE_SIZE));
    page(res, 'index', 'cards.list.title', {
      ...result,
      filter,
      pageNo,
      pageSize: PAGE_SIZE,
      print,
      counters: await counters(),
      statuses: CARD_STATUSES,
      query: new URLSearchParams(req.query as Record<string, string>).toString(),
      dateText,
      bookingText,
    });
  });

  router.get('/cards/export.csv', exporters, async (req, res) => {
    const { page: _page, ...filter } = parseQuery(filterSchema, req.query);
    const rows = await asStaff(req, res, (tx) => exportCards(tx, db, filter as CardFilter, user(res), settings.pepper));
    const t = res.locals.t;
    await sendCsv(res, {
      filename: `card-holders-${jstDateOf(now())}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: CSV_HEADER_KEYS.map((key) => t(`cards.csv.${key}`)),
      rows: csvRows(rows, t),
    });
  });

  router.get('/cards/follow-up', exporters, async (req, res) => {
    const { days = 30 } = parseQuery(followUpSchema, req.query);
    page(res, 'follow-up', 'cards.followUp.title', { days, rows: await followUpCounts(db.prisma, days, user(res)) });
  });

  router.get('/cards/follow-up.csv', exporters, async (req, res) => {
    const { days = 30, counterId } = parseQuery(followUpSchema, req.query);
    const rows = await asStaff(req, res, (tx) => followUpRows(tx, db, days, user(res), counterId));
    const t = res.locals.t;
    await sendCsv(res, {
      filename: `follow-up-${days}days-${jstDateOf(now())}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: CSV_HEADER_KEYS.map((key) => t(`cards.csv.${key}`)),
      rows: csvRows(rows, t),
    });
  });

  const pullListOf = async (req: Request, res: Response) => {
    const list = await counters();
    const query = parseQuery(pullSchema, req.query);
    const counterId = query.counterId ?? list.find((counter) => user(res).counterIds?.includes(counter.id) ?? true)?.id;
    if (counterId === undefined) return { counters: list, counterId, date: undefined, rows: [] };
    const date = query.date ?? (await nextOpeningDay(db.prisma, counterId)) ?? undefined;
    const rows = date ? await asStaff(req, res, (tx) => pullList(tx, counterId, date, user(res))) : [];
    return { counters: list, counterId, date, rows };
  };

  router.get('/cards/pull-list', exporters, async (req, res) => {
    const list = await pullListOf(req, res);
    page(res, 'pull-list', 'cards.pull.title', { ...list, formatDateJa, noticeBarcode, counterName: list.counters.find((counter) => counter.id === list.counterId)?.name ?? '' });
  });

  router.get('/cards/pull-list.csv', exporters, async (req, res) => {
    const { rows, date } = await pullListOf(req, res);
    const t = res.locals.t;
    const header = ['storagePlace', 'time', 'noticeId', 'name', 'nameKana', 'cardNumber', 'status', 'flag'].map((key) => t(`cards.pull.${key}`));
    const flag = (row: (typeof rows)[number]) =>
      [
        row.notArrived ? t('cards.pull.notArrived') : '',
        row.storedAt ? t('cards.pull.elsewhere', { counter: row.storedAt }) + (row.transferStatus ? `(${t(`logistics.transferStatus.${row.transferStatus}`)})` : '') : '',
      ]
        .filter(Boolean)
        .join(' ');
    await sendCsv(res, {
      filename: `pull-list-${date ?? ''}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header,
      rows: rows.map((row) => [row.storagePlace, row.time, row.noticeId, row.name, row.nameKana, row.cardNumber, t(`cards.status.${row.status}`), flag(row)]),
    });
  });

  /** The bulk-change page: the selection (filter or ticked cards), the target, and the preview of what would move. */
  const bulkPage = async (res: Response, query: z.infer<typeof bulkSchema>, status = 200, problem = '') => {
    const { id: ids, to, page: _page, ...filter } = query;
    const selection: BulkSelection = { filter: filter as CardFilter, ids };
    const preview = to ? await previewBulkStatus(db.prisma, selection, to, user(res)) : null;
    const hidden = {
      ...Object.fromEntries(
        Object.entries(filter)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => [key, String(value)]),
      ),
      id: ids.join(','),
    };
    res.status(status).render('cards/bulk-status', {
      title: res.locals.t('cards.bulk.title'),
      layout: 'layouts/staff',
      filter,
      ids,
      to,
      preview,
      hidden,
      targets: BULK_TARGETS,
      counters: await counters(),
      problem,
    });
  };

  router.get('/cards/bulk-status', editors, async (req, res) => bulkPage(res, parseQuery(bulkSchema, req.query)));

  router.post('/cards/bulk-status', editors, async (req, res) => {
    const parsed = parseForm(bulkForm, req.body);
    if (!parsed.ok) return bulkPage(res, parseQuery(bulkSchema, req.body), 400, res.locals.t(Object.values(parsed.errors)[0]));
    const { id: ids, to, reason, expected, page: _page, ...filter } = parsed.data;
    try {
      const count = await asStaff(req, res, (tx) => applyBulkStatus(tx, { filter: filter as CardFilter, ids }, { to, reason, expected }, user(res), settings.pepper), {
        timeoutMs: BULK_TIMEOUT_MS,
      });
      res.redirect(303, `/staff/cards?bulkChanged=${count}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.status === 403) throw error;
      await bulkPage(res, parseQuery(bulkSchema, req.body), error.status, res.locals.t(error.messageKey, error.params));
    }
  });

  router.get('/cards/new', editors, async (_req, res) => {
    page(res, 'new', 'cards.new.title', { rows: Array.from({ length: QUICK_ADD_ROWS }, () => ({})), problems: [], counters: await counters(), fields: CARD_FIELDS });
  });

  router.post('/cards/new', editors, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const all = Array.from({ length: QUICK_ADD_ROWS }, (_, index) =>
      Object.fromEntries(CARD_FIELDS.map((field) => [field, String(body[`${field}_${index}`] ?? '').slice(0, 200)])),
    );
    const filled = all.map((row, index) => ({ row, index })).filter(({ row }) => Object.values(row).some((value) => value.trim() !== ''));
    if (filled.length === 0)
      return res.status(400).render('cards/new', {
        title: res.locals.t('cards.new.title'),
        layout: 'layouts/staff',
        rows: all,
        problems: [{ index: 0, field: 'noticeId', key: 'cards.new.empty' }],
        counters: await counters(),
        fields: CARD_FIELDS,
      });
    const result = await asStaff(req, res, (tx) =>
      quickAddCards(
        tx,
        filled.map(({ row }) => row),
        settings.pepper,
      ),
    );
    if (result.ok) return res.redirect(303, `/staff/cards?added=${result.ids.length}`);
    const problems = result.problems.map((problem) => ({ ...problem, index: filled[problem.index].index }));
    res.status(400).render('cards/new', {
      title: res.locals.t('cards.new.title'),
      layout: 'layouts/staff',
      rows: all.map((row) => ({ ...row, birthDate: '' })),
      problems,
      counters: await counters(),
      fields: CARD_FIELDS,
    });
  });

  router.get('/cards/imports', importers, async (_req, res) => {
    page(res, 'imports', 'cards.import.title', {
      batches: await listImportBatches(db.prisma),
      profiles: await listProfiles(db.prisma),
      maxMb: Math.floor(config.IMPORT_MAX_BYTES / 1024 / 1024),
      formatDate: dateTimeText,
    });
  });

  router.post('/cards/imports', importers, async (req, res) => {
    const batch = await receiveImportFile(req, config.IMPORT_DIR, config.IMPORT_MAX_BYTES, async (file) => {
      const fields = parseQuery(uploadFields, file.fields);
      return asStaff(req, res, (tx) => createImportBatch(tx, { ...file, ...fields }));
    });
    runInBackground(context, previewImportBatch(db, staffActor(req, res), batch.id, settings));
    res.redirect(303, `/staff/cards/imports/${batch.id}`);
  });

  router.get('/cards/imports/:id', importers, async (req, res) => {
    const shown = await asStaff(req, res, (tx) => showImportBatch(tx, parseQuery(id, req.params.id)));
    const actorLabel = await actorLabeler(db.prisma, [shown.batch.uploadedBy, shown.batch.committedBy], res.locals.t);
    const busy = ['uploaded', 'previewing', 'committing'].includes(shown.batch.status);
    page(res, 'import', 'cards.import.batchTitle', {
      ...shown,
      actorLabel,
      dateText,
      busy,
      formatDate: dateTimeText,
      progress: busy ? await batchProgress(db.prisma, shown.batch.id) : null,
      scripts: busy ? ['/js/cards-import.js'] : [],
    });
  });

  router.get('/cards/imports/:id/progress', importers, async (req, res) => {
    res.json(await batchProgress(db.prisma, parseQuery(id, req.params.id)));
  });

  router.get('/cards/imports/:id/errors.csv', importers, async (req, res) => {
    const batchId = parseQuery(id, req.params.id);
    const t = res.locals.t;
    const rows = (async function* () {
      for await (const row of await asStaff(req, res, (tx) => importErrorRows(tx, db, batchId)))
        yield [row.line, row.noticeId, t(row.error!, (row.errorParams ?? {}) as Record<string, string>)];
    })();
    await sendCsv(res, {
      filename: `import-${batchId}-errors.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: [t('cards.import.line'), t('cards.field.noticeId'), t('cards.import.reason')],
      rows,
    });
  });

  router.post('/cards/imports/:id/commit', importers, async (req, res) => {
    const batchId = parseQuery(id, req.params.id);
    const { done } = await beginCommit(db, staffActor(req, res), batchId, settings);
    runInBackground(context, done);
    res.redirect(303, `/staff/cards/imports/${batchId}`);
  });

  router.post('/cards/imports/:id/discard', importers, async (req, res) => {
    const batchId = parseQuery(id, req.params.id);
    const { storageKey } = await asStaff(req, res, (tx) => discardImportBatch(tx, batchId));
    await removeUpload(settings, storageKey);
    res.redirect(303, '/staff/cards/imports');
  });

  router.get('/cards/profiles', profileEditors, async (_req, res) => {
    page(res, 'profiles', 'cards.profile.title', { profiles: await listProfiles(db.prisma) });
  });

  const profilePage = (res: Response, status: number, values: Record<string, string>, errors: Record<string, string>, profileId?: number) =>
    res.status(status).render('cards/profile-form', {
      title: res.locals.t('cards.profile.title'),
      layout: 'layouts/staff',
      values,
      errors,
      profileId,
      fields: CARD_FIELDS,
      startStatuses: START_STATUSES,
    });

  router.get('/cards/profiles/new', profileEditors, (_req, res) =>
    profilePage(res, 200, { format: 'csv', encoding: 'auto', hasHeader: 'yes', dateFormat: 'YYYYMMDD', startStatus: 'data_received' }, {}),
  );
  router.get('/cards/profiles/:id', profileEditors, async (req, res) =>
    profilePage(res, 200, formOf(await findProfile(db.prisma, parseQuery(id, req.params.id))), {}, parseQuery(id, req.params.id)),
  );

  router.post(['/cards/profiles/new', '/cards/profiles/:id'], profileEditors, async (req, res) => {
    const profileId = req.params.id === undefined ? undefined : parseQuery(id, req.params.id);
    const parsed = parseForm(profileForm, req.body);
    if (!parsed.ok) return profilePage(res, 400, req.body as Record<string, string>, parsed.errors, profileId);
    try {
      await asStaff(req, res, (tx) => saveProfile(tx, profileId, parsed.data));
    } catch (error) {
      if (error instanceof AppError && error.code === 'profile_name_taken') return profilePage(res, 409, req.body as Record<string, string>, { name: error.messageKey }, profileId);
      throw error;
    }
    res.redirect(303, '/staff/cards/profiles');
  });

  router.get('/cards/:id', viewers, async (req, res) => {
    const cardId = parseQuery(id, req.params.id);
    const [card, transfers] = await asStaff(req, res, async (tx) => [await showCard(tx, cardId, user(res)), await transfersOfCard(tx, cardId)] as const);
    const actorLabel = await actorLabeler(
      db.prisma,
      [...card.history.map((change) => change.actor), ...transfers.flatMap((row) => [row.requestedBy, row.shippedBy, row.receivedBy, row.cancelledBy])],
      res.locals.t,
    );
    page(res, 'show', 'cards.show.title', {
      ...card,
      actorLabel,
      reasonText,
      next: CARD_TRANSITIONS[card.holder.status],
      errors: {},
      dateText,
      jstDateOf,
      formatMinutes,
      jstMinutesOf,
      changed: req.query.changed === '1',
      unlocked: req.query.unlocked === '1',
      loginLock: loginLockOf(card.holder),
      transfers,
      transferOpen: transfers.some((transfer) => OPEN_TRANSFER_STATUSES.includes(transfer.status)),
      transferDone: ['requested', 'cancelled'].includes(String(req.query.transfer)) ? String(req.query.transfer) : '',
      sites: can(user(res), 'logistics.work') ? await counters() : [],
    });
  });

  router.post('/cards/:id/unlock-login', requirePermission('cards.unlockLogin'), async (req, res) => {
    const cardId = parseQuery(id, req.params.id);
    if (req.body?.identityChecked !== 'yes') throw new AppError(400, 'identity_not_checked', 'cards.unlock.identityRequired');
    await spendCheckForUnlock(db, cardId, { user: user(res), actor: staffActor(req, res) });
    await asStaff(req, res, (tx) => unlockCitizenLogin(tx, cardId));
    res.redirect(303, `/staff/cards/${cardId}?unlocked=1`);
  });

  router.post('/cards/:id/status', editors, async (req, res) => {
    const cardId = parseQuery(id, req.params.id);
    const parsed = parseForm(statusForm, req.body);
    if (!parsed.ok) throw new AppError(400, 'bad_status', Object.values(parsed.errors)[0]);
    await asStaff(req, res, (tx) => changeStatusByStaff(tx, cardId, parsed.data.to as CardFilter['status'] & string, parsed.data.reason, user(res)));
    res.redirect(303, `/staff/cards/${cardId}?changed=1`);
  });

  return router;
}
