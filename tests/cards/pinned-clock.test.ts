// The card exports read the app's clock (src/lib/clock.ts), never the machine's: with the clock
// pinned years ahead, the CSV file names carry the pinned day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClock } from '../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { type Agent } from './helpers.js';

pinClock('2031-03-04T02:00:00Z'); // 11:00 on 2031-03-04 in Japan
let t: TestApp;
let clerk: Agent;
let counter: { id: number; code: string };

beforeAll(async () => {
  t = await createTestApp();
  counter = await createCounter(t.db, { name: '本庁舎' });
  const staff = await createStaff(t.db, { role: 'staff' });
  clerk = await staffAgent(t.app, staff.user.loginId, staff.password);
});
afterAll(() => setClock(null));

describe('card pages on the pinned clock', () => {
  it('When card holders, follow-ups and returned cards are exported, then each file is named for the pinned day in Japan', async () => {
    const names = await Promise.all(
      ['/staff/cards/export.csv', '/staff/cards/follow-up.csv?days=30', `/staff/logistics/sites/${counter.id}/returns.csv`].map(async (url) => {
        const response = await clerk.get(url);
        expect(response.status, url).toBe(200);
        return response.headers['content-disposition'];
      }),
    );
    expect(names[0]).toContain('card-holders-2031-03-04.csv');
    expect(names[1]).toContain('follow-up-30days-2031-03-04.csv');
    expect(names[2]).toContain(`returned-${counter.id}-2031-03-04.csv`);
  });
});
