// The card logistics pages over HTTP (issue 19.1): a clerk makes, prints and ships a list, the
// destination scans the cards in (the reader types the ID and Enter into the focused field),
// returned letters and a stock count by scanning with CSV; operators see a card's transfers but
// not the work; clerks work only at their sites; hostile input is a Japanese 400, never a 500.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { addDays } from '../../src/lib/jst.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, createStaff, randomNoticeId } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { signedInStaff, staffAgent } from '../helpers/staff.js';

const { today } = pinClock(WORKING_WEDNESDAY);
const JAPANESE = /[ぁ-んァ-ヶ一-龯]/;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

type Agent = Awaited<ReturnType<typeof signedInStaff>>['agent'];

/** Posts a form from `pagePath` (its CSRF token) as a browser would. */
/** What a page shows a reader (tags and attributes left out). */
const visibleText = (html: string) => html.replace(/<script[\s\S]*?<\/script>|<[^>]*>/g, ' ');
/** Codes that must never reach a page: actor keys, transfer and shipment statuses, reasons. */
const INTERNAL_CODE = /staff:\d|\b(requested|shipped|received|cancelled|preparing|closed|booking_moved|booking_ended|handed_over|card_cancelled|site_changed|clerk)\b/;

async function post(agent: Agent, pagePath: string, action: string, fields: Record<string, string | string[]> = {}) {
  const token = csrfTokenFrom((await agent.get(pagePath)).text);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: token, ...fields });
}

/** A center with `n` cards each booked at a ward. */
async function bookedAtWard(n: number) {
  const center = await createCounter(t.db, { name: '交付センター' });
  const ward = await createCounter(t.db, { name: '北区役所' });
  const slot = await createSlot(t.db, { counterId: ward.id, date: addDays(today, 7), capacity: n + 1 });
  const cards = [];
  for (let i = 0; i < n; i += 1) {
    const card = await createCardHolder(t.db, { counterId: center.id });
    await transaction(t.db, STAFF_ACTOR, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [card.holder.id], channel: 'phone', by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }));
    cards.push(card);
  }
  return { center, ward, cards };
}

describe('shipping and receiving pages', () => {
  it('When a clerk makes, prints and ships a list and the ward scans the cards in, then each scan answers in Japanese and finishing shows the missing card', async () => {
    const { center, ward, cards } = await bookedAtWard(2);
    const { agent } = await signedInStaff(t, 'staff');
    const overview = await agent.get(`/staff/logistics?counterId=${center.id}`);
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('北区役所');
    expect(overview.text).toContain('2枚');
    const made = await post(agent, `/staff/logistics?counterId=${center.id}`, `/staff/logistics/sites/${center.id}/shipments`, { to: String(ward.id) });
    expect(made.status, made.text).toBe(303);
    const listPath = made.headers.location;
    const shipmentNumber = `第${listPath.split('/').pop()}号`;
    // The list is on both sites' overviews until it is finished.
    expect((await agent.get(`/staff/logistics?counterId=${center.id}`)).text).toContain(shipmentNumber);
    expect((await agent.get(`/staff/logistics?counterId=${ward.id}`)).text).toContain(shipmentNumber);
    const list = await agent.get(listPath);
    expect(list.text).toContain('発送者');
    expect(list.text).toContain('受領者');
    expect(list.text).toContain('合計 2枚');
    expect(list.text.match(/<svg/g)?.length).toBe(2);
    expect((await post(agent, listPath, `${listPath}/ship`)).status).toBe(303);

    const receivePath = `/staff/logistics/sites/${ward.id}/receive`;
    const page = await agent.get(receivePath);
    expect(page.text).toMatch(/<input id="code" name="code" autofocus/);
    const first = await post(agent, receivePath, receivePath, { code: cards[0].noticeId, storagePlace: '北-棚1' });
    expect(first.status).toBe(200);
    expect(first.text).toContain('受領しました');
    expect(first.text).toContain('北-棚1');
    const again = await post(agent, receivePath, receivePath, { code: cards[0].noticeId, storagePlace: '' });
    expect(again.text).toContain('受領済みです');
    const stranger = await post(agent, receivePath, receivePath, { code: randomNoticeId(), storagePlace: '' });
    expect(stranger.text).toContain('登録されていません');

    const finished = await post(agent, listPath, `${listPath}/finish`);
    expect(finished.status).toBe(303);
    const closed = await agent.get(finished.headers.location);
    expect(closed.text).toContain('届かなかったカード(1枚)');
    expect(closed.text).toContain(cards[1].noticeId);
    expect(visibleText(closed.text)).not.toMatch(INTERNAL_CODE);
    expect(visibleText((await agent.get(`/staff/cards/${cards[0].holder.id}`)).text)).not.toMatch(INTERNAL_CODE);
    // The ward's pull list: the card still on its way is flagged so, the received one no more.
    const pull = await agent.get(`/staff/cards/pull-list?counterId=${ward.id}&date=${addDays(today, 7)}`);
    expect(pull.text).toContain('保管場所: 交付センター — 移送が必要(輸送中)');
    expect(pull.text.match(/移送が必要/g)).toHaveLength(1);
  });

  it('When an operator opens a card that is on its way, then the card page shows the transfer in Japanese, but the logistics pages are refused', async () => {
    const { center, cards } = await bookedAtWard(1);
    const { agent } = await signedInStaff(t, 'operator');
    const card = await agent.get(`/staff/cards/${cards[0].holder.id}`);
    expect(card.status).toBe(200);
    expect(card.text).toContain('移送依頼中(未発送)');
    expect(card.text).toContain('予約による移送');
    expect(card.text).not.toContain('requested');
    const consolePage = await agent.get(`/staff/console/holders/${cards[0].holder.id}`);
    expect(consolePage.text).toContain('移送依頼中(未発送)');
    expect(consolePage.text).toContain('(交付センター → 北区役所)');
    expect((await agent.get(`/staff/logistics?counterId=${center.id}`)).status).toBe(403);
    expect((await agent.get(`/staff/logistics/sites/${center.id}/receive`)).status).toBe(403);
  });

  it('When a clerk limited to the ward opens the center’s pages or its list, then each is refused with a 403; their own site works', async () => {
    const { center, ward } = await bookedAtWard(1);
    const { user, password } = await createStaff(t.db, { role: 'staff', counterIds: [ward.id] });
    const agent = await staffAgent(t.app, user.loginId, password);
    expect((await agent.get(`/staff/logistics?counterId=${center.id}`)).status).toBe(403);
    expect((await agent.get(`/staff/logistics/sites/${center.id}/returns`)).status).toBe(403);
    expect((await agent.get(`/staff/logistics/sites/${center.id}/counts`)).status).toBe(403);
    const refused = await post(agent, `/staff/logistics`, `/staff/logistics/sites/${center.id}/shipments`, { to: String(ward.id) });
    expect(refused.status).toBe(403);
    expect((await agent.get(`/staff/logistics/sites/${ward.id}/receive`)).status).toBe(200);
  });

  it('When a clerk asks for a card from its page and then calls the request off, then the page says so each time', async () => {
    const center = await createCounter(t.db, { name: '交付センター' });
    const annex = await createCounter(t.db, { name: '分室' });
    const { holder } = await createCardHolder(t.db, { counterId: center.id });
    const { agent } = await signedInStaff(t, 'staff');
    const cardPath = `/staff/cards/${holder.id}`;
    const asked = await post(agent, cardPath, `${cardPath}/transfers`, { to: String(annex.id) });
    expect(asked.headers.location).toBe(`${cardPath}?transfer=requested`);
    const shown = await agent.get(asked.headers.location);
    expect(shown.text).toContain('移送を依頼しました');
    expect(shown.text).toContain('職員の依頼');
    // While the request is open, the page offers no second one.
    expect(shown.text).not.toContain(`action="${cardPath}/transfers"`);
    const transfer = await t.db.prisma.cardTransfer.findFirstOrThrow({ where: { cardHolderId: holder.id } });
    const cancelled = await post(agent, cardPath, `/staff/logistics/transfers/${transfer.id}/cancel`);
    expect(cancelled.headers.location).toBe(`${cardPath}?transfer=cancelled`);
    const afterCancel = (await agent.get(cancelled.headers.location)).text;
    expect(afterCancel).toContain('職員が取り消したため');
    expect(visibleText(afterCancel)).not.toMatch(INTERNAL_CODE);
    expect(afterCancel).toContain(`action="${cardPath}/transfers"`);
  });
});

describe('returned letters and stock count pages', () => {
  it('When returned letters are scanned on the returns page, then the card is listed with its reason and the CSV opens in Excel', async () => {
    const site = await createCounter(t.db, { name: '南区役所' });
    const card = await createCardHolder(t.db, { counterId: site.id });
    const { agent } = await signedInStaff(t, 'staff');
    const path = `/staff/logistics/sites/${site.id}/returns`;
    const scanned = await post(agent, path, path, { code: card.noticeId, reason: 'returnedRefused' });
    expect(scanned.text).toContain('返戻(通知書不着)にしました');
    expect(scanned.text).toContain('返戻(受取拒否)');
    const csv = await agent.get(`${path}.csv`).buffer(true);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const text = csv.body instanceof Buffer ? csv.body.toString('utf8') : csv.text;
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text).toContain(card.noticeId);
    expect(text).toContain('返戻(受取拒否)');
  });

  it('When a site is counted on its pages, then the finished count lists the missing and unexpected cards, printable and as CSV', async () => {
    const site = await createCounter(t.db, { name: '東区役所' });
    const [here, lost] = [await createCardHolder(t.db, { counterId: site.id }), await createCardHolder(t.db, { counterId: site.id })];
    const { agent } = await signedInStaff(t, 'staff');
    const started = await post(agent, `/staff/logistics/sites/${site.id}/counts`, `/staff/logistics/sites/${site.id}/counts`);
    const countPath = started.headers.location;
    expect(countPath).toMatch(/^\/staff\/logistics\/counts\/\d+$/);
    expect((await post(agent, countPath, `${countPath}/scan`, { code: here.noticeId })).text).toContain('読み取りました');
    expect((await post(agent, countPath, `${countPath}/scan`, { code: here.noticeId })).text).toContain('読み取り済みです(2回目)');
    const stray = randomNoticeId();
    expect((await post(agent, countPath, `${countPath}/scan`, { code: stray })).text).toContain('登録されていない通知書番号です');
    expect((await post(agent, countPath, `${countPath}/finish`)).status).toBe(303);
    const result = await agent.get(countPath);
    const counts = await agent.get(`/staff/logistics/sites/${site.id}/counts`);
    expect(counts.status).toBe(200);
    expect(counts.text).toContain(`href="${countPath}"`);
    expect(result.text).toContain('不足: あるはずなのに読み取られなかったカード(1枚)');
    expect(result.text).toContain(lost.noticeId);
    expect(result.text).toContain('予定外: 読み取ったが、ここにあるはずのないカード(1枚)');
    const csv = await agent.get(`${countPath}/findings.csv`).buffer(true);
    const text = csv.body instanceof Buffer ? csv.body.toString('utf8') : csv.text;
    expect(text).toContain(lost.noticeId);
    expect(text).toContain('不足');
    const late = await post(agent, countPath, `${countPath}/scan`, { code: lost.noticeId });
    expect(late.status).toBe(409);
    expect(late.text).toContain('この棚卸はもう終わっています');
  });
});

describe('hostile input', () => {
  it('When scans carry NUL bytes, doubled fields, huge or foreign values, then each is a 400 in Japanese and nothing changes', async () => {
    const { center, ward, cards } = await bookedAtWard(1);
    const { agent } = await signedInStaff(t, 'admin');
    const receive = `/staff/logistics/sites/${ward.id}/receive`;
    const countPath = (await post(agent, `/staff/logistics/sites/${center.id}/counts`, `/staff/logistics/sites/${center.id}/counts`)).headers.location;
    const shelf = () => t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: cards[0].holder.id }, select: { storagePlace: true, counterId: true } });
    const before = await shelf();
    const cases: [string, string, Record<string, string | string[]>][] = [
      [receive, receive, { code: `${cards[0].noticeId}\u0000`, storagePlace: '' }],
      [receive, receive, { code: [cards[0].noticeId, cards[0].noticeId], storagePlace: '' }],
      [receive, receive, { code: cards[0].noticeId, storagePlace: `棚\u0000` }],
      [receive, receive, { code: cards[0].noticeId, storagePlace: ['棚1', '棚2'] }],
      [receive, receive, { code: cards[0].noticeId, storagePlace: '棚'.repeat(101) }],
      [receive, receive, { code: '9'.repeat(500) }],
      [receive, receive, { code: '<script>' }],
      [`/staff/logistics/sites/${ward.id}/returns`, `/staff/logistics/sites/${ward.id}/returns`, { code: cards[0].noticeId, reason: 'fire' }],
      [`/staff/logistics/sites/${ward.id}/returns`, `/staff/logistics/sites/${ward.id}/returns`, { code: cards[0].noticeId, reason: ['returnedMoved', 'returnedRefused'] }],
      [`/staff/logistics/sites/${ward.id}/returns`, `/staff/logistics/sites/${ward.id}/returns`, { code: cards[0].noticeId, reason: 'returnedMoved\u0000' }],
      [`/staff/logistics/sites/${ward.id}/returns`, `/staff/logistics/sites/${ward.id}/returns`, { code: `\u0000${cards[0].noticeId}`, reason: 'returnedMoved' }],
      [countPath, `${countPath}/scan`, { code: ['1', '2'] }],
      [countPath, `${countPath}/scan`, { code: `${cards[0].noticeId}\u0000` }],
      [countPath, `${countPath}/scan`, { code: '2147483648' }],
      [`/staff/logistics`, `/staff/logistics/sites/${center.id}/shipments`, { to: '99999999999999999999' }],
      [`/staff/logistics`, `/staff/logistics/sites/${center.id}/shipments`, { to: '2147483648' }],
      [`/staff/logistics`, `/staff/logistics/sites/${center.id}/shipments`, { to: [String(ward.id), String(ward.id)] }],
      [`/staff/cards/${cards[0].holder.id}`, `/staff/cards/${cards[0].holder.id}/transfers`, { to: '\u0000' }],
    ];
    for (const [page, action, fields] of cases) {
      const response = await post(agent, page, action, fields);
      expect(response.status, `${action} ${JSON.stringify(fields)}`).toBe(400);
      expect(response.text).toMatch(JAPANESE);
    }
    expect(await t.db.prisma.cardTransfer.count({ where: { cardHolderId: cards[0].holder.id, status: { not: 'requested' } } })).toBe(0);
    expect(await t.db.prisma.stockCountScan.count({ where: { stockCountId: Number(countPath.split('/').pop()) } })).toBe(0);
    expect(await shelf()).toEqual(before);
    expect((await agent.get('/staff/logistics/shipments/99999999999')).status).toBe(404);
    for (const path of ['/staff/logistics/shipments/2147483648', '/staff/logistics/counts/2147483648', `/staff/logistics/sites/2147483648/receive`]) {
      const response = await agent.get(path);
      expect(response.status, path).toBe(404);
      expect(response.text).toMatch(JAPANESE);
    }
    expect((await agent.get(`/staff/logistics?counterId=${'9'.repeat(30)}`)).status).toBe(400);
    expect((await agent.get('/staff/logistics?counterId=2147483648')).status).toBe(400);
    expect(await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: cards[0].holder.id }, select: { status: true } })).not.toEqual({ status: 'returned_undelivered' });
  });
});
