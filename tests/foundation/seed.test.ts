// The demo data `npm start` loads: it must look like a real city's calendar.
import { afterAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../src/db/seed.js';
import { nationalHoliday } from '../../src/features/schedule/holidays.js';
import { dateColumn, type IsoDate } from '../../src/lib/jst.js';
import { createTestDatabase } from '../helpers/db.js';

const db = await createTestDatabase();
afterAll(() => db.close());

// Seeded as if started on 2026-12-20: slots run to 2027-01-20, over the year end and 成人の日.
await seedDemoData(db, 'p'.repeat(32), '2026-12-20' as IsoDate);

async function slotsOn(date: string): Promise<number> {
  return db.prisma.slot.count({ where: { date: dateColumn(date as IsoDate) } });
}

describe('demo data', () => {
  it('When the demo is seeded, then no counter has slots from 12/29 to 1/3 (年末年始) but the days around are open', async () => {
    for (const date of ['2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03']) {
      expect(await slotsOn(date), date).toBe(0);
    }
    expect(await slotsOn('2026-12-28')).toBeGreaterThan(0);
    expect(await slotsOn('2027-01-04')).toBeGreaterThan(0);
  });

  it('When the demo is seeded, then a national holiday on a weekday (成人の日 2027-01-11) has no slots', async () => {
    expect(nationalHoliday('2027-01-11' as IsoDate)).toBe('成人の日');
    expect(await slotsOn('2027-01-11')).toBe(0);
    expect(await slotsOn('2027-01-12')).toBeGreaterThan(0);
  });

  it('When the demo is seeded, then the central counter closes on its monthly maintenance Sunday (after the third Saturday) and opens on the other Sundays', async () => {
    expect(await slotsOn('2027-01-17')).toBe(0); // the third Saturday is 2027-01-16
    expect(await slotsOn('2027-01-10')).toBeGreaterThan(0);
  });
});
