// The console pages of callers without a notice ID (applicants): book a procedure for them,
// their page with their bookings and the counter work, and cancelling with their identity
// fields given again.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { parseForm, parseQuery, type FieldErrors } from '../../lib/validation.js';
import { cancelBooking } from '../booking/index.js';
import { identityForms } from '../citizen/applicants.js';
import { IdentityError } from '../citizen/identity-checks.js';
import { procedureChoices } from '../schedule/procedures.js';
import { requirePermission, staffActor, type StaffPrincipal } from '../staff/access.js';
import { applicantForConsole, bookForCaller, confirmApplicant } from './applicants.js';
import { applicantBookForm, cancelForm, id } from './forms.js';
import { countersOf, ensureSlotCounter, pickedDay, pickedProcedure, slotChoices } from './on-behalf.js';
import { page } from './render.js';

const viewers = requirePermission('console.view');
const onBehalfBookers = requirePermission('booking.onBehalf');
const user = (res: Response): StaffPrincipal => res.locals.staffUser!;
const DONE = ['booked', 'cancelled', 'check_in', 'hand_over', 'no_show'];

/** Renders an applicant's console page (their bookings, counter work, cancelling), with what the request did or was refused. */
export function applicantPageOf(context: AppContext) {
  return async (req: Request, res: Response, applicantId: number, locals: { errors?: FieldErrors; values?: Record<string, unknown> } = {}, status = 200) => {
    const applicant = await transaction(context.db, staffActor(req, res), (tx) => applicantForConsole(tx, applicantId, user(res)));
    const done = typeof req.query.done === 'string' && DONE.includes(req.query.done) ? req.query.done : '';
    page(res, 'applicant', 'console.applicant.title', { applicant, done, errors: {}, values: {}, identityMode: context.config.APPLICANT_IDENTITY, ...locals }, status);
  };
}

export function applicantRoutes(context: AppContext): Router {
  const { db, config, secrets } = context;
  const router = Router();
  const identityForm = identityForms[config.APPLICANT_IDENTITY];
  const baseUrl = (req: Request) => config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host')}`;
  const identityCheck = (req: Request, res: Response) => ({ user: user(res), actor: staffActor(req, res), pepper: secrets.birthDatePepper });
  const applicantPage = applicantPageOf(context);

  const bookPage = async (req: Request, res: Response, errors: FieldErrors = {}, status = 200) => {
    const counters = await countersOf(db, user(res));
    const { counterId, date, procedure: asked } = pickedDay(req, counters);
    const procedures = counterId === undefined ? [] : await procedureChoices(db, counterId, { withoutNoticeId: true });
    const procedure = pickedProcedure(procedures, asked);
    const slots = counterId === undefined || !procedure ? [] : await slotChoices(db, counterId, date, user(res), procedure.minutes);
    const values = req.method === 'POST' ? { ...(req.body as Record<string, unknown>), birthDate: '' } : {};
    page(
      res,
      'applicant-book',
      'console.applicantBook.title',
      { counters, counterId, date, slots, procedures, procedure, identityMode: config.APPLICANT_IDENTITY, errors, values },
      status,
    );
  };

  router.get('/console/applicants/book', onBehalfBookers, (req, res) => bookPage(req, res));

  router.post('/console/applicants/book', onBehalfBookers, async (req, res) => {
    const [form, identity] = [parseForm(applicantBookForm, req.body), parseForm(identityForm, req.body)];
    if (!form.ok || !identity.ok) return bookPage(req, res, { ...(form.ok ? {} : form.errors), ...(identity.ok ? {} : identity.errors) }, 400);
    const { slotId, procedure, email } = form.data;
    try {
      await ensureSlotCounter(db, slotId!, user(res));
      const booking = { slotId: slotId!, procedure, identity: identity.data, email: email ?? null, baseUrl: baseUrl(req) };
      const { applicantId } = await transaction(db, staffActor(req, res), (tx) => bookForCaller(tx, secrets.birthDatePepper, user(res), booking));
      res.redirect(303, `/staff/console/applicants/${applicantId}?done=booked`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await bookPage(req, res, { _form: error.messageKey }, error.status);
    }
  });

  router.get('/console/applicants/:id', viewers, (req, res) => applicantPage(req, res, parseQuery(id, req.params.id)));

  router.post('/console/applicants/:id/cancel', onBehalfBookers, async (req, res) => {
    const applicantId = parseQuery(id, req.params.id);
    const [form, identity] = [parseForm(cancelForm.pick({ bookingId: true }), req.body), parseForm(identityForm, req.body)];
    const values = { ...(req.body as Record<string, unknown>), birthDate: '' };
    if (!form.ok || !identity.ok)
      return applicantPage(req, res, applicantId, { errors: { ...(form.ok ? {} : form.errors), ...(identity.ok ? {} : identity.errors) }, values }, 400);
    const { bookingId } = form.data;
    try {
      await confirmApplicant(db, applicantId, identity.data, identityCheck(req, res), bookingId);
      await transaction(db, staffActor(req, res), (tx) => cancelBooking(tx, { bookingId, by: user(res), baseUrl: baseUrl(req) }));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return applicantPage(req, res, applicantId, { errors: { [error instanceof IdentityError ? 'nameKana' : '_form']: error.messageKey }, values }, error.status);
    }
    res.redirect(303, `/staff/console/applicants/${applicantId}?done=cancelled`);
  });

  return router;
}
