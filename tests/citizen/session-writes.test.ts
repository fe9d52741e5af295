// The session row is not rewritten on every request (booking-storm): a citizen's lastSeenAt is
// stored at most once a minute, and the page's time-out warning counts from the stored time,
// so the warning and the server's idle log-out agree to the second.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder } from '../helpers/factories.js';
import { citizenLogin } from './citizen-agent.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const IDLE_SECONDS = 15 * 60;

async function loggedIn() {
  const { holder, noticeId, mmdd } = await createCardHolder(t.db);
  const { agent } = await citizenLogin(t.app, noticeId, mmdd);
  return { agent, id: holder.id };
}

/** Makes the stored lastSeenAt `seconds` old; returns that time (ms). */
async function ageLastSeen(cardHolderId: number, seconds: number): Promise<number> {
  const at = Date.now() - seconds * 1000;
  await t.db.pool.query(
    `UPDATE session SET sess = jsonb_set(sess::jsonb, '{citizen,lastSeenAt}', to_jsonb($2::bigint))::json WHERE (sess -> 'citizen' ->> 'cardHolderId')::int = $1`,
    [cardHolderId, at],
  );
  return at;
}

async function storedLastSeen(cardHolderId: number): Promise<number> {
  const { rows } = await t.db.pool.query(`SELECT (sess -> 'citizen' ->> 'lastSeenAt')::bigint AS at FROM session WHERE (sess -> 'citizen' ->> 'cardHolderId')::int = $1`, [cardHolderId]);
  return Number(rows[0].at);
}

const warningSeconds = (html: string) => Number(html.match(/data-idle-seconds="(-?\d+)"/)![1]);

describe('citizen session writes', () => {
  it('When the last activity is under a minute old, then a page keeps it and its warning counts down from it', async () => {
    const { agent, id } = await loggedIn();
    const at = await ageLastSeen(id, 50);
    const page = await agent.get('/booking/counters');
    expect(page.status).toBe(200);
    expect(await storedLastSeen(id)).toBe(at);
    expect(warningSeconds(page.text)).toBeGreaterThanOrEqual(IDLE_SECONDS - 52);
    expect(warningSeconds(page.text)).toBeLessThanOrEqual(IDLE_SECONDS - 49);
  });

  it('When the last activity is over a minute old, then the next page renews it and the warning gets the full time', async () => {
    const { agent, id } = await loggedIn();
    const at = await ageLastSeen(id, 70);
    const page = await agent.get('/booking/counters');
    expect(await storedLastSeen(id)).toBeGreaterThan(at + 60_000);
    expect(warningSeconds(page.text)).toBe(IDLE_SECONDS);
  });

  it('When an unchanged session is used again within a minute, then its row is not written', async () => {
    const { agent, id } = await loggedIn();
    await agent.get('/booking/counters');
    const before = (await t.db.pool.query(`SELECT sess::text AS sess, expire FROM session WHERE (sess -> 'citizen' ->> 'cardHolderId')::int = $1`, [id])).rows[0];
    await agent.get('/booking/counters');
    const after = (await t.db.pool.query(`SELECT sess::text AS sess, expire FROM session WHERE (sess -> 'citizen' ->> 'cardHolderId')::int = $1`, [id])).rows[0];
    expect(after).toEqual(before);
  });
});
