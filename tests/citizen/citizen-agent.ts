// Drives the citizen pages the way a browser does (cookies, CSRF tokens from the forms).
import type { Express } from 'express';
import { expect } from 'vitest';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';

export type Agent = ReturnType<typeof browserAgent>;

export async function citizenLogin(app: Express, noticeId: string, birth: string) {
  const agent = browserAgent(app);
  const token = csrfTokenFrom((await agent.get('/login')).text);
  const response = await agent.post('/login').type('form').send({ _csrf: token, noticeId, birth });
  return { agent, response };
}

export async function loggedInCitizen(app: Express, noticeId: string, birth: string): Promise<Agent> {
  const { agent, response } = await citizenLogin(app, noticeId, birth);
  expect(response.status, response.text).toBe(303);
  return agent;
}

/** Posts to `action` with the CSRF token read from `pagePath`. */
export async function post(agent: Agent, pagePath: string, action: string, fields: Record<string, string | number>) {
  const page = await agent.get(pagePath);
  return agent.post(action).type('form').send({ _csrf: csrfTokenFrom(page.text), ...fields });
}

/** Taps a time on the day page: holds the place (or, while changing, opens the change page). */
export async function tapTime(agent: Agent, slotId: number, pagePath = '/booking/counters') {
  return post(agent, pagePath, '/booking/hold', { slotId });
}

/** The whole path after a time is held: email, review, final tap. Returns the final response. */
export async function confirmBooking(agent: Agent, email: string, family: { noticeId: string; mmdd: string }[] = []) {
  const fields: Record<string, string> = { email, emailAgain: email };
  family.forEach((member, i) => {
    fields[`familyId${i + 1}`] = member.noticeId;
    fields[`familyBirth${i + 1}`] = member.mmdd;
  });
  const review = await post(agent, '/booking/counters', '/booking/confirm', fields);
  if (review.status !== 200) return review;
  return agent.post('/booking/complete').type('form').send({ _csrf: csrfTokenFrom(review.text) });
}

export async function book(agent: Agent, slotId: number, email = 'citizen@example.jp', family: { noticeId: string; mmdd: string }[] = []) {
  const held = await tapTime(agent, slotId);
  if (held.status !== 303) return held;
  return confirmBooking(agent, email, family);
}
