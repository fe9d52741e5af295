// The staff and call-center console, under /staff/console. Handlers parse, call one service,
// render or redirect.
import { openTransferOf } from '../cards/logistics/transfers.js';
import { procedureChoices } from '../schedule/procedures.js';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { parseCsvEncoding, sendCsv } from '../../lib/csv.js';
import { addDays, formatJstDateTime, formatMinutes, jstDateOf, jstMinutesOf, todayInJapan } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { parseForm, parseQuery, type FieldErrors } from '../../lib/validation.js';
import { transaction, type Tx } from '../../db/transaction.js';
import { bookSlot, cancelBooking, checkIn, handOver, markNoShow, markNoShowsOfDay, moveBooking, type VisitAction } from '../booking/index.js';
import { requirePermission, staffActor, type StaffPrincipal } from '../staff/access.js';
import { dayBoard, previewNoShows, weekOverview, type BoardBooking, type BoardSlot, type DayBoard } from './board.js';
import { auditExport, exportBookings, type ExportRow } from './export.js';
import { bookForm, cancelForm, CHANNELS, dateQuery, exportQuery, id, moveForm, noShowForm, searchQuery, STATUSES, weekQuery } from './forms.js';
import { IdentityError } from '../citizen/identity-checks.js';
import { channelOf, confirmIdentity, countersOf, ensureSlotCounter, holderForConsole, pickedDay, pickedProcedure, slotChoices } from './on-behalf.js';
import { searchPeople } from './search.js';
import { bookedPerson } from './person.js';
import { page } from './render.js';
import { applicantPageOf } from './applicant-routes.js';

const viewers = requirePermission('console.view');
const onBehalfBookers = requirePermission('booking.onBehalf');
const counterWorkers = requirePermission('counter.work');
const exporters = requirePermission('bookings.export');

/** The board refreshes every 15 s; ?refresh=N (2-60) changes that (a wall screen, a test). */
const refreshSecondsOf = (value: unknown) => Math.min(60, Math.max(2, Number(value) || 15));
const user = (res: Response): StaffPrincipal => res.locals.staffUser!;

/** The board as JSON for the refresh script, with labels already translated. */
/** Where a booking of a long procedure started, or until when it goes on ('' when it fits its slot). */
function runLabel(booking: BoardBooking, slot: BoardSlot, t: Response['locals']['t']): string {
  if (booking.continued) return t('console.day.continued', { from: booking.time });
  return booking.endTime === slot.endTime ? '' : t('console.day.until', { until: booking.endTime });
}

/** The board with its shown values translated (the page and its JSON refresh draw the same). */
function boardJson(board: DayBoard, t: Response['locals']['t']) {
  return {
    ...board,
    slots: board.slots.map((slot) => ({
      ...slot,
      bookings: slot.bookings.map((booking) => ({
        ...booking,
        runLabel: runLabel(booking, slot, t),
        channelLabel: t(`console.channel.${booking.channel}`),
        statusLabel: t(`console.status.${booking.status}`) + (booking.ticket ? ` ${booking.ticket}` : ''),
        transferLabel: booking.storedAt ? t('cards.pull.elsewhere', { counter: booking.storedAt }) : '',
        personLabel: booking.holderId === null ? t('console.applicant.label') : '',
      })),
    })),
  };
}

const CSV_COLUMNS = ['code', 'date', 'time', 'counterCode', 'counter', 'noticeId', 'name', 'nameKana', 'storagePlace', 'status', 'channel', 'email', 'createdAt', 'procedure'];

function csvRows(rows: AsyncIterable<ExportRow>, t: Response['locals']['t']) {
  return (async function* () {
    for await (const row of rows) {
      const person = bookedPerson(row);
      yield [
        row.code,
        jstDateOf(row.slot.startsAt),
        formatMinutes(jstMinutesOf(row.slot.startsAt)),
        row.slot.counter.code,
        row.slot.counter.name,
        person.noticeId,
        person.name,
        person.nameKana,
        person.storagePlace,
        t(`console.status.${row.status}`),
        t(`console.channel.${row.channel}`),
        row.email ?? '',
        formatJstDateTime(row.createdAt),
        row.procedure.name,
      ];
    }
  })();
}

export function consoleRoutes(context: AppContext): Router {
  const { db, config, secrets } = context;
  const prisma = db.prisma;
  const router = Router();
  /** Runs fn in one transaction for the staff member of this request. */
  const asStaff = <T>(req: Request, res: Response, fn: (tx: Tx) => Promise<T>) => transaction(db, staffActor(req, res), fn);
  const baseUrl = (req: Request) => config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host')}`;
  const identityCheck = (req: Request, res: Response) => ({ user: user(res), actor: staffActor(req, res), pepper: secrets.birthDatePepper });
  /** A card holder as the console shows them, with their card's open transfer between sites. */
  const holderPage = (req: Request, res: Response, holderId: number) =>
    asStaff(req, res, async (tx) => ({ ...(await holderForConsole(tx, holderId, user(res))), transfer: await openTransferOf(tx, holderId) }));
  const myCounters = (res: Response) => countersOf(db, user(res));
  const counterParam = (req: Request) => parseQuery(id, req.params.id);
  const dateOf = (req: Request) => parseQuery(dateQuery, req.query).date ?? todayInJapan();

  router.get('/console', viewers, async (_req, res) => {
    page(res, 'index', 'console.index.title', { counters: await myCounters(res), today: todayInJapan() });
  });

  router.get('/console/search', viewers, async (req, res) => {
    const { q } = parseQuery(searchQuery, req.query);
    const { query, holders, applicants } = await asStaff(req, res, (tx) => searchPeople(tx, q, user(res), secrets.birthDatePepper));
    // One card holder found: their page. An applicant has none, so they are always listed.
    if (holders.length === 1 && applicants.length === 0) return res.redirect(303, `/staff/console/holders/${holders[0].id}`);
    page(res, 'search', 'console.search.title', { q: query, holders, applicants });
  });

  router.get('/console/counters/:id/day', viewers, async (req, res) => {
    const board = await asStaff(req, res, (tx) => dayBoard(tx, counterParam(req), dateOf(req), user(res)));
    page(res, 'day', 'console.day.title', {
      board: boardJson(board, res.locals.t),
      previous: addDays(board.date, -1),
      next: addDays(board.date, 1),
      noShows: typeof req.query.noShows === 'string' ? Number(req.query.noShows) : undefined,
      refreshSeconds: refreshSecondsOf(req.query.refresh),
      scripts: ['/js/floor-stream.js', '/js/console-board.js'],
    });
  });

  router.get('/console/counters/:id/day.json', viewers, async (req, res) => {
    const board = await asStaff(req, res, (tx) => dayBoard(tx, counterParam(req), dateOf(req), user(res), 'console.day.refresh'));
    res.set('Cache-Control', 'no-store').json(boardJson(board, res.locals.t));
  });

  router.get('/console/counters/:id/week', viewers, async (req, res) => {
    const from = parseQuery(weekQuery, req.query).from ?? todayInJapan();
    page(res, 'week', 'console.week.title', { week: await weekOverview(db, counterParam(req), from, user(res)) });
  });

  router.get('/console/counters/:id/print', counterWorkers, async (req, res) => {
    const board = await asStaff(req, res, (tx) => dayBoard(tx, counterParam(req), dateOf(req), user(res), 'console.print'));
    const printed = boardJson(board, res.locals.t);
    const rows = printed.slots.flatMap((slot) => slot.bookings.filter((booking) => !booking.continued));
    page(res, 'print', 'console.print.title', { board: printed, rows });
  });

  router.get('/console/counters/:id/no-show', counterWorkers, async (req, res) => {
    page(res, 'no-show', 'console.noShow.title', await previewNoShows(db, counterParam(req), dateOf(req), user(res)));
  });

  router.post('/console/counters/:id/no-show', counterWorkers, async (req, res) => {
    const counterId = counterParam(req);
    const { date } = parseQuery(noShowForm, req.body);
    const count = await asStaff(req, res, (tx) => markNoShowsOfDay(tx, { counterId, date, by: user(res) }));
    res.redirect(303, `/staff/console/counters/${counterId}/day?date=${date}&noShows=${count}`);
  });

  router.get('/console/holders/:id', viewers, async (req, res) => {
    const holder = await holderPage(req, res, parseQuery(id, req.params.id));
    page(res, 'holder', 'console.holder.title', { holder, done: typeof req.query.done === 'string' ? req.query.done : '', errors: {}, problem: '' });
  });

  const pickerPage = async (req: Request, res: Response, errors: FieldErrors = {}, status = 200) => {
    const holderId = parseQuery(id, req.params.id);
    const holder = await holderPage(req, res, holderId);
    const counters = await myCounters(res);
    const { counterId, date, procedure: asked } = pickedDay(req, counters, holder.counterId);
    const procedures = counterId === undefined ? [] : await procedureChoices(db, counterId);
    const active = holder.bookings.find((booking) => booking.status === 'active');
    const procedure = pickedProcedure(procedures, active?.procedureCode ?? asked);
    const minutes = active?.procedure.minutes ?? procedure?.minutes ?? 0;
    const slots = counterId === undefined ? [] : await slotChoices(db, counterId, date, user(res), minutes);
    page(
      res,
      'book',
      active ? 'console.book.moveTitle' : 'console.book.title',
      { holder, active, counters, counterId, date, slots, procedures, procedure, errors, values: req.method === 'POST' ? req.body : {} },
      status,
    );
  };

  /** Runs an on-behalf change; a refusal is shown on the picker page beside the right field. */
  const onBehalfChange = async (req: Request, res: Response, change: () => Promise<string>) => {
    try {
      res.redirect(303, `/staff/console/holders/${req.params.id}?done=${await change()}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await pickerPage(req, res, { [error instanceof IdentityError ? 'birth' : '_form']: error.messageKey }, error.status);
    }
  };

  router.get('/console/holders/:id/book', onBehalfBookers, (req, res) => pickerPage(req, res));

  router.post('/console/holders/:id/book', onBehalfBookers, async (req, res) => {
    const parsed = parseForm(bookForm, req.body);
    if (!parsed.ok) return pickerPage(req, res, parsed.errors, 400);
    const { slotId, procedure, birth, email, override, reason } = parsed.data;
    await onBehalfChange(req, res, async () => {
      await ensureSlotCounter(db, slotId!, user(res));
      const holder = await confirmIdentity(db, parseQuery(id, req.params.id), birth, identityCheck(req, res));
      const booking = {
        slotId: slotId!,
        cardHolderIds: [holder.id],
        procedure,
        channel: channelOf(user(res)),
        email: email || null,
        by: user(res),
        baseUrl: baseUrl(req),
        overbookReason: override ? reason : undefined,
      };
      await asStaff(req, res, (tx) => bookSlot(tx, booking));
      return 'booked';
    });
  });

  router.post('/console/holders/:id/move', onBehalfBookers, async (req, res) => {
    const parsed = parseForm(moveForm, req.body);
    if (!parsed.ok) return pickerPage(req, res, parsed.errors, 400);
    const { birth, bookingId, slotId } = parsed.data;
    await onBehalfChange(req, res, async () => {
      await ensureSlotCounter(db, slotId!, user(res));
      await confirmIdentity(db, parseQuery(id, req.params.id), birth, identityCheck(req, res), bookingId);
      await asStaff(req, res, (tx) => moveBooking(tx, { bookingId, toSlotId: slotId!, by: user(res), baseUrl: baseUrl(req) }));
      return 'moved';
    });
  });

  router.post('/console/holders/:id/cancel', onBehalfBookers, async (req, res) => {
    const holderId = parseQuery(id, req.params.id);
    const parsed = parseForm(cancelForm, req.body);
    const showProblem = async (errors: FieldErrors, status: number) =>
      page(res, 'holder', 'console.holder.title', { holder: await holderPage(req, res, holderId), done: '', errors, problem: '' }, status);
    if (!parsed.ok) return showProblem(parsed.errors, 400);
    const { birth, bookingId } = parsed.data;
    try {
      await confirmIdentity(db, holderId, birth, identityCheck(req, res), bookingId);
      await asStaff(req, res, (tx) => cancelBooking(tx, { bookingId, by: user(res), baseUrl: baseUrl(req) }));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return showProblem({ [error instanceof IdentityError ? 'birth' : '_form']: error.messageKey }, error.status);
    }
    res.redirect(303, `/staff/console/holders/${holderId}?done=cancelled`);
  });

  const VISITS = { check_in: checkIn, hand_over: handOver, no_show: markNoShow };
  /** Whose booking it is: a card holder's, or an applicant's (each has a console page). */
  const personOf = async (bookingId: number) => {
    const booking = await prisma.booking.findUniqueOrThrow({ where: { id: bookingId }, select: { cardHolderId: true, applicantId: true } });
    return { holderId: booking.cardHolderId, applicantId: booking.applicantId };
  };
  const applicantPage = applicantPageOf(context);
  const visit = (action: VisitAction) => async (req: Request, res: Response) => {
    const bookingId = parseQuery(id, req.params.id);
    const otherDayConfirmed = (req.body as Record<string, unknown> | undefined)?.otherDay === 'yes';
    try {
      await asStaff(req, res, (tx) => VISITS[action](tx, { bookingId, by: user(res), otherDayConfirmed }));
      const { holderId, applicantId } = await personOf(bookingId);
      res.redirect(303, holderId === null ? `/staff/console/applicants/${applicantId}?done=${action}` : `/staff/console/holders/${holderId}?done=${action}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'not_booking_day') throw error;
      // Shown on the person's page, where the clerk confirms the other day.
      const { holderId, applicantId } = await personOf(bookingId);
      const errors = { _form: error.messageKey };
      if (holderId === null) return applicantPage(req, res, applicantId!, { errors }, error.status);
      page(res, 'holder', 'console.holder.title', { holder: await holderPage(req, res, holderId), done: '', errors, problem: '' }, error.status);
    }
  };
  router.post('/console/bookings/:id/check-in', counterWorkers, visit('check_in'));
  router.post('/console/bookings/:id/hand-over', counterWorkers, visit('hand_over'));
  router.post('/console/bookings/:id/no-show', counterWorkers, visit('no_show'));

  router.get('/console/export', exporters, async (req, res) => {
    const today = todayInJapan();
    page(res, 'export', 'console.export.title', {
      counters: await myCounters(res),
      statuses: STATUSES,
      channels: CHANNELS,
      values: { from: today, to: addDays(today, 30), ...req.query },
    });
  });

  router.get('/console/export.csv', exporters, async (req, res) => {
    const filter = parseQuery(exportQuery, req.query);
    await asStaff(req, res, (tx) => auditExport(tx, filter));
    const rows = exportBookings(prisma, filter, user(res));
    const t = res.locals.t;
    await sendCsv(res, {
      filename: `bookings-${filter.from}-${filter.to}.csv`,
      encoding: parseCsvEncoding(req.query.encoding),
      header: CSV_COLUMNS.map((key) => t(`console.csv.${key}`)),
      rows: csvRows(rows, t),
    });
  });

  return router;
}
