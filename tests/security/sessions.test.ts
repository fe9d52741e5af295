// Staff sessions, seen from the browser: a log-in gets a new session id (no fixation), a log-out
// ends the session for every copy of the cookie, idle and absolute time-outs end it on the
// server, and the cookie carries the flags that keep scripts and other sites away from it.
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

/** The `name=value` of the session cookie a response sets, with its attributes. */
function sessionCookie(response: request.Response, name = 'sid') {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith(`${name}=`));
  if (!header) throw new Error(`no ${name} cookie set`);
  const [pair, ...attributes] = header.split(/;\s*/);
  return { pair, attributes: attributes.map((attribute) => attribute.toLowerCase()), expires: new Date(attributes.find((a) => /^expires=/i.test(a))!.slice(8)) };
}

/** Logs in through the form; returns the cookie from before the log-in, and the one it set. */
async function logIn(on: TestApp = t, headers: Record<string, string> = {}, name = 'sid') {
  const { app } = on;
  const { user, password } = await createStaff(on.db);
  const page = await request(app).get('/staff/login').set(headers);
  const before = sessionCookie(page, name).pair; // the anonymous session holding the form's CSRF secret
  const response = await request(app)
    .post('/staff/login')
    .set(headers)
    .set('Cookie', before)
    .type('form')
    .send({ _csrf: csrfTokenFrom(page.text), loginId: user.loginId, password });
  expect(response.status, response.text).toBe(303);
  return { user, before, after: sessionCookie(response, name), loggedInAt: Date.now() };
}

const home = (cookie: string) => request(t.app).get('/staff').set('Cookie', cookie);

async function expectSignedOut(cookie: string) {
  const response = await home(cookie);
  expect(response.status).toBe(303);
  expect(response.headers.location).toMatch(/^\/staff\/login/);
}

const sessionIdOf = (pair: string) => decodeURIComponent(pair.split('=')[1]).slice(2).split('.')[0]; // s:<id>.<signature>

describe('staff sessions', () => {
  it('When staff log in, then they get a new session id and the id from before the log-in stays anonymous (no session fixation)', async () => {
    const { before, after } = await logIn();
    expect(after.pair).not.toBe(before);
    expect((await home(after.pair)).status).toBe(200);
    await expectSignedOut(before);
  });

  it('When staff log out, then the cookie is cleared and a copy of the old cookie no longer reaches staff pages', async () => {
    const { after } = await logIn();
    const page = await home(after.pair);
    const out = await request(t.app)
      .post('/staff/logout')
      .set('Cookie', after.pair)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) });
    expect(out.status).toBe(303);
    expect(sessionCookie(out).expires.getTime()).toBeLessThan(Date.now()); // the browser drops it
    await expectSignedOut(after.pair);
  });

  it('When a session is idle past its limit, then the server no longer honours it; just before the limit it does', async () => {
    const idleMs = t.context.config.STAFF_SESSION_IDLE_MINUTES * 60_000;
    const { after, loggedInAt } = await logIn();
    expect(Math.abs(after.expires.getTime() - (loggedInAt + idleMs))).toBeLessThan(5_000); // the browser's side of the limit
    const expireIn = (interval: string) => t.db.pool.query(`UPDATE session SET expire = now() + $2::interval WHERE sid = $1`, [sessionIdOf(after.pair), interval]);
    await expireIn('5 seconds');
    expect((await home(after.pair)).status).toBe(200);
    await expireIn('-1 second');
    await expectSignedOut(after.pair);
    await expectSignedOut(after.pair); // ended, not skipped once
  });

  it('When a session is older than the absolute limit, then it ends even though it was in use; just inside the limit it goes on', async () => {
    const limitMs = t.context.config.SESSION_ABSOLUTE_HOURS * 3_600_000;
    const { after } = await logIn();
    const loggedInAgo = (ms: number) =>
      t.db.pool.query(`UPDATE session SET sess = jsonb_set(sess::jsonb, '{staff,loginAt}', to_jsonb($2::bigint))::json WHERE sid = $1`, [sessionIdOf(after.pair), Date.now() - ms]);
    await loggedInAgo(limitMs - 60_000);
    expect((await home(after.pair)).status).toBe(200);
    await loggedInAgo(limitMs + 1_000);
    await expectSignedOut(after.pair);
    await loggedInAgo(0); // a later request cannot revive it: the sign-in was removed from the session
    await expectSignedOut(after.pair);
  });

  it('When cookies are plain (development), then the session cookie is HttpOnly and SameSite=Lax for the whole site', async () => {
    const { after } = await logIn();
    expect(after.attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
    expect(after.attributes).not.toContain('secure');
  });

  it('When COOKIE_SECURE is set behind an HTTPS proxy, then the cookie is __Host-sid, Secure, HttpOnly and SameSite=Lax, with no Domain', async () => {
    const secure = await createTestApp({ COOKIE_SECURE: 'true', TRUST_PROXY: '1' });
    const { after } = await logIn(secure, { 'X-Forwarded-Proto': 'https' }, '__Host-sid');
    expect(after.attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
    expect(after.attributes.some((attribute) => attribute.startsWith('domain='))).toBe(false);
  });
});
