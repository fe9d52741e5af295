// Callers without a notice ID on the console (operators on the phone, staff at the counter): a
// booking of a procedure that needs none names the person by the identity fields the city asks
// for (APPLICANT_IDENTITY), as on the citizen pages; changing it later asks for them again,
// counted against the staff user's identity checks as for card holders.
import type { Database } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { bookSlot } from '../booking/index.js';
import { findOrCreateApplicant, type Identity } from '../citizen/applicants.js';
import { confirmApplicantIdentity, type StaffCheck } from '../citizen/identity-checks.js';
import { applicantScope, bookingScope, type StaffPrincipal } from '../../policies/index.js';
import { recordAudit } from '../staff/audit.js';
import { channelOf } from './on-behalf.js';

const notFound = () => new AppError(404, 'applicant_not_found', 'console.applicant.notFound');

/** The applicant with their recent bookings, if this user may see them; audited as a view of personal data. */
export async function applicantForConsole(tx: Tx, applicantId: number, user: StaffPrincipal) {
  const applicant = await tx.db.applicant.findFirst({
    where: { AND: [{ id: applicantId }, applicantScope(user)] },
    select: {
      id: true,
      nameKana: true,
      phone: true,
      bookings: {
        where: { status: { not: 'cancelled' } },
        orderBy: { id: 'desc' },
        take: 10,
        include: { slot: { include: { counter: true } }, procedure: true, ticket: { select: { id: true, number: true } } },
      },
    },
  });
  if (!applicant) throw notFound();
  await recordAudit(tx, { action: 'console.applicant.view', targetType: 'applicant', targetId: applicant.id });
  return applicant;
}

export interface ApplicantBooking {
  slotId: number;
  procedure: string;
  identity: Identity;
  email: string | null;
  baseUrl: string;
}

/** Books the caller (found, or made, by their identity fields) in one transaction; the booking and its person. */
export async function bookForCaller(tx: Tx, pepper: string, user: StaffPrincipal, booking: ApplicantBooking) {
  const { applicantId } = await findOrCreateApplicant(tx, pepper, booking.identity);
  const { bookings } = await bookSlot(tx, {
    slotId: booking.slotId,
    cardHolderIds: [],
    applicants: [{ id: applicantId, procedure: booking.procedure }],
    channel: channelOf(user),
    email: booking.email,
    by: user,
    baseUrl: booking.baseUrl,
  });
  return { applicantId, bookingId: bookings[0].id };
}

/** Confirms that the caller is the applicant and that the open booking they name is theirs, at the user's counters. */
export async function confirmApplicant(database: Database, applicantId: number, identity: Identity, check: StaffCheck, bookingId: number): Promise<void> {
  const applicant = await database.db.applicant.findFirst({ where: { AND: [{ id: applicantId }, applicantScope(check.user)] }, select: { id: true, personKey: true } });
  if (!applicant) throw notFound();
  const named = async () =>
    (await database.db.booking.findFirst({ where: { AND: [{ id: bookingId, applicantId, status: 'active' }, bookingScope(check.user)] }, select: { id: true } })) !== null;
  await confirmApplicantIdentity(database, check, applicant, identity, named);
}
