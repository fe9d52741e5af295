// /metrics for Prometheus (prom-client): not public (a bearer token; without one configured the
// app neither counts nor serves metrics). Per process: request rate and latency by route, the connection pool,
// Node's own figures. From the database at each scrape, the same from every process: bookings
// by status, the outbox waiting to be sent, how long ago each job last ran well.
import { timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../../db/client.js';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  registry: Registry;
  /** Counts each request and its time, by the route that answered it. */
  requests: RequestHandler;
}

export function createMetrics(db: Database): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames: labels, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames: labels,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  databaseGauges(db, registry);
  return {
    registry,
    requests: (req, res, next) => {
      const stop = duration.startTimer();
      res.on('finish', () => {
        const values = { method: req.method, route: routeOf(req), status: String(res.statusCode) };
        requests.inc(values);
        stop(values);
      });
      next();
    },
  };
}

/**
 * The pattern of the route that answered (/staff/status/:id/edit), so each route is one series
 * whatever the ids in its path. Express has left the routers by the time a response finishes
 * (req.baseUrl is empty again): the mount path is the path's segments before the route's.
 */
function routeOf(req: Request): string {
  if (!req.route) return 'unmatched';
  const pattern = String(req.route.path);
  const segments = req.path.split('/').filter(Boolean);
  const own = pattern.split('/').filter(Boolean).length;
  return `/${[...segments.slice(0, Math.max(0, segments.length - own)), ...pattern.split('/').filter(Boolean)].join('/')}`;
}

function databaseGauges(db: Database, registry: Registry): void {
  new Gauge({
    name: 'booking_db_pool_connections',
    help: "This process's PostgreSQL connections",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, db.pool.totalCount);
      this.set({ state: 'idle' }, db.pool.idleCount);
      this.set({ state: 'waiting' }, db.pool.waitingCount);
    },
  });
  new Gauge({
    name: 'booking_bookings',
    help: 'Bookings by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM bookings GROUP BY status`);
      this.reset();
      for (const row of rows) this.set({ status: row.status }, row.n);
    },
  });
  new Gauge({
    name: 'booking_outbox_waiting',
    help: 'Mails waiting to be sent, and the age in seconds of the oldest',
    labelNames: ['measure'],
    registers: [registry],
    async collect() {
      const [row] = await db.query<{ n: number; age: number | null }>(
        `SELECT count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox_messages WHERE status = 'pending'`,
      );
      this.set({ measure: 'count' }, row.n);
      this.set({ measure: 'oldest_seconds' }, row.age ?? 0);
    },
  });
  new Gauge({
    name: 'booking_job_last_success_age_seconds',
    help: 'Seconds since each background job last finished without failing',
    labelNames: ['job'],
    registers: [registry],
    async collect() {
      const rows = await db.query<{ job: string; age: number }>(
        `SELECT job, extract(epoch FROM now() - max(finished_at))::float8 AS age FROM job_runs WHERE status = 'ok' AND finished_at IS NOT NULL GROUP BY job`,
      );
      this.reset();
      for (const row of rows) this.set({ job: row.job }, row.age);
    },
  });
}

/** Whether the request carries the configured token (compared in constant time). */
function authorised(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** GET /metrics for Prometheus (mounted only when a token is configured); 401 without the right token. */
export function metricsRoutes(metrics: Metrics, token: string): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (!authorised(req.get('authorization'), token)) return res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('unauthorised\n');
    try {
      res
        .set('Cache-Control', 'no-store')
        .type(metrics.registry.contentType)
        .send(await metrics.registry.metrics());
    } catch {
      // The database gauges could not be read: Prometheus records the scrape as failed.
      res.status(503).type('text/plain').send('metrics unavailable\n');
    }
  });
  return router;
}
