import { Router, type RequestHandler } from 'express';
import type pg from 'pg';

/** Whether the process is shutting down: it still answers, but asks clients to go elsewhere. */
export type Draining = () => boolean;

/**
 * /healthz: the process is up. /readyz: the database answers and the process is not shutting
 * down (load balancers stop sending it requests when it says no).
 */
export function healthRoutes(pool: pg.Pool, draining: Draining = () => false): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (draining()) return res.status(503).json({ status: 'draining' });
    try {
      await pool.query('SELECT 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  return router;
}

/** While draining, every answer closes its connection, so a kept-alive client reconnects (through the load balancer, to another process). */
export function closeWhileDraining(draining: Draining): RequestHandler {
  return (_req, res, next) => {
    if (draining()) res.set('Connection', 'close');
    next();
  };
}
