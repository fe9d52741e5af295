// The staff menu grouped by task, in the header of every console page, with the current place.
import { beforeAll, describe, expect, it } from 'vitest';
import { groupedMenu } from '../../src/features/staff/menu.js';
import type { StaffMenuItem } from '../../src/features/feature.js';
import type { StaffPrincipal } from '../../src/policies/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { routesOf } from '../helpers/routes.js';
import { staffAgent } from '../helpers/staff.js';

pinClock(WORKING_WEDNESDAY);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

const ITEMS: StaffMenuItem[] = [
  { href: '/staff/console', group: 'today', labelKey: 'console.menu.index', action: 'console.view' },
  { href: '/staff/cards', group: 'cards', labelKey: 'cards.menu.list', action: 'cards.view' },
  { href: '/staff/cards/imports', group: 'cards', labelKey: 'cards.menu.import', action: 'cards.import' },
  { href: '/staff/users', group: 'admin', labelKey: 'staff.menu.users', action: 'users.manage' },
];
const person = (role: StaffPrincipal['role']): StaffPrincipal => ({ id: 1, loginId: 'x', displayName: 'x', role, mustChangePassword: false, counterIds: null });

describe('the grouped menu', () => {
  it('When a clerk is deep inside the imports (/staff/cards/imports/123), then the imports item is the current place and its group is marked, not the card list', () => {
    const sections = groupedMenu(ITEMS, person('staff'), '/staff/cards/imports/123');
    expect(sections.map((section) => [section.group, section.current])).toEqual([
      ['today', false],
      ['cards', true],
    ]);
    expect(sections[1].entries.map((entry) => [entry.href, entry.current])).toEqual([
      ['/staff/cards', false],
      ['/staff/cards/imports', true],
    ]);
  });

  it('When an operator sees the menu, then items they may not use are gone and an empty group is not shown', () => {
    const sections = groupedMenu(ITEMS, person('operator'), '/staff/cardsx');
    expect(sections.map((section) => section.group)).toEqual(['today', 'cards']);
    expect(sections[1].entries.map((entry) => entry.href)).toEqual(['/staff/cards']);
    expect(sections.flatMap((section) => section.entries).some((entry) => entry.current)).toBe(false);
  });

  it('When a clerk opens a counter day board, then the header shows the groups as disclosures with the console item as the current page', async () => {
    const counter = await createCounter(t.db);
    const { user, password } = await createStaff(t.db, { role: 'staff' });
    const page = await (await staffAgent(t.app, user.loginId, password)).get(`/staff/console/counters/${counter.id}/day`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<details class="menu-group is-current">\s*<summary>今日の窓口業務<span class="visually-hidden">/);
    expect(page.text).toMatch(/<a href="\/staff\/console" aria-current="page">/);
    expect(page.text.match(/aria-current="page"/g)).toHaveLength(1);
    expect(page.text).not.toContain('href="/staff/users"');
  });

  it('When an admin opens every staff page without parameters, then each page carries the grouped menu', async () => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const agent = await staffAgent(t.app, user.loginId, password);
    const pages = routesOf(t.app).filter((route) => route.method === 'GET' && route.path.startsWith('/staff/') && !/[:.]|login|logout|events|stream/.test(route.path));
    expect(pages.length).toBeGreaterThan(15);
    let checked = 0;
    for (const route of pages) {
      const response = await agent.get(route.path);
      if (!String(response.headers['content-type']).includes('text/html') || response.status !== 200) continue;
      checked += 1;
      expect(response.text, route.path).toContain('<ul class="staff-menu">');
      expect(response.text, route.path).toContain('<summary>管理');
    }
    expect(checked).toBeGreaterThan(15);
  });
});
