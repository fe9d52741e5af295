// Every staff route x every role: the server refuses what a role may not do (403), lets through
// what it may, and sends anonymous visitors to the log-in page. Add each new route here.
import { beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../src/generated/prisma/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { inTx } from '../helpers/tx.js';

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
  ['GET', '/staff/schedule/counters/{counterId}/rules/{missingId}/edit', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/rules/{missingId}', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/rules/{missingId}/delete', ADMIN],
  ['POST', '/staff/schedule/counters/{counterId}/overrides/{missingId}/delete', ADMIN],
  ['POST', '/staff/schedule/closures/{missingId}/delete', ADMIN],
  ['POST', '/staff/password', ALL],
  // cards (issue 6)
  ['GET', '/staff/cards', ALL],
  ['GET', '/staff/cards/export.csv', STAFF_UP],
  ['GET', '/staff/cards/follow-up', STAFF_UP],
  ['GET', '/staff/cards/follow-up.csv', STAFF_UP],
  ['GET', '/staff/cards/pull-list', STAFF_UP],
  ['GET', '/staff/cards/pull-list.csv', STAFF_UP],
  ['GET', '/staff/cards/new', STAFF_UP],
  ['POST', '/staff/cards/new', STAFF_UP],
  ['GET', '/staff/cards/bulk-status', STAFF_UP],
  ['POST', '/staff/cards/bulk-status', STAFF_UP],
  ['GET', '/staff/cards/imports', STAFF_UP],
  ['POST', '/staff/cards/imports', STAFF_UP],
  ['GET', '/staff/cards/imports/{missingId}', STAFF_UP],
  ['GET', '/staff/cards/imports/{missingId}/progress', STAFF_UP],
  ['GET', '/staff/cards/imports/{missingId}/errors.csv', STAFF_UP],
  ['POST', '/staff/cards/imports/{missingId}/commit', STAFF_UP],
  ['POST', '/staff/cards/imports/{missingId}/discard', STAFF_UP],
  ['GET', '/staff/cards/profiles', ADMIN],
  ['GET', '/staff/cards/profiles/new', ADMIN],
  ['POST', '/staff/cards/profiles/new', ADMIN],
  ['GET', '/staff/cards/profiles/{missingId}', ADMIN],
  ['POST', '/staff/cards/profiles/{missingId}', ADMIN],
  ['GET', '/staff/cards/{holderId}', ALL],
  ['POST', '/staff/cards/{holderId}/status', STAFF_UP],
  ['POST', '/staff/cards/{holderId}/unlock-login', ALL],
  // notify (issue 7)
  ['GET', '/staff/mail', ALL],
  ['GET', '/staff/mail/{missingId}', ALL],
  ['GET', '/staff/alerts', ADMIN],
  ['POST', '/staff/alerts/{missingId}/acknowledge', ADMIN],
  // console (issue 5)
  ['GET', '/staff/console', ALL],
  ['GET', '/staff/console/search?q={noticeId}', ALL],
  ['GET', '/staff/console/counters/{counterId}/day', ALL],
  ['GET', '/staff/console/counters/{counterId}/day.json', ALL],
  ['GET', '/staff/console/counters/{counterId}/week', ALL],
  ['GET', '/staff/console/counters/{counterId}/print', STAFF_UP],
  ['GET', '/staff/console/counters/{counterId}/no-show', STAFF_UP],
  ['POST', '/staff/console/counters/{counterId}/no-show', STAFF_UP],
  ['GET', '/staff/console/holders/{holderId}', ALL],
  ['GET', '/staff/console/holders/{holderId}/book', ALL],
  ['POST', '/staff/console/holders/{holderId}/book', ALL],
  ['POST', '/staff/console/holders/{holderId}/move', ALL],
  ['POST', '/staff/console/holders/{holderId}/cancel', ALL],
  ['POST', '/staff/console/bookings/{bookingId}/check-in', STAFF_UP],
  ['POST', '/staff/console/bookings/{bookingId}/hand-over', STAFF_UP],
  ['POST', '/staff/console/bookings/{bookingId}/no-show', STAFF_UP],
  ['GET', '/staff/console/export', STAFF_UP],
  ['GET', '/staff/console/export.csv?from=2026-01-01&to=2026-12-31', STAFF_UP],
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
  const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(todayInJapan(), 3), capacity: 5 });
  const person = await createCardHolder(t.db, { counterId: counter.id });
  const booking = await inTx(t.db, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [person.holder.id], channel: 'web', by: null, baseUrl: 'http://127.0.0.1' }));
  ids = { staffId: String(target.id), counterId: String(counter.id), holderId: String(person.holder.id), noticeId: person.noticeId, bookingId: String(booking.bookings[0].id), missingId: '999999' };
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
