// Every staff route x every role: the server refuses what a role may not do (403), lets through
// what it may, and sends anonymous visitors to the log-in page. Add each new route here.
import { beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../src/generated/prisma/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';

type Route = [method: 'GET' | 'POST', path: string, allowed: StaffRole[]];
const ALL: StaffRole[] = ['admin', 'staff', 'operator'];
const ADMIN: StaffRole[] = ['admin'];
const STAFF_UP: StaffRole[] = ['admin', 'staff'];

export const STAFF_ROUTES: Route[] = [
  ['GET', '/staff', ALL],
  ['GET', '/staff/password', ALL],
  ['GET', '/staff/users', ADMIN],
  ['GET', '/staff/users/new', ADMIN],
  ['POST', '/staff/users', ADMIN],
  ['GET', '/staff/users/{staffId}/edit', ADMIN],
  ['POST', '/staff/users/{staffId}', ADMIN],
  ['POST', '/staff/users/{staffId}/disable', ADMIN],
  ['POST', '/staff/users/{staffId}/enable', ADMIN],
  ['POST', '/staff/users/{staffId}/unlock', ADMIN],
  ['POST', '/staff/users/{staffId}/reset-password', ADMIN],
  ['GET', '/staff/audit', ADMIN],
  // schedule (issue 3)
  ['GET', '/staff/schedule', ALL],
  ['GET', '/staff/schedule/counters/new', ADMIN],
  ['POST', '/staff/schedule/counters', ADMIN],
  ['GET', '/staff/schedule/counters/{counterId}', ALL],
  ['GET', '/staff/schedule/counters/{counterId}/edit', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/move', ADMIN],
  ['GET', '/staff/schedule/counters/{counterId}/rules/new', ADMIN],
  ['GET', '/staff/schedule/counters/{counterId}/rules/preview', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/rules', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/overrides', ADMIN],
  ['GET', '/staff/schedule/counters/{counterId}/month', ALL],
  ['GET', '/staff/schedule/closures', ALL],
  ['POST', '/staff/schedule/closures', ADMIN],
  ['GET', '/staff/schedule/policy', ADMIN],
  ['POST', '/staff/schedule/policy', ADMIN],
  ['POST', '/staff/schedule/policy/{counterId}', ADMIN],
  ['GET', '/staff/schedule/report', STAFF_UP],
  ['GET', '/staff/schedule/conflicts', STAFF_UP],
  ['POST', '/staff/schedule/conflicts/regenerate', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/retire', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/reinstate', ADMIN],
];

let t: TestApp;
const agents = {} as Record<StaffRole, Awaited<ReturnType<typeof staffAgent>>>;
const tokens = {} as Record<StaffRole, string>;
let ids: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  for (const role of ALL) {
    const { user, password } = await createStaff(t.db, { role });
    agents[role] = await staffAgent(t.app, user.loginId, password);
    tokens[role] = csrfTokenFrom((await agents[role].get('/staff')).text);
  }
  const { user: target } = await createStaff(t.db, { role: 'staff' });
  const counter = await createCounter(t.db, { name: '権限確認用窓口' });
  ids = { staffId: String(target.id), counterId: String(counter.id) };
});

const expand = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]);

describe('role x route matrix', () => {
  const cases = STAFF_ROUTES.flatMap(([method, path, allowed]) => ALL.map((role) => [method, path, role, allowed.includes(role)] as const));
  it.each(cases)('%s %s as %s: allowed=%s', async (method, path, role, allowed) => {
    const agent = agents[role];
    const url = expand(path);
    const response = method === 'GET' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: tokens[role] });
    if (allowed) {
      expect(response.status, `${method} ${url}`).not.toBe(403);
      expect(response.headers.location ?? '').not.toMatch(/^\/staff\/login/);
    } else {
      expect(response.status, `${method} ${url}`).toBe(403);
    }
  });

  it.each(STAFF_ROUTES.filter(([method]) => method === 'GET'))('%s %s without log-in goes to the log-in page', async (_method, path) => {
    const response = await browserAgent(t.app).get(expand(path));
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^\/staff\/login/);
  });
});
