// The card pages read the app's clock (src/lib/clock.ts), never the machine's: with the clock
// pinned years ahead, the CSV file names carry the pinned day, and a log-in lock that ended ten
// minutes before the pinned instant is shown as ended (by the machine's clock it would still run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClock } from '../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { type Agent } from './helpers.js';

const { now } = pinClock('2031-03-04T02:00:00Z'); // 11:00 on 2031-03-04 in Japan
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

  it('When a citizen log-in lock ended ten minutes before the pinned instant, then the card page says they may log in now, not that they are locked', async () => {
    const { holder } = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    await t.db.prisma.cardHolder.update({ where: { id: holder.id }, data: { failedLogins: 5, lockedUntil: new Date(now.getTime() - 10 * 60_000) } });
    const page = (await clerk.get(`/staff/cards/${holder.id}`)).text;
    expect(page).toContain('生年月日の入力誤りが 5 回あります。ご本人は今ログインできます');
    expect(page).not.toContain('までログインできません');
  });
});
