// A citizen's session lives in an encrypted cookie (docs/decisions/0015): no session row is
// written or read for a citizen's request, and the cookie itself enforces the idle time-out,
// the absolute lifetime and log-out. Staff sessions stay in PostgreSQL.
import pg from 'pg';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { book, citizenLogin, post } from './citizen-agent.js';
import { CITIZEN_COOKIE, citizenCookieOf, openCitizenCookie, resealed } from './citizen-cookie.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const IDLE_SECONDS = 15 * 60;
const MINUTE = 60_000;

async function loggedIn(app = t) {
  const { holder, noticeId, mmdd } = await createCardHolder(app.db);
  const { agent, response } = await citizenLogin(app.app, noticeId, mmdd);
  expect(response.status).toBe(303);
  return { agent, id: holder.id, cookie: citizenCookieOf(response)! };
}

/** A request sent with exactly this citizen cookie (a copy of it, an aged or a tampered one). */
const withCookie = (path: string, value: string, app = t.app) => request(app).get(path).set('Cookie', `${CITIZEN_COOKIE}=${value}`);
const warningSeconds = (html: string) => Number(html.match(/data-idle-seconds="(-?\d+)"/)![1]);

interface SessionTableUse {
  inserted: number;
  updated: number;
  deleted: number;
  scans: number;
}

/**
 * What every connection did to the session table. The database's connections are ended first:
 * a connection reports its counts when it ends, so none is missed.
 */
async function sessionTableUse(url: string): Promise<SessionTableUse> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    for (let i = 0; i < 100; i += 1) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query(
      `SELECT n_tup_ins::int AS inserted, n_tup_upd::int AS updated, n_tup_del::int AS deleted, (seq_scan + coalesce(idx_scan, 0))::int AS scans
       FROM pg_stat_user_tables WHERE relname = 'session'`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

describe('citizen sessions in a cookie', () => {
  it('When a citizen logs in, books and logs out, then no session row is written or read; a staff log-in page on the same app writes one', async () => {
    const app = await createTestApp();
    const counter = await createCounter(app.db);
    const date = addDays(today, 10);
    const slot = await createSlot(app.db, { counterId: counter.id, date, capacity: 2 });
    const { agent } = await loggedIn(app);
    expect((await agent.get(`/booking/counters/${counter.id}/days/${date}`)).status).toBe(200);
    const done = await book(agent, slot.id, 'taro@example.jp');
    expect(done.headers.location).toBe('/booking?done=booked');
    expect((await agent.get('/booking?done=booked')).status).toBe(200);
    expect((await post(agent, '/booking', '/logout', {})).headers.location).toBe('/login?loggedOut=1');
    expect(await app.db.prisma.booking.count()).toBe(1);
    expect(await sessionTableUse(app.db.url)).toEqual({ inserted: 0, updated: 0, deleted: 0, scans: 0 });
    // The measurement sees a session row when there is one: the staff log-in page stores its CSRF token.
    expect(csrfTokenFrom((await request(app.app).get('/staff/login')).text)).not.toBe('');
    expect((await sessionTableUse(app.db.url)).inserted).toBe(1);
  });

  it('When a public page is viewed without a session, then no cookie is set', async () => {
    const response = await request(t.app).get('/');
    expect(response.status).toBe(200);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('When a citizen logs in, then the cookie is fresh: new encryption, a new start time and nothing from the anonymous session', async () => {
    const { holder, noticeId, mmdd } = await createCardHolder(t.db);
    const agent = browserAgent(t.app);
    const page = await agent.get('/login');
    const before = citizenCookieOf(page)!;
    const bornBefore = openCitizenCookie(before)!.born;
    const response = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), noticeId, birth: mmdd });
    const after = openCitizenCookie(citizenCookieOf(response)!)!;
    expect(after.data.citizen?.cardHolderId).toBe(holder.id);
    expect(after.data.csrfToken).not.toBe(openCitizenCookie(before)!.data.csrfToken);
    expect(after.born).toBeGreaterThanOrEqual(bornBefore);
    expect(citizenCookieOf(response)).not.toBe(before);
  });

  it('When the last activity is under a minute old, then a page sets no cookie and its warning counts down from it', async () => {
    const { cookie } = await loggedIn();
    const aged = resealed(cookie, (payload) => {
      payload.data.citizen!.lastSeenAt -= 50_000;
      payload.data.changing = false; // as the counters page leaves it
    });
    const page = await withCookie('/booking/counters', aged);
    expect(page.status).toBe(200);
    expect(citizenCookieOf(page)).toBeUndefined();
    expect(warningSeconds(page.text)).toBeGreaterThanOrEqual(IDLE_SECONDS - 52);
    expect(warningSeconds(page.text)).toBeLessThanOrEqual(IDLE_SECONDS - 49);
  });

  it('When the last activity is over a minute old, then the next page renews it in a new cookie and the warning gets the full time', async () => {
    const { cookie } = await loggedIn();
    const aged = resealed(cookie, (payload) => (payload.data.citizen!.lastSeenAt -= 70_000));
    const page = await withCookie('/booking/counters', aged);
    const renewed = openCitizenCookie(citizenCookieOf(page)!)!;
    expect(renewed.data.citizen!.lastSeenAt).toBeGreaterThan(openCitizenCookie(aged)!.data.citizen!.lastSeenAt + MINUTE);
    expect(warningSeconds(page.text)).toBe(IDLE_SECONDS);
  });

  it('When the citizen has been idle longer than the time-out, then the cookie is refused and the log-in page says the session ended', async () => {
    const { cookie } = await loggedIn();
    const idle = resealed(cookie, (payload) => (payload.data.citizen!.lastSeenAt -= 16 * MINUTE));
    const response = await withCookie('/booking/counters', idle);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/login?expired=1');
  });

  it('When the session is older than the absolute lifetime, then it ends though it was used a moment ago', async () => {
    const { cookie } = await loggedIn();
    const old = resealed(cookie, (payload) => {
      payload.born -= 8 * 60 * MINUTE + 1000;
      payload.data.citizen!.loginAt -= 8 * 60 * MINUTE + 1000;
    });
    const response = await withCookie('/booking/counters', old);
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^\/login/);
    expect(citizenCookieOf(response)).toBe('');
  });

  it('When a cookie was copied before log-out, then after the log-out it is refused, in this process and in another one', async () => {
    const { agent, cookie } = await loggedIn();
    const otherProcess = createApp(t.context);
    expect((await withCookie('/booking/counters', cookie)).status).toBe(200);
    expect((await withCookie('/booking/counters', cookie, otherProcess)).status).toBe(200);
    expect((await post(agent, '/booking/counters', '/logout', {})).headers.location).toBe('/login?loggedOut=1');
    for (const app of [t.app, otherProcess]) {
      const again = await withCookie('/booking/counters', cookie, app);
      expect(again.status).toBe(303);
      expect(again.headers.location).toBe('/login');
    }
  });

  it('When the citizen logs in again after logging out, then the new cookie works', async () => {
    const { holder, noticeId, mmdd } = await createCardHolder(t.db);
    const first = await citizenLogin(t.app, noticeId, mmdd);
    await post(first.agent, '/booking/counters', '/logout', {});
    const second = await citizenLogin(t.app, noticeId, mmdd);
    expect((await withCookie('/booking/counters', citizenCookieOf(second.response)!)).status).toBe(200);
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } })).sessionGeneration).toBe(1);
  });

  it('When a cookie is tampered with or sealed with another key, then it is refused and cleared', async () => {
    const { cookie } = await loggedIn();
    const bytes = Buffer.from(cookie, 'base64url');
    bytes[20] ^= 1;
    const forged = Buffer.from(JSON.stringify({ born: Date.now(), data: { citizen: { cardHolderId: 1, generation: 0, loginAt: Date.now(), lastSeenAt: Date.now() } } })).toString(
      'base64url',
    );
    for (const value of [bytes.toString('base64url'), forged, cookie.slice(0, -4)]) {
      const response = await withCookie('/booking/counters', value);
      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/login');
      expect(citizenCookieOf(response)).toBe('');
    }
  });
});
