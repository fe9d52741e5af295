// Session management: idle and absolute time-outs are enforced on the server.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

async function signedIn() {
  const { user, password } = await createStaff(t.db);
  const agent = await staffAgent(t.app, user.loginId, password);
  return { agent, user };
}

describe('staff session time-outs', () => {
  it('When a session has been idle past its limit, then the server no longer honours it', async () => {
    const { agent, user } = await signedIn();
    await t.db.pool.query(`UPDATE session SET expire = now() - interval '1 second' WHERE (sess -> 'staff' ->> 'id')::int = $1`, [user.id]);
    const response = await agent.get('/staff');
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^\/staff\/login/);
  });

  it('When a session is older than the absolute limit, then it ends even if it was used constantly', async () => {
    const { agent, user } = await signedIn();
    const hours = t.context.config.SESSION_ABSOLUTE_HOURS;
    await t.db.pool.query(
      `UPDATE session SET sess = jsonb_set(sess::jsonb, '{staff,loginAt}', to_jsonb($2::bigint))::json WHERE (sess -> 'staff' ->> 'id')::int = $1`,
      [user.id, Date.now() - hours * 3_600_000 - 1000],
    );
    const response = await agent.get('/staff');
    expect(response.status).toBe(303);
  });
});
