// Search texts (notice IDs, email addresses, parts of names) reach the audit log keyed with the
// pepper and masked, never in clear; an auditor still finds who searched for a notice ID by typing
// it on the audit page, in any spelling the search itself accepts.
import { beforeAll, describe, expect, it } from 'vitest';
import { auditTextKey, keyedText } from '../../src/features/staff/audit.js';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { createBooking } from '../helpers/bookings.js';
import { createCardHolder, createCounter } from '../helpers/factories.js';
import { signedInStaff } from '../helpers/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const pepper = TEST_SECRETS.birthDatePepper;
const auditRowsOf = async (actorId: number) =>
  (await t.db.pool.query<{ action: string; row: string }>(`SELECT action, row_to_json(a)::text AS row FROM audit_logs a WHERE actor_id = $1 ORDER BY id`, [String(actorId)])).rows;
const fullWidth = (text: string) => text.replace(/\d/g, (digit) => String.fromCharCode(digit.charCodeAt(0) + 0xfee0));

describe('search texts in the audit log', () => {
  it('When a clerk searches cards, people and mail by notice ID, email and name, then no audit row holds any of them in clear', async () => {
    const counter = await createCounter(t.db);
    const person = await createCardHolder(t.db, { counterId: counter.id });
    await createBooking(t.db, { counterId: counter.id, cardHolderId: person.holder.id, email: 'hanako.audit@example.jp', date: '2030-01-10' });
    const { user, agent } = await signedInStaff(t, 'staff');
    expect((await agent.get('/staff/cards').query({ q: person.noticeId })).status).toBe(200);
    expect((await agent.get('/staff/cards/export.csv').query({ q: '試験' })).status).toBe(200);
    expect((await agent.get('/staff/console/search').query({ q: 'hanako.audit@example.jp' })).status).toBeLessThan(400);
    expect((await agent.get('/staff/console/search').query({ q: person.noticeId })).status).toBe(303);
    expect((await agent.get('/staff/mail').query({ q: 'HANAKO.AUDIT@example.jp' })).status).toBe(200);

    const rows = await auditRowsOf(user.id);
    expect(rows.map((row) => row.action)).toEqual(expect.arrayContaining(['cards.search', 'cards.export', 'console.search', 'mail.search']));
    for (const { row } of rows) {
      expect(row).not.toContain(person.noticeId);
      expect(row.toLowerCase()).not.toContain('hanako.audit');
      expect(row).not.toContain('試験');
    }
    const cardSearch = rows.find((row) => row.action === 'cards.search')!;
    expect(cardSearch.row).toContain(auditTextKey(pepper, person.noticeId));
    expect(JSON.parse(cardSearch.row).detail.filter.q).toEqual(keyedText(pepper, person.noticeId));
  });

  it('When the same notice ID is typed full-width with hyphens, or an address in capitals, then it keys alike', () => {
    const noticeId = '123456789012';
    expect(auditTextKey(pepper, fullWidth('1234-5678-9012'))).toBe(auditTextKey(pepper, noticeId));
    expect(auditTextKey(pepper, ' Hanako@Example.JP ')).toBe(auditTextKey(pepper, 'hanako@example.jp'));
    expect(auditTextKey(pepper, noticeId)).not.toBe(auditTextKey('another-pepper-another-pepper-0000000', noticeId));
    expect(keyedText(pepper, 'hanako@example.jp')).toMatchObject({ masked: 'h*****@e********' });
  });

  it('When an auditor types a notice ID on the audit page, then it lists who searched for it and who opened that card holder, with masked texts only', async () => {
    const counter = await createCounter(t.db);
    const wanted = await createCardHolder(t.db, { counterId: counter.id });
    const other = await createCardHolder(t.db, { counterId: counter.id });
    const { user: clerk, agent: clerkAgent } = await signedInStaff(t, 'staff');
    await clerkAgent.get('/staff/cards').query({ q: wanted.noticeId });
    await clerkAgent.get('/staff/cards').query({ q: other.noticeId });
    await clerkAgent.get(`/staff/console/holders/${wanted.holder.id}`);
    const { agent: auditor } = await signedInStaff(t, 'admin');

    const page = await auditor.get('/staff/audit').query({ text: fullWidth(wanted.noticeId), actorId: String(clerk.id) });
    expect(page.status).toBe(200);
    expect(page.text).toContain('カード情報の検索');
    expect(page.text).toContain('対象者の閲覧');
    expect(page.text).toContain(auditTextKey(pepper, wanted.noticeId));
    expect(page.text).not.toContain(auditTextKey(pepper, other.noticeId));
    expect(page.text).not.toContain(wanted.noticeId);
    expect(page.text).toContain('検索された語');

    const nobody = await auditor.get('/staff/audit').query({ text: 'never-searched@example.jp', actorId: String(clerk.id) });
    expect(nobody.status).toBe(200);
    expect(nobody.text).not.toContain('カード情報の検索');
  });

  it('When the audit page gets a NUL byte, a huge text or the field twice, then it answers 200 and lists as without the field', async () => {
    const { agent: auditor } = await signedInStaff(t, 'admin');
    for (const query of ['text=%00', `text=${'x'.repeat(5000)}`, 'text=a&text=b', 'text=99999999999999999999999']) {
      const response = await auditor.get(`/staff/audit?${query}`);
      expect(response.status, query).toBe(200);
    }
  });
});
