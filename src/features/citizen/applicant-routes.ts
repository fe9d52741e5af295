// Booking a procedure without a notice ID (docs/decisions/0016): choose the procedure, prove an
// email address with a mailed code, say who one is, and go on to the booking pages as an
// applicant. Each step needs the one before it in this session; every POST redirects or shows
// its form again with the messages.
import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { transaction } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { toHalfWidth } from '../../lib/width.js';
import { parseForm, requiredLineSchema } from '../../lib/validation.js';
import { generateCsrfToken } from '../../web/csrf.js';
import { codeSchema } from '../schedule/forms.js';
import { noStore } from '../../web/security-headers.js';
import { regenerateSession } from '../../web/sessions.js';
import { identifyApplicant, identityForms } from './applicants.js';
import { CODE_LENGTH, CODE_MINUTES, confirmEmailCode, requestEmailCode } from './email-verification.js';

/** An email address and its procedure, as a verification names them. */
interface Verification {
  verificationId: string;
  procedure: string;
  email: string;
}

/** Where a person is in the steps: the procedure, and the verification of this session. */
interface Step {
  procedure: { code: string; name: string };
  verification: Verification;
}

declare module 'express-session' {
  interface SessionData {
    /**
     * The steps before an applicant's log-in: the session's nonce (a code works only in the
     * session that asked for it), the code sent, the code confirmed, a notice for the next page.
     */
    apply?: { nonce: string; sent?: Verification; verified?: Verification; notice?: string };
  }
}

const emailAddress = z.email();
const emailError = (name: string) => `citizen.apply.email.error.${name}`;
const emailForm = z
  .object({
    email: requiredLineSchema(254, emailError('emailRequired'), emailError('emailInvalid')).refine((email) => emailAddress.safeParse(email).success, emailError('emailInvalid')),
    emailAgain: z.string({ error: emailError('emailMismatch') }).trim(),
  })
  .refine((form) => form.email === form.emailAgain, { message: emailError('emailMismatch'), path: ['emailAgain'] });

const codeForm = z.object({
  code: requiredLineSchema(32, 'citizen.apply.code.error.required', 'citizen.apply.code.error.format')
    .transform((typed) => toHalfWidth(typed).replace(/\s/g, ''))
    .refine((code) => new RegExp(`^\\d{${CODE_LENGTH}}$`).test(code), 'citizen.apply.code.error.format'),
});

/** What a text field shows again after an error: a string as typed, cut short; nothing else. */
const typed = (value: unknown, max = 254) => (typeof value === 'string' ? value.slice(0, max) : '');

export function applicantRoutes(context: AppContext): Router {
  const { db, config, secrets } = context;
  const prisma = db.prisma;
  const router = Router();
  router.use('/apply', noStore);

  /** The procedures a citizen may book here: no notice ID, not retired, offered at an open counter. */
  const bookableProcedures = (code?: string) =>
    prisma.procedure.findMany({
      where: { code, needsNoticeId: false, retiredAt: null, counters: { some: { counter: { retiredAt: null } } } },
      select: { code: true, name: true, documents: true },
      orderBy: [{ displayOrder: 'asc' }, { code: 'asc' }],
    });

  /** The procedure of the path, or a 404 page; a logged-in citizen is sent to their booking (null). */
  const procedureOf = async (req: Request, res: Response) => {
    const code = codeSchema.safeParse(req.params.code);
    const [procedure] = code.success ? await bookableProcedures(code.data) : [];
    if (!procedure) throw new AppError(404, 'procedure_not_found', 'citizen.apply.notFound');
    if (res.locals.booker === undefined) return procedure;
    res.redirect(303, '/booking');
    return null;
  };

  const view = (res: Response, name: string, titleKey: string, locals: Record<string, unknown>, status = 200) =>
    res.status(status).render(`citizen/apply-${name}`, { title: res.locals.t(titleKey), errors: {}, error: null, notice: null, ...locals });

  /** The session's nonce, made once per session. */
  const nonceOf = (req: Request) => (req.session.apply ??= { nonce: randomBytes(24).toString('base64url') }).nonce;
  /** Back to the first step, with a notice saying why. */
  const restart = (req: Request, res: Response, code: string) => {
    req.session.apply = { nonce: nonceOf(req), notice: 'citizen.apply.restart' };
    res.redirect(303, `/apply/${code}`);
  };
  const takeNotice = (req: Request) => {
    const notice = req.session.apply?.notice;
    if (notice) delete req.session.apply!.notice;
    return notice ?? null;
  };

  router.get('/apply', async (_req, res) => {
    const procedures = await bookableProcedures();
    view(res, 'index', 'citizen.apply.title', { procedures, loggedIn: res.locals.booker !== undefined });
  });

  const renderEmail = (res: Response, procedure: { code: string; name: string }, locals: Record<string, unknown> = {}, status = 200) =>
    view(res, 'email', 'citizen.apply.email.title', { procedure, values: { email: '', emailAgain: '' }, ...locals }, status);

  router.get('/apply/:code', async (req, res) => {
    const procedure = await procedureOf(req, res);
    if (procedure) renderEmail(res, procedure, { notice: takeNotice(req) });
  });

  router.post('/apply/:code', async (req, res) => {
    const procedure = await procedureOf(req, res);
    if (!procedure) return;
    const values = { email: typed(req.body?.email), emailAgain: typed(req.body?.emailAgain) };
    const parsed = parseForm(emailForm, req.body);
    if (!parsed.ok) return renderEmail(res, procedure, { values, errors: parsed.errors }, 400);
    const result = await requestEmailCode(db, secrets, {
      email: parsed.data.email,
      procedureCode: procedure.code,
      sessionNonce: nonceOf(req),
      ip: req.ip ?? '',
      baseUrl: config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host')}`,
      language: res.locals.lang,
    });
    if (!result.ok) {
      const error = res.locals.t(`citizen.verify.error.${result.reason}`, { phone: config.CALL_CENTER_PHONE });
      return renderEmail(res, procedure, { values, error }, result.reason === 'throttled' ? 429 : 409);
    }
    req.session.apply = { nonce: nonceOf(req), sent: { verificationId: result.verificationId, procedure: procedure.code, email: parsed.data.email } };
    res.redirect(303, `/apply/${procedure.code}/code`);
  });

  /**
   * The procedure of the path and the verification this session holds at `stage` for it (a code
   * sent, or confirmed); without one the person is sent back to the first step (null).
   */
  const stepOf = async (req: Request, res: Response, stage: 'sent' | 'verified') => {
    const procedure = await procedureOf(req, res);
    if (!procedure) return null;
    const verification = req.session.apply?.[stage];
    if (verification?.procedure === procedure.code) return { procedure, verification };
    restart(req, res, procedure.code);
    return null;
  };
  const renderCode = (res: Response, { procedure, verification }: Step, locals: Record<string, unknown> = {}, status = 200) =>
    view(res, 'code', 'citizen.apply.code.title', { procedure, email: verification.email, minutes: CODE_MINUTES, ...locals }, status);

  router.get('/apply/:code/code', async (req, res) => {
    const step = await stepOf(req, res, 'sent');
    if (step) renderCode(res, step);
  });

  router.post('/apply/:code/code', async (req, res) => {
    const step = await stepOf(req, res, 'sent');
    if (!step) return;
    const parsed = parseForm(codeForm, req.body);
    if (!parsed.ok) return renderCode(res, step, { errors: parsed.errors }, 400);
    const confirmation = { verificationId: step.verification.verificationId, code: parsed.data.code, sessionNonce: nonceOf(req), ip: req.ip ?? '' };
    const result = await confirmEmailCode(db, secrets, confirmation);
    if (!result.ok) return renderCode(res, step, { error: res.locals.t(`citizen.verify.error.${result.reason}`), again: result.reason !== 'invalid' }, 400);
    req.session.apply = { nonce: nonceOf(req), verified: step.verification };
    res.redirect(303, `/apply/${step.procedure.code}/identity`);
  });

  const mode = config.APPLICANT_IDENTITY;
  const renderIdentity = (res: Response, procedure: { code: string; name: string }, locals: Record<string, unknown> = {}, status = 200) =>
    view(res, 'identity', 'citizen.identity.title', { procedure, mode, values: { nameKana: '', birthDate: '', phone: '' }, ...locals }, status);

  router.get('/apply/:code/identity', async (req, res) => {
    const step = await stepOf(req, res, 'verified');
    if (step) renderIdentity(res, step.procedure);
  });

  router.post('/apply/:code/identity', async (req, res) => {
    const step = await stepOf(req, res, 'verified');
    if (!step) return;
    const { procedure, verification: verified } = step;
    const parsed = parseForm(identityForms[mode], req.body);
    if (!parsed.ok) {
      const values = { nameKana: typed(req.body?.nameKana, 100), birthDate: typed(req.body?.birthDate, 32), phone: typed(req.body?.phone, 32) };
      return renderIdentity(res, procedure, { values, errors: parsed.errors }, 400);
    }
    const identification = { verificationId: verified.verificationId, procedureCode: procedure.code, email: verified.email, identity: parsed.data };
    const actor = { type: 'citizen' as const, id: 'unknown', ip: req.ip };
    const applicantId = await transaction(db, actor, (tx) => identifyApplicant(tx, secrets.birthDatePepper, identification), { models: false });
    if (applicantId === null) return restart(req, res, procedure.code);
    await regenerateSession(req);
    const now = Date.now();
    req.session.applicant = { applicantId, procedure: procedure.code, email: verified.email, verificationId: verified.verificationId, loginAt: now, lastSeenAt: now };
    // The new session's CSRF token now, so it is sealed into this cookie, not by the next page.
    generateCsrfToken(req);
    res.redirect(303, '/booking');
  });

  return router;
}
