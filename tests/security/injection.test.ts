// IPA: SQL injection, HTTP header injection. Inputs full of quotes and SQL reach every search
// field and an import column; they are data, never code.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { commit, csvText, noticeIdFor, settled, sjis, uploadOk } from '../cards/helpers.js';

const PAYLOADS = [
  "' OR '1'='1",
  "'; DROP TABLE card_holders; --",
  '" OR ""="',
  '1) OR (1=1',
  "%' UNION SELECT login_id, password_hash FROM staff_users --",
  "\\'; SELECT pg_sleep(5); --",
];

let t: TestApp;
let admin: Awaited<ReturnType<typeof staffAgent>>;
beforeAll(async () => {
  t = await createTestApp();
  const { user, password } = await createStaff(t.db, { role: 'admin' });
  admin = await staffAgent(t.app, user.loginId, password);
  for (let i = 0; i < 3; i += 1) await createCardHolder(t.db);
});

async function tableCounts() {
  const { rows } = await t.db.pool.query('SELECT (SELECT count(*) FROM card_holders)::int AS holders, (SELECT count(*) FROM staff_users)::int AS staff');
  return rows[0];
}

describe('SQL injection', () => {
  it.each(PAYLOADS)('When %j is typed into every staff search field, then it matches nothing and changes nothing', async (payload) => {
    const before = await tableCounts();
    const q = encodeURIComponent(payload);
    for (const path of [`/staff/cards?q=${q}`, `/staff/mail?q=${q}`, `/staff/console/search?q=${q}`, `/staff/audit?action=${q}&actorId=${q}&targetId=${q}`]) {
      const response = await admin.get(path);
      expect([200, 400], path).toContain(response.status); // 400: too long for the field, refused with a message
      expect(response.text).not.toMatch(/\$2[aby]\$\d\d\$/); // no bcrypt hash ever leaks
    }
    const cards = await admin.get(`/staff/cards?q=${q}`);
    expect(cards.text).not.toContain('試験 太郎'); // the three card holders are not listed
    expect(await tableCounts()).toEqual(before);
  });

  it.each(PAYLOADS)('When %j is typed as a log-in ID (citizen and staff), then it is an ordinary failed log-in', async (payload) => {
    const citizen = browserAgent(t.app);
    const citizenToken = csrfTokenFrom((await citizen.get('/login')).text);
    const citizenTry = await citizen.post('/login').type('form').send({ _csrf: citizenToken, noticeId: payload, birth: "0401' OR '1'='1" });
    expect([400, 401]).toContain(citizenTry.status);
    const staff = browserAgent(t.app);
    const staffToken = csrfTokenFrom((await staff.get('/staff/login')).text);
    const staffTry = await staff.post('/staff/login').type('form').send({ _csrf: staffToken, loginId: payload, password: payload });
    expect(staffTry.status).toBe(401);
  });

  it('When an import file carries SQL in its name column, then the name is stored exactly as written', async () => {
    const counter = await createCounter(t.db);
    await t.db.prisma.counter.update({ where: { id: counter.id }, data: { code: 'inj01' } });
    const name = "Robert'); DROP TABLE card_holders;--";
    const file = sjis(csvText([[noticeIdFor(777), '19800401', name, 'ロバート', '', 'inj01', 'Z-1', '', '']]));
    const batchId = await uploadOk(admin, file);
    expect((await settled(t.db, batchId)).status).toBe('previewed');
    await commit(admin, t.db, batchId);
    const stored = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(777) } });
    expect(stored.name).toBe(name);
  });
});

describe('HTTP header injection', () => {
  it('When a redirect target carries CR/LF, then no header is added and the redirect stays inside the console', async () => {
    const { user, password } = await createStaff(t.db);
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login')).text);
    const response = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: user.loginId, password, next: '/staff\r\nSet-Cookie: injected=1' });
    expect(response.headers.location).toBe('/staff');
    expect(JSON.stringify(response.headers)).not.toContain('injected');
  });
});
