// A citizen who leaves (logs out, or lets the session time out) gives back the time they held:
// the citizen pages call the booking feature's citizenLeft, since citizen does not import booking.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { WORKING_WEDNESDAY, pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { addDays } from '../../src/lib/jst.js';
import { loggedInCitizen, post, tapTime } from './citizen-agent.js';

const { today } = pinClock(WORKING_WEDNESDAY);
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ CITIZEN_SESSION_IDLE_MINUTES: '20', SESSION_ABSOLUTE_HOURS: '1' });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function citizenHoldingATime() {
  const counter = await createCounter(t.db);
  const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 7), capacity: 1 });
  const person = await createCardHolder(t.db);
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  expect((await tapTime(agent, slot.id)).headers.location).toBe('/booking/confirm');
  expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: person.holder.id } })).toBe(1);
  return { agent, person };
}

describe('a citizen who leaves with a time held', () => {
  it('When the citizen logs out, then the held time is given back', async () => {
    const { agent, person } = await citizenHoldingATime();
    const answer = await post(agent, '/booking/confirm', '/logout', {});
    expect(answer.headers.location).toBe('/login?loggedOut=1');
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
  });

  it('When the session outlives its absolute lifetime, then the next request gives the held time back and asks to log in again', async () => {
    const { agent, person } = await citizenHoldingATime();
    const start = Date.now();
    const at = (minutes: number) => vi.spyOn(Date, 'now').mockReturnValue(start + minutes * 60_000);
    for (const minutes of [15, 30, 45]) {
      at(minutes);
      expect((await agent.get('/booking/confirm')).status).toBe(200); // active: never idle for 20 minutes
    }
    at(61);
    expect((await agent.get('/booking/confirm')).headers.location).toMatch(/^\/login/);
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: person.holder.id } })).toBe(0);
  });
});
