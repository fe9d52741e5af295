// Identity checks that staff make for a citizen (booking, moving or cancelling on their behalf,
// lifting their log-in lock). Each one is counted against the staff user's budget in PostgreSQL
// BEFORE the birth date is checked, so neither repetition nor a burst can turn the console into
// a birth-date oracle; a spent budget is refused, audited and raised as an alert.
// They take the Database, not the caller's transaction: the count, its audit row and alert
// commit on their own, before (and whatever the outcome of) the work the check guards.
import { timingSafeEqual } from 'node:crypto';
import type { Database } from '../../db/client.js';
import { transaction } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { translator } from '../../lib/i18n.js';
import { birthKeyMatches } from '../citizen/birth-key.js';
import { raiseAlert, type AlertInput } from '../notify/alerts.js';
import type { StaffPrincipal } from '../staff/access.js';
import { auditAttempt, recordAudit, type AuditActor, type AuditEntry } from '../staff/audit.js';
import { giveBackAttempt, reserveAttempt } from '../../lib/attempt-budget.js';
import { normaliseMonthDay } from './login-service.js';
import { personKey, type Identity } from './applicants.js';

/** Failed identity checks a staff user may make per window before checks are refused. */
export const IDENTITY_CHECK_MAX_FAILURES = 10;
export const IDENTITY_CHECK_WINDOW_MINUTES = 60;

export interface StaffCheck {
  user: StaffPrincipal;
  actor: AuditActor;
  pepper: string;
}

export interface CheckedHolder {
  id: number;
  noticeId: string;
  birthKey: string;
}

/** The same answer whether the birth date is wrong or the booking named with it does not match. */
export class IdentityError extends AppError {
  constructor() {
    super(403, 'identity_mismatch', 'console.identity.mismatch');
  }
}

export class IdentityChecksSpentError extends AppError {
  constructor() {
    super(429, 'identity_checks_spent', 'console.identity.spent');
  }
}

const budgetOf = (user: StaffPrincipal) => ({ key: `staff:${user.id}`, max: IDENTITY_CHECK_MAX_FAILURES, windowMinutes: IDENTITY_CHECK_WINDOW_MINUTES });

/**
 * A refused or failed check is audited, and alerted when the budget is spent, in a commit of its
 * own: it stays recorded although the work it guarded is refused.
 */
async function recordCheck(database: Database, check: Omit<StaffCheck, 'pepper'>, entry: AuditEntry, budgetSpent: boolean): Promise<void> {
  if (!budgetSpent) return auditAttempt(database, check.actor, entry);
  await transaction(database, check.actor, async (tx) => {
    await recordAudit(tx, entry);
    await raiseAlert(tx, spentBudgetAlert(check.user));
  });
}

/** The alert for this staff user's spent budget (one open alert per user, counted again). */
function spentBudgetAlert(user: StaffPrincipal): AlertInput {
  const t = translator();
  return {
    kind: 'identity_checks',
    subjectKey: `staff:${user.id}`,
    summary: t('alert.summary.identity_checks', { loginId: user.loginId, count: IDENTITY_CHECK_MAX_FAILURES, minutes: IDENTITY_CHECK_WINDOW_MINUTES }),
  };
}

/** Who a check is about, as the audit log names them. */
type CheckTarget = Pick<AuditEntry, 'targetType' | 'targetId'>;

/** Takes one check from the user's budget; refuses (audited, alerted) once it is spent. */
async function reserveCheck(database: Database, check: Omit<StaffCheck, 'pepper'>, target: CheckTarget): Promise<number> {
  const count = await reserveAttempt(database, budgetOf(check.user));
  if (count !== null) return count;
  await recordCheck(database, check, { action: 'console.identity.refused', ...target }, true);
  throw new IdentityChecksSpentError();
}

/**
 * One counted identity check: `matches` says whether what the caller gave (and what they named)
 * is right. A confirmed check gives its attempt back; a failed one is audited (and alerted when
 * the budget is spent) and answered with the one IdentityError.
 */
async function countedCheck(database: Database, check: StaffCheck, target: CheckTarget, matches: () => Promise<boolean>): Promise<void> {
  const count = await reserveCheck(database, check, target);
  if (await matches()) return giveBackAttempt(database, budgetOf(check.user).key);
  await recordCheck(database, check, { action: 'console.identity.failed', ...target }, count >= IDENTITY_CHECK_MAX_FAILURES);
  throw new IdentityError();
}

/**
 * Confirms a caller by their birth month/day, and optionally that what they named (a booking)
 * is theirs: both are checked every time and a mismatch of either gets the same IdentityError.
 */
export async function confirmCallerIdentity(
  database: Database,
  check: StaffCheck,
  holder: CheckedHolder,
  birth: string,
  named: () => Promise<boolean> = async () => true,
): Promise<void> {
  await countedCheck(database, check, { targetType: 'card_holder', targetId: holder.id }, async () => {
    const dateMatches = birthKeyMatches(check.pepper, holder.noticeId, normaliseMonthDay(birth), holder.birthKey);
    return (await named()) && dateMatches;
  });
}

/**
 * Confirms a caller without a notice ID: what they say about themselves (the identity fields the
 * city asks for) must key to this applicant, and what they named must be theirs; counted as any check.
 */
export async function confirmApplicantIdentity(
  database: Database,
  check: StaffCheck,
  applicant: { id: number; personKey: string },
  identity: Identity,
  named: () => Promise<boolean>,
): Promise<void> {
  await countedCheck(database, check, { targetType: 'applicant', targetId: applicant.id }, async () => {
    const [given, stored] = [Buffer.from(personKey(check.pepper, identity)), Buffer.from(applicant.personKey)];
    const keyMatches = given.length === stored.length && timingSafeEqual(given, stored);
    return (await named()) && keyMatches;
  });
}

/**
 * Lifting a citizen's log-in lock rests on an identity check the system cannot verify (made on
 * the phone or at the counter), so it always spends one check of the staff user's budget.
 */
export async function spendUnverifiedCheck(database: Database, check: Omit<StaffCheck, 'pepper'>, cardHolderId: number): Promise<void> {
  const count = await reserveCheck(database, check, { targetType: 'card_holder', targetId: cardHolderId });
  if (count < IDENTITY_CHECK_MAX_FAILURES) return;
  await transaction(database, check.actor, (tx) => raiseAlert(tx, spentBudgetAlert(check.user)));
}
