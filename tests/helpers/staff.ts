import type { Express } from 'express';
import { expect } from 'vitest';
import { browserAgent, csrfTokenFrom } from './http.js';

/** Logs in through the real form and returns the agent (with its session cookie). */
export async function staffAgent(app: Express, loginId: string, password: string) {
  const agent = browserAgent(app);
  const token = csrfTokenFrom((await agent.get('/staff/login')).text);
  const response = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId, password });
  expect(response.status, response.text).toBe(303);
  return agent;
}

/** Posts a form the way a browser would: first the page, then its token. */
export async function submitForm(agent: ReturnType<typeof browserAgent>, pagePath: string, action: string, fields: Record<string, string | string[]>) {
  const token = csrfTokenFrom((await agent.get(pagePath)).text);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: token, ...fields });
}

/** A staff user of the given role, created and logged in: the usual start of a console test. */
export async function signedInStaff(t: { app: Express; db: import('../../src/db/client.js').Database }, role: import('../../src/generated/prisma/client.js').StaffRole = 'staff') {
  const { createStaff } = await import('./factories.js');
  const { user, password } = await createStaff(t.db, { role });
  return { user, agent: await staffAgent(t.app, user.loginId, password) };
}
