// Booking use cases shared by the citizen pages and the staff console. Each runs in one
// transaction: card holders locked first, then slots (guarded UPDATE / id-ordered locks), then
// the booking rows, the card status and the outbox email, so all of it commits or none of it.
import type { Db, DbTx } from '../../db/client.js';
import type { BookingChannel } from '../../generated/prisma/client.js';
import { CARD_REASONS, changeCardStatus } from '../cards/status.js';
import { actorKey } from '../staff/actors.js';
import { bookingMailKey, composeBookingMail, headerSafe, queueBookingMail } from '../notify/booking-mail.js';
import { openingDaysOf, openingDaysOfSlot, type OpeningDays } from '../schedule/opening-days.js';
import { jstDateOf } from '../../lib/jst.js';
import { effectivePolicy, type BookingPolicyRules } from '../schedule/policy.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';
import { newBookingCode } from './code.js';
import { BookingError, isOneActiveViolation } from './errors.js';
import { settleHolds, takeHoldsOf } from './holds.js';
import {
  bookingState, checkCardHolders, checkLockedHolders, inTransaction, lockCardHolders, lockHoldersStatement, lockSlots, returnPlaces, returnPlacesWith,
  settleHoldsWith, takePlaces, takePlacesWith, type BookingState,
} from './places.js';
import { sqlTransaction } from './sql.js';
export { BOOKABLE_CARD_STATUSES } from './places.js';
import { bookingDeadline, bookingWindowProblem, changeWindowProblem } from './window.js';

export interface CommonOptions {
  actor: AuditActor;
  baseUrl: string;
  /** Staff and operators may book past the policy's deadlines. */
  ignorePolicy?: boolean;
  now?: Date;
}

export interface BookSlotInput extends CommonOptions {
  slotId: number;
  /** The first is the one who books (gets the email); the others are family in the same slot. */
  cardHolderIds: number[];
  channel: BookingChannel;
  email?: string | null;
  /** Operators and staff may use the slot's reserved places. */
  allowReserved?: boolean;
}

export interface BookedGroup {
  groupCode: string;
  bookings: { id: number; code: string; cardHolderId: number }[];
}


async function slotForBooking(tx: DbTx, slotId: number) {
  const slot = await tx.slot.findUnique({ where: { id: slotId }, select: { id: true, counterId: true, startsAt: true } });
  if (!slot) throw new BookingError('slot_not_found');
  return slot;
}

/** Checks the policy's deadlines (unless staff override them) and how many may book at once. */
async function checkPolicy(tx: DbTx, slot: { counterId: number; startsAt: Date }, options: CommonOptions, kind: 'book' | 'change', people?: number) {
  const policy = await effectivePolicy(tx, slot.counterId);
  checkPolicyRules(slot, policy, options, kind, people, options.ignorePolicy ? undefined : await openingDaysOf(tx, slot.counterId));
}

function checkPolicyRules(slot: { startsAt: Date }, policy: BookingPolicyRules, options: CommonOptions, kind: 'book' | 'change', people?: number, isOpeningDay?: OpeningDays) {
  if (people !== undefined && people > policy.maxPeoplePerBooking) throw new BookingError('too_many_people');
  if (options.ignorePolicy) return;
  const problem = (kind === 'book' ? bookingWindowProblem : changeWindowProblem)(slot.startsAt, policy, options.now, isOpeningDay);
  if (problem) throw new BookingError(problem);
}

async function insertBooking(tx: DbTx, row: { slotId: number; cardHolderId: number; groupCode?: string; channel: BookingChannel; email: string | null; createdBy: string }) {
  for (;;) {
    const code = newBookingCode();
    try {
      const inserted = await tx.$queryRaw<{ id: number }[]>`
        INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, email, created_by, updated_at)
        VALUES (${code}, ${row.slotId}, ${row.cardHolderId}, ${row.groupCode ?? code}, 'active', ${row.channel}::booking_channel,
                ${row.email}, ${row.createdBy}, now())
        ON CONFLICT (code) DO NOTHING RETURNING id`;
      if (inserted.length === 1) return { id: inserted[0].id, code, cardHolderId: row.cardHolderId };
    } catch (error) {
      if (isOneActiveViolation(error)) throw new BookingError('already_booked');
      throw error;
    }
  }
}

async function markCardBooked(tx: DbTx, cardHolderId: number, status: string | undefined, actor: AuditActor) {
  if (status === 'card_arrived') await changeCardStatus(tx, cardHolderId, 'notice_sent', actor, CARD_REASONS.booked);
  await changeCardStatus(tx, cardHolderId, 'booked', actor, CARD_REASONS.booked);
}

/** The card status history rows that booking makes (card_arrived goes through notice_sent). */
function cardStatusMoves(ids: number[], statuses: Map<number, string>) {
  const moves: { cardHolderId: number; from: string; to: string }[] = [];
  for (const cardHolderId of ids) {
    const status = statuses.get(cardHolderId);
    if (status === 'card_arrived') moves.push({ cardHolderId, from: 'card_arrived', to: 'notice_sent' });
    if (status === 'card_arrived' || status === 'notice_sent') moves.push({ cardHolderId, from: 'notice_sent', to: 'booked' });
  }
  return moves;
}

// One statement writes the whole booking: the booking rows (one per person, sharing the
// primary's code as group code), the card statuses and their history, the confirmation email
// in the outbox and the audit row. If any booking code is already taken, it writes nothing.
const WRITE_BOOKING = `
  WITH free AS (SELECT NOT EXISTS (SELECT 1 FROM bookings WHERE code = ANY($5::text[])) AS ok),
  ins AS (
    INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, email, created_by, updated_at)
    SELECT t.code, $1::int, t.holder, $2::text, 'active', $3::booking_channel, t.email, $4::text, now()
    FROM unnest($5::text[], $6::int[], $7::text[]) AS t(code, holder, email)
    WHERE (SELECT ok FROM free)
    ON CONFLICT (code) DO NOTHING
    RETURNING id, code, card_holder_id),
  done AS (SELECT count(*) = cardinality($6::int[]) AS ok FROM ins),
  card AS (UPDATE card_holders SET status = 'booked', updated_at = now()
           WHERE id = ANY($8::int[]) AND (SELECT ok FROM done)),
  history AS (INSERT INTO card_status_changes (card_holder_id, from_status, to_status, actor, reason)
              SELECT h, f::card_status, s::card_status, $4::text, $23::text
              FROM unnest($9::int[], $10::text[], $11::text[]) WITH ORDINALITY AS x(h, f, s, n)
              WHERE (SELECT ok FROM done) ORDER BY n),
  mail AS (INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, html_body, attachments, booking_id, next_attempt_at)
           SELECT $12::text, $13::text, $14::text, $15::text, $16::text, $17::text, $18::jsonb, ins.id, now()
           FROM ins WHERE ins.code = $2::text AND $12::text IS NOT NULL AND (SELECT ok FROM done)
           ON CONFLICT (dedupe_key) DO NOTHING),
  audit AS (INSERT INTO audit_logs (actor_type, actor_id, ip, action, target_type, target_id, detail)
            SELECT $19::text, $20::text, $21::text, 'booking.create', 'booking', $2::text, $22::jsonb WHERE (SELECT ok FROM done))
  SELECT id, code, card_holder_id AS "cardHolderId" FROM ins`;

/** Books one slot for a card holder and family, all or nothing; turns their hold into the booking. */
export async function bookSlot(db: Db | DbTx, input: BookSlotInput): Promise<BookedGroup> {
  const ids = [...new Set(input.cardHolderIds)];
  const isOpeningDay = await openingDaysOfSlot(db, input.slotId);
  return sqlTransaction(db, async (sql, holders) => {
    const statuses = checkLockedHolders(holders, ids);
    const { now, holds, slot, policy } = await bookingState(sql, ids, input.slotId, input.now);
    checkPolicyRules(slot, policy, { ...input, now }, 'book', ids.length, isOpeningDay);
    const deadline = bookingDeadline(jstDateOf(slot.startsAt), policy, isOpeningDay);
    const credit = await settleHoldsWith(sql, holds, slot.id);
    const createdBy = actorKey(input.actor);
    const moves = cardStatusMoves(ids, statuses);
    let bookings: BookedGroup['bookings'] = [];
    while (bookings.length === 0) {
      const codes = ids.map(() => newBookingCode());
      const mail = input.email ? confirmationMail(codes[0], input.email, { ...slot, deadline }, ids.length, now, input.baseUrl) : null;
      const detail = { slotId: slot.id, people: ids.length, channel: input.channel };
      try {
        bookings = await sql.query<BookedGroup['bookings'][number]>(WRITE_BOOKING, [
          slot.id, codes[0], input.channel, createdBy, codes, ids, ids.map((_, i) => (i === 0 ? (input.email ?? null) : null)),
          [...new Set(moves.map((move) => move.cardHolderId))], moves.map((move) => move.cardHolderId), moves.map((move) => move.from), moves.map((move) => move.to),
          mail?.dedupeKey ?? null, mail?.kind ?? null, mail?.to ?? null, mail?.subject ?? null, mail?.text ?? null, mail?.html ?? null, JSON.stringify(mail?.attachments ?? []),
          input.actor.type, input.actor.id, input.actor.ip ?? null, JSON.stringify(detail), CARD_REASONS.booked,
        ]);
      } catch (error) {
        if (isOneActiveViolation(error)) throw new BookingError('already_booked');
        throw error;
      }
      // Some but not all rows in: a code was taken by a booking committed at this very moment.
      if (bookings.length > 0 && bookings.length < ids.length) throw new Error('booking code collision');
    }
    // The slot row is the hot lock in a storm: take the places last so it is held only until
    // COMMIT. If they are not there, everything above (bookings, email, audit) rolls back.
    if (credit > ids.length) await returnPlacesWith(sql, slot.id, credit - ids.length);
    await takePlacesWith(sql, slot.id, ids.length - credit, input.allowReserved ?? false);
    bookings.sort((a, b) => ids.indexOf(a.cardHolderId) - ids.indexOf(b.cardHolderId));
    return { groupCode: bookings[0].code, bookings };
  }, lockHoldersStatement(ids));
}

/** The confirmation email of a new booking, composed from what the transaction already read. */
function confirmationMail(code: string, email: string, slot: BookingState['slot'] & { deadline: Date }, people: number, now: Date, baseUrl: string) {
  const mail = composeBookingMail('confirmation', { code, counterName: slot.counterName, counterAddress: slot.counterAddress, accessNotes: slot.accessNotes, startsAt: slot.startsAt, endsAt: slot.endsAt, deadline: slot.deadline, people, revision: Math.floor(now.getTime() / 1000) }, baseUrl);
  return { dedupeKey: bookingMailKey(code, 'confirmation', 'new'), kind: 'booking.confirmation', to: headerSafe(email), ...mail };
}

/** The active bookings booked together with this one, primary first, with their card holders locked. */
async function lockedGroup(tx: DbTx, bookingId: number) {
  const booking = await tx.booking.findUnique({ where: { id: bookingId }, select: { groupCode: true, code: true } });
  if (!booking) throw new BookingError('booking_not_found');
  const groupCode = booking.groupCode ?? booking.code;
  const members = await tx.booking.findMany({ where: { groupCode, status: 'active' }, select: { cardHolderId: true } });
  await lockCardHolders(tx, members.map((member) => member.cardHolderId));
  // Read again under the locks: a concurrent change may have moved or cancelled some.
  const group = await tx.booking.findMany({ where: { groupCode, status: 'active' }, include: { slot: true }, orderBy: { id: 'asc' } });
  if (group.length === 0) throw new BookingError('booking_not_found');
  const primary = group.find((member) => member.code === groupCode) ?? group[0];
  return { groupCode, primary, group };
}

export interface MoveBookingInput extends CommonOptions {
  bookingId: number;
  toSlotId: number;
  allowReserved?: boolean;
}

/** Moves a booking (and its family) to another slot atomically: never without a place, never overbooked. */
export async function moveBooking(db: Db | DbTx, input: MoveBookingInput): Promise<{ groupCode: string }> {
  return inTransaction(db, async (tx) => {
    const { groupCode, primary, group } = await lockedGroup(tx, input.bookingId);
    const from = primary.slot;
    if (from.id === input.toSlotId) throw new BookingError('same_slot');
    const to = await slotForBooking(tx, input.toSlotId);
    await checkPolicy(tx, from, input, 'change');
    await checkPolicy(tx, to, input, 'book', group.length);
    await settleHolds(tx, await takeHoldsOf(tx, group.map((member) => member.cardHolderId)));
    await lockSlots(tx, [from.id, to.id]);
    await takePlaces(tx, to.id, group.length, input.allowReserved ?? false);
    await returnPlaces(tx, from.id, group.length);
    await tx.booking.updateMany({ where: { id: { in: group.map((member) => member.id) } }, data: { slotId: to.id } });
    await queueBookingMail(tx, { bookingId: primary.id, kind: 'change', eventKey: `move:${from.id}:${to.id}:${Date.now()}`, baseUrl: input.baseUrl });
    await recordAudit(tx, input.actor, { action: 'booking.move', targetType: 'booking', targetId: groupCode, detail: { fromSlotId: from.id, toSlotId: to.id } });
    return { groupCode };
  });
}

export interface CancelBookingInput extends CommonOptions {
  bookingId: number;
}

/** Cancels a booking and its family members; their cards go back to 'notice_sent'. */
export async function cancelBooking(db: Db | DbTx, input: CancelBookingInput): Promise<{ groupCode: string; people: number }> {
  return inTransaction(db, async (tx) => {
    const { groupCode, primary, group } = await lockedGroup(tx, input.bookingId);
    await checkPolicy(tx, primary.slot, input, 'change');
    await queueBookingMail(tx, { bookingId: primary.id, kind: 'cancellation', eventKey: `cancel:${Date.now()}`, baseUrl: input.baseUrl });
    await cancelRows(tx, group.map((member) => member.id), primary.slotId);
    for (const member of group) await changeCardStatus(tx, member.cardHolderId, 'notice_sent', input.actor, CARD_REASONS.bookingCancelled);
    await recordAudit(tx, input.actor, { action: 'booking.cancel', targetType: 'booking', targetId: groupCode, detail: { people: group.length } });
    return { groupCode, people: group.length };
  });
}

async function cancelRows(tx: DbTx, bookingIds: number[], slotId: number) {
  await tx.booking.updateMany({ where: { id: { in: bookingIds } }, data: { status: 'cancelled', cancelledAt: new Date() } });
  await returnPlaces(tx, slotId, bookingIds.length);
}

export interface FamilyMemberInput extends CommonOptions {
  /** Any booking of the group. */
  bookingId: number;
  cardHolderId: number;
  allowReserved?: boolean;
}

/** Adds a family member to an existing booking's slot without touching the others' bookings. */
export async function addFamilyMember(db: Db | DbTx, input: FamilyMemberInput): Promise<{ code: string }> {
  return inTransaction(db, async (tx) => {
    const { groupCode, primary, group } = await lockedGroup(tx, input.bookingId);
    const statuses = await checkCardHolders(tx, [input.cardHolderId]);
    await checkPolicy(tx, primary.slot, input, 'change', group.length + 1);
    await settleHolds(tx, await takeHoldsOf(tx, [input.cardHolderId]));
    await takePlaces(tx, primary.slotId, 1, input.allowReserved ?? false);
    const createdBy = actorKey(input.actor);
    const member = await insertBooking(tx, { slotId: primary.slotId, cardHolderId: input.cardHolderId, groupCode, channel: primary.channel, email: null, createdBy });
    await markCardBooked(tx, input.cardHolderId, statuses.get(input.cardHolderId), input.actor);
    await queueBookingMail(tx, { bookingId: primary.id, kind: 'change', eventKey: `add:${member.code}`, baseUrl: input.baseUrl });
    await recordAudit(tx, input.actor, { action: 'booking.family.add', targetType: 'booking', targetId: groupCode, detail: { member: member.code } });
    return { code: member.code };
  });
}

export interface RemoveFamilyMemberInput extends CommonOptions {
  /** Any booking of the group. */
  bookingId: number;
  memberBookingId: number;
}

/** Cancels one family member's place; the one who booked cannot be removed (cancel instead). */
export async function removeFamilyMember(db: Db | DbTx, input: RemoveFamilyMemberInput): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { groupCode, primary, group } = await lockedGroup(tx, input.bookingId);
    const member = group.find((candidate) => candidate.id === input.memberBookingId);
    if (!member) throw new BookingError('booking_not_found');
    if (member.id === primary.id) throw new BookingError('cannot_remove_primary');
    await checkPolicy(tx, primary.slot, input, 'change');
    await cancelRows(tx, [member.id], member.slotId);
    await changeCardStatus(tx, member.cardHolderId, 'notice_sent', input.actor, CARD_REASONS.familyRemoved);
    await queueBookingMail(tx, { bookingId: primary.id, kind: 'change', eventKey: `remove:${member.code}`, baseUrl: input.baseUrl });
    await recordAudit(tx, input.actor, { action: 'booking.family.remove', targetType: 'booking', targetId: groupCode, detail: { member: member.code } });
  });
}

/** A card holder's active booking with its group, slot and counter (for the citizen's own pages). */
export async function activeBookingOf(db: Db | DbTx, cardHolderId: number) {
  const booking = await db.booking.findFirst({ where: { cardHolderId, status: { in: ['active', 'checked_in'] } }, include: { slot: { include: { counter: true } } } });
  if (!booking) return null;
  const group = await db.booking.findMany({ where: { groupCode: booking.groupCode ?? booking.code, status: { in: ['active', 'checked_in'] } }, orderBy: { id: 'asc' }, select: { id: true, code: true, cardHolderId: true } });
  const primaryCode = booking.groupCode ?? booking.code;
  return { booking, group, isPrimary: booking.code === primaryCode, primaryCode };
}
