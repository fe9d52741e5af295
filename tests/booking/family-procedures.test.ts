// A family booking may mix procedures (issue 14 point 4): a card holder booking the pickup adds,
// on the confirm page, family members who come for another procedure without a notice ID (name
// in kana and birth date, as the city asks); they are booked in the same slot, each for their own
// procedure, and the review page and mail say so. A wrong row books nobody.
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { hiddenFields, loggedInCitizen, post, tapTime } from '../citizen/citizen-agent.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
const day = addDays(today, 10);
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

async function heldPickup(capacity = 3) {
  const counter = await createCounter(t.db);
  const renewal = await offerProcedure(t.db, counter.id, { name: '電子証明書の更新', documents: ['マイナンバーカード', '本人確認書類'] });
  const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 11 * 60, capacity });
  const person = await createCardHolder(t.db);
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  expect((await tapTime(agent, slot.id)).headers.location).toBe('/booking/confirm');
  return { counter, renewal, slot, person, agent };
}

const groupOf = (cardHolderId: number) =>
  t.db.prisma.booking
    .findFirstOrThrow({ where: { cardHolderId } })
    .then((own) => t.db.prisma.booking.findMany({ where: { groupCode: own.groupCode ?? own.code }, orderBy: { id: 'asc' }, include: { applicant: true } }));

describe('a family mixing procedures on the citizen pages', () => {
  it('When a card holder adds a family member coming for a certificate renewal, then the confirm page offers it, the review names them, and both are booked in the slot, each for their procedure', async () => {
    const { renewal, slot, person, agent } = await heldPickup();
    const confirm = await agent.get('/booking/confirm');
    expect(confirm.text).toContain('別の手続きでご一緒の方');
    expect(confirm.text).toContain('電子証明書の更新');
    const sent = await post(agent, '/booking/confirm', '/booking/confirm', {
      email: 'family@example.jp',
      emailAgain: 'family@example.jp',
      other1Procedure: renewal,
      other1NameKana: 'やまだ たろう',
      other1BirthDate: '20100505',
    });
    expect(sent.headers.location).toBe('/booking/review');
    const review = (await agent.get('/booking/review')).text;
    expect(review).toContain('ヤマダタロウ様(電子証明書の更新)');
    expect(review).toContain('2人');
    const done = await agent.post('/booking/complete').type('form').send(hiddenFields(review, '/booking/complete'));
    expect(done.headers.location).toBe('/booking?done=booked');
    const group = await groupOf(person.holder.id);
    expect(group.map((booking) => [booking.cardHolderId, booking.applicant?.nameKana ?? null, booking.procedureCode, booking.slotId])).toEqual([
      [person.holder.id, null, 'pickup', slot.id],
      [null, 'ヤマダタロウ', renewal, slot.id],
    ]);
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).toMatchObject({ booked: 2 });
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: group[0].id } });
    expect(mail.textBody).toContain('電子証明書の更新');
    expect(mail.textBody).toContain('・本人確認書類');
  });

  it('When a row is half filled, names a procedure the counter does not offer, or has an impossible birth date, then the confirm page says which field, keeps no birth date, and nobody is booked', async () => {
    const { renewal, person, agent } = await heldPickup();
    const elsewhere = await offerProcedure(t.db, (await createCounter(t.db)).id, { name: '暗証番号の再設定' });
    const rows: Record<string, string>[] = [
      { other1Procedure: renewal, other1NameKana: '', other1BirthDate: '20100505' },
      { other1Procedure: elsewhere, other1NameKana: 'ヤマダ タロウ', other1BirthDate: '20100505' },
      { other1Procedure: 'pickup', other1NameKana: 'ヤマダ タロウ', other1BirthDate: '20100505' },
      { other1Procedure: renewal, other1NameKana: 'ヤマダ タロウ', other1BirthDate: '20100230' },
      { other2Procedure: renewal, other2NameKana: 'Taro\u0000', other2BirthDate: '20100505' },
    ];
    for (const row of rows) {
      const sent = await post(agent, '/booking/confirm', '/booking/confirm', { email: '', emailAgain: '', ...row });
      expect(sent.headers.location).toBe('/booking/confirm');
      const again = await agent.get('/booking/confirm');
      expect(again.status).toBe(400);
      expect(again.text).toContain('aria-invalid="true"');
      expect(again.text).not.toContain('20100505');
    }
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
  });

  it('When the slot has one place left for a family of two, then completing books neither of them', async () => {
    const { renewal, slot, person, agent } = await heldPickup(1);
    await post(agent, '/booking/confirm', '/booking/confirm', { email: '', emailAgain: '', other1Procedure: renewal, other1NameKana: 'スズキ ハナ', other1BirthDate: '20120303' });
    const review = (await agent.get('/booking/review')).text;
    const done = await agent.post('/booking/complete').type('form').send(hiddenFields(review, '/booking/complete'));
    expect(done.headers.location).toBe('/booking/refused');
    expect(await t.db.prisma.booking.count({ where: { slotId: slot.id } })).toBe(0);
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
  });
});
