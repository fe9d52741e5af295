import { Router } from 'express';
import type pg from 'pg';

/** /healthz: the process is up. /readyz: the database answers (for load balancers). */
export function healthRoutes(pool: pg.Pool): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await pool.query('SELECT 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  return router;
}
