// The counter floor (issue 18). Staff, under /staff/floor: a window's page (call the next ticket
// or a chosen one, call again, served, absent), walk-in tickets, the ticket print, the day's
// queue figures and the number ranges. Anyone, without log-in (mounted before sessions): the call
// display for a monitor, the waiting page of a counter, a visitor's ticket on their phone, and
// the live stream all three follow.
import bwipjs from 'bwip-js';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { transaction, type SqlTx } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { formatDateJa, formatMinutes, jstMinutesOf, todayInJapan } from '../../lib/jst.js';
import { parseForm, parseQuery, pathId, type FieldErrors } from '../../lib/validation.js';
import { authorize, visibleCounterIds } from '../../policies/index.js';
import { procedureChoices } from '../schedule/procedures.js';
import { recordAudit } from '../staff/audit.js';
import { requirePermission, staffActor, type StaffPrincipal } from '../staff/access.js';
import type { Feature } from '../feature.js';
import { callForm, dateQuery, paperQuery, rangesForm, walkInForm, windowQuery } from './forms.js';
import type { FloorLive } from './live.js';
import { counterIdByCode, floorNow, queueStats, ticketByToken, ticketForStaff } from './queue.js';
import { rangesOf, saveRange, type TicketRange } from './ranges.js';
import { callNext, issueWalkIn, moveTicket, TICKET_MOVES, type TicketMove } from './tickets.js';

const workers = requirePermission('floor.work');
const settings = requirePermission('floor.settings');
const user = (res: Response): StaffPrincipal => res.locals.staffUser!;
const staffPage = (res: Response, view: string, titleKey: string, locals: Record<string, unknown>, status = 200) =>
  res.status(status).render(`floor/${view}`, { title: res.locals.t(titleKey), layout: 'layouts/staff', formatDateJa, formatMinutes, jstMinutesOf, ...locals });

/** The QR code of a ticket's phone page, as SVG. */
const qrCode = (url: string) => bwipjs.toSVG({ bcid: 'qrcode', text: url, scale: 3 });

/** The public pages of the floor, by the counter's code (404 for an unknown or retired one). */
export function publicFloorRoutes({ db }: AppContext, live: FloorLive): Router {
  const router = Router();
  const counterOf = async (req: Request) => {
    const counterId = await counterIdByCode(db, String(req.params.code));
    if (counterId === null) throw new AppError(404, 'counter_not_found', 'error.404.body');
    return counterId;
  };
  const floorOf = async (req: Request) => (await floorNow(db, await counterOf(req)))!;

  router.get('/floor/:code', async (req, res) => {
    const floor = await floorOf(req);
    res.set('Cache-Control', 'no-store');
    res.render('floor/waiting', {
      title: res.locals.t('floor.public.title', { counter: floor.counter.name }),
      layout: 'layouts/citizen',
      floor,
      scripts: ['/js/floor-stream.js', '/js/floor-follow.js'],
    });
  });

  router.get('/floor/:code/display', async (req, res) => {
    const floor = await floorOf(req);
    res.set('Cache-Control', 'no-store');
    res.render('floor/display', { layout: false, floor, scripts: ['/js/floor-stream.js', '/js/floor-display.js'] });
  });

  router.get('/floor/:code/events', async (req, res) => {
    const counterId = await counterOf(req);
    if (!(await live.follow(counterId, res))) res.status(503).set('Retry-After', '5').end();
  });

  router.get('/tickets/:token', async (req, res) => {
    const ticket = await ticketByToken(db, String(req.params.token));
    if (!ticket) throw new AppError(404, 'ticket_not_found', 'floor.public.ticketNotFound');
    const floor = (await floorNow(db, ticket.counterId))!;
    res.set('Cache-Control', 'no-store');
    const today = ticket.date === todayInJapan();
    res.render('floor/ticket', {
      title: res.locals.t('floor.public.ticketTitle', { number: ticket.number }),
      layout: 'layouts/citizen',
      ticket,
      floor,
      today,
      scripts: ['/js/floor-stream.js', '/js/floor-follow.js'],
    });
  });
  return router;
}

export function floorFeature(context: AppContext): Feature {
  const { db, config } = context;
  const router = Router();
  const baseUrl = (req: Request) => config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host')}`;
  const asStaff = <T>(req: Request, res: Response, fn: (tx: SqlTx) => Promise<T>) => transaction(db, staffActor(req, res), fn, { models: false });
  const counterParam = (req: Request, res: Response, action: 'floor.work' | 'floor.settings' = 'floor.work') => {
    const counterId = pathId(req.params.id);
    authorize(user(res), action, counterId, 'console.counterForbidden');
    return counterId;
  };

  router.get('/floor', workers, async (_req, res) => {
    const ids = visibleCounterIds(user(res));
    const counters = await db.prisma.counter.findMany({ where: { retiredAt: null, ...(ids ? { id: { in: ids } } : {}) }, orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }] });
    staffPage(res, 'index', 'floor.index.title', { counters });
  });

  /** The window page, with what just happened (done) or what was refused (errors). */
  const windowPage = async (req: Request, res: Response, locals: { done?: string; errors?: FieldErrors } = {}, status = 200) => {
    const counterId = counterParam(req, res);
    const window = parseQuery(windowQuery, req.method === 'POST' ? req.body : req.query).window;
    const [floor, procedures] = await Promise.all([floorNow(db, counterId), procedureChoices(db, counterId)]);
    if (!floor) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
    staffPage(
      res,
      'window',
      'floor.window.title',
      { counterId, floor, procedures, window, done: locals.done ?? '', errors: locals.errors ?? {}, scripts: ['/js/floor-stream.js', '/js/floor-window.js'] },
      status,
    );
  };
  /** Back to the window page (keeping the clerk's window) with what was done. */
  const backToWindow = (req: Request, res: Response, counterId: number, done: string) => {
    const window = parseQuery(windowQuery, req.body).window;
    res.redirect(303, `/staff/floor/counters/${counterId}?${new URLSearchParams({ ...(window ? { window: String(window) } : {}), done })}`);
  };
  /** A refused change shown on the window page with its status (a field's message, or the reason on top). */
  const refusedAtWindow = async (req: Request, res: Response, counterId: number, error: unknown, fieldErrors?: FieldErrors) => {
    if (!(error instanceof AppError) || error.status >= 500 || error.status === 403 || error.status === 404) throw error;
    req.params.id = String(counterId);
    await windowPage(req, res, { errors: fieldErrors ?? { _form: res.locals.t(error.messageKey, error.params) } }, error.status);
  };

  router.get('/floor/counters/:id', workers, (req, res) => windowPage(req, res, { done: typeof req.query.done === 'string' ? req.query.done : '' }));

  router.post('/floor/counters/:id/call-next', workers, async (req, res) => {
    const counterId = counterParam(req, res);
    const parsed = parseForm(callForm, req.body);
    if (!parsed.ok) return windowPage(req, res, { errors: parsed.errors }, 400);
    try {
      const called = await asStaff(req, res, (tx) => callNext(tx, { counterId, window: parsed.data.window, by: user(res) }));
      backToWindow(req, res, counterId, called ? `called:${called.number}` : 'nobody');
    } catch (error) {
      await refusedAtWindow(req, res, counterId, error);
    }
  });

  router.post('/floor/counters/:id/walk-in', workers, async (req, res) => {
    const counterId = counterParam(req, res);
    const parsed = parseForm(walkInForm, req.body);
    if (!parsed.ok) return windowPage(req, res, { errors: parsed.errors }, 400);
    try {
      const ticket = await asStaff(req, res, (tx) => issueWalkIn(tx, { counterId, procedureCode: parsed.data.procedure, by: user(res) }));
      res.redirect(303, `/staff/floor/tickets/${ticket.id}/print`);
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 400) throw error;
      await windowPage(req, res, { errors: { procedure: error.messageKey } }, 400);
    }
  });

  // The ticket's counter is read only when the move is refused (the page to show it on); the
  // service finds the ticket and checks the clerk may work at its counter.
  const move = (name: TicketMove) => async (req: Request, res: Response) => {
    const ticketId = pathId(req.params.id);
    const window = name === 'call' ? parseForm(callForm, req.body) : null;
    try {
      const ticket = await asStaff(req, res, (tx) => moveTicket(tx, { ticketId, move: name, window: window?.ok ? window.data.window : undefined, by: user(res) }));
      backToWindow(req, res, ticket.counterId, `${name}:${ticket.number}`);
    } catch (error) {
      const ticket = error instanceof AppError && error.status < 500 ? await ticketForStaff(db, ticketId) : null;
      await refusedAtWindow(req, res, ticket?.counterId ?? 0, error, window && !window.ok ? window.errors : undefined);
    }
  };
  for (const name of TICKET_MOVES) router.post(`/floor/tickets/:id/${name}`, workers, move(name));

  router.get('/floor/tickets/:id/print', workers, async (req, res) => {
    const ticket = await ticketForStaff(db, pathId(req.params.id));
    if (!ticket) throw new AppError(404, 'ticket_not_found', 'floor.error.ticketNotFound');
    authorize(user(res), 'floor.work', ticket.counterId, 'console.counterForbidden');
    const { paper } = parseQuery(paperQuery, req.query);
    const url = `${baseUrl(req)}/tickets/${ticket.token}`;
    staffPage(res, 'print', 'floor.print.title', { ticket, paper, url, qrCode, scripts: ['/js/floor-print.js'] });
  });

  router.get('/floor/counters/:id/stats', workers, async (req, res) => {
    const counterId = counterParam(req, res);
    const date = parseQuery(dateQuery, req.query).date ?? todayInJapan();
    const counter = await db.prisma.counter.findUnique({ where: { id: counterId }, select: { name: true } });
    if (!counter) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
    staffPage(res, 'stats', 'floor.stats.title', { counterId, counter, date, stats: await queueStats(db, counterId, date) });
  });

  const rangesPage = async (req: Request, res: Response, values?: Record<string, unknown>, errors: FieldErrors = {}, status = 200) => {
    const counterId = counterParam(req, res, 'floor.settings');
    const counter = await db.prisma.counter.findUnique({ where: { id: counterId }, select: { name: true } });
    if (!counter) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
    const ranges = await rangesOf(db, counterId);
    const shown = values ?? { ...fieldsOf('booked', ranges.booked), ...fieldsOf('walkIn', ranges.walk_in) };
    staffPage(res, 'ranges', 'floor.ranges.title', { counterId, counter, values: shown, errors, done: req.query.done === 'saved' }, status);
  };
  router.get('/floor/counters/:id/ranges', settings, (req, res) => rangesPage(req, res));
  router.post('/floor/counters/:id/ranges', settings, async (req, res) => {
    const counterId = counterParam(req, res, 'floor.settings');
    const parsed = parseForm(rangesForm, req.body);
    if (!parsed.ok) return rangesPage(req, res, req.body as Record<string, unknown>, parsed.errors, 400);
    const form = parsed.data;
    await asStaff(req, res, async (tx) => {
      await saveRange(tx, counterId, 'booked', { prefix: form.bookedPrefix, firstNumber: form.bookedFirst, lastNumber: form.bookedLast });
      await saveRange(tx, counterId, 'walk_in', { prefix: form.walkInPrefix, firstNumber: form.walkInFirst, lastNumber: form.walkInLast });
      await recordAudit(tx, { action: 'floor.ranges.save', targetType: 'counter', targetId: counterId, detail: form });
    });
    res.redirect(303, `/staff/floor/counters/${counterId}/ranges?done=saved`);
  });

  return { name: 'floor', staffRouter: router, staffMenu: [{ href: '/staff/floor', group: 'today', labelKey: 'floor.menu', action: 'floor.work' }] };
}

/** A range as the form's fields (bookedPrefix, bookedFirst, ...). */
function fieldsOf(prefix: string, range: TicketRange) {
  return { [`${prefix}Prefix`]: range.prefix, [`${prefix}First`]: range.firstNumber, [`${prefix}Last`]: range.lastNumber };
}
