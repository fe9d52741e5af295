// The sent-mail log reads citizens' mail under the same scope rule as their bookings
// (issue 11, point 4). The decision, as the card and booking pages allow it:
// - a mail that belongs to a booking is readable by whoever may open that booking in the console:
//   any role, at the counters the user works at (every counter when the user has none set).
//   Operators may open card holders and their bookings of every counter in their scope, so they
//   may open those mails too; their list still needs an exact address or booking code.
// - a mail that belongs to no booking (alerts to the on-call staff, with acknowledgement links)
//   is for admins only, as the alerts page is.
// Outside the scope, a mail is not listed, and opening it answers 404 exactly like an absent id.
import { beforeAll, describe, expect, it } from 'vitest';
import { queueBookingMail } from '../../src/features/booking/mail.js';
import { enqueueMail } from '../../src/features/notify/outbox.js';
import type { StaffRole } from '../../src/generated/prisma/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { createBooking } from '../helpers/bookings.js';
import { inTx } from '../helpers/tx.js';

let t: TestApp;
const mails = {} as Record<'atA' | 'atB' | 'alert', { id: bigint; to: string; code?: string }>;
let counters: { a: number; b: number };

async function bookingMailAt(counterId: number, email: string) {
  const booking = await createBooking(t.db, { date: '2026-12-10', email, counterId });
  await inTx(t.db, (tx) => queueBookingMail(tx, { bookingId: booking.id, kind: 'confirmation', eventKey: 'created', baseUrl: 'http://localhost:3000' }));
  const row = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: booking.id } });
  return { id: row.id, to: email, code: booking.code };
}

beforeAll(async () => {
  t = await createTestApp();
  counters = { a: (await createCounter(t.db, { name: '窓口A' })).id, b: (await createCounter(t.db, { name: '窓口B' })).id };
  mails.atA = await bookingMailAt(counters.a, 'hanako.a@example.jp');
  mails.atB = await bookingMailAt(counters.b, 'jiro.b@example.jp');
  await inTx(t.db, (tx) =>
    enqueueMail(tx, {
      dedupeKey: 'alert:1:1:oncall@example.lg.jp',
      kind: 'alert',
      to: 'oncall@example.lg.jp',
      subject: '【障害通知】',
      text: '確認: http://localhost/alerts/ack?token=secret',
    }),
  );
  mails.alert = { id: (await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { kind: 'alert' } })).id, to: 'oncall@example.lg.jp' };
});

async function signedIn(role: StaffRole, counterIds?: number[]) {
  const { user, password } = await createStaff(t.db, { role, counterIds });
  return staffAgent(t.app, user.loginId, password);
}

type Agent = Awaited<ReturnType<typeof signedIn>>;
const open = async (agent: Agent, mail: { id: bigint }) => (await agent.get(`/staff/mail/${mail.id}`)).status;
/** The ids of the mails a list or search shows (the query itself is echoed in the search box). */
const list = async (agent: Agent, q = '') => [...(await agent.get('/staff/mail').query(q ? { q } : {})).text.matchAll(/href="\/staff\/mail\/(\d+)"/g)].map((m) => BigInt(m[1]));

describe('mail log scope per counter', () => {
  it("When staff limited to counter A list, search or open the mail log, then they see A's mail and nothing of counter B (404 like an absent id)", async () => {
    const agent = await signedIn('staff', [counters.a]);
    const all = await list(agent);
    expect(all).toContain(mails.atA.id);
    expect(all).not.toContain(mails.atB.id);
    expect(await list(agent, 'jiro.b')).not.toContain(mails.atB.id);
    expect(await list(agent, mails.atB.code!)).not.toContain(mails.atB.id);
    expect(await list(agent, mails.atA.code!)).toContain(mails.atA.id);
    expect(await open(agent, mails.atA)).toBe(200);
    const outside = await agent.get(`/staff/mail/${mails.atB.id}`);
    const absent = await agent.get('/staff/mail/99999999');
    expect(outside.status).toBe(404);
    expect(outside.text).toBe(absent.text);
  });

  it("When an operator limited to counter A looks up mail, then an exact address or code of A finds it and B's stays hidden, by search and by id", async () => {
    const agent = await signedIn('operator', [counters.a]);
    expect(await list(agent, mails.atA.to)).toContain(mails.atA.id);
    expect(await list(agent, mails.atB.to)).not.toContain(mails.atB.id);
    expect(await list(agent, mails.atB.code!)).not.toContain(mails.atB.id);
    expect(await open(agent, mails.atA)).toBe(200);
    expect(await open(agent, mails.atB)).toBe(404);
  });

  it("When an operator with every counter opens a booking's mail by id, then it shows (as that booking does in the console), but an alert mail does not", async () => {
    const agent = await signedIn('operator');
    expect(await open(agent, mails.atB)).toBe(200);
    expect(await open(agent, mails.alert)).toBe(404);
    expect(await list(agent, mails.alert.to)).not.toContain(mails.alert.id);
  });

  it('When staff who are not admins browse the log, then mail that belongs to no booking (alerts with their links) is neither listed nor opened; admins see it', async () => {
    const clerk = await signedIn('staff');
    expect(await list(clerk)).not.toContain(mails.alert.id);
    expect(await open(clerk, mails.alert)).toBe(404);
    expect(await open(clerk, mails.atB)).toBe(200);
    const admin = await signedIn('admin');
    expect(await list(admin)).toContain(mails.alert.id);
    expect(await open(admin, mails.alert)).toBe(200);
  });
});
