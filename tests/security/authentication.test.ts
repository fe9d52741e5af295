// Authentication details not covered beside their features: no user enumeration by timing for
// staff, CSRF on the JSON endpoint, and what a log-in writes to the logs.
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { BCRYPT_COST, hashPassword } from '../../src/features/staff/passwords.js';
import { capturingLogger, createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';

let t: TestApp;
let lines: string[];
beforeAll(async () => {
  const capture = capturingLogger();
  lines = capture.lines;
  t = await createTestApp({}, capture.logger);
});

async function timedStaffLogin(loginId: string, password: string): Promise<number> {
  const agent = browserAgent(t.app);
  const token = csrfTokenFrom((await agent.get('/staff/login')).text);
  const started = performance.now();
  const response = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId, password });
  expect(response.status).toBe(401);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('staff log-in gives nothing away', () => {
  it('When the ID is unknown, then a failed log-in takes about as long as a wrong password for a known ID (no enumeration by timing)', async () => {
    expect(BCRYPT_COST).toBeGreaterThanOrEqual(12);
    const { user } = await createStaff(t.db);
    await t.db.prisma.staffUser.update({ where: { id: user.id }, data: { passwordHash: await hashPassword('The-real-password-1') } }); // real cost, as in production
    const unknown: number[] = [];
    const known: number[] = [];
    // Interleaved, so a burst of load on the shared machine hits both; medians drop the outliers.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await t.db.prisma.staffUser.update({ where: { id: user.id }, data: { failedLogins: 0, lockedUntil: null } }); // stay below the lockout
      known.push(await timedStaffLogin(user.loginId, `Wrong-password-${attempt}`));
      unknown.push(await timedStaffLogin(`nobody-${attempt}`, `Wrong-password-${attempt}`));
    }
    const ratio = median(unknown) / median(known);
    // A path that skipped (or doubled) the bcrypt work would be off by a factor of many.
    expect(ratio, `unknown ${unknown.map(Math.round)} ms, known ${known.map(Math.round)} ms`).toBeGreaterThan(0.5);
    expect(ratio, `unknown ${unknown.map(Math.round)} ms, known ${known.map(Math.round)} ms`).toBeLessThan(2);
  });
});

describe('citizen log-in and JSON endpoints', () => {
  it('When the session-extend endpoint is called without the CSRF header, then it is refused', async () => {
    const person = await createCardHolder(t.db, { mmdd: '1231' });
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/login')).text);
    expect((await agent.post('/login').type('form').send({ _csrf: token, noticeId: person.noticeId, birth: '1231' })).status).toBe(303);
    const refused = await agent.post('/session/extend').set('Accept', 'application/json');
    expect(refused.status).toBe(403);
    const forged = await agent.post('/session/extend').set('X-CSRF-Token', 'forged').set('Accept', 'application/json');
    expect(forged.status).toBe(403);
  });

  it('When citizens log in, then neither the notice ID with its birth date nor the form body is logged', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0817' });
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/login')).text);
    await agent.post('/login').type('form').send({ _csrf: token, noticeId: person.noticeId, birth: '0817' });
    const all = lines.join('\n');
    expect(all).not.toMatch(/"birth"|0817"/);
    expect(all).not.toContain(`${person.noticeId}:0817`);
  });

  it('When a response is an error, then it carries no framework or version banner', async () => {
    const response = await request(t.app).get('/no-such-page');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers.server).toBeUndefined();
  });
});
