// The floor of the booking storm's HTTP figures on this machine: a bare node:http server (no
// Express, no templates, no sessions, no app logic) answering the same eight requests of a
// citizen's journey as the app, each making the same number of round trips to PostgreSQL
// (trivial statements, in a transaction where the app runs one). bench/booking-storm.ts forks
// it with node:cluster like the app processes and drives it with the same journey code, so
// what the app costs above this floor is its own work.
//
// With `stack: 'express'` in its settings it is the floor of the app's stack instead: the same
// answers through Express 5 with the middleware every citizen request passes in the app (its
// security headers, form parser and citizen session cookie, from the compiled build), still no
// templates and no app logic.
import http from 'node:http';
import pg from 'pg';
import { bareExpress, citizenMiddleware } from './citizen-stack.mjs';

const { url, port, pool: size, stack, secrets } = JSON.parse(process.env.BENCH_WORKER ?? '{}');
const pool = new pg.Pool({ connectionString: url, max: size, pipeline: true });

// Round trips per request in the app, as counted there: log-in 5 (one transaction: BEGIN with the
// first reads, the ID's attempt, the address budget, clear + audit, COMMIT), the day page 1,
// hold 4 (one transaction), the confirm and review pages 1 each, the email 1, complete 5 (one transaction).
const ROUTES = {
  'GET /login': { trips: 0, page: 'login' },
  'POST /login': { trips: 5, transaction: true, redirect: '/booking' },
  'GET /day': { trips: 1, page: 'day' },
  'POST /booking/hold': { trips: 4, transaction: true, redirect: '/booking/confirm' },
  'GET /booking/confirm': { trips: 1, page: 'confirm' },
  'POST /booking/confirm': { trips: 1, redirect: '/booking/review' },
  'GET /booking/review': { trips: 1, page: 'review' },
  'POST /booking/complete': { trips: 5, transaction: true, redirect: '/booking?done=booked' },
};

const filler = 'あ'.repeat(2000); // about the size of the app's pages (6 KB)
const hidden = (name, value) => `<input type="hidden" name="${name}" value="${value}">`;
const PAGES = {
  login: `<form method="post" action="/login">${hidden('_csrf', 'token')}</form>${filler}`,
  day: `<form method="post" action="/booking/hold">${hidden('_csrf', 'token')}${Array.from({ length: 32 }, (_, i) => `<button name="slotId" value="${i + 1}">`).join('')}</form>${filler}`,
  confirm: `<form method="post" action="/booking/confirm">${hidden('_csrf', 'token')}${hidden('holdId', '1')}</form>${filler}`,
  review: `<form method="post" action="/booking/complete">${hidden('_csrf', 'token')}${hidden('holdId', '1')}</form>${filler}`,
};

async function roundTrips(route) {
  if (route.trips === 0) return;
  const client = await pool.connect();
  try {
    const trips = route.transaction ? route.trips - 2 : route.trips;
    if (route.transaction) await client.query('BEGIN; SELECT 1');
    for (let i = 0; i < trips; i += 1) await client.query({ name: 'floor', text: 'SELECT $1::int AS n', values: [i] });
    if (route.transaction) await client.query('COMMIT');
  } finally {
    client.release();
  }
}

const bare = (req, res) => {
  const route = ROUTES[`${req.method} ${req.url.startsWith('/booking/counters/') ? '/day' : req.url}`];
  req.resume();
  req.on('end', async () => {
    if (!route) return res.writeHead(404).end();
    await roundTrips(route);
    if (route.redirect) return res.writeHead(303, { location: route.redirect, 'set-cookie': 'sid=floor; HttpOnly' }).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGES[route.page]);
  });
};

function expressStack() {
  const app = bareExpress();
  const { helmet, formParser, sessionCookie } = citizenMiddleware(secrets.sessionSecret);
  app.use(helmet, formParser, sessionCookie);
  for (const [key, route] of Object.entries(ROUTES)) {
    const [method, path] = key.split(' ');
    app[method.toLowerCase()](path === '/day' ? '/booking/counters/:counter/days/:day' : path, async (req, res) => {
      await roundTrips(route);
      if (!route.redirect) return res.type('html').send(PAGES[route.page]);
      req.session.step = path; // as the app's forms do, each changes the session: a fresh cookie goes out
      res.redirect(303, route.redirect);
    });
  }
  return app;
}

const server = http.createServer(stack === 'express' ? expressStack() : bare);
server.listen(port, '127.0.0.1', () => process.send?.('listening'));
process.on('message', async (message) => {
  if (message === 'cpu') return process.send?.({ cpu: process.cpuUsage() });
  if (message !== 'stop') return;
  server.close();
  await pool.end();
  process.exit(0);
});
