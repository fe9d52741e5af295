// Changing a booking: move it (with its family) to another time, cancel it, add or remove a
// family member. Each locks the group's people first, reads the group again under the
// locks (a concurrent change may have moved or cancelled some), then the slots.
import type { SqlTx } from '../../db/transaction.js';
import type { BookingChannel } from '../../generated/prisma/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { recordAudit } from '../staff/audit.js';
import { queueBookingMail } from './mail.js';
import { can, type StaffPrincipal } from '../../policies/index.js';
import { applyCardEvent } from './card-events.js';
import { recordBookingEvents } from './journal.js';
import { reconcileTransfers } from '../cards/logistics/transfers.js';
import { checkWindow, counterRules, visitRules, withProcedure } from './counter-rules.js';
import { BookingError } from './errors.js';
import { insertBookings } from './book.js';
import { checkProcedureLimits, proceduresAt, refuseNoticeIdProcedure } from './procedure-limits.js';
import {
  holderIdsOf,
  lockPeople,
  lockSlots,
  personOf,
  placesChange,
  placesOf,
  returnPlacesIn,
  settleHolds,
  takeHoldsOf,
  takePlacesIn,
  type Person,
  type PersonRef,
  type Run,
} from './places.js';
import { formRuns } from './runs.js';

export interface ChangeInput {
  /** Any booking of the group. */
  bookingId: number;
  /** The staff member acting (phone, counter); null when the citizen acts themselves. */
  by: StaffPrincipal | null;
  baseUrl: string;
  now?: Date;
}

interface GroupMember extends Person, Run {
  id: number;
  code: string;
  groupCode: string;
  counterId: number;
  startsAt: Date;
  endsAt: Date;
  channel: BookingChannel;
  procedureCode: string;
}

const GROUP_OF = `
  SELECT b.id, b.code, g.code AS "groupCode", b.card_holder_id AS "cardHolderId", b.applicant_id AS "applicantId", b.slot_id AS "slotId",
         b.also_slot_ids AS "alsoSlotIds", s.counter_id AS "counterId", s.starts_at AS "startsAt", s.ends_at AS "endsAt", b.channel, b.procedure_code AS "procedureCode"
  FROM bookings b JOIN slots s ON s.id = b.slot_id, (SELECT coalesce(group_code, code) AS code FROM bookings WHERE id = $1::int) g
  WHERE (b.group_code = g.code OR b.code = g.code) AND b.status = 'active'
  ORDER BY b.id`;

const bookingsOf = (members: { id?: number }[]) => members.flatMap((member) => (member.id === undefined ? [] : [member.id]));

/** The active bookings booked together with this one, primary first, with their people locked. */
async function lockedGroup(tx: SqlTx, bookingId: number) {
  const before = await tx.query<GroupMember>(GROUP_OF, [bookingId]);
  if (before.length === 0) throw new BookingError('booking_not_found');
  await lockPeople(tx, before);
  // Read again under the locks: a concurrent change may have moved or cancelled some.
  const group = await tx.query<GroupMember>(GROUP_OF, [bookingId]);
  if (group.length === 0) throw new BookingError('booking_not_found');
  const { groupCode } = group[0];
  const primary = group.find((member) => member.code === groupCode) ?? group[0];
  return { groupCode, primary, group, slot: { id: primary.slotId, counterId: primary.counterId, startsAt: primary.startsAt, endsAt: primary.endsAt } };
}

/** A change of the group's booking is allowed now: within every procedure's deadline in it (the citizen's, unless staff). */
async function checkChange(tx: SqlTx, slot: { counterId: number; startsAt: Date }, group: { procedureCode: string }[], input: ChangeInput, people?: number) {
  const rules = await visitRules(tx, slot.counterId, [...new Set(group.map((member) => member.procedureCode))]);
  for (const each of rules) checkWindow('change', slot.startsAt, each, { by: input.by, now: input.now ?? clockNow(), people });
}

export interface MoveBookingInput extends ChangeInput {
  toSlotId: number;
}

/**
 * Moves a booking and its family to another slot atomically: never without a place, never
 * overbooked. Each member's run is formed again at the target.
 */
export async function moveBooking(tx: SqlTx, input: MoveBookingInput): Promise<{ groupCode: string }> {
  const now = input.now ?? clockNow();
  const { groupCode, primary, group, slot: from } = await lockedGroup(tx, input.bookingId);
  if (from.id === input.toSlotId) throw new BookingError('same_slot');
  const [to] = await tx.query<TargetSlot>(`SELECT id, counter_id AS "counterId", starts_at AS "startsAt", ends_at AS "endsAt" FROM slots WHERE id = $1::int`, [input.toSlotId]);
  if (!to) throw new BookingError('slot_not_found');
  await checkChange(tx, from, group, input);
  const { runs } = await checkBookable(tx, to, group, input.by, now);
  await settleHolds(tx, await takeHoldsOf(tx, group, now));
  const { take, give } = placesChange(placesOf(group.map((member) => runs.get(member.procedureCode)!)), placesOf(group));
  await lockSlots(tx, [...new Set([...take.keys(), ...give.keys(), from.id, to.id])]);
  await takePlacesIn(tx, take, { heldBack: can(input.by, 'booking.useHeldBackPlaces'), now });
  await returnPlacesIn(tx, give);
  for (const [code, run] of runs)
    await tx.query(`UPDATE bookings SET slot_id = $2::int, also_slot_ids = $3::int[], updated_at = now() WHERE id = ANY($1::int[])`, [
      bookingsOf(group.filter((member) => member.procedureCode === code)),
      run.slotId,
      run.alsoSlotIds,
    ]);
  // The cards follow the booking: a transfer to the new site, or none when the card is there.
  await reconcileTransfers(tx, holderIdsOf(group));
  await recordBookingEvents(tx, 'moved', bookingsOf(group), now, from.id);
  await queueBookingMail(tx, { bookingId: primary.id, kind: 'change', eventKey: `move:${from.id}:${to.id}:${Date.now()}`, baseUrl: input.baseUrl });
  await recordAudit(tx, { action: 'booking.move', targetType: 'booking', targetId: groupCode, detail: { fromSlotId: from.id, toSlotId: to.id } });
  return { groupCode };
}

interface TargetSlot {
  id: number;
  counterId: number;
  startsAt: Date;
  endsAt: Date;
}

/**
 * Whether these people may be booked into the slot for their procedures: each offered at its
 * counter, its run can be formed there, within its window (the counter's, or the procedure's
 * own) and its caps. Their runs, by procedure.
 */
async function checkBookable(tx: SqlTx, slot: TargetSlot, people: { id?: number; procedureCode: string }[], by: StaffPrincipal | null, now: Date) {
  const codes = [...new Set(people.map((member) => member.procedureCode))].sort();
  const [rules, offered] = await Promise.all([counterRules(tx, slot.counterId), proceduresAt(tx, codes, slot.counterId)]);
  const runs = await formRuns(tx, slot, [...offered.values()]);
  // In code order, so two groups moving with the same capped procedures take their locks in one order.
  for (const code of codes) {
    const procedure = offered.get(code)!;
    const ofProcedure = people.filter((member) => member.procedureCode === code);
    checkWindow('book', slot.startsAt, withProcedure(rules, procedure), { by, now, people: people.length });
    await checkProcedureLimits(tx, { procedure, slot, run: runs.get(code)!, people: ofProcedure.length, now, moving: bookingsOf(ofProcedure) });
  }
  return { offered, runs };
}

/** Sets bookings to cancelled and gives back their places in every slot of their runs. */
async function cancelRows(tx: SqlTx, bookings: (Run & { id: number })[], now: Date) {
  await tx.query(`UPDATE bookings SET status = 'cancelled', cancelled_at = $2::timestamptz, updated_at = now() WHERE id = ANY($1::int[])`, [bookingsOf(bookings), now]);
  await recordBookingEvents(tx, 'cancelled', bookingsOf(bookings), now);
  await returnPlacesIn(tx, placesOf(bookings));
}

/** Cancels a booking and its family members' bookings; their cards go back to 'notice_sent'. */
export async function cancelBooking(tx: SqlTx, input: ChangeInput): Promise<{ groupCode: string; people: number }> {
  const now = input.now ?? clockNow();
  const { groupCode, primary, group, slot } = await lockedGroup(tx, input.bookingId);
  await checkChange(tx, slot, group, input);
  await queueBookingMail(tx, { bookingId: primary.id, kind: 'cancellation', eventKey: `cancel:${Date.now()}`, baseUrl: input.baseUrl });
  await cancelRows(tx, group, now);
  await applyCardEvent(tx, 'cancelled', holderIdsOf(group));
  await recordAudit(tx, { action: 'booking.cancel', targetType: 'booking', targetId: groupCode, detail: { people: group.length } });
  return { groupCode, people: group.length };
}

export type FamilyMemberInput = ChangeInput &
  PersonRef & {
    /** The member's own procedure (the one who booked's when not given). */
    procedure?: string;
  };

/** Adds a family member to an existing booking's slot without touching the others' bookings. */
export async function addFamilyMember(tx: SqlTx, input: FamilyMemberInput): Promise<{ code: string }> {
  const now = input.now ?? clockNow();
  const { groupCode, primary, group, slot } = await lockedGroup(tx, input.bookingId);
  const person = { ...personOf(input), procedure: input.procedure ?? primary.procedureCode };
  const statuses = await lockPeople(tx, [person], { toBook: true });
  await checkChange(tx, slot, group, input, group.length + 1);
  // The member is booked anew: their procedure must be offered (and bookable by them), within its window and caps.
  const { offered, runs } = await checkBookable(tx, slot, [{ ...person, procedureCode: person.procedure }], input.by, now);
  refuseNoticeIdProcedure(person, offered.get(person.procedure)!);
  const run = runs.get(person.procedure)!;
  await settleHolds(tx, await takeHoldsOf(tx, [person], now));
  const [member] = await insertBookings(tx, { people: [{ ...person, ...run }], groupCode, channel: primary.channel, email: null });
  await applyCardEvent(tx, 'booked', holderIdsOf([person]), statuses);
  await recordBookingEvents(tx, 'booked', [member.id], now);
  await queueBookingMail(tx, { bookingId: primary.id, kind: 'change', eventKey: `add:${member.code}`, baseUrl: input.baseUrl });
  await recordAudit(tx, { action: 'booking.family.add', targetType: 'booking', targetId: groupCode, detail: { member: member.code } });
  await takePlacesIn(tx, placesOf([run]), { heldBack: can(input.by, 'booking.useHeldBackPlaces'), now });
  return { code: member.code };
}

export interface RemoveFamilyMemberInput extends ChangeInput {
  memberBookingId: number;
}

/** Cancels one family member's place; the one who booked cannot be removed (cancel instead). */
export async function removeFamilyMember(tx: SqlTx, input: RemoveFamilyMemberInput): Promise<void> {
  const { groupCode, primary, group, slot } = await lockedGroup(tx, input.bookingId);
  const member = group.find((candidate) => candidate.id === input.memberBookingId);
  if (!member) throw new BookingError('booking_not_found');
  if (member.id === primary.id) throw new BookingError('cannot_remove_primary');
  await checkChange(tx, slot, group, input);
  await cancelRows(tx, [member], input.now ?? clockNow());
  await applyCardEvent(tx, 'familyRemoved', [member.cardHolderId]);
  await queueBookingMail(tx, { bookingId: primary.id, kind: 'change', eventKey: `remove:${member.code}`, baseUrl: input.baseUrl });
  await recordAudit(tx, { action: 'booking.family.remove', targetType: 'booking', targetId: groupCode, detail: { member: member.code } });
}
