// Staff pages name people and states in Japanese: never a status key, 'staff:2', 'citizen:3',
// an English reason or a mail kind such as 'booking.confirmation' (issue 12.6).
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_CLERK } from '../helpers/booking.js';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { raiseAlert } from '../../src/features/notify/alerts.js';
import { todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { counterWithSlots, holderAt, postForm, staffOf } from '../console/helpers.js';
import { inTx } from '../helpers/tx.js';

let t: TestApp;
const RAW_CODES = ['handed_over', 'staff:', 'citizen:', 'system:', 'booking.confirmation', 'booking hand_over'];
const expectNoRawCodes = (html: string) => {
  for (const code of RAW_CODES) expect(html, code).not.toContain(code);
};

beforeAll(async () => {
  t = await createTestApp();
});

describe('labels on staff pages', () => {
  it('When a citizen books on the web and a clerk hands the card over, then the card page, the audit log and the mail page show Japanese labels and names and never the raw codes', async () => {
    const { counter, slots } = await counterWithSlots(t, todayInJapan(), [{ startMinute: 600, capacity: 2 }]);
    const person = await holderAt(t, counter.id);
    const group = await transaction(t.db, { type: 'citizen', id: String(person.holder.id) }, (tx) =>
      bookSlot(tx, { slotId: slots[0].id, cardHolderIds: [person.holder.id], channel: 'web', email: 'hanako@example.jp', baseUrl: 'http://127.0.0.1', by: TEST_CLERK }),
    );
    const clerk = await staffOf(t, 'admin');
    await t.db.prisma.staffUser.update({ where: { id: clerk.user.id }, data: { displayName: '交付 花子' } });
    const handOver = await postForm(clerk.agent, `/staff/console/holders/${person.holder.id}`, `/staff/console/bookings/${group.bookings[0].id}/hand-over`, {});
    expect(handOver.status).toBe(303);

    const history = await t.db.prisma.cardStatusChange.findMany({ where: { cardHolderId: person.holder.id }, orderBy: { id: 'asc' } });
    expect(history.map((change) => [change.actor, change.reason])).toEqual([
      [`citizen:${person.holder.id}`, 'cards.reason.booked'],
      [`staff:${clerk.user.id}`, 'cards.reason.hand_over'],
    ]);
    const card = (await clerk.agent.get(`/staff/cards/${person.holder.id}`)).text;
    expect(card).toContain('交付 花子');
    expect(card).toContain('本人(ウェブ)');
    expect(card).toMatch(/<td>交付済<\/td>/); // the booking's status
    expect(card).toMatch(/<td>交付<\/td>/); // the history reason
    expectNoRawCodes(card);

    const audit = (await clerk.agent.get('/staff/audit')).text;
    expect(audit).toContain('交付 花子');
    expect(audit).toContain('本人(ウェブ)');
    expect(audit).toMatch(/<td>交付<\/td><td>予約 [A-Z0-9]+<\/td>/); // action and target in Japanese
    for (const code of ['booking.hand_over', 'booking.create', 'card_holder']) expect(audit).not.toContain(code);
    expectNoRawCodes(audit);

    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: group.bookings[0].id } });
    const mailPage = (await clerk.agent.get(`/staff/mail/${mail.id}`)).text;
    expect(mailPage).toContain('予約完了のお知らせ');
    expectNoRawCodes(mailPage);
  });

  it('When an admin acknowledges an alert, then the alert keeps staff:<id> and the page shows the admin by name', async () => {
    const id = await inTx(t.db, (tx) => raiseAlert(tx, { kind: 'disk_full', subjectKey: '/labels', summary: 'ディスク使用率が95%です' }));
    const admin = await staffOf(t, 'admin');
    await t.db.prisma.staffUser.update({ where: { id: admin.user.id }, data: { displayName: '当番 一郎' } });
    const page = await admin.agent.get('/staff/alerts');
    await admin.agent
      .post(`/staff/alerts/${id}/acknowledge`)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) });
    expect((await t.db.prisma.alert.findUniqueOrThrow({ where: { id } })).acknowledgedBy).toBe(`staff:${admin.user.id}`);
    const after = (await admin.agent.get('/staff/alerts')).text;
    expect(after).toContain('確認済み(当番 一郎');
    expectNoRawCodes(after);
  });
});
