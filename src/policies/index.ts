// Who may do what: the one place that decides it, for route guards, menus, views, services and
// the counter scope of queries (invariant 6). Roles only grant actions here; nowhere else names
// a role to decide a permission.
import { Prisma, type StaffRole } from '../generated/prisma/client.js';
import { AppError } from '../lib/app-error.js';

/** A signed-in staff user, loaded on every request. */
export interface StaffPrincipal {
  id: number;
  loginId: string;
  displayName: string;
  role: StaffRole;
  mustChangePassword: boolean;
  /** Counters this user may work at; null means every counter. */
  counterIds: number[] | null;
}

const EVERYONE: readonly StaffRole[] = ['admin', 'staff', 'operator'];
const CLERKS: readonly StaffRole[] = ['admin', 'staff'];
const ADMINS: readonly StaffRole[] = ['admin'];

/** Every action and the roles that may take it. */
const GRANTS = {
  /** The console: home, counter boards, search, a card holder's page and bookings. */
  'console.view': EVERYONE,
  /** Counters, timetables, closures and the month view, read only. */
  'schedule.view': EVERYONE,
  /** Write the slots of a date range from the timetables. */
  'schedule.generateSlots': CLERKS,
  /** The capacity report and the list of timetable conflicts. */
  'schedule.report': CLERKS,
  /** Counters, opening rules, day overrides, closures, regenerating conflicted slots. */
  'schedule.edit': ADMINS,
  /** The citizen booking deadlines and limits (booking policy). */
  'bookingPolicy.edit': ADMINS,
  'cards.view': EVERYONE,
  /** Lift a citizen's log-in lockout (a caller on the phone asks for it). */
  'cards.unlockLogin': EVERYONE,
  /** Register a card and change card statuses, one by one or in bulk. */
  'cards.edit': CLERKS,
  /** Bulk lists of personal data: CSV, printed lists, pull list, follow-up list. */
  'cards.export': CLERKS,
  /** J-LIS card-file imports. */
  'cards.import': CLERKS,
  /** The import file layouts (profiles) the imports use. */
  'cards.importProfiles': ADMINS,
  /** Open a citizen's mail (an exact look-up by booking code or address). */
  'mail.view': EVERYONE,
  /** List every mail and search by part of an address. */
  'mail.browse': CLERKS,
  /** Delivery alerts, and the mails that belong to no booking (sent to the on-call staff). */
  'alerts.manage': ADMINS,
  /** The manuals (citizen guide, staff and operator manuals) as help pages. */
  'help.read': EVERYONE,
  /** Post and change the maintenance and incident notices of the public status page. */
  'status.manage': CLERKS,
  /** Book, move and cancel for a caller or a visitor after checking who they are. */
  'booking.onBehalf': EVERYONE,
  /** Book, move or cancel past the citizen deadlines and limits of the booking policy. */
  'booking.bypassWindow': EVERYONE,
  /** Use the places of a slot held back from the web (reserved capacity). */
  'booking.useHeldBackPlaces': EVERYONE,
  /** Book into a full slot by raising its capacity, with a reason. */
  'booking.overCapacity': CLERKS,
  /** Counter work: check-in, hand-over, no-show, the day's printed list. */
  'counter.work': CLERKS,
  /** The counter floor: walk-in tickets, calling tickets to a window, marking them served or absent. */
  'floor.work': CLERKS,
  /** The ticket number ranges of a counter's queues. */
  'floor.settings': ADMINS,
  /** Card logistics at a site: transfers, shipping lists, receiving and putting away, returned letters, stock counts. */
  'logistics.work': CLERKS,
  /** The counts of issue 15: the monthly report (実績報告書), its CSVs and charts, and the forecast; counter-scoped. */
  'reports.view': CLERKS,
  /** The incident log (issue 15.4): read the list and each incident (counter incidents in the counter scope). */
  'incidents.view': EVERYONE,
  /** Record an incident, resolve it; link and unlink alerts needs alerts.manage too. */
  'incidents.record': CLERKS,
  /** Record a call or counter inquiry, read the log within the counter scope, hand one over to city staff (issue 15.3). */
  'inquiries.record': EVERYONE,
  /** Answer and close inquiries handed over (city staff), and export the log as CSV. */
  'inquiries.respond': CLERKS,
  /** Write and publish the FAQ entries citizens and the call center read (issue 15.5). */
  'faq.manage': CLERKS,
  /** The bookings CSV export. */
  'bookings.export': CLERKS,
  'users.manage': ADMINS,
  'audit.view': ADMINS,
  /** The retention periods of personal data (each city's contract sets them). */
  'retention.manage': ADMINS,
} as const satisfies Record<string, readonly StaffRole[]>;

export type Action = keyof typeof GRANTS;
export const ACTIONS = Object.keys(GRANTS) as Action[];

/** What an action may be about: a counter (its id) or anything that belongs to one. */
export type Subject = number | { counterId: number | null };

/** Whether the role is granted the action, whoever holds it and wherever. */
export function roleCan(role: StaffRole, action: Action): boolean {
  return (GRANTS[action] as readonly StaffRole[]).includes(role);
}

/**
 * Whether the user may take the action (on the subject's counter, when one is given). Citizens and
 * the system (null) have no staff permissions. A subject that belongs to no counter (a card
 * holder not yet assigned) is in every user's scope.
 */
export function can(user: StaffPrincipal | null | undefined, action: Action, subject?: Subject): boolean {
  if (!user || !roleCan(user.role, action)) return false;
  if (subject === undefined) return true;
  const counterId = typeof subject === 'number' ? subject : subject.counterId;
  return counterId === null || user.counterIds === null || user.counterIds.includes(counterId);
}

/** can(), or a 403 whose message says what was refused. */
export function authorize(user: StaffPrincipal, action: Action, subject?: Subject, messageKey = 'staff.forbidden'): void {
  if (!can(user, action, subject)) throw new AppError(403, subject === undefined ? 'forbidden' : 'counter_forbidden', messageKey);
}

/** The counter is one this user may see and work at (console.view on that counter). */
export function ensureCounter(user: StaffPrincipal, counterId: number, messageKey = 'console.counterForbidden'): void {
  authorize(user, 'console.view', counterId, messageKey);
}

/** Counters this user may see; null means every counter. */
export function visibleCounterIds(user: StaffPrincipal): number[] | null {
  return user.counterIds;
}

/** Bookings at the counters this user may see. */
export function bookingScope(user: StaffPrincipal): Prisma.BookingWhereInput {
  const ids = visibleCounterIds(user);
  return ids === null ? {} : { slot: { counterId: { in: ids } } };
}

/** Card holders registered at (or booked at) the user's counters; unassigned ones are visible to all. */
export function holderScope(user: StaffPrincipal): Prisma.CardHolderWhereInput {
  const ids = visibleCounterIds(user);
  if (ids === null) return {};
  return { OR: [{ counterId: null }, { counterId: { in: ids } }, { bookings: { some: { slot: { counterId: { in: ids } } } } }] };
}

/** Applicants booked at one of the user's counters (they belong to no counter). */
export function applicantScope(user: StaffPrincipal): Prisma.ApplicantWhereInput {
  const ids = visibleCounterIds(user);
  return ids === null ? {} : { bookings: { some: { slot: { counterId: { in: ids } } } } };
}

/** A person (bookings.`personColumn` = `personId`) has a booking at one of the counters. */
const bookedAtSql = (personColumn: Prisma.Sql, personId: Prisma.Sql, ids: number[]) =>
  Prisma.sql`EXISTS (SELECT 1 FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE ${personColumn} = ${personId} AND s.counter_id = ANY(${ids}::int[]))`;

/** holderScope as an SQL condition on card_holders `h`, for searches that must be raw SQL. */
export function holderScopeSql(user: StaffPrincipal): Prisma.Sql {
  const ids = visibleCounterIds(user);
  if (ids === null) return Prisma.sql`true`;
  return Prisma.sql`(h.counter_id IS NULL OR h.counter_id = ANY(${ids}::int[]) OR ${bookedAtSql(Prisma.sql`b.card_holder_id`, Prisma.sql`h.id`, ids)})`;
}

/**
 * Applicants (people booked without a notice ID) as an SQL condition on applicants `a`: they belong
 * to no counter, so a user limited to some counters sees those booked at one of them.
 */
export function applicantScopeSql(user: StaffPrincipal): Prisma.Sql {
  const ids = visibleCounterIds(user);
  return ids === null ? Prisma.sql`true` : bookedAtSql(Prisma.sql`b.applicant_id`, Prisma.sql`a.id`, ids);
}
