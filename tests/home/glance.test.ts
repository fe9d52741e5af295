// The staff home's "today at a glance": per counter in the user's scope, today's bookings by
// status and walk-ins, and what waits (alerts, imports) for the users who may act on it.
import { beforeAll, describe, expect, it } from 'vitest';
import { todayAtAGlance } from '../../src/features/staff/home.js';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createBooking } from '../helpers/bookings.js';
import { pinClock } from '../helpers/clock.js';
import { createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';

// 23:00 on 2 February in UTC: "today" must be Japan's day.
const { now, today } = pinClock('2027-02-03T08:00:00+09:00');
const yesterday = addDays(today, -1);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

type Status = 'active' | 'checked_in' | 'handed_over' | 'no_show' | 'cancelled';

/** Books one person per status in a slot of the counter on the date. */
async function bookingsIn(counterId: number, date: string, statuses: Status[]) {
  const slot = await createSlot(t.db, { counterId, date, capacity: statuses.length + 1 });
  for (const status of statuses) {
    const booking = await createBooking(t.db, { slotId: slot.id });
    await t.db.prisma.booking.update({ where: { id: booking.id }, data: { status } });
  }
}

async function walkIn(counterId: number, date: string, seq: number) {
  await t.db.prisma.ticket.create({
    data: {
      counterId,
      date: new Date(`${date}T00:00:00Z`),
      kind: 'walk_in',
      seq,
      number: `W-${seq}`,
      procedureCode: 'pickup',
      token: `token-${counterId}-${date}-${seq}`,
      issuedBy: 'test',
    },
  });
}

/** Counter A: six bookings today in every status and three yesterday; B: one hand-over and a walk-in today; C: only yesterday. */
async function threeCounters() {
  const a = await createCounter(t.db, { name: '窓口A' });
  const b = await createCounter(t.db, { name: '窓口B' });
  const c = await createCounter(t.db, { name: '窓口C' });
  await bookingsIn(a.id, today, ['active', 'active', 'checked_in', 'handed_over', 'no_show', 'cancelled']);
  await bookingsIn(a.id, yesterday, ['handed_over', 'handed_over', 'no_show']);
  await bookingsIn(b.id, today, ['handed_over']);
  await walkIn(b.id, today, 1);
  await walkIn(b.id, yesterday, 1);
  await bookingsIn(c.id, yesterday, ['active']);
  return { a, b, c };
}

describe('today at a glance', () => {
  it('When bookings in every status exist at two counters today and yesterday, then the glance counts only today per counter, as the rows say', async () => {
    const { a, b, c } = await threeCounters();
    const { user } = await createStaff(t.db, { role: 'admin' });
    const glance = await todayAtAGlance(t.db, { ...user, counterIds: [a.id, b.id, c.id] }, now);
    expect(glance.date).toBe(today);
    expect(glance.counters).toEqual([
      { counterId: a.id, name: '窓口A', booked: 5, visited: 2, handedOver: 1, noShows: 1, walkIns: 0 },
      { counterId: b.id, name: '窓口B', booked: 1, visited: 1, handedOver: 1, noShows: 0, walkIns: 1 },
    ]);
    const rows = await t.db.prisma.booking.groupBy({ by: ['status'], where: { slot: { counterId: a.id, date: new Date(`${today}T00:00:00Z`) } }, _count: true });
    const counted = Object.fromEntries(rows.map((row) => [row.status, row._count]));
    expect(glance.counters[0].booked).toBe(rows.reduce((sum, row) => sum + row._count, 0) - counted.cancelled);
  });

  it('When staff of counter A open the home page, then they see counter A with its figures linked to its day board, and not counter B', async () => {
    const { a, b } = await threeCounters();
    const { user, password } = await createStaff(t.db, { role: 'staff', counterIds: [a.id] });
    const page = await (await staffAgent(t.app, user.loginId, password)).get('/staff');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`href="/staff/console/counters/${a.id}/day"`);
    expect(page.text).toMatch(new RegExp(`data-counter="${a.id}"[\\s\\S]*?data-figure="booked">5<[\\s\\S]*?data-figure="noShows">1<`));
    expect(page.text).not.toContain(`data-counter="${b.id}"`);
    expect(page.text).toContain('今日の状況 (2027年2月3日(水))');
  });

  it('When an alert is open and an import waits, then an admin sees both counted and linked, staff see the imports only, and an operator sees neither', async () => {
    await t.db.prisma.alert.create({ data: { kind: 'job_failed', subjectKey: `job-${Math.random()}`, summary: '夜間処理の失敗' } });
    const [profile] = await t.db.query<{ id: number }>('SELECT id FROM import_profiles ORDER BY id LIMIT 1');
    await t.db.prisma.importBatch.create({
      data: { storageKey: `k-${Math.random()}`, fileName: 'a.csv', sha256: 'x', sizeBytes: 1, profileId: profile.id, status: 'previewed', uploadedBy: 'test' },
    });
    const openAlerts = await t.db.prisma.alert.count({ where: { acknowledgedAt: null } });
    const waitingImports = await t.db.prisma.importBatch.count({ where: { status: { in: ['uploaded', 'previewing', 'previewed', 'committing'] } } });
    const home = async (role: 'admin' | 'staff' | 'operator') => {
      const { user, password } = await createStaff(t.db, { role });
      return (await (await staffAgent(t.app, user.loginId, password)).get('/staff')).text;
    };
    const admin = await home('admin');
    expect(admin).toMatch(new RegExp(`href="/staff/alerts">未確認の警報 <strong[^>]*>${openAlerts} 件`));
    expect(admin).toMatch(new RegExp(`href="/staff/cards/imports">取込が終わっていないファイル <strong[^>]*>${waitingImports} 件`));
    const staff = await home('staff');
    expect(staff).not.toContain('未確認の警報');
    expect(staff).toContain('取込が終わっていないファイル');
    const operator = await home('operator');
    expect(operator).not.toContain('未確認の警報');
    expect(operator).not.toContain('取込が終わっていないファイル');
    expect(operator).not.toContain('回答待ちの引き継ぎ問い合わせ');
  });

  it('When inquiries are handed over at two counters and one is answered, then staff of counter A see the unanswered ones of A (and of no counter) linked to the list of handed-over inquiries', async () => {
    const { a, b } = await threeCounters();
    const { user: recorder } = await createStaff(t.db, { role: 'operator' });
    const escalate = (counterId: number | null, status: 'escalated' | 'answered' = 'escalated') =>
      t.db.prisma.inquiry.create({
        data: {
          receivedAt: now,
          channel: 'phone',
          categoryCode: 'complaint',
          body: '待ち時間',
          counterId,
          handledBy: `staff:${recorder.id}`,
          status,
          escalatedAt: now,
          ...(status === 'answered' ? { response: '回答済み', respondedAt: now } : {}),
        },
      });
    await escalate(a.id);
    await escalate(a.id);
    await escalate(a.id, 'answered');
    await escalate(b.id);
    const { user, password } = await createStaff(t.db, { role: 'staff', counterIds: [a.id] });
    const [{ count }] = await t.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM inquiries WHERE status = 'escalated' AND (counter_id IS NULL OR counter_id = $1)`, [
      a.id,
    ]);
    expect(count).toBeGreaterThanOrEqual(2);
    const page = await (await staffAgent(t.app, user.loginId, password)).get('/staff');
    expect(page.text).toMatch(new RegExp(`href="/staff/inquiries\\?status=escalated">回答待ちの引き継ぎ問い合わせ <strong[^>]*>${count} 件`));
  });
});
