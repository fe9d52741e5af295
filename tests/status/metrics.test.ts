// /metrics for Prometheus (issue 17.5): not public (a bearer token; without one configured the
// path does not exist), and what it tells: requests by route pattern with their time, bookings
// by status, the outbox waiting, how long ago each job last ran well, the connection pool.
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { addDays } from '../../src/lib/jst.js';
import { pinClock } from '../helpers/clock.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';

const { today } = pinClock('2027-02-10T10:00:00+09:00');
const TOKEN = 'metrics-token-0123456789abcdef0123456789';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN: TOKEN });
});

const scrape = (token = TOKEN) => request(t.app).get('/metrics').set('Authorization', `Bearer ${token}`);

describe('metrics', () => {
  it('When no token is configured, then /metrics does not exist; with one, a request without it or with a wrong one is refused', async () => {
    const without = await createTestApp();
    expect((await request(without.app).get('/metrics')).status).toBe(404);
    expect((await request(t.app).get('/metrics')).status).toBe(401);
    expect((await scrape('x'.repeat(TOKEN.length))).status).toBe(401);
    expect((await scrape('short')).status).toBe(401);
    expect((await request(t.app).get('/metrics').set('Authorization', TOKEN)).status).toBe(401);
  });

  it('When Prometheus scrapes, then it reads requests by route pattern, bookings by status, the outbox, job ages and the pool', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 3) });
    const person = await createCardHolder(t.db, { counterId: counter.id });
    await transaction(t.db, STAFF_ACTOR, (tx) =>
      bookSlot(tx, { slotId: slot.id, cardHolderIds: [person.holder.id], channel: 'phone', email: 'metrics@example.jp', by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
    );
    await t.db.query(`INSERT INTO job_runs (job, started_at, finished_at, status) VALUES ('outbox', now() - interval '70 seconds', now() - interval '60 seconds', 'ok')`);
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const admin = await staffAgent(t.app, user.loginId, password);
    expect((await admin.get('/staff/status/424242/edit')).status).toBe(404);
    await request(t.app).get('/status');

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.text;
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/status",status="200"\} [1-9]/);
    expect(text).toContain('route="/staff/status/:id/edit",status="404"');
    expect(text).not.toContain('424242');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.5",method="GET",route="\/status",status="200"\} [1-9]/);
    expect(text).toContain('booking_bookings{status="active"} 1');
    expect(text).toContain('booking_outbox_waiting{measure="count"} 1');
    const age = Number(text.match(/booking_job_last_success_age_seconds\{job="outbox"\} ([\d.]+)/)?.[1]);
    expect(age).toBeGreaterThanOrEqual(59);
    expect(age).toBeLessThan(120);
    expect(text).toMatch(/booking_db_pool_connections\{state="total"\} [1-9]/);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain('metrics@example.jp');
  });

  it('When fifty scrapes come at once, then each is answered', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => scrape()));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
  });
});
