// The citizen's booking pages. Everything is found through the session's booker (a card holder,
// or an applicant for one procedure), never through an id or code in the URL alone (a citizen
// can see and change only their own booking).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { codeSchema } from '../schedule/forms.js';
import { PICKUP, procedureChoices } from '../schedule/procedures.js';
import { findOrCreateApplicant, identityForms, type Identity } from '../citizen/applicants.js';
import type { PersonRef } from './places.js';
import type { AppContext } from '../../context.js';
import { BOOKABLE_CARD_STATUSES } from '../../domain/booking-rules.js';
import type { Feature } from '../feature.js';
import { formatMinutes, isoDateOfColumn, jstDateOf, jstMinutesOf, todayInJapan } from '../../lib/jst.js';
import { noStore } from '../../web/security-headers.js';
import { idSchema, isoDateSchema, monthSchema, parseForm, parseQuery } from '../../lib/validation.js';
import { visitCalendar } from '../notify/calendar.js';
import { authenticateCitizen } from '../citizen/login-service.js';
import { citizenActorId, requireCitizen, type Booker } from '../citizen/session.js';
import { transaction, type SqlTx } from '../../db/transaction.js';
import {
  activeBookingOf,
  addFamilyMember,
  anyExpiredHold,
  BookingError,
  bookSlot,
  cancelBooking,
  dayPage,
  heldSlot,
  holdSlot,
  listCounters,
  monthCalendar,
  moveBooking,
  releaseExpiredHolds,
  releaseHold,
  removeFamilyMember,
  slotDeadline,
  type BookingErrorCode,
  BOOKING_TRANSACTION,
} from './index.js';

declare module 'express-session' {
  interface SessionData {
    /**
     * What the citizen entered for the hold `holdId` (no email: null), for the review page:
     * family members by card holder, and those who come for another procedure (applicants).
     */
    pendingBooking?: { holdId: number; email: string | null; familyIds: number[]; others?: { applicantId: number; procedure: string; procedureName: string; nameKana: string }[] };
    /** The confirm form sent back with errors, shown once by the GET after the redirect. */
    confirmForm?: { holdId: number; values: Record<string, string>; errors: Record<string, string> };
    /** Why the last booking POST was refused, shown once by GET /booking/refused. */
    refusal?: { code: BookingErrorCode; back: string };
    familyError?: string;
    changing?: boolean;
  }
}

const id = idSchema();
const slotForm = z.object({ slotId: id });
const MAX_FAMILY_ROWS = 4;
/** Rows for family members who come for another procedure (without a notice ID). */
const OTHER_ROWS = 2;
const IDENTITY_FIELDS = ['NameKana', 'BirthDate', 'Phone'];
/** The people a pending booking books: the booker, family with notice IDs, and the others. */
const peopleOf = (pending: { familyIds: number[]; others?: unknown[] }) => 1 + pending.familyIds.length + (pending.others?.length ?? 0);
const familyFields = Object.fromEntries(
  Array.from({ length: MAX_FAMILY_ROWS }, (_, i) => [
    [`familyId${i + 1}`, z.string().trim().max(64).optional().default('')],
    [`familyBirth${i + 1}`, z.string().trim().max(16).optional().default('')],
  ]).flat(),
) as Record<string, z.ZodDefault<z.ZodOptional<z.ZodString>>>;
const emailAddress = z.string().email();
// An email is optional (the citizen may note the booking code instead); one given is checked.
const confirmForm = z
  .object({
    email: z
      .string()
      .trim()
      .max(254, 'booking.confirm.emailInvalid')
      .refine((email) => email === '' || emailAddress.safeParse(email).success, 'booking.confirm.emailInvalid'),
    emailAgain: z.string().trim().optional().default(''),
    ...familyFields,
  })
  .refine((form) => form.email === form.emailAgain, { message: 'booking.confirm.emailMismatch', path: ['emailAgain'] });
/** The hold a confirm or review page was shown for (holding again makes a new hold). */
const holdForm = z.object({ holdId: id });
/** What the review page showed: the hold, its slot, the people and the email. */
const completeForm = holdForm.extend({ slotId: id, procedure: codeSchema, people: id, email: z.string().trim().max(254).optional().default('') });
const familyAddForm = z.object({
  familyId1: z.string().trim().min(1, 'booking.family.idRequired').max(64),
  familyBirth1: z.string().trim().min(1, 'booking.family.birthRequired').max(16),
});
const memberForm = z.object({ memberBookingId: id });
const monthQuery = z.object({ month: monthSchema().optional() });
const dateParam = isoDateSchema();

/**
 * The message after a change: a booking without an email says so and asks the citizen to note
 * the code (a family member's booking is mailed to the one who booked).
 */
function doneMessage(own: { isPrimary: boolean; booking: { email: string | null } }, done: unknown): string | null {
  if (typeof done !== 'string' || !DONE_MESSAGES.includes(done)) return null;
  const mailed = !own.isPrimary || Boolean(own.booking.email);
  return `booking.done.${done}${mailed || !MAILED_DONE.includes(done) ? '' : 'NoEmail'}`;
}
const MAILED_DONE = ['booked', 'moved'];
const DONE_MESSAGES = [...MAILED_DONE, 'familyAdded', 'familyRemoved'];

/** The booker as the booking commands name a person. */
const personRef = (who: Booker): PersonRef => ('cardHolderId' in who ? { cardHolderId: who.cardHolderId } : { applicantId: who.applicantId });
/** The procedure the booker books: an applicant's own, the card pickup for a card holder. */
const procedureOf = (who: Booker) => ('procedure' in who ? who.procedure : PICKUP);

export function bookingFeature(context: AppContext): Feature {
  const { db, config, secrets } = context;
  const prisma = db.prisma;
  /**
   * Runs booking commands in one transaction for the citizen of this request (plain SQL: the
   * booking module needs no more), with their statements planned once per connection.
   */
  const asCitizen = <T>(req: Request, res: Response, command: (tx: SqlTx) => Promise<T>) => transaction(db, actor(req, res), command, BOOKING_TRANSACTION);
  /** Expired holds give their places back before anyone is shown the places left. */
  const giveBackExpiredHolds = async (req: Request, res: Response) => {
    if (await anyExpiredHold(db)) await asCitizen(req, res, (tx) => releaseExpiredHolds(tx));
  };
  const router = Router();
  router.use('/booking', noStore, requireCitizen);

  const booker = (res: Response) => res.locals.booker!;
  /** The card holder who books, or null for an applicant (who has no family rows nor card). */
  const holderOf = (res: Response) => {
    const who = booker(res);
    return 'cardHolderId' in who ? who.cardHolderId : null;
  };
  const actor = (req: Request, res: Response) => ({ type: 'citizen' as const, id: citizenActorId(booker(res)), ip: req.ip });
  const baseUrl = (req: Request) => config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host')}`;
  const view = (res: Response, name: string, titleKey: string, locals: Record<string, unknown> = {}, status = 200) =>
    res.status(status).render(`booking/${name}`, { title: res.locals.t(titleKey), formatMinutes, jstDateOf, jstMinutesOf, ...locals });
  // Every POST ends in a redirect (a reload or Back never sends a form again): a refusal is
  // kept in the session for the one GET that shows it.
  const refuseWith = (req: Request, res: Response, code: BookingErrorCode, back: string) => {
    req.session.refusal = { code, back };
    res.redirect(303, '/booking/refused');
  };
  const refuse = (req: Request, res: Response, error: unknown, back: string) => {
    if (!(error instanceof BookingError)) throw error;
    return refuseWith(req, res, error.code, back);
  };

  router.get('/booking/refused', (req, res) => {
    const refusal = req.session.refusal;
    if (!refusal) return res.redirect(303, '/booking');
    delete req.session.refusal;
    const error = new BookingError(refusal.code);
    view(res, 'refused', 'booking.refused.title', { messageKey: error.messageKey, back: refusal.back }, error.status);
  });

  router.get('/booking', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    const familyError = req.session.familyError;
    delete req.session.familyError;
    if (own)
      return view(
        res,
        'show',
        'booking.show.title',
        {
          own,
          deadline: await slotDeadline(
            db,
            own.booking.slot,
            own.group.map((member) => member.procedureCode),
          ),
          done: doneMessage(own, req.query.done),
          familyError,
        },
        familyError ? 400 : 200,
      );
    const holderId = holderOf(res);
    const holder = holderId === null ? null : await prisma.cardHolder.findUniqueOrThrow({ where: { id: holderId }, select: { status: true } });
    if (holder && !BOOKABLE_CARD_STATUSES.includes(holder.status)) return view(res, 'blocked', 'booking.blocked.title', { status: holder.status });
    const cancelled = ['cancelled', 'cancelledNoEmail'].includes(String(req.query.done)) ? `?cancelled=${req.query.done}` : '';
    res.redirect(303, '/booking/counters' + cancelled);
  });

  router.get('/booking/counters', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    // Back to the start of the flow after booking: show the booking, not a second booking.
    if (own && req.query.change !== '1') return res.redirect(303, '/booking');
    const changing = own !== null;
    req.session.changing = changing;
    view(res, 'counters', 'booking.counters.title', {
      counters: await listCounters(prisma, procedureOf(booker(res))),
      changing,
      cancelled: ['cancelled', 'cancelledNoEmail'].includes(String(req.query.cancelled)) ? `booking.done.${req.query.cancelled}` : null,
    });
  });

  /** A counter the citizen may book their procedure at, from a URL segment (anything else is null). */
  const openCounter = async (raw: unknown, procedure: string) => {
    const counterId = id.safeParse(raw);
    return counterId.success ? prisma.counter.findFirst({ where: { id: counterId.data, retiredAt: null, procedures: { some: { procedureCode: procedure } } } }) : null;
  };

  router.get('/booking/counters/:counterId', async (req, res, next) => {
    await giveBackExpiredHolds(req, res);
    next();
  });

  router.get('/booking/counters/:counterId', async (req, res) => {
    const counter = await openCounter(req.params.counterId, procedureOf(booker(res)));
    if (!counter) return res.redirect(303, '/booking/counters');
    const counterId = counter.id;
    const month = parseQuery(monthQuery, req.query).month ?? todayInJapan().slice(0, 7);
    view(res, 'calendar', 'booking.calendar.title', {
      counter,
      calendar: await monthCalendar(db, counterId, month, procedureOf(booker(res))),
      changing: req.session.changing ?? false,
    });
  });

  router.get('/booking/counters/:counterId/days/:date', async (req, res) => {
    const counterId = id.safeParse(req.params.counterId);
    const date = parseQuery(dateParam, req.params.date);
    const read = () => (counterId.success ? dayPage(db, counterId.data, date, procedureOf(booker(res))) : null);
    let page = await read();
    if (page?.expiredHolds) {
      await giveBackExpiredHolds(req, res);
      page = await read();
    }
    if (!page) return res.redirect(303, '/booking/counters');
    view(res, 'day', 'booking.day.title', {
      counter: page.counter,
      date,
      times: page.times,
      deadline: page.deadline,
      minutesBefore: page.minutesBefore,
      opensAt: page.opensAt,
      changing: req.session.changing ?? false,
    });
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
      await asCitizen(req, res, (tx) => holdSlot(tx, { ...personRef(booker(res)), slotId: parsed.data.slotId, procedure: procedureOf(booker(res)), minutes: config.HOLD_MINUTES }));
    } catch (error) {
      if (error instanceof BookingError && error.code === 'already_booked') return res.redirect(303, '/booking');
      return refuse(req, res, error, await dayOfSlot(parsed.data.slotId));
    }
    delete req.session.pendingBooking;
    res.redirect(303, '/booking/confirm');
  });

  router.post('/booking/hold/release', async (req, res) => {
    await asCitizen(req, res, (tx) => releaseHold(tx, personRef(booker(res))));
    delete req.session.pendingBooking;
    res.redirect(303, '/booking/counters');
  });

  /**
   * The citizen's live hold, or null after answering: a citizen who has booked meanwhile (Back,
   * reload, a second tab) is shown the booking; otherwise told the hold is gone.
   */
  const liveHold = async (req: Request, res: Response) => {
    const hold = await heldSlot(db, personRef(booker(res)));
    if (hold) return hold;
    if (await activeBookingOf(db, booker(res))) res.redirect(303, '/booking');
    else await refuseWith(req, res, 'hold_not_found', '/booking/counters');
    return null;
  };

  router.get('/booking/confirm', async (req, res) => {
    const hold = await liveHold(req, res);
    if (!hold) return;
    const shown = req.session.confirmForm?.holdId === hold.id ? req.session.confirmForm : undefined;
    delete req.session.confirmForm;
    const pending = req.session.pendingBooking?.holdId === hold.id ? req.session.pendingBooking : undefined;
    const entered = pending?.email ? { email: pending.email, emailAgain: pending.email } : {};
    const who = booker(res);
    const verifiedEmail = 'email' in who ? who.email : null;
    const otherProcedures = verifiedEmail === null ? await procedureChoices(db, hold.slot.counter.id, { withoutNoticeId: true }) : [];
    view(
      res,
      'confirm',
      'booking.confirm.title',
      {
        hold,
        values: shown?.values ?? entered,
        errors: shown?.errors ?? {},
        familyRows: MAX_FAMILY_ROWS,
        verifiedEmail,
        otherProcedures,
        otherRows: OTHER_ROWS,
        identityMode: config.APPLICANT_IDENTITY,
      },
      shown ? 400 : 200,
    );
  });

  /** The family members' card holder ids, or the first row that does not log in. */
  const familyOf = async (req: Request, res: Response, fields: Record<string, string>) => {
    const familyIds: number[] = [];
    for (let i = 1; i <= MAX_FAMILY_ROWS; i += 1) {
      const [noticeId, birth] = [fields[`familyId${i}`] ?? '', fields[`familyBirth${i}`] ?? ''];
      if (!noticeId && !birth) continue;
      const result = await authenticateCitizen(db, secrets.birthDatePepper, noticeId, birth, req.ip ?? '');
      if (!result.ok || result.cardHolderId === holderOf(res)) return { failedRow: i };
      familyIds.push(result.cardHolderId);
    }
    return { familyIds: [...new Set(familyIds)] };
  };

  /**
   * Family members who come for another procedure, without a notice ID: each filled row's
   * procedure (offered at the held counter) and identity (the fields the city asks for), made
   * applicants; or the errors of the rows, by field.
   */
  const othersOf = async (req: Request, res: Response, body: Record<string, unknown>, counterId: number) => {
    const fieldOf = (i: number) => (name: string) => body[`other${i}${name}`];
    const filled = Array.from({ length: OTHER_ROWS }, (_, i) => i + 1).filter((i) =>
      ['Procedure', ...IDENTITY_FIELDS].map(fieldOf(i)).some((value) => value !== undefined && value !== ''),
    );
    // Most citizens add no one: then nothing is read and no transaction is opened.
    if (filled.length === 0) return { ok: true as const, others: [] };
    const offered = await procedureChoices(db, counterId, { withoutNoticeId: true });
    const rows: { procedure: { code: string; name: string }; identity: Identity }[] = [];
    const errors: Record<string, string> = {};
    for (const i of filled) {
      const field = fieldOf(i);
      const procedure = offered.find((choice) => choice.code === field('Procedure'));
      if (!procedure) errors[`other${i}Procedure`] = 'booking.others.chooseProcedure';
      const identity = parseForm(identityForms[config.APPLICANT_IDENTITY], { nameKana: field('NameKana'), birthDate: field('BirthDate'), phone: field('Phone') });
      if (!identity.ok) for (const [name, message] of Object.entries(identity.errors)) errors[`other${i}${name[0].toUpperCase()}${name.slice(1)}`] = message;
      if (procedure && identity.ok) rows.push({ procedure, identity: identity.data });
    }
    if (Object.keys(errors).length > 0) return { ok: false as const, errors };
    const others = await asCitizen(req, res, async (tx) => {
      const made = [];
      for (const row of rows) made.push({ ...(await findOrCreateApplicant(tx, secrets.birthDatePepper, row.identity)), ...row });
      return made;
    });
    return {
      ok: true as const,
      others: others.map((row) => ({ applicantId: row.applicantId, procedure: row.procedure.code, procedureName: row.procedure.name, nameKana: row.identity.nameKana })),
    };
  };

  router.post('/booking/confirm', async (req, res) => {
    const hold = await liveHold(req, res);
    if (!hold) return;
    if (holdForm.safeParse(req.body).data?.holdId !== hold.id) return refuseWith(req, res, 'hold_changed', '/booking/counters');
    // An applicant proved their email already and books for themselves alone.
    const whom = booker(res);
    if ('email' in whom) {
      req.session.pendingBooking = { holdId: hold.id, email: whom.email, familyIds: [] };
      return res.redirect(303, '/booking/review');
    }
    const again = (errors: Record<string, string>) => {
      const values = Object.fromEntries(
        Object.entries(req.body as Record<string, unknown>).filter(([name, value]) => !name.includes('Birth') && name !== '_csrf' && typeof value === 'string'),
      );
      req.session.confirmForm = { holdId: hold.id, values: values as Record<string, string>, errors };
      return res.redirect(303, '/booking/confirm');
    };
    const parsed = parseForm(confirmForm, req.body);
    if (!parsed.ok) return again(parsed.errors);
    const family = await familyOf(req, res, parsed.data as Record<string, string>);
    if ('failedRow' in family) return again({ [`familyId${family.failedRow}`]: 'booking.family.failed' });
    const others = await othersOf(req, res, req.body as Record<string, unknown>, hold.slot.counter.id);
    if (!others.ok) return again(others.errors);
    req.session.pendingBooking = { holdId: hold.id, email: parsed.data.email || null, familyIds: family.familyIds, others: others.others };
    res.redirect(303, '/booking/review');
  });

  router.get('/booking/review', async (req, res) => {
    const hold = await liveHold(req, res);
    if (!hold) return;
    const pending = req.session.pendingBooking;
    if (pending?.holdId !== hold.id) return res.redirect(303, '/booking/confirm');
    view(res, 'review', 'booking.review.title', { hold, pending, people: peopleOf(pending) });
  });

  // Completing is idempotent: a retry of a completion that was booked (its answer lost, a
  // double tap, Back and 確定 again) is shown that booking. It books only what the review page
  // showed: when the session's hold or entries changed since (another tab), nothing is booked.
  router.post('/booking/complete', async (req, res) => {
    const shown = completeForm.safeParse(req.body).data;
    const pending = req.session.pendingBooking;
    /** Redirects to the citizen's booking when there is one; whether it did. */
    const toBooking = async () => {
      const own = await activeBookingOf(db, booker(res));
      if (own) res.redirect(303, own.booking.slotId === shown?.slotId ? '/booking?done=booked' : '/booking');
      return own !== null;
    };
    if (!shown || pending?.holdId !== shown.holdId || shown.people !== peopleOf(pending) || shown.email !== (pending.email ?? '')) {
      // A retry after the booking was made (its entries are gone), or another tab changed them.
      if (!(await toBooking())) await refuseWith(req, res, 'hold_changed', '/booking/counters');
      return;
    }
    try {
      const whom = booker(res);
      const booking = {
        slotId: shown.slotId,
        holdId: shown.holdId,
        procedure: shown.procedure,
        ...('cardHolderId' in whom
          ? { cardHolderIds: [whom.cardHolderId, ...pending.familyIds], applicants: (pending.others ?? []).map((other) => ({ id: other.applicantId, procedure: other.procedure })) }
          : { cardHolderIds: [], applicants: [{ id: whom.applicantId, procedure: shown.procedure }] }),
        channel: 'web' as const,
        email: pending.email,
        language: res.locals.lang,
        by: null,
        baseUrl: baseUrl(req),
      };
      await asCitizen(req, res, (tx) => bookSlot(tx, booking));
    } catch (error) {
      // Booked a moment ago by the same completion (a double tap, a lost answer): shown that booking.
      if (error instanceof BookingError && (await toBooking())) return;
      return refuse(req, res, error, '/booking/counters');
    }
    delete req.session.pendingBooking;
    res.redirect(303, '/booking?done=booked');
  });

  router.get('/booking/visit.ics', async (_req, res) => {
    const own = await activeBookingOf(db, booker(res));
    if (!own) return res.redirect(303, '/booking');
    const { slot } = own.booking;
    const t = res.locals.t;
    res
      .type('text/calendar; charset=utf-8')
      .attachment('mynumber-card-visit.ics')
      .send(
        visitCalendar({
          uid: `${own.primaryCode}@mynumber-card-booking`,
          title: own.booking.procedure.name,
          location: `${slot.counter.name} ${slot.counter.address}`,
          description: `${t('mail.field.code')}: ${own.primaryCode}`,
          startsAt: slot.startsAt,
          endsAt: slot.endsAt,
        }),
      );
  });

  router.get('/booking/move', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    const parsed = slotForm.safeParse(req.query);
    if (!own || !parsed.success) return res.redirect(303, '/booking');
    const slot = await prisma.slot.findUnique({ where: { id: parsed.data.slotId }, include: { counter: true } });
    if (!slot) return res.redirect(303, '/booking/counters?change=1');
    view(res, 'move', 'booking.move.title', { own, slot });
  });

  router.post('/booking/move', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    const parsed = parseForm(slotForm, req.body);
    if (!own || !parsed.ok) return res.redirect(303, '/booking');
    try {
      await asCitizen(req, res, (tx) => moveBooking(tx, { bookingId: own.booking.id, toSlotId: parsed.data.slotId, by: null, baseUrl: baseUrl(req) }));
    } catch (error) {
      return refuse(req, res, error, '/booking');
    }
    req.session.changing = false;
    res.redirect(303, '/booking?done=moved');
  });

  router.get('/booking/cancel', async (_req, res) => {
    const own = await activeBookingOf(db, booker(res));
    if (!own) return res.redirect(303, '/booking');
    view(res, 'cancel', 'booking.cancel.title', { own });
  });

  // The one who booked cancels for everyone; a family member cancels only their own place.
  router.post('/booking/cancel', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    if (!own) return res.redirect(303, '/booking');
    const common = { bookingId: own.booking.id, by: null, baseUrl: baseUrl(req) };
    try {
      await asCitizen(req, res, async (tx) => {
        if (own.isPrimary) await cancelBooking(tx, common);
        else await removeFamilyMember(tx, { ...common, memberBookingId: own.booking.id });
      });
    } catch (error) {
      return refuse(req, res, error, '/booking');
    }
    res.redirect(303, `/booking?done=${own.isPrimary && !own.booking.email ? 'cancelledNoEmail' : 'cancelled'}`);
  });

  router.post('/booking/family/add', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    if (!own || !own.isPrimary || holderOf(res) === null) return res.redirect(303, '/booking');
    const parsed = parseForm(familyAddForm, req.body);
    const result = parsed.ok ? await authenticateCitizen(db, secrets.birthDatePepper, parsed.data.familyId1, parsed.data.familyBirth1, req.ip ?? '') : null;
    if (!result?.ok) {
      req.session.familyError = parsed.ok ? 'booking.family.failed' : Object.values(parsed.errors)[0];
      return res.redirect(303, '/booking');
    }
    try {
      await asCitizen(req, res, (tx) => addFamilyMember(tx, { bookingId: own.booking.id, cardHolderId: result.cardHolderId, by: null, baseUrl: baseUrl(req) }));
    } catch (error) {
      return refuse(req, res, error, '/booking');
    }
    res.redirect(303, '/booking?done=familyAdded');
  });

  router.post('/booking/family/remove', async (req, res) => {
    const own = await activeBookingOf(db, booker(res));
    const parsed = parseForm(memberForm, req.body);
    if (!own || !own.isPrimary || !parsed.ok) return res.redirect(303, '/booking');
    try {
      await asCitizen(req, res, (tx) => removeFamilyMember(tx, { bookingId: own.booking.id, memberBookingId: parsed.data.memberBookingId, by: null, baseUrl: baseUrl(req) }));
    } catch (error) {
      return refuse(req, res, error, '/booking');
    }
    res.redirect(303, '/booking?done=familyRemoved');
  });

  const citizenLeft = (who: Booker) => transaction(db, { type: 'citizen', id: citizenActorId(who) }, (tx) => releaseHold(tx, personRef(who)), BOOKING_TRANSACTION);
  return { name: 'booking', citizenRouter: router, citizenLeft };
}
