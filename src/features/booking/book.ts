// Holding a time and booking it: the two commands on the hot path of a booking storm, each a
// few statements in one transaction. The people are locked first; then one statement, sent
// with the locks (the connection runs them in order), reads what the command needs (open
// bookings, the slot with its counter's rules) and removes the people's holds; the booking
// rows, card statuses, email and audit row follow; the slot's places are taken last.
import type { SqlTx } from '../../db/transaction.js';
import type { BookingChannel } from '../../generated/prisma/client.js';
import { actorKey } from '../../lib/actor.js';
import { now as clockNow } from '../../lib/clock.js';
import { recordAudit } from '../staff/audit.js';
import { bookingMailKey, composeBookingMail, groupProcedure, type BookingMailDetails, type VisitSlot } from './mail.js';
import { enqueueMail, headerSafe } from '../notify/outbox.js';
import { can, type StaffPrincipal } from '../../policies/index.js';
import { newBookingCode } from './code.js';
import { checkWindow, counterRulesColumns, rulesOfRow, visitDeadline, withProcedure, type CounterRules } from './counter-rules.js';
import { applyCardEvent } from './card-events.js';
import { recordBookingEvents } from './journal.js';
import { BookingError, refusalOfRow } from './errors.js';
import {
  applicantIdsOf,
  expiredHoldsCovering,
  heldPlaceColumns,
  holderIdsOf,
  lockPeople,
  personOf,
  placesChange,
  placesOf,
  returnPlacesIn,
  settleHolds,
  takeOrRelease,
  takePlacesIn,
  type HeldPlace,
  type Person,
  type PersonRef,
  type Run,
} from './places.js';
import { OPEN_BOOKING_SQL, webPlacesLeftSql } from '../../domain/booking-rules.js';
import { offeredByCode, offeredProceduresJson, PICKUP, type OfferedProcedure } from '../schedule/procedures.js';
import { checkProcedureLimits, offeredOrRefuse, refuseNoticeIdProcedure } from './procedure-limits.js';
import { formRuns } from './runs.js';

interface BookingSlot extends VisitSlot {
  id: number;
}

interface SlotState {
  holds: HeldPlace[];
  slot: BookingSlot;
  /** The procedures booked, offered at the slot's counter, by code. */
  procedures: Map<string, OfferedProcedure>;
  /** The counter's rules (a procedure may have its own window: procedurePolicy). */
  rules: CounterRules;
  /** Places left when the statement ran (not locked): for the web, and with the held-back places. */
  left: { web: number; all: number };
  /** Whether some hold in the slot had run out (its places may be given back). */
  expiredHolds: boolean;
}

// $1 card holders, $5/$6 applicants with their procedures: a card holder has one open booking,
// an applicant one per procedure.
const SLOT_STATE = `
  WITH open AS (SELECT ((SELECT count(*) FROM bookings WHERE card_holder_id = ANY($1::int[]) AND status IN ${OPEN_BOOKING_SQL})
                      + (SELECT count(*) FROM bookings b JOIN unnest($5::int[], $6::text[]) AS a(id, code) ON b.applicant_id = a.id AND b.procedure_code = a.code
                         WHERE b.status IN ${OPEN_BOOKING_SQL}))::int AS n),
  gone AS (DELETE FROM slot_holds
           WHERE (card_holder_id = ANY($1::int[]) OR applicant_id = ANY($5::int[])) AND (SELECT n FROM open) = 0 AND EXISTS (SELECT 1 FROM slots WHERE id = $2::int)
           RETURNING ${heldPlaceColumns('$3')})
  SELECT (SELECT n FROM open) AS open, (SELECT coalesce(json_agg(gone), '[]')::text FROM gone) AS holds,
         s.id, s.counter_id AS "counterId", s.starts_at AS "startsAt", s.ends_at AS "endsAt",
         ${webPlacesLeftSql('s')} AS "webLeft", greatest(0, s.capacity - s.booked) AS "allLeft",
         EXISTS (${expiredHoldsCovering('s.id', '$3')}) AS "expiredHolds",
         c.name AS "counterName", c.address AS "counterAddress", c.access_notes AS "accessNotes",
         ${counterRulesColumns('s.counter_id')}, ${offeredProceduresJson('$4::text[]', 's.counter_id')} AS procedures
  FROM (SELECT 1) AS one LEFT JOIN slots s ON s.id = $2::int LEFT JOIN counters c ON c.id = s.counter_id`;

type SlotStateRow = BookingSlot & {
  id: number | null;
  open: number;
  holds: string;
  policies: string;
  timetable: string | null;
  procedures: string;
  webLeft: number;
  allLeft: number;
  expiredHolds: boolean;
};

/** A person to book, with the procedure they come for. */
export type Booked = Person & { procedure: string };

/**
 * With the people locked, in one statement: whether any has an open booking (an applicant: for
 * the same procedure), the slot with its counter, rules and the procedures, and their holds,
 * removed only when they may book and the slot exists (the caller settles the places). Throws
 * already_booked / slot_not_found / procedure_not_offered.
 */
async function slotState(tx: SqlTx, people: Booked[], slotId: number, now: Date): Promise<SlotState> {
  const procedureCodes = [...new Set(people.map((person) => person.procedure))];
  const applicants = people.filter((person) => person.applicantId !== null);
  const [{ open, holds, policies, timetable, procedures, webLeft, allLeft, expiredHolds, ...slot }] = await tx.query<SlotStateRow>(SLOT_STATE, [
    holderIdsOf(people),
    slotId,
    now,
    procedureCodes,
    applicantIdsOf(applicants),
    applicants.map((person) => person.procedure),
  ]);
  if (open > 0) throw new BookingError('already_booked');
  if (slot.id === null) throw new BookingError('slot_not_found');
  const offered = offeredByCode(procedures);
  for (const person of people) refuseNoticeIdProcedure(person, offeredOrRefuse(offered, person.procedure));
  return {
    holds: JSON.parse(holds) as HeldPlace[],
    slot: slot as BookingSlot,
    procedures: offered,
    rules: rulesOfRow({ policies, timetable }, slot.counterId),
    left: { web: webLeft, all: allLeft },
    expiredHolds,
  };
}

export type HoldSlotInput = PersonRef & {
  slotId: number;
  /** The procedure's code (the pickup when not given). */
  procedure?: string;
  minutes: number;
  now?: Date;
};

// Takes the place in slot $6 (the run's last in id order: the others' are taken before) and
// writes the hold for the run ($1 and $7).
const HOLD = `
  WITH taken AS (UPDATE slots SET booked = booked + 1, updated_at = now()
                 WHERE id = $6::int AND booked + 1 <= capacity - reserved_capacity RETURNING id)
  INSERT INTO slot_holds (slot_id, also_slot_ids, card_holder_id, applicant_id, people, expires_at, procedure_code)
  SELECT $1::int, $7::int[], $2::int, $5::int, 1, $3::timestamptz, $4::text FROM taken RETURNING id`;

/**
 * Whether the slot, as read, cannot give `need` places (counting back what this very command
 * gives back there) and has no run-out holds whose places could come back: it is refused at
 * once, before anything is written. The guarded UPDATE still decides every place taken.
 */
function plainlyFull(state: SlotState, need: number, heldBack: boolean, givenBack: number): boolean {
  return need > placesLeft(state, heldBack) + givenBack && !state.expiredHolds;
}

const placesLeft = (state: SlotState, heldBack: boolean) => (heldBack ? state.left.all : state.left.web);

/** Places of live holds in `slotId` (in their runs) among removed holds. */
const heldIn = (holds: HeldPlace[], slotId: number) => placesOf(holds.filter((hold) => hold.live)).get(slotId) ?? 0;

/** Holds one place in a slot (each slot of the procedure's run) while a citizen confirms, replacing any hold they had; a citizen's limits apply. */
export async function holdSlot(tx: SqlTx, input: HoldSlotInput): Promise<{ expiresAt: Date }> {
  const now = input.now ?? clockNow();
  const code = input.procedure ?? PICKUP;
  const person = { ...personOf(input), procedure: code };
  const [, state] = await Promise.all([lockPeople(tx, [person], { toBook: true }), slotState(tx, [person], input.slotId, now)]);
  const { holds, slot } = state;
  const procedure = state.procedures.get(code)!;
  if (plainlyFull(state, 1, false, heldIn(holds, slot.id))) throw new BookingError('slot_full');
  checkWindow('book', slot.startsAt, procedureRules(state, procedure), { by: null, now });
  const run = (await formRuns(tx, slot, [procedure])).get(code)!;
  await checkProcedureLimits(tx, { procedure, slot, run, people: 1, now });
  const expiresAt = new Date(now.getTime() + input.minutes * 60_000);
  const before = [...placesOf([run]).keys()];
  const last = before.pop()!;
  const hold = () => tx.query(HOLD, [slot.id, person.cardHolderId, expiresAt, procedure.code, person.applicantId, last, run.alsoSlotIds]).catch(refusalOfRow);
  // The old holds' places go back before the new ones are taken (in this order, sent together).
  await Promise.all([
    settleHolds(tx, holds),
    takePlacesIn(tx, new Map(before.map((slotId) => [slotId, 1])), { heldBack: false, now }).then(() => takeOrRelease(tx, last, now, hold)),
  ]);
  return { expiresAt };
}

export interface BookSlotInput {
  slotId: number;
  /**
   * The people, card holders first: the first person is the one who books (gets the email, and
   * their hold is confirmed); the others are family in the same slot.
   */
  cardHolderIds: number[];
  /** People without a notice ID, each with their procedure (after the card holders). */
  applicants?: { id: number; procedure: string }[];
  channel: BookingChannel;
  /** The card holders' procedure (the pickup when not given); with a hold, the hold's must be the first person's. */
  procedure?: string;
  /** A family member's own procedure (by card holder id) when it is not `procedure`. */
  familyProcedures?: Record<number, string>;
  email?: string | null;
  /** The language the citizen books in (src/lib/languages.ts): the booking's mails use it; Japanese when not given. */
  language?: string;
  /** The staff member booking (phone, counter); null when the citizen books themselves. */
  by: StaffPrincipal | null;
  baseUrl: string;
  /** The hold the citizen confirmed: the booking is made only while it is live and for its slot. */
  holdId?: number;
  /** Book into a full slot by raising its capacity, for this reason (booking.overCapacity). */
  overbookReason?: string;
  now?: Date;
}

export interface BookedGroup {
  groupCode: string;
  bookings: (Person & { id: number; code: string })[];
}

/** The people of a booking command, each with their procedure, the one who books first. */
function bookedPeople(input: BookSlotInput): Booked[] {
  const holders = [...new Set(input.cardHolderIds)].map((id) => ({ cardHolderId: id, applicantId: null, procedure: input.familyProcedures?.[id] ?? input.procedure ?? PICKUP }));
  const applicants = [...new Map((input.applicants ?? []).map((applicant) => [applicant.id, applicant])).values()].map((applicant) => ({
    cardHolderId: null,
    applicantId: applicant.id,
    procedure: applicant.procedure,
  }));
  const people = [...holders, ...applicants];
  if (people.length === 0) throw new Error('bookSlot needs at least one person');
  return people;
}

/**
 * Books one slot for a person and family, all or nothing; turns their hold into the booking.
 * Each person takes a place in every slot of their procedure's run.
 */
export async function bookSlot(tx: SqlTx, input: BookSlotInput): Promise<BookedGroup> {
  const now = input.now ?? clockNow();
  const booked = bookedPeople(input);
  const [statuses, state] = await Promise.all([lockPeople(tx, booked, { toBook: true }), slotState(tx, booked, input.slotId, now)]);
  const codes = booked.map((person) => person.procedure);
  const { holds, slot } = state;
  const procedures = [...new Set(codes)].sort().map((code) => state.procedures.get(code)!);
  if (input.holdId !== undefined) checkConfirmedHold(holds, input.holdId, slot.id, codes[0]);
  for (const procedure of procedures) checkWindow('book', slot.startsAt, procedureRules(state, procedure), { by: input.by, now, people: booked.length });
  const runs = await formRuns(tx, slot, procedures);
  const people = booked.map((person) => ({ ...person, ...runs.get(person.procedure)! }));
  const credit = await settleHolds(tx, holds, slot.id);
  // In code order, so two groups that mix the same capped procedures take their locks in one order.
  for (const procedure of procedures)
    await checkProcedureLimits(tx, { procedure, slot, run: runs.get(procedure.code)!, people: codes.filter((code) => code === procedure.code).length, now });
  const heldBack = can(input.by, 'booking.useHeldBackPlaces');
  const { take, give } = placesChange(placesOf(people), credit);
  // A slot that looked full is refused at once, or asked at once when run-out holds there may
  // give places back; otherwise the places are taken last, below.
  const takeFirst = input.overbookReason === undefined && (take.get(slot.id) ?? 0) > placesLeft(state, heldBack);
  if (takeFirst && !state.expiredHolds) throw new BookingError('slot_full');
  if (takeFirst) await takePlacesIn(tx, take, { heldBack, now });
  const bookings = await insertBookings(tx, { people, channel: input.channel, email: input.email ?? null, language: input.language });
  if (input.overbookReason !== undefined) for (const [slotId, missing] of take) await overbook(tx, slotId, missing, input);
  const deadline = visitDeadline(
    slot.startsAt,
    procedures.map((procedure) => procedureRules(state, procedure)),
  );
  const mail = input.email
    ? confirmationMail(
        bookings[0],
        input.email,
        {
          ...slot,
          endsAt: runs.get(codes[0])!.endsAt,
          procedure: groupProcedure(codes.map((code) => state.procedures.get(code)!)),
        },
        deadline,
        people.length,
        now,
        input.baseUrl,
        input.language,
      )
    : null;
  // None of these needs another's answer: they go out together (the connection pipelines) and
  // are answered in this order. The places come last, so the slot row (the hot lock in a storm)
  // is held only until COMMIT; without the places, everything rolls back.
  await Promise.all([
    applyCardEvent(tx, 'booked', holderIdsOf(people), statuses),
    recordBookingEvents(
      tx,
      'booked',
      bookings.map((booking) => booking.id),
      now,
    ),
    mail && enqueueMail(tx, mail),
    recordAudit(tx, {
      action: 'booking.create',
      targetType: 'booking',
      targetId: bookings[0].code,
      detail: { slotId: slot.id, people: people.length, channel: input.channel, procedures: [...new Set(codes)] },
    }),
    returnPlacesIn(tx, give),
    !takeFirst && takePlacesIn(tx, take, { heldBack, now }),
  ]);
  return { groupCode: bookings[0].code, bookings };
}

/** The counter's rules with the procedure's own booking window. */
const procedureRules = (state: SlotState, procedure: OfferedProcedure): CounterRules => withProcedure(state.rules, procedure);

/** The confirmed hold must be the citizen's live hold, for this slot and procedure (another tab may have chosen again). */
function checkConfirmedHold(holds: HeldPlace[], holdId: number, slotId: number, procedureCode: string): void {
  const hold = holds.find((candidate) => candidate.id === holdId && candidate.live);
  if (hold?.slotId === slotId && hold.procedureCode === procedureCode) return;
  throw new BookingError(hold || holds.some((candidate) => candidate.live) ? 'hold_changed' : 'hold_not_found');
}

// The booking rows, one per person, sharing the group's code (a new group's is its first
// booking's code). When any of the new codes is taken already, nothing is written and new
// codes are drawn.
const INSERT_BOOKINGS = `
  WITH free AS (SELECT NOT EXISTS (SELECT 1 FROM bookings WHERE code = ANY($4::text[])) AS ok)
  INSERT INTO bookings (code, slot_id, also_slot_ids, card_holder_id, applicant_id, group_code, status, channel, email, created_by, procedure_code, language, updated_at)
  SELECT t.code, t.slot, t.also::int[], t.holder, t.applicant, coalesce($7::text, ($4::text[])[1]), 'active', $2::booking_channel, CASE WHEN t.n = 1 THEN $3::text END, $6::text, t.procedure,
         -- A family member joins in the language of the booking whose group it joins.
         coalesce($11::text, (SELECT g.language FROM bookings g WHERE g.code = $7::text), 'ja'), now()
  FROM unnest($4::text[], $1::int[], $10::text[], $5::int[], $9::int[], $8::text[]) WITH ORDINALITY AS t(code, slot, also, holder, applicant, procedure, n)
  WHERE (SELECT ok FROM free)
  ON CONFLICT (code) DO NOTHING
  RETURNING id, code, card_holder_id AS "cardHolderId", applicant_id AS "applicantId"`;

export async function insertBookings(
  tx: SqlTx,
  /** people: each with their procedure and run; the first gets the email (a new group's first booking). */
  row: { people: (Booked & Run)[]; channel: BookingChannel; email: string | null; groupCode?: string; language?: string },
): Promise<BookedGroup['bookings']> {
  const { people } = row;
  for (;;) {
    const codes = people.map(() => newBookingCode());
    let bookings: BookedGroup['bookings'];
    try {
      bookings = await tx.query(INSERT_BOOKINGS, [
        people.map((person) => person.slotId),
        row.channel,
        row.email,
        codes,
        people.map((person) => person.cardHolderId),
        actorKey(tx.actor),
        row.groupCode ?? null,
        people.map((person) => person.procedure),
        people.map((person) => person.applicantId),
        // As array literals: a column of arrays cannot be unnested from one parameter.
        people.map((person) => `{${person.alsoSlotIds.join(',')}}`),
        row.language ?? null,
      ]);
    } catch (error) {
      refusalOfRow(error);
    }
    if (bookings.length === people.length) return bookings.sort((a, b) => codes.indexOf(a.code) - codes.indexOf(b.code));
    // Some but not all rows in: a code was taken by a booking committed at this very moment.
    if (bookings.length > 0) throw new Error('booking code collision');
  }
}

/** The confirmation email of a new booking, from what the transaction already read. */
function confirmationMail(
  primary: { id: number; code: string; applicantId: number | null },
  email: string,
  slot: BookingSlot & { procedure: BookingMailDetails['procedure'] },
  deadline: Date,
  people: number,
  now: Date,
  baseUrl: string,
  language: string | undefined,
) {
  const details = {
    procedure: slot.procedure,
    code: primary.code,
    counterName: slot.counterName,
    counterAddress: slot.counterAddress,
    accessNotes: slot.accessNotes,
    startsAt: slot.startsAt,
    endsAt: slot.endsAt,
    deadline,
    people,
    revision: Math.floor(now.getTime() / 1000),
    applicant: primary.applicantId !== null,
  };
  return {
    dedupeKey: bookingMailKey(primary.code, 'confirmation', 'new'),
    kind: 'booking.confirmation',
    to: headerSafe(email),
    bookingId: primary.id,
    ...composeBookingMail('confirmation', details, baseUrl, language),
  };
}

/**
 * The explicit over-capacity booking: raises the slot's capacity by exactly the places that
 * are missing (the CHECK booked <= capacity stays true) and records why.
 */
async function overbook(tx: SqlTx, slotId: number, people: number, input: BookSlotInput): Promise<void> {
  if (!can(input.by, 'booking.overCapacity')) throw new BookingError('overbook_forbidden');
  const [slot] = await tx.query<{ capacity: number; booked: number }>(`SELECT capacity, booked FROM slots WHERE id = $1::int FOR NO KEY UPDATE`, [slotId]);
  const missing = Math.max(0, slot.booked + people - slot.capacity);
  if (missing > 0) await tx.query(`UPDATE slots SET capacity = capacity + $2::int, updated_at = now() WHERE id = $1::int`, [slotId, missing]);
  await recordAudit(tx, {
    action: 'console.capacity.override',
    targetType: 'slot',
    targetId: slotId,
    detail: { reason: input.overbookReason, from: slot.capacity, to: slot.capacity + missing, booked: slot.booked },
  });
}
