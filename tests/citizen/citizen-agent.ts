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

/** The hidden fields (CSRF token, hold id...) of the form in `html` that posts to `action`. */
export function hiddenFields(html: string, action: string): Record<string, string> {
  const form = html.split(`action="${action}"`)[1]?.split('</form>')[0];
  if (form === undefined) return { _csrf: csrfTokenFrom(html) };
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], match[2]]));
}

/** A refused booking POST redirects to the page that says why: read it, as a browser does. */
export async function followRefusal(agent: Agent, response: Awaited<ReturnType<Agent['post']>>) {
  return response.headers.location === '/booking/refused' ? agent.get('/booking/refused') : response;
}

/** Posts to `action` the way `pagePath`'s form does (its hidden fields), plus `fields`. */
export async function post(agent: Agent, pagePath: string, action: string, fields: Record<string, string | number>) {
  const page = await agent.get(pagePath).redirects(2);
  return followRefusal(
    agent,
    await agent
      .post(action)
      .type('form')
      .send({ ...hiddenFields(page.text, action), ...fields }),
  );
}

/** Taps a time on the day page: holds the place (or, while changing, opens the change page). */
export async function tapTime(agent: Agent, slotId: number, pagePath = '/booking/counters') {
  return post(agent, pagePath, '/booking/hold', { slotId });
}

/** The whole path after a time is held: email, review, final tap. Returns the final response (a refusal: its page). */
export async function confirmBooking(agent: Agent, email: string, family: { noticeId: string; mmdd: string }[] = []) {
  const fields: Record<string, string> = { email, emailAgain: email };
  family.forEach((member, i) => {
    fields[`familyId${i + 1}`] = member.noticeId;
    fields[`familyBirth${i + 1}`] = member.mmdd;
  });
  const confirmed = await post(agent, '/booking/confirm', '/booking/confirm', fields);
  if (confirmed.headers.location !== '/booking/review') return confirmed;
  return post(agent, '/booking/review', '/booking/complete', {});
}

export async function book(agent: Agent, slotId: number, email = 'citizen@example.jp', family: { noticeId: string; mmdd: string }[] = []) {
  const held = await tapTime(agent, slotId);
  if (held.status !== 303) return held;
  return confirmBooking(agent, email, family);
}
