// IPA: cross-site scripting. Whatever a user or an import writes is shown back as text on every
// page that shows it; the CSP forbids inline script as a second line of defence.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jstInstant, addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';

const SCRIPT = '<script>alert("xss")</script>';
const ATTRIBUTE = '" onmouseover="alert(1)';

let t: TestApp;
let admin: Awaited<ReturnType<typeof staffAgent>>;
let counterId: number;
let citizen: { noticeId: string; mmdd: string };
beforeAll(async () => {
  t = await createTestApp();
  const { user, password } = await createStaff(t.db, { role: 'admin' });
  admin = await staffAgent(t.app, user.loginId, password);
  const counter = await createCounter(t.db);
  counterId = counter.id;
  await t.db.prisma.counter.update({ where: { id: counter.id }, data: { name: `窓口${SCRIPT}`, address: `住所${ATTRIBUTE}`, accessNotes: SCRIPT } });
  const day = addDays(todayInJapan(), 7);
  await createSlot(t.db, { counterId, date: day, capacity: 5 });
  const holder = await createCardHolder(t.db, { counterId });
  citizen = holder;
  await t.db.prisma.cardHolder.update({ where: { id: holder.holder.id }, data: { name: `氏名${SCRIPT}`, storagePlace: ATTRIBUTE } });
  await t.db.prisma.outboxMessage.create({
    data: { dedupeKey: 'xss', kind: 'test', toAddress: `a${SCRIPT}@example.jp`, subject: SCRIPT, textBody: SCRIPT, htmlBody: `<p>${SCRIPT}</p>` },
  });
  void jstInstant;
});

function expectEscaped(html: string, where: string) {
  expect(html, where).not.toContain(SCRIPT);
  expect(html, where).not.toContain(ATTRIBUTE);
}

describe('XSS', () => {
  it('When staff pages show counter, card holder and mail fields written with markup, then the markup is text', async () => {
    const holder = await t.db.prisma.cardHolder.findFirstOrThrow({ where: { noticeId: citizen.noticeId } });
    const mail = await t.db.prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: 'xss' } });
    for (const page of [
      '/staff/schedule',
      `/staff/schedule/counters/${counterId}`,
      `/staff/cards?q=${citizen.noticeId}`,
      `/staff/cards/${holder.id}`,
      '/staff/mail',
      `/staff/mail/${mail.id}`,
    ]) {
      const response = await admin.get(page);
      expect(response.status, page).toBe(200);
      expectEscaped(response.text, page);
    }
  });

  it('When a citizen sees the counter list, then counter fields written with markup are text', async () => {
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/login')).text);
    const login = await agent.post('/login').type('form').send({ _csrf: token, noticeId: citizen.noticeId, birth: citizen.mmdd });
    expect(login.status).toBe(303);
    const page = await agent.get('/booking/counters');
    expect(page.status).toBe(200);
    expect(page.text).toContain('&lt;script&gt;');
    expectEscaped(page.text, '/booking/counters');
  });

  it('When a search term carries markup, then it is echoed back as text', async () => {
    const response = await admin.get(`/staff/cards?q=${encodeURIComponent(SCRIPT)}`);
    expectEscaped(response.text, 'cards search');
    const audit = await admin.get(`/staff/audit?action=${encodeURIComponent(ATTRIBUTE)}`);
    expectEscaped(audit.text, 'audit search');
  });

  it('Every unescaped output (<%-) in the views is an include, the layout body or markup built by our code', async () => {
    // manual.html: a manual rendered by renderMarkdown, which lets no markup of the file through (tests/help/manuals.test.ts).
    // noticeBarcode and qrCode: SVG drawn by bwip-js from a notice ID or a ticket's address.
    const allowed = /<%-\s*(include\(|body\s*%>|locals\.headerExtra|locals\.attrs|noticeBarcode\(|qrCode\(|describe\(|error\(|manual\.html\s*%>)/;
    const offenders: string[] = [];
    for (const file of (await readdir('views', { recursive: true })).filter((name) => name.endsWith('.ejs'))) {
      const text = await readFile(path.join('views', file), 'utf8');
      for (const match of text.matchAll(/<%-[^%]*%>/g)) if (!allowed.test(match[0])) offenders.push(`${file}: ${match[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
