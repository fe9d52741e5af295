// Bookings as CSV rows for Excel: filtered by counter, dates, time of day, status and channel,
// read a page at a time (pagedRows) so a year of bookings never sits in memory.
import type { DbTx } from '../../db/client.js';
import type { BookingChannel, BookingStatus, Prisma } from '../../generated/prisma/client.js';
import { pagedRows } from '../../lib/csv.js';
import { dateColumn, jstMinutesOf, type IsoDate } from '../../lib/jst.js';
import type { StaffPrincipal } from '../staff/access.js';
import { recordAudit } from '../staff/audit.js';
import type { Tx } from '../../db/transaction.js';
import { bookingScope, ensureCounter } from '../../policies/index.js';
import { PERSON_SELECT } from './person.js';

export interface BookingFilter {
  counterId?: number;
  from: IsoDate;
  to: IsoDate;
  /** Minutes after midnight JST: slots starting at or after / before. */
  timeFrom?: number;
  timeTo?: number;
  status?: BookingStatus;
  channel?: BookingChannel;
}

const EXPORT_SELECT = {
  id: true,
  code: true,
  status: true,
  channel: true,
  email: true,
  createdAt: true,
  procedure: { select: { name: true } },
  slot: { select: { startsAt: true, counter: { select: { code: true, name: true } } } },
  ...PERSON_SELECT,
} satisfies Prisma.BookingSelect;

export type ExportRow = Prisma.BookingGetPayload<{ select: typeof EXPORT_SELECT }>;

function whereOf(filter: BookingFilter, user: StaffPrincipal): Prisma.BookingWhereInput {
  if (filter.counterId !== undefined) ensureCounter(user, filter.counterId);
  return {
    AND: [
      bookingScope(user),
      { slot: { counterId: filter.counterId, date: { gte: dateColumn(filter.from), lte: dateColumn(filter.to) } }, status: filter.status, channel: filter.channel },
    ],
  };
}

const inTimeRange = (filter: BookingFilter) => (row: ExportRow) => {
  const minutes = jstMinutesOf(row.slot.startsAt);
  return (filter.timeFrom === undefined || minutes >= filter.timeFrom) && (filter.timeTo === undefined || minutes < filter.timeTo);
};

/** Records an export of bookings with its filter (before the first row is sent). */
export async function auditExport(tx: Tx, filter: BookingFilter): Promise<void> {
  await recordAudit(tx, { action: 'console.export', targetType: 'booking', detail: { filter: { ...filter } } });
}

/** The matching bookings at the user's counters, streamed page by page (outside any transaction). */
export function exportBookings(db: DbTx, filter: BookingFilter, user: StaffPrincipal): AsyncGenerator<ExportRow> {
  const where = whereOf(filter, user);
  const pages = pagedRows((after) =>
    db.booking.findMany({ where: { AND: [where, { id: { gt: Number(after ?? 0) } }] }, select: EXPORT_SELECT, orderBy: { id: 'asc' }, take: 1000 }),
  );
  const keep = inTimeRange(filter);
  return (async function* () {
    for await (const row of pages) if (keep(row)) yield row;
  })();
}
