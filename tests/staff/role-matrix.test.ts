// Who may do what, in two tables: every (role, action) pair against the intended matrix, through
// can(); and every staff route x every role through the app: the server refuses what a role may
// not do (403), lets through what it may, and sends anonymous visitors to the log-in page. Add
// each new route (with the action that guards it) and each new action here.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import type { StaffRole } from '../../src/generated/prisma/client.js';
import { ACTIONS, can, type Action, type StaffPrincipal } from '../../src/policies/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { logisticsFixture } from '../helpers/logistics.js';

const ALL: StaffRole[] = ['admin', 'staff', 'operator'];
const ADMIN: StaffRole[] = ['admin'];
const STAFF_UP: StaffRole[] = ['admin', 'staff'];

/** The intended matrix, written out apart from src/policies so that a changed grant shows here. */
const INTENDED: Record<Action, StaffRole[]> = {
  'console.view': ALL,
  'schedule.view': ALL,
  'schedule.generateSlots': STAFF_UP,
  'schedule.report': STAFF_UP,
  'schedule.edit': ADMIN,
  'bookingPolicy.edit': ADMIN,
  'cards.view': ALL,
  'cards.unlockLogin': ALL,
  'cards.edit': STAFF_UP,
  'cards.export': STAFF_UP,
  'cards.import': STAFF_UP,
  'cards.importProfiles': ADMIN,
  'mail.view': ALL,
  'mail.browse': STAFF_UP,
  'alerts.manage': ADMIN,
  'status.manage': STAFF_UP,
  'floor.work': STAFF_UP,
  'floor.settings': ADMIN,
  'logistics.work': STAFF_UP,
  'help.read': ALL,
  'booking.onBehalf': ALL,
  'booking.bypassWindow': ALL,
  'booking.useHeldBackPlaces': ALL,
  'booking.overCapacity': STAFF_UP,
  'counter.work': STAFF_UP,
  'bookings.export': STAFF_UP,
  'reports.view': STAFF_UP,
  'incidents.view': ALL,
  'incidents.record': STAFF_UP,
  'inquiries.record': ALL,
  'inquiries.respond': STAFF_UP,
  'faq.manage': STAFF_UP,
  'users.manage': ADMIN,
  'audit.view': ADMIN,
  'retention.manage': ADMIN,
};

/** Pages every signed-in staff user has, whatever the role (home, own password). */
const SIGNED_IN = 'signedIn';
type Route = [method: 'GET' | 'POST', path: string, guard: Action | typeof SIGNED_IN];
const allowedRoles = (guard: Route[2]) => (guard === SIGNED_IN ? ALL : INTENDED[guard]);

const principal = (role: StaffRole, counterIds: number[] | null = null): StaffPrincipal => ({ id: 1, loginId: 'p', displayName: 'p', role, mustChangePassword: false, counterIds });

describe('role x action matrix', () => {
  it('When the actions are listed, then the intended matrix names each of them', () => {
    expect(Object.keys(INTENDED).sort()).toEqual([...ACTIONS].sort());
  });

  const pairs = ACTIONS.flatMap((action) => ALL.map((role) => [role, action, INTENDED[action].includes(role)] as const));
  it.each(pairs)('When role %s asks for %s, then can() answers %s', (role, action, allowed) => {
    expect(can(principal(role), action)).toBe(allowed);
  });

  it.each(ACTIONS)('When a citizen or the system (null) asks for %s, then can() refuses', (action) => {
    expect(can(null, action)).toBe(false);
  });
});

export const STAFF_ROUTES: Route[] = [
  ['GET', '/staff', SIGNED_IN],
  ['GET', '/staff/password', SIGNED_IN],
  ['GET', '/staff/users', 'users.manage'],
  ['GET', '/staff/users/new', 'users.manage'],
  ['POST', '/staff/users', 'users.manage'],
  ['GET', '/staff/users/{staffId}/edit', 'users.manage'],
  ['POST', '/staff/users/{staffId}', 'users.manage'],
  ['POST', '/staff/users/{staffId}/disable', 'users.manage'],
  ['POST', '/staff/users/{staffId}/enable', 'users.manage'],
  ['POST', '/staff/users/{staffId}/unlock', 'users.manage'],
  ['POST', '/staff/users/{staffId}/reset-password', 'users.manage'],
  ['GET', '/staff/audit', 'audit.view'],
  // schedule (issue 3)
  ['GET', '/staff/schedule', 'schedule.view'],
  ['GET', '/staff/schedule/counters/new', 'schedule.edit'],
  ['POST', '/staff/schedule/counters', 'schedule.edit'],
  ['GET', '/staff/schedule/counters/{counterId}', 'schedule.view'],
  ['GET', '/staff/schedule/counters/{counterId}/edit', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/move', 'schedule.edit'],
  ['GET', '/staff/schedule/counters/{counterId}/rules/new', 'schedule.edit'],
  ['GET', '/staff/schedule/counters/{counterId}/rules/preview', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/rules', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/overrides', 'schedule.edit'],
  ['GET', '/staff/schedule/counters/{counterId}/month', 'schedule.view'],
  ['GET', '/staff/schedule/closures', 'schedule.view'],
  ['POST', '/staff/schedule/closures', 'schedule.edit'],
  ['GET', '/staff/schedule/procedures', 'schedule.view'],
  ['GET', '/staff/schedule/procedures/new', 'schedule.edit'],
  ['POST', '/staff/schedule/procedures', 'schedule.edit'],
  ['GET', '/staff/schedule/policy', 'bookingPolicy.edit'],
  ['POST', '/staff/schedule/policy', 'bookingPolicy.edit'],
  ['POST', '/staff/schedule/policy/{counterId}', 'bookingPolicy.edit'],
  ['GET', '/staff/schedule/report', 'schedule.report'],
  ['GET', '/staff/schedule/conflicts', 'schedule.report'],
  ['POST', '/staff/schedule/conflicts/regenerate', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/retire', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/reinstate', 'schedule.edit'],
  ['GET', '/staff/schedule/counters/{counterId}/rules/{missingId}/edit', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/rules/{missingId}', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/rules/{missingId}/delete', 'schedule.edit'],
  ['POST', '/staff/schedule/counters/{counterId}/overrides/{missingId}/delete', 'schedule.edit'],
  ['POST', '/staff/schedule/closures/{missingId}/delete', 'schedule.edit'],
  ['POST', '/staff/password', SIGNED_IN],
  ['POST', '/staff/schedule/slots', 'schedule.generateSlots'],
  // cards (issue 6)
  ['GET', '/staff/cards', 'cards.view'],
  ['GET', '/staff/cards/export.csv', 'cards.export'],
  ['GET', '/staff/cards/follow-up', 'cards.export'],
  ['GET', '/staff/cards/follow-up.csv', 'cards.export'],
  ['GET', '/staff/cards/pull-list', 'cards.export'],
  ['GET', '/staff/cards/pull-list.csv', 'cards.export'],
  ['GET', '/staff/cards/new', 'cards.edit'],
  ['POST', '/staff/cards/new', 'cards.edit'],
  ['GET', '/staff/cards/bulk-status', 'cards.edit'],
  ['POST', '/staff/cards/bulk-status', 'cards.edit'],
  ['GET', '/staff/cards/imports', 'cards.import'],
  ['POST', '/staff/cards/imports', 'cards.import'],
  ['GET', '/staff/cards/imports/{missingId}', 'cards.import'],
  ['GET', '/staff/cards/imports/{missingId}/progress', 'cards.import'],
  ['GET', '/staff/cards/imports/{missingId}/errors.csv', 'cards.import'],
  ['POST', '/staff/cards/imports/{missingId}/commit', 'cards.import'],
  ['POST', '/staff/cards/imports/{missingId}/discard', 'cards.import'],
  ['GET', '/staff/cards/profiles', 'cards.importProfiles'],
  ['GET', '/staff/cards/profiles/new', 'cards.importProfiles'],
  ['POST', '/staff/cards/profiles/new', 'cards.importProfiles'],
  ['GET', '/staff/cards/profiles/{missingId}', 'cards.importProfiles'],
  ['POST', '/staff/cards/profiles/{missingId}', 'cards.importProfiles'],
  ['GET', '/staff/cards/{holderId}', 'cards.view'],
  ['POST', '/staff/cards/{holderId}/status', 'cards.edit'],
  ['POST', '/staff/cards/{holderId}/unlock-login', 'cards.unlockLogin'],
  // notify (issue 7)
  ['GET', '/staff/mail', 'mail.view'],
  ['GET', '/staff/mail/{missingId}', 'mail.view'],
  ['GET', '/staff/alerts', 'alerts.manage'],
  ['GET', '/staff/inquiries', 'inquiries.record'],
  ['GET', '/staff/inquiries/new', 'inquiries.record'],
  ['POST', '/staff/inquiries/new', 'inquiries.record'],
  ['GET', '/staff/inquiries/export.csv', 'inquiries.respond'],
  ['GET', '/staff/inquiries/counts', 'reports.view'],
  ['GET', '/staff/inquiries/counts/days.csv', 'reports.view'],
  ['GET', '/staff/inquiries/{missingId}', 'inquiries.record'],
  ['POST', '/staff/inquiries/{missingId}/escalate', 'inquiries.record'],
  ['POST', '/staff/inquiries/{missingId}/answer', 'inquiries.respond'],
  ['POST', '/staff/inquiries/{missingId}/close', 'inquiries.respond'],
  ['GET', '/staff/faq', 'help.read'],
  ['GET', '/staff/faq/new', 'faq.manage'],
  ['POST', '/staff/faq/new', 'faq.manage'],
  ['GET', '/staff/faq/{missingId}/edit', 'faq.manage'],
  ['POST', '/staff/faq/{missingId}/edit', 'faq.manage'],
  ['GET', '/staff/status', 'status.manage'],
  // help (issue 16)
  ['GET', '/staff/help', 'help.read'],
  ['GET', '/staff/help/staff-manual', 'help.read'],
  ['GET', '/staff/status/new', 'status.manage'],
  ['POST', '/staff/status/new', 'status.manage'],
  ['GET', '/staff/status/{missingId}/edit', 'status.manage'],
  ['POST', '/staff/status/{missingId}/edit', 'status.manage'],
  ['POST', '/staff/alerts/{missingId}/acknowledge', 'alerts.manage'],
  // console (issue 5)
  ['GET', '/staff/console', 'console.view'],
  ['GET', '/staff/console/search?q={noticeId}', 'console.view'],
  ['GET', '/staff/console/counters/{counterId}/day', 'console.view'],
  ['GET', '/staff/console/counters/{counterId}/day.json', 'console.view'],
  ['GET', '/staff/console/counters/{counterId}/week', 'console.view'],
  ['GET', '/staff/console/counters/{counterId}/print', 'counter.work'],
  ['GET', '/staff/console/counters/{counterId}/no-show', 'counter.work'],
  ['POST', '/staff/console/counters/{counterId}/no-show', 'counter.work'],
  ['GET', '/staff/console/holders/{holderId}', 'console.view'],
  ['GET', '/staff/console/holders/{holderId}/book', 'booking.onBehalf'],
  ['POST', '/staff/console/holders/{holderId}/book', 'booking.onBehalf'],
  ['POST', '/staff/console/holders/{holderId}/move', 'booking.onBehalf'],
  ['POST', '/staff/console/holders/{holderId}/cancel', 'booking.onBehalf'],
  ['POST', '/staff/console/bookings/{bookingId}/check-in', 'counter.work'],
  ['POST', '/staff/console/bookings/{bookingId}/hand-over', 'counter.work'],
  ['POST', '/staff/console/bookings/{bookingId}/no-show', 'counter.work'],
  ['GET', '/staff/console/export', 'bookings.export'],
  ['GET', '/staff/console/export.csv?from=2026-01-01&to=2026-12-31', 'bookings.export'],
  // counter floor (issue 18)
  ['GET', '/staff/floor', 'floor.work'],
  ['GET', '/staff/floor/counters/{counterId}', 'floor.work'],
  ['POST', '/staff/floor/counters/{counterId}/call-next', 'floor.work'],
  ['POST', '/staff/floor/counters/{counterId}/walk-in', 'floor.work'],
  ['GET', '/staff/floor/counters/{counterId}/stats', 'floor.work'],
  ['GET', '/staff/floor/counters/{counterId}/ranges', 'floor.settings'],
  ['POST', '/staff/floor/counters/{counterId}/ranges', 'floor.settings'],
  ['POST', '/staff/floor/tickets/{ticketId}/call', 'floor.work'],
  ['POST', '/staff/floor/tickets/{ticketId}/recall', 'floor.work'],
  ['POST', '/staff/floor/tickets/{ticketId}/served', 'floor.work'],
  ['POST', '/staff/floor/tickets/{ticketId}/absent', 'floor.work'],
  ['GET', '/staff/floor/tickets/{ticketId}/print', 'floor.work'],
  // incident log (issue 15.4)
  ['GET', '/staff/incidents', 'incidents.view'],
  ['GET', '/staff/incidents.csv', 'incidents.view'],
  ['GET', '/staff/incidents/new', 'incidents.record'],
  ['POST', '/staff/incidents/new', 'incidents.record'],
  ['GET', '/staff/incidents/{missingId}', 'incidents.view'],
  ['POST', '/staff/incidents/{missingId}/alerts', 'alerts.manage'],
  ['POST', '/staff/incidents/{missingId}/alerts/{missingId}/unlink', 'alerts.manage'],
  ['POST', '/staff/incidents/{missingId}/resolve', 'incidents.record'],
  // retention (issue 19)
  ['GET', '/staff/retention', 'retention.manage'],
  ['POST', '/staff/retention', 'retention.manage'],
  // forecast (issue 15.7)
  ['GET', '/staff/reports/forecast', 'reports.view'],
  ['GET', '/staff/reports/forecast/{forecastTable}.csv', 'reports.view'],
  // card logistics (issue 19.1)
  ['GET', '/staff/logistics', 'logistics.work'],
  ['POST', '/staff/logistics/sites/{counterId}/shipments', 'logistics.work'],
  ['GET', '/staff/logistics/shipments/{shipmentId}', 'logistics.work'],
  ['POST', '/staff/logistics/shipments/{shipmentId}/ship', 'logistics.work'],
  ['POST', '/staff/logistics/shipments/{shipmentId}/discard', 'logistics.work'],
  ['POST', '/staff/logistics/shipments/{shipmentId}/finish', 'logistics.work'],
  ['GET', '/staff/logistics/sites/{counterId}/receive', 'logistics.work'],
  ['POST', '/staff/logistics/sites/{counterId}/receive', 'logistics.work'],
  ['GET', '/staff/logistics/sites/{counterId}/returns', 'logistics.work'],
  ['POST', '/staff/logistics/sites/{counterId}/returns', 'logistics.work'],
  ['GET', '/staff/logistics/sites/{counterId}/returns.csv', 'logistics.work'],
  ['GET', '/staff/logistics/sites/{counterId}/counts', 'logistics.work'],
  ['POST', '/staff/logistics/sites/{counterId}/counts', 'logistics.work'],
  ['GET', '/staff/logistics/counts/{countId}', 'logistics.work'],
  ['POST', '/staff/logistics/counts/{countId}/scan', 'logistics.work'],
  ['POST', '/staff/logistics/counts/{countId}/finish', 'logistics.work'],
  ['GET', '/staff/logistics/counts/{countId}/findings.csv', 'logistics.work'],
  ['POST', '/staff/cards/{holderId}/transfers', 'logistics.work'],
  ['POST', '/staff/logistics/transfers/{transferId}/cancel', 'logistics.work'],
  // monthly report (issue 15)
  ['GET', '/staff/reports', 'reports.view'],
  ['GET', '/staff/reports/{reportTable}.csv', 'reports.view'],
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
  const booking = await transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
    bookSlot(tx, { slotId: slot.id, cardHolderIds: [person.holder.id], channel: 'web', baseUrl: 'http://127.0.0.1', by: null }),
  );
  const ticket = await transaction(t.db, { type: 'system', id: 'test' }, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }));
  const logistics = await logisticsFixture(t.db, counter.id);
  ids = {
    ticketId: String(ticket.id),
    staffId: String(target.id),
    counterId: String(counter.id),
    holderId: String(person.holder.id),
    noticeId: person.noticeId,
    bookingId: String(booking.bookings[0].id),
    missingId: '999999',
    shipmentId: String(logistics.shipmentId),
    countId: String(logistics.countId),
    transferId: String(logistics.transferId),
    reportTable: 'days',
    forecastTable: 'weeks',
  };
});

const expand = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]);

describe('role x route matrix (routes guarded by requirePermission)', () => {
  const cases = STAFF_ROUTES.flatMap(([method, path, guard]) => ALL.map((role) => [method, path, role, allowedRoles(guard).includes(role)] as const));
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

describe('counter scope', () => {
  it('When a clerk limited to one counter asks about another, then can() refuses; about their own or an unassigned subject, it agrees', () => {
    const clerk = principal('staff', [1]);
    expect(can(clerk, 'counter.work', 2)).toBe(false);
    expect(can(clerk, 'cards.view', { counterId: 2 })).toBe(false);
    expect(can(clerk, 'counter.work', 1)).toBe(true);
    expect(can(clerk, 'cards.view', { counterId: null })).toBe(true);
    expect(can(principal('operator', [1]), 'counter.work', 1)).toBe(false);
  });

  it("When a clerk limited to one counter opens another counter's day list, then the app answers 403; their own, 200", async () => {
    const own = await createCounter(t.db, { name: '自分の窓口' });
    const { user, password } = await createStaff(t.db, { role: 'staff', counterIds: [own.id] });
    const clerk = await staffAgent(t.app, user.loginId, password);
    expect((await clerk.get(`/staff/console/counters/${ids.counterId}/print`)).status).toBe(403);
    expect((await clerk.get(`/staff/console/counters/${own.id}/print`)).status).toBe(200);
    const home = (await clerk.get('/staff/console')).text;
    expect(home).toContain(`/staff/console/counters/${own.id}/day`);
    expect(home).not.toContain(`/staff/console/counters/${ids.counterId}/day`);
  });
});

describe('menus follow can()', () => {
  it.each(ALL)('When role %s opens the home page, then it lists the menu items that role may use', async (role) => {
    const home = (await agents[role].get('/staff')).text;
    const shown = (href: string) => home.includes(`href="${href}"`);
    expect(shown('/staff/users')).toBe(INTENDED['users.manage'].includes(role));
    expect(shown('/staff/cards/imports')).toBe(INTENDED['cards.import'].includes(role));
    expect(shown('/staff/schedule/policy')).toBe(INTENDED['bookingPolicy.edit'].includes(role));
    expect(shown('/staff/mail')).toBe(true);
  });
});
