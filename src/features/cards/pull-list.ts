// 引抜きリスト: the cards to take out of storage for one counter's bookings on one day (of the
// procedures that hand over a stored card), in storage order, so a clerk walks the boxes once.
import bwipjs from 'bwip-js';
import type { Db } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { CardStatus } from '../../generated/prisma/client.js';
import { dateColumn, formatMinutes, jstMinutesOf, todayInJapan, type IsoDate } from '../../lib/jst.js';
import type { StaffPrincipal } from '../staff/access.js';
import { ensureCounter } from '../../policies/index.js';
import { OPEN_BOOKING_SQL } from '../../domain/booking-rules.js';
import { OPEN_TRANSFER_SQL } from './logistics/transfers.js';
import { recordAudit } from '../staff/audit.js';

/** Statuses at which the card is not yet in the office: a booked card in one of these is flagged. */
const NOT_ARRIVED: CardStatus[] = ['data_received'];

export interface PullListRow {
  storagePlace: string;
  time: string;
  noticeId: string;
  name: string;
  nameKana: string;
  cardNumber: string | null;
  status: CardStatus;
  bookingCode: string;
  notArrived: boolean;
  /** The counter where the card is stored when it is not the booked counter (it must be moved), else null. */
  storedAt: string | null;
  /** The card's open transfer (requested: not yet shipped; shipped: on its way), else null. */
  transferStatus: 'requested' | 'shipped' | null;
}

/** The next date after today on which the counter has slots (its next opening day). */
export async function nextOpeningDay(db: Db, counterId: number, today = todayInJapan()): Promise<IsoDate | null> {
  const [row] = await db.$queryRaw<{ date: Date | null }[]>`SELECT min(date) AS date FROM slots WHERE counter_id = ${counterId} AND date > ${dateColumn(today)}::date`;
  return row?.date ? row.date.toISOString().slice(0, 10) : null;
}

const PULL_LIST = `
  SELECT h.storage_place AS "storagePlace", s.starts_at AS "startsAt", h.notice_id AS "noticeId", h.name, h.name_kana AS "nameKana",
         h.card_number AS "cardNumber", h.status, b.code AS "bookingCode",
         CASE WHEN h.counter_id <> s.counter_id THEN stored.name END AS "storedAt", ot.status::text AS "transferStatus"
    FROM bookings b
    JOIN slots s ON s.id = b.slot_id
    JOIN card_holders h ON h.id = b.card_holder_id
    JOIN procedures p ON p.code = b.procedure_code
    LEFT JOIN counters stored ON stored.id = h.counter_id
    LEFT JOIN card_transfers ot ON ot.card_holder_id = h.id AND ot.status IN ${OPEN_TRANSFER_SQL}
   WHERE s.counter_id = $1::int AND s.date = $2::date AND b.status IN ${OPEN_BOOKING_SQL} AND p.needs_stored_card
   ORDER BY h.storage_place, s.starts_at, h.notice_id`;

export async function pullList(tx: Tx, counterId: number, date: IsoDate, user: StaffPrincipal): Promise<PullListRow[]> {
  ensureCounter(user, counterId, 'cards.counterForbidden');
  const rows = await tx.query<Omit<PullListRow, 'time' | 'notArrived'> & { startsAt: Date }>(PULL_LIST, [counterId, date]);
  await recordAudit(tx, { action: 'cards.pullList', targetType: 'counter', targetId: counterId, detail: { date, rows: rows.length } });
  return rows.map(({ startsAt, ...row }) => ({ ...row, time: formatMinutes(jstMinutesOf(startsAt)), notArrived: NOT_ARRIVED.includes(row.status) }));
}

/** Code128 of a notice ID as SVG markup (no script, no style attribute: fine under our CSP). */
export function noticeBarcode(noticeId: string): string {
  return bwipjs.toSVG({ bcid: 'code128', text: noticeId, height: 9, scale: 2, includetext: false });
}
