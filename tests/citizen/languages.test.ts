// Citizens read the site, its mails and calendar files in Japanese, やさしい日本語, English,
// Chinese (simplified and traditional) or Korean (issue 16.1); staff screens stay Japanese and
// show the language a citizen booked in.
import { beforeAll, describe, expect, it } from 'vitest';
import { queueTomorrowsReminders } from '../../src/features/booking/reminders.js';
import { loadLocales } from '../../src/lib/i18n.js';
import { addDays } from '../../src/lib/jst.js';
import { CITIZEN_LANGUAGES, isCitizenKey } from '../../src/lib/languages.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { signedInStaff } from '../helpers/staff.js';
import { inTx } from '../helpers/tx.js';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { book, loggedInCitizen } from './citizen-agent.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
const locales = loadLocales();
const japanese = locales.get('ja')!;
const citizenKeys = Object.keys(japanese).filter(isCitizenKey);
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
/** A message key on a page: what a missing translation would show. */
const SHOWN_KEY = /\b(?:app|citizen|error|validation|nav|lang|booking|mail|status|floor)\.[a-zA-Z]+(?:\.[a-zA-Z_]+)*\b/;
/** What a page shows: its text and the attributes read aloud, not its markup, links or styles. */
const shown = (html: string) =>
  [...html.replace(/<(script|style)[\s\S]*?<\/\1>/g, '').matchAll(/(?:aria-label|title|alt|placeholder)="([^"]*)"|>([^<]+)</g)].map((match) => match[1] ?? match[2]).join('\n');

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe('the citizen languages', () => {
  it('When the locale files are read, then every language has every citizen text, with the same placeholders and nothing left empty', () => {
    expect(citizenKeys.length).toBeGreaterThan(250);
    const problems: string[] = [];
    for (const { code } of CITIZEN_LANGUAGES.filter((language) => language.code !== 'ja')) {
      const messages = locales.get(code) ?? {};
      for (const key of citizenKeys) {
        const text = messages[key];
        if (text === undefined || text.trim() === '') problems.push(`${code}: ${key} missing`);
        else if (placeholders(text).join() !== placeholders(japanese[key]).join())
          problems.push(`${code}: ${key} placeholders ${placeholders(text)} ≠ ${placeholders(japanese[key])}`);
      }
      for (const key of Object.keys(messages)) if (!(key in japanese)) problems.push(`${code}: ${key} is not a key of ja`);
    }
    expect(problems).toEqual([]);
  });

  it('When a browser asks for a language, then the page is in the best match; a choice on the switch is kept in a cookie; an unknown one changes nothing', async () => {
    const pageIn = async (headers: Record<string, string>, path = '/login') => {
      const response = await browserAgent(t.app).get(path).set(headers);
      expect(response.status).toBe(200);
      return /<html lang="([^"]+)">/.exec(response.text)![1];
    };
    expect(await pageIn({ 'accept-language': 'en-US,en;q=0.9,ja;q=0.8' })).toBe('en');
    expect(await pageIn({ 'accept-language': 'zh-TW' })).toBe('zh-Hant');
    expect(await pageIn({ 'accept-language': 'zh-HK,zh;q=0.9' })).toBe('zh-Hant');
    expect(await pageIn({ 'accept-language': 'zh-CN,zh;q=0.9' })).toBe('zh-Hans');
    expect(await pageIn({ 'accept-language': 'fr-FR, ko;q=0.5' })).toBe('ko');
    expect(await pageIn({ 'accept-language': 'fr-FR, de;q=0.5' })).toBe('ja');
    expect(await pageIn({ 'accept-language': 'en;q=0, ko' })).toBe('ko');
    expect(await pageIn({ 'accept-language': ';;,q=,zz-Hant;q=abc,*' })).toBe('ja');

    const agent = browserAgent(t.app);
    const chosen = await agent.get('/login?lang=ko').set('accept-language', 'en');
    expect(String(chosen.headers['set-cookie'])).toMatch(/lang=ko;.*HttpOnly/i);
    expect(chosen.text).toContain('<html lang="ko">');
    expect((await agent.get('/login').set('accept-language', 'en')).text).toContain('<html lang="ko">');
    for (const odd of ['xx', 'EN', 'ja-easy%00', '', '%E3%81%82']) {
      const response = await agent.get(`/login?lang=${odd}`);
      expect(response.status, odd).toBe(200);
      expect(response.text, odd).toContain('<html lang="ko">');
    }
    const doubled = await agent.get('/login?lang=en&lang=zh-Hans');
    expect(doubled.status).toBe(200);
    expect(doubled.text).toContain('<html lang="ko">');
  });

  it('When a citizen page is shown, then its switch names every language in its own script, marks the current one and keeps the rest of the address', async () => {
    const counter = await createCounter(t.db);
    const person = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
    const page = await agent.get(`/booking/counters/${counter.id}?month=${today.slice(0, 7)}&lang=zh-Hans`);
    expect(page.status).toBe(200);
    const links = [...page.text.matchAll(/<a href="([^"]+)" lang="([^"]+)" hreflang="[^"]+"( aria-current="true")?>([^<]+)<\/a>/g)].map((match) => ({
      href: match[1].replace(/&amp;/g, '&'),
      current: Boolean(match[3]),
      name: match[4],
    }));
    expect(links.map((link) => link.name)).toEqual(['日本語', 'やさしい にほんご', 'English', '简体中文', '繁體中文', '한국어']);
    expect(links.filter((link) => link.current).map((link) => link.name)).toEqual(['简体中文']);
    expect(links[2].href).toBe(`/booking/counters/${counter.id}?month=${today.slice(0, 7)}&lang=en`);
    expect(page.text).toMatch(/<th scope="col">周日<\/th>/);
  });

  it('When staff pages are asked for in English, then they stay Japanese', async () => {
    const { agent: staff } = await signedInStaff(t);
    const page = await staff.get('/staff/console?lang=en').set('accept-language', 'en');
    expect(page.text).toContain('<html lang="ja">');
    expect(String(page.headers['set-cookie'] ?? '')).not.toMatch(/lang=/);
  });

  for (const { code } of CITIZEN_LANGUAGES) {
    it(`When a citizen books in ${code}, then the pages show no message key, the booking keeps the language, and its mails and reminder come in it`, async () => {
      const counter = await createCounter(t.db);
      const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 1), startMinute: 9 * 60, capacity: 3 });
      const person = await createCardHolder(t.db);
      const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
      await agent.get(`/booking?lang=${code}`);
      const ticket = await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK, now }));
      for (const path of [
        '/booking',
        '/booking/counters',
        `/booking/counters/${counter.id}`,
        `/booking/counters/${counter.id}/days/${slot.date.toISOString().slice(0, 10)}`,
        '/status',
        `/floor/${counter.code}`,
        `/tickets/${ticket.token}`,
        '/login',
        '/apply',
      ]) {
        const page = await agent.get(path);
        expect(shown(page.text), `${code} ${path}`).not.toMatch(SHOWN_KEY);
      }
      const done = await book(agent, slot.id, `lang-${code}@example.jp`);
      expect(done.headers.location).toBe('/booking?done=booked');
      expect(shown((await agent.get('/booking?done=booked')).text)).not.toMatch(SHOWN_KEY);
      const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { cardHolderId: person.holder.id } });
      expect(booking.language).toBe(code);

      const t9n = (key: string) => (locales.get(code) ?? japanese)[key] ?? japanese[key];
      const mails = async (kind: string) => t.db.prisma.outboxMessage.findMany({ where: { toAddress: `lang-${code}@example.jp`, kind } });
      const [confirmation] = await mails('booking.confirmation');
      expect(confirmation.textBody).toContain(t9n('mail.field.when'));
      expect(confirmation.textBody).not.toMatch(SHOWN_KEY);
      await inTx(t.db, (tx) => queueTomorrowsReminders(tx, now, 'http://127.0.0.1'));
      const [reminder] = await mails('booking.reminder');
      expect(reminder.subject.startsWith(t9n('mail.reminder.subject').split('{')[0])).toBe(true);
      expect(reminder.textBody).toContain(t9n('mail.field.when'));
    });
  }

  it('When a person without a notice ID asks for an email code on a Korean page, then the code mail is in Korean', async () => {
    await t.db.prisma.procedure.create({ data: { code: 'lang-renewal', name: '電子証明書の更新', needsNoticeId: false } });
    await t.db.prisma.counter.create({ data: { code: 'lang-center', name: '申請センター', windows: 1, procedures: { create: [{ procedureCode: 'lang-renewal' }] } } });
    const agent = browserAgent(t.app);
    const page = await agent.get('/apply/lang-renewal?lang=ko');
    expect(page.status).toBe(200);
    const sent = await agent
      .post('/apply/lang-renewal')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), email: 'ko-code@example.jp', emailAgain: 'ko-code@example.jp' });
    expect(sent.status, sent.text).toBe(303);
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { toAddress: 'ko-code@example.jp', kind: 'email.verification' } });
    expect(mail.subject).toBe(locales.get('ko')!['citizen.verify.mail.subject']);
  });

  it('When a citizen booked in English, then the console shows 英語 beside how the booking was made', async () => {
    const booking = await t.db.prisma.booking.findFirstOrThrow({ where: { language: 'en' } });
    const { agent: staff } = await signedInStaff(t);
    const page = await staff.get(`/staff/console/holders/${booking.cardHolderId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Web・英語');
  });
});
