// The citizen's booking pages. Everything is found through the session's card holder, never
// through an id or code in the URL alone (a citizen can see and change only their own booking).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app.js';
import type { Feature } from '../feature.js';
import { formatDateJa, formatMinutes, formatMomentJa, isoDateOfColumn, jstDateOf, jstMinutesOf, todayInJapan } from '../../lib/jst.js';
import { noStore } from '../../web/security-headers.js';
import { idSchema, isoDateSchema, monthSchema, parseForm, parseQuery } from '../../web/validation.js';
import { visitCalendar } from '../notify/calendar.js';
import { authenticateCitizen } from '../citizen/login-service.js';
import { requireCitizen } from '../citizen/session.js';
import { dayPage, listCounters, monthCalendar } from './availability.js';
import { BookingError } from './errors.js';
import { heldSlot, holdSlot, releaseExpiredHolds, releaseHold } from './holds.js';
import { activeBookingOf, addFamilyMember, bookSlot, BOOKABLE_CARD_STATUSES, cancelBooking, moveBooking, removeFamilyMember } from './service.js';
import { slotDeadline } from './window.js';

const id = idSchema();
const slotForm = z.object({ slotId: id });
const MAX_FAMILY_ROWS = 4;
const familyFields = Object.fromEntries(
  Array.from({ length: MAX_FAMILY_ROWS }, (_, i) => [
    [`familyId${i + 1}`, z.string().trim().max(64).optional().default('')],
    [`familyBirth${i + 1}`, z.string().trim().max(16).optional().default('')],
  ]).flat(),
) as Record<string, z.ZodDefault<z.ZodOptional<z.ZodString>>>;
const confirmForm = z.object({
  email: z.string().trim().min(1, 'booking.confirm.emailRequired').max(254, 'booking.confirm.emailInvalid').email('booking.confirm.emailInvalid'),
  emailAgain: z.string().trim(),
  ...familyFields,
}).refine((form) => form.email === form.emailAgain, { message: 'booking.confirm.emailMismatch', path: ['emailAgain'] });
const familyAddForm = z.object({ familyId1: z.string().trim().min(1, 'booking.family.idRequired').max(64), familyBirth1: z.string().trim().min(1, 'booking.family.birthRequired').max(16) });
const memberForm = z.object({ memberBookingId: id });
const monthQuery = z.object({ month: monthSchema().optional() });
const dateParam = isoDateSchema();

export function whenText(startsAt: Date, endsAt: Date): string {
  return `${formatDateJa(jstDateOf(startsAt))} ${formatMinutes(jstMinutesOf(startsAt))}〜${formatMinutes(jstMinutesOf(endsAt))}`;
}

export function bookingFeature(context: AppContext): Feature {
  const { db, config, secrets } = context;
  const prisma = db.prisma;
  const router = Router();
  router.use('/booking', noStore, requireCitizen);

  const holderId = (res: Response) => res.locals.cardHolderId!;
  const actor = (req: Request, res: Response) => ({ type: 'citizen' as const, id: String(holderId(res)), ip: req.ip });
  const baseUrl = (req: Request) => config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host')}`;
  const view = (res: Response, name: string, titleKey: string, locals: Record<string, unknown> = {}, status = 200) =>
    res.status(status).render(`booking/${name}`, { title: res.locals.t(titleKey), whenText, formatDateJa, formatMinutes, formatMomentJa, jstDateOf, jstMinutesOf, ...locals });
  const refuse = (res: Response, error: unknown, back: string) => {
    if (!(error instanceof BookingError)) throw error;
    view(res, 'refused', 'booking.refused.title', { messageKey: error.messageKey, back }, error.status);
  };

  router.get('/booking', async (req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    if (own) return view(res, 'show', 'booking.show.title', { own, deadline: await slotDeadline(prisma, own.booking.slot), done: req.query.done ?? null });
    const holder = await prisma.cardHolder.findUniqueOrThrow({ where: { id: holderId(res) }, select: { status: true } });
    if (!BOOKABLE_CARD_STATUSES.includes(holder.status)) return view(res, 'blocked', 'booking.blocked.title', { status: holder.status });
    res.redirect(303, '/booking/counters' + (req.query.done === 'cancelled' ? '?cancelled=1' : ''));
  });

  router.get('/booking/counters', async (req, res) => {
    const changing = req.query.change === '1' && (await activeBookingOf(prisma, holderId(res))) !== null;
    req.session.changing = changing;
    view(res, 'counters', 'booking.counters.title', { counters: await listCounters(prisma), changing, cancelled: req.query.cancelled === '1' });
  });

  /** A counter citizens may book at, from a URL segment (anything else is null). */
  const openCounter = async (raw: unknown) => {
    const counterId = id.safeParse(raw);
    return counterId.success ? prisma.counter.findFirst({ where: { id: counterId.data, retiredAt: null } }) : null;
  };

  // Expired holds give their places back before anyone is shown the places left (the day
  // page does it in dayPage).
  router.get('/booking/counters/:counterId', async (_req, _res, next) => {
    await releaseExpiredHolds(prisma);
    next();
  });

  router.get('/booking/counters/:counterId', async (req, res) => {
    const counter = await openCounter(req.params.counterId);
    if (!counter) return res.redirect(303, '/booking/counters');
    const counterId = counter.id;
    const month = parseQuery(monthQuery, req.query).month ?? todayInJapan().slice(0, 7);
    view(res, 'calendar', 'booking.calendar.title', { counter, calendar: await monthCalendar(prisma, counterId, month), changing: req.session.changing ?? false });
  });

  router.get('/booking/counters/:counterId/days/:date', async (req, res) => {
    const counterId = id.safeParse(req.params.counterId);
    const date = parseQuery(dateParam, req.params.date);
    const page = counterId.success ? await dayPage(prisma, counterId.data, date) : null;
    if (!page) return res.redirect(303, '/booking/counters');
    view(res, 'day', 'booking.day.title', { counter: page.counter, date, times: page.times, deadline: page.deadline, opensAt: page.opensAt, changing: req.session.changing ?? false });
  });

  /** The day page of a slot, where 戻る after a refused tap leads (the counter list if it is unknown). */
  const dayOfSlot = async (slotId: number) => {
    const slot = await prisma.slot.findUnique({ where: { id: slotId }, select: { counterId: true, date: true } });
    return slot ? `/booking/counters/${slot.counterId}/days/${isoDateOfColumn(slot.date)}` : '/booking/counters';
  };

  // A tap on a time: a new booking holds the place; a change goes to its own confirm page.
  router.post('/booking/hold', async (req, res) => {
    const parsed = parseForm(slotForm, req.body);
    if (!parsed.ok) return res.redirect(303, '/booking/counters');
    if (req.session.changing) return res.redirect(303, `/booking/move?slotId=${parsed.data.slotId}`);
    try {
      await holdSlot(prisma, { slotId: parsed.data.slotId, cardHolderId: holderId(res), minutes: config.HOLD_MINUTES });
    } catch (error) {
      return refuse(res, error, await dayOfSlot(parsed.data.slotId));
    }
    delete req.session.pendingBooking;
    res.redirect(303, '/booking/confirm');
  });

  router.post('/booking/hold/release', async (req, res) => {
    await releaseHold(prisma, holderId(res));
    delete req.session.pendingBooking;
    res.redirect(303, '/booking/counters');
  });

  const withHold = async (res: Response) => {
    const hold = await heldSlot(prisma, holderId(res));
    if (!hold) view(res, 'refused', 'booking.refused.title', { messageKey: 'booking.error.hold_not_found', back: '/booking/counters' }, 409);
    return hold;
  };

  router.get('/booking/confirm', async (req, res) => {
    const hold = await withHold(res);
    if (hold) view(res, 'confirm', 'booking.confirm.title', { hold, values: {}, errors: {}, familyRows: MAX_FAMILY_ROWS });
  });

  router.post('/booking/confirm', async (req, res) => {
    const hold = await withHold(res);
    if (!hold) return;
    const again = (errors: Record<string, string>) => view(res, 'confirm', 'booking.confirm.title', { hold, values: req.body, errors, familyRows: MAX_FAMILY_ROWS }, 400);
    const parsed = parseForm(confirmForm, req.body);
    if (!parsed.ok) return again(parsed.errors);
    const fields = parsed.data as Record<string, string>;
    const familyIds: number[] = [];
    for (let i = 1; i <= MAX_FAMILY_ROWS; i += 1) {
      const [noticeId, birth] = [fields[`familyId${i}`] ?? '', fields[`familyBirth${i}`] ?? ''];
      if (!noticeId && !birth) continue;
      const result = await authenticateCitizen(prisma, secrets.birthDatePepper, noticeId, birth, req.ip ?? '');
      if (!result.ok || result.cardHolderId === holderId(res)) return again({ [`familyId${i}`]: 'booking.family.failed' });
      familyIds.push(result.cardHolderId);
    }
    req.session.pendingBooking = { email: parsed.data.email, familyIds: [...new Set(familyIds)] };
    view(res, 'review', 'booking.review.title', { hold, pending: req.session.pendingBooking });
  });

  router.post('/booking/complete', async (req, res) => {
    const hold = await withHold(res);
    const pending = req.session.pendingBooking;
    if (!hold) return;
    if (!pending) return res.redirect(303, '/booking/confirm');
    try {
      await bookSlot(prisma, { slotId: hold.slotId, cardHolderIds: [holderId(res), ...pending.familyIds], channel: 'web', email: pending.email, actor: actor(req, res), baseUrl: baseUrl(req) });
    } catch (error) {
      return refuse(res, error, '/booking/counters');
    }
    delete req.session.pendingBooking;
    res.redirect(303, '/booking?done=booked');
  });

  router.get('/booking/visit.ics', async (_req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    if (!own) return res.redirect(303, '/booking');
    const { slot } = own.booking;
    const t = res.locals.t;
    res.type('text/calendar; charset=utf-8').attachment('mynumber-card-visit.ics').send(
      visitCalendar({ uid: `${own.primaryCode}@mynumber-card-booking`, title: t('mail.calendarTitle'), location: `${slot.counter.name} ${slot.counter.address}`, description: `${t('mail.field.code')}: ${own.primaryCode}`, startsAt: slot.startsAt, endsAt: slot.endsAt }),
    );
  });

  router.get('/booking/move', async (req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    const parsed = slotForm.safeParse(req.query);
    if (!own || !parsed.success) return res.redirect(303, '/booking');
    const slot = await prisma.slot.findUnique({ where: { id: parsed.data.slotId }, include: { counter: true } });
    if (!slot) return res.redirect(303, '/booking/counters?change=1');
    view(res, 'move', 'booking.move.title', { own, slot });
  });

  router.post('/booking/move', async (req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    const parsed = parseForm(slotForm, req.body);
    if (!own || !parsed.ok) return res.redirect(303, '/booking');
    try {
      await moveBooking(prisma, { bookingId: own.booking.id, toSlotId: parsed.data.slotId, actor: actor(req, res), baseUrl: baseUrl(req) });
    } catch (error) {
      return refuse(res, error, '/booking');
    }
    req.session.changing = false;
    res.redirect(303, '/booking?done=moved');
  });

  router.get('/booking/cancel', async (_req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    if (!own) return res.redirect(303, '/booking');
    view(res, 'cancel', 'booking.cancel.title', { own });
  });

  // The one who booked cancels for everyone; a family member cancels only their own place.
  router.post('/booking/cancel', async (req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    if (!own) return res.redirect(303, '/booking');
    const common = { bookingId: own.booking.id, actor: actor(req, res), baseUrl: baseUrl(req) };
    try {
      if (own.isPrimary) await cancelBooking(prisma, common);
      else await removeFamilyMember(prisma, { ...common, memberBookingId: own.booking.id });
    } catch (error) {
      return refuse(res, error, '/booking');
    }
    res.redirect(303, '/booking?done=cancelled');
  });

  router.post('/booking/family/add', async (req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    if (!own || !own.isPrimary) return res.redirect(303, '/booking');
    const parsed = parseForm(familyAddForm, req.body);
    const result = parsed.ok ? await authenticateCitizen(prisma, secrets.birthDatePepper, parsed.data.familyId1, parsed.data.familyBirth1, req.ip ?? '') : null;
    if (!result?.ok) return view(res, 'show', 'booking.show.title', { own, done: null, familyError: parsed.ok ? 'booking.family.failed' : Object.values(parsed.errors)[0] }, 400);
    try {
      await addFamilyMember(prisma, { bookingId: own.booking.id, cardHolderId: result.cardHolderId, actor: actor(req, res), baseUrl: baseUrl(req) });
    } catch (error) {
      return refuse(res, error, '/booking');
    }
    res.redirect(303, '/booking?done=familyAdded');
  });

  router.post('/booking/family/remove', async (req, res) => {
    const own = await activeBookingOf(prisma, holderId(res));
    const parsed = parseForm(memberForm, req.body);
    if (!own || !own.isPrimary || !parsed.ok) return res.redirect(303, '/booking');
    try {
      await removeFamilyMember(prisma, { bookingId: own.booking.id, memberBookingId: parsed.data.memberBookingId, actor: actor(req, res), baseUrl: baseUrl(req) });
    } catch (error) {
      return refuse(res, error, '/booking');
    }
    res.redirect(303, '/booking?done=familyRemoved');
  });

  return { name: 'booking', citizenRouter: router };
}
