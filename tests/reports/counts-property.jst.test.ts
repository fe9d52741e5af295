// The property of the monthly report: after any sequence of bookings, moves, cancellations,
// family changes, walk-ins, check-ins, hand-overs and no-shows made through the real booking
// commands, every count of the report equals the count taken from the rows that made it
// (bookings, tickets and slots, and the test's own record of when each command ran and where to),
// never from booking_events. The sequences come from a seeded generator, so a failure repeats.
import { beforeAll, describe, expect, it } from 'vitest';
import { addFamilyMember, bookSlot, cancelBooking, checkIn, handOver, markNoShow, moveBooking, removeFamilyMember } from '../../src/features/booking/index.js';
import { BookingError } from '../../src/features/booking/errors.js';
import { AppError } from '../../src/lib/app-error.js';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import { reportCounts, type Counts } from '../../src/features/reports/counts.js';
import { setClock } from '../../src/lib/clock.js';
import { addDays, jstDateOf, type IsoDate } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_CLERK, STAFF_ACTOR } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

/** mulberry32: a small seeded generator, so a failing sequence can be run again. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, int: (below: number) => Math.floor(next() * below), pick: <T>(items: T[]): T | undefined => items[Math.floor(next() * items.length)] };
}

const baseUrl = 'http://127.0.0.1';
const MONTH_FROM = '2027-01-01';
const MONTH_TO = '2027-01-31';
const CHANNELS = ['web', 'phone', 'counter'] as const;
const STEPS = 90;

let t: TestApp;
let today: IsoDate;

beforeAll(async () => {
  t = await createTestApp();
  today = pinClock(WORKING_WEDNESDAY).today;
});

interface Scene {
  counterIds: number[];
  slotIds: number[];
  holderIds: number[];
}

/** Two counters of their own for one sequence, with visits twelve to fourteen days ahead (citizens may still book and change them at the end). */
async function scene(): Promise<Scene> {
  const counters = [await createCounter(t.db, { name: '本庁' }), await createCounter(t.db, { name: '支所' })];
  const counterIds = counters.map((counter) => counter.id);
  const slotIds: number[] = [];
  for (const counterId of counterIds)
    for (const ahead of [12, 13, 14])
      for (const startMinute of [540, 600]) slotIds.push((await createSlot(t.db, { counterId, date: addDays(today, ahead), startMinute, capacity: 3 })).id);
  const holderIds: number[] = [];
  for (let n = 0; n < 36; n++) holderIds.push((await createCardHolder(t.db, { counterId: counterIds[n % 2] })).holder.id);
  return { counterIds, slotIds, holderIds };
}

interface Ledger {
  /** Bookings made and moves done, by the Japan day the command ran and the counter they went to (moves: and the booking's channel). */
  made: Map<string, number>;
  moved: Map<string, number>;
  succeeded: Record<string, number>;
}

const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

async function slotCounter(slotId: number) {
  return (await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } })).counterId;
}

/** Runs a random sequence of commands; refusals (a full slot, a wrong status) change nothing and are skipped. */
async function runSequence(seed: number, { counterIds, slotIds, holderIds }: Scene): Promise<Ledger> {
  const random = generator(seed);
  const ledger: Ledger = { made: new Map(), moved: new Map(), succeeded: {} };
  let clock = new Date(WORKING_WEDNESDAY).getTime();
  const attempt = async (name: string, work: (now: Date) => Promise<void>) => {
    clock += random.int(6 * 3_600_000);
    const now = new Date(clock);
    setClock(now);
    try {
      await work(now);
      ledger.succeeded[name] = (ledger.succeeded[name] ?? 0) + 1;
    } catch (error) {
      if (!(error instanceof BookingError || error instanceof AppError)) throw error;
    }
  };
  const bookings = (status: string[]) =>
    t.db.prisma.booking.findMany({ where: { status: { in: status as never[] }, slotId: { in: slotIds } }, select: { id: true, groupCode: true, code: true, channel: true } });
  for (let step = 0; step < STEPS; step++) {
    const roll = random.int(11);
    if (roll < 3) {
      const open = new Set((await bookings(['active', 'checked_in'])).map((booking) => booking.id));
      const busy = new Set((await t.db.prisma.booking.findMany({ where: { id: { in: [...open] } }, select: { cardHolderId: true } })).map((row) => row.cardHolderId));
      const free = holderIds.filter((id) => !busy.has(id));
      const people = [random.pick(free), ...(random.int(3) === 0 ? [random.pick(free)] : [])].filter((id): id is number => id !== undefined);
      const slotId = random.pick(slotIds)!;
      const channel = random.pick([...CHANNELS])!;
      if (people.length === 0) continue;
      await attempt('book', async (now) => {
        const group = await inTx(t.db, (tx) =>
          bookSlot(tx, { slotId, cardHolderIds: [...new Set(people)], channel, email: 'a@example.jp', by: channel === 'web' ? null : TEST_CLERK, baseUrl, now }),
        );
        bump(ledger.made, `${jstDateOf(now)}|${await slotCounter(slotId)}`, group.bookings.length);
      });
    } else if (roll <= 4) {
      const target = random.pick(await bookings(['active']));
      const toSlotId = random.pick(slotIds)!;
      if (!target) continue;
      await attempt('move', async (now) => {
        await inTx(t.db, (tx) => moveBooking(tx, { bookingId: target.id, toSlotId, by: TEST_CLERK, baseUrl, now }), STAFF_ACTOR);
        const group = await t.db.prisma.booking.count({
          where: { OR: [{ code: target.groupCode ?? target.code }, { groupCode: target.groupCode ?? target.code }], status: 'active' },
        });
        bump(ledger.moved, `${jstDateOf(now)}|${await slotCounter(toSlotId)}|${target.channel}`, group);
      });
    } else if (roll === 5) {
      const target = random.pick(await bookings(['active']));
      if (!target) continue;
      await attempt(random.int(2) === 0 ? 'cancel' : 'removeMember', async (now) => {
        const members = await t.db.prisma.booking.findMany({
          where: { groupCode: target.groupCode ?? target.code, status: 'active', NOT: { code: target.groupCode ?? target.code } },
        });
        const member = random.pick(members);
        if (member) await inTx(t.db, (tx) => removeFamilyMember(tx, { bookingId: target.id, memberBookingId: member.id, by: TEST_CLERK, baseUrl, now }), STAFF_ACTOR);
        else await inTx(t.db, (tx) => cancelBooking(tx, { bookingId: target.id, by: null, baseUrl, now }));
      });
    } else if (roll === 6) {
      const counterId = random.pick(counterIds)!;
      await attempt('walkIn', async (now) => {
        await inTx(t.db, (tx) => issueWalkIn(tx, { counterId, procedureCode: 'pickup', by: TEST_CLERK, now }), STAFF_ACTOR);
      });
    } else if (roll === 7) {
      const target = random.pick(await bookings(['active']));
      const holder = random.pick(holderIds)!;
      if (!target) continue;
      await attempt('addMember', async (now) => {
        const group = await inTx(t.db, (tx) => addFamilyMember(tx, { bookingId: target.id, cardHolderId: holder, by: TEST_CLERK, baseUrl, now }), STAFF_ACTOR);
        const added = await t.db.prisma.booking.findUniqueOrThrow({ where: { code: group.code }, include: { slot: true } });
        bump(ledger.made, `${jstDateOf(now)}|${added.slot.counterId}`);
      });
    } else {
      const visit = ([checkIn, handOver, markNoShow] as const)[roll - 8];
      const target = random.pick(await bookings(visit === markNoShow ? ['active'] : ['active', 'checked_in']));
      if (!target) continue;
      await attempt(visit.name, async (now) => {
        await inTx(t.db, (tx) => visit(tx, { bookingId: target.id, by: TEST_CLERK, otherDayConfirmed: true, now }), STAFF_ACTOR);
      });
    }
  }
  return ledger;
}

interface Expected {
  all: Record<string, number>;
  byCounter: Map<number, Record<string, number>>;
  byChannel: Map<string, Record<string, number>>;
  byDay: Map<IsoDate, Record<string, number>>;
  capacityByDay: Map<IsoDate, { offered: number; used: number }>;
}

/** The same counts, from the bookings, tickets and slots as they are now, and the ledger. */
async function expectedCounts(ledger: Ledger, { counterIds }: Scene): Promise<Expected> {
  const rows = await t.db.query<{ status: string; channel: string; counterId: number; slotDate: string; cancelledOn: string | null }>(
    `SELECT b.status::text AS status, b.channel::text AS channel, s.counter_id AS "counterId", s.date::text AS "slotDate",
            to_char(b.cancelled_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD') AS "cancelledOn"
       FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE s.counter_id = ANY($1::int[])`,
    [counterIds],
  );
  const walkIns = await t.db.query<{ counterId: number; date: string }>(
    `SELECT counter_id AS "counterId", date::text AS date FROM tickets WHERE kind = 'walk_in' AND counter_id = ANY($1::int[])`,
    [counterIds],
  );
  const expected: Expected = { all: {}, byCounter: new Map(), byChannel: new Map(), byDay: new Map(), capacityByDay: new Map() };
  const add = (measure: string, keys: { counter?: number; channel?: string; day?: IsoDate }, by = 1) => {
    if (keys.counter !== undefined || keys.channel !== undefined || keys.day !== undefined) {
      if (keys.counter !== undefined) bumpIn(expected.byCounter, keys.counter, measure, by);
      if (keys.channel !== undefined) bumpIn(expected.byChannel, keys.channel, measure, by);
      if (keys.day !== undefined) bumpIn(expected.byDay, keys.day, measure, by);
    }
  };
  const visited = { checked_in: 'visits', handed_over: 'visits', no_show: 'noShows' } as Record<string, string>;
  for (const row of rows) {
    add('made', { channel: row.channel });
    if (row.status === 'cancelled') add('cancelled', { counter: row.counterId, channel: row.channel, day: row.cancelledOn! });
    if (visited[row.status]) add(visited[row.status], { counter: row.counterId, channel: row.channel, day: row.slotDate });
    if (row.status === 'handed_over') add('handedOver', { counter: row.counterId, channel: row.channel, day: row.slotDate });
  }
  for (const ticket of walkIns) add('walkIns', { counter: ticket.counterId, channel: 'walk_in', day: ticket.date });
  for (const [key, count] of ledger.made) {
    const [day, counter] = key.split('|');
    add('made', { counter: Number(counter), day }, count);
  }
  for (const [key, count] of ledger.moved) {
    const [day, counter, channel] = key.split('|');
    add('moved', { counter: Number(counter), day, channel }, count);
  }
  const sum = (measure: string) => [...expected.byChannel.values()].reduce((total, each) => total + (each[measure] ?? 0), 0);
  for (const measure of ['made', 'cancelled', 'visits', 'handedOver', 'noShows', 'walkIns']) expected.all[measure] = sum(measure);
  // Moves leave no trace in the rows but the booking's new slot: the ledger counts them.
  expected.all.moved = [...ledger.moved.values()].reduce((total, count) => total + count, 0);
  const slots = await t.db.query<{ date: string; offered: number; used: number }>(
    `SELECT s.date::text AS date, sum(s.capacity)::int AS offered,
            (SELECT count(*) FROM bookings b JOIN slots o ON o.id = b.slot_id WHERE o.date = s.date AND o.counter_id = ANY($1::int[]) AND b.status <> 'cancelled')::int AS used
       FROM slots s WHERE s.counter_id = ANY($1::int[]) GROUP BY s.date`,
    [counterIds],
  );
  for (const slot of slots) expected.capacityByDay.set(slot.date, { offered: slot.offered, used: slot.used });
  return expected;
}

function bumpIn<K>(map: Map<K, Record<string, number>>, key: K, measure: string, by: number) {
  const counts = map.get(key) ?? {};
  counts[measure] = (counts[measure] ?? 0) + by;
  map.set(key, counts);
}

/** The report's counts with the zero figures left out, to compare with what the rows say. */
const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, value]) => value !== 0));
const nonZeroMap = <K>(map: Map<K, Record<string, number>>) =>
  new Map([...map].map(([key, counts]) => [key, nonZero(counts)] as const).filter(([, counts]) => Object.keys(counts).length > 0));

function compare(report: Counts, expected: Expected) {
  expect(nonZero(report.all)).toEqual(nonZero(expected.all));
  expect(nonZeroMap(report.byCounter)).toEqual(nonZeroMap(expected.byCounter));
  expect(nonZeroMap(report.byChannel)).toEqual(nonZeroMap(expected.byChannel));
  expect(nonZeroMap(report.byDay)).toEqual(nonZeroMap(expected.byDay));
  expect(new Map([...report.capacity.byDay].filter(([, count]) => count.offered > 0))).toEqual(expected.capacityByDay);
  const procedures = [...report.byProcedure.values()].reduce((total, each) => total + each.made + each.walkIns, 0);
  expect(procedures).toBe(expected.all.made + expected.all.walkIns);
}

describe('monthly report counts (property)', () => {
  it.each([20261203, 7, 424242])('When random commands ran (seed %i), then every count of the report equals the count taken from the rows', async (seed) => {
    const place = await scene();
    const ledger = await runSequence(seed, place);
    // Enough of each command went through for the comparison to mean something.
    for (const name of ['book', 'move', 'walkIn', 'checkIn', 'handOver', 'markNoShow'])
      expect(ledger.succeeded[name] ?? 0, `${name}: ${JSON.stringify(ledger.succeeded)}`).toBeGreaterThan(0);
    const report = await reportCounts(t.db, { from: MONTH_FROM, to: MONTH_TO, counterIds: place.counterIds });
    compare(report, await expectedCounts(ledger, place));
    setClock(new Date(WORKING_WEDNESDAY));
  });
});
