// Citizens' bookings run with generic plans (BOOKING_TRANSACTION, docs/decisions/0032): PostgreSQL
// plans the booking statements once per connection instead of again for every booking.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { book, loggedInCitizen } from '../citizen/citizen-agent.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ DATABASE_POOL_SIZE: '1' }); // one connection: its prepared statements are the app's
});
afterAll(() => t.db.close());

describe('how the booking statements are planned', () => {
  it('When eight citizens book through the pages, then the booking row statement is planned once and reused, never planned for its values', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 10), startMinute: 10 * 60, capacity: 8 });
    for (let i = 0; i < 8; i += 1) {
      const person = await createCardHolder(t.db);
      const done = await book(await loggedInCitizen(t.app, person.noticeId, person.mmdd), slot.id, `c${i}@example.jp`);
      expect(done.headers.location).toBe('/booking?done=booked');
    }
    const plans = await t.db.query<{ generic: number; custom: number }>(
      `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO bookings (code, slot_id%' AND statement NOT LIKE '%pg_prepared_statements%'`,
    );
    expect(plans).toEqual([{ generic: 8, custom: 0 }]);
  });
});
