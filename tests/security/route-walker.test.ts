// Walks EVERY route of the app, read from the Express router at run time (never a hand-kept
// list), as every role, and throws hostile values at every path parameter, query field and form
// field: a NUL byte, integers beyond int4, -1, 0, impossible dates and months, a very long
// string, '%00', '../', fields sent twice, fields left out, and JSON objects, arrays, numbers and
// null. No answer may be 500 or more, no exception may escape, and /healthz must still answer.
// A route that turns the role away (log-in redirect, 403) gets only a probe of the two values
// that broke the most; the six roles walk at the same moment to keep the run short.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CARD_FIELDS } from '../../src/features/cards/card-row.js';
import { profileForm } from '../../src/features/cards/import-profiles.js';
import { periodsForm } from '../../src/features/retention/routes.js';
import * as consoleForms from '../../src/features/console/forms.js';
import * as scheduleForms from '../../src/features/schedule/forms.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { routesOf, type Route } from '../helpers/routes.js';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { inTx } from '../helpers/tx.js';
import { logisticsFixture } from '../helpers/logistics.js';

/** The values the brief names; path parameters also get a few spellings of a number. */
const HOSTILE = ['\u0000', '99999999999999999999', '-1', '0', '2026-02-31', '2026-13-45', '0000-01', 'x'.repeat(600), '%00', '../'];
const PATH_ONLY = ['2147483647', '1e3', '１２', 'a\r\nb'];
/** What a route that turns the role away (log-in redirect, 403) still gets: the two values that broke the most. */
const PROBE = ['\u0000', '99999999999999999999'];
/** In a path: every value percent-encoded, except the two meant to reach the server raw. */
const inPath = (value: string) => (value === '%00' || value === '../' ? value : encodeURIComponent(value));

/** The field names of a zod object schema (or of each member of a union of them). */
function schemaKeys(schema: unknown): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion) return schema.options.flatMap(schemaKeys);
  return [];
}

/** Form field names: every static name="..." in the views, the keys of the forms' zod schemas, and common names. */
function fieldNames(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ejs')) for (const match of readFileSync(full, 'utf8').matchAll(/name="([A-Za-z_][A-Za-z0-9_]*)"/g)) names.add(match[1]);
    }
  };
  walk(path.resolve('views'));
  for (const module of [scheduleForms, consoleForms, { profileForm, periodsForm }])
    for (const schema of Object.values(module)) for (const name of schemaKeys(schema)) names.add(name);
  for (const field of CARD_FIELDS) names.add(`${field}_0`); // the quick-add form's first row
  const common = [
    'id',
    'page',
    'code',
    'label',
    'start',
    'end',
    'breakStart',
    'breakEnd',
    'slotMinutes',
    'capacityPerSlot',
    'peoplePerWindow',
    'reservedCapacity',
    'validFrom',
    'validTo',
    'dateFrom',
    'dateTo',
    'email',
    'emailAgain',
    'current',
    'next',
    'confirm',
    'windows',
    'address',
    'purposes',
    'change',
    'done',
    'print',
    'before',
    'offsetDays',
    'col_noticeId',
    'col_birthDate',
    'hasHeader',
    'familyId2',
    'familyBirth2',
    'refresh',
    'noShows',
    'week',
    'limit',
    'sort',
    'type',
    'locale',
    'lang',
    'cancelled',
    'expired',
    'loggedOut',
    'counter',
  ];
  for (const name of common) names.add(name);
  names.delete('_csrf');
  names.delete('file');
  return [...names];
}

interface Session {
  role: string;
  cookie: string;
  csrf: string;
}

let t: TestApp;
let server: http.Server;
let port: number;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const crashes: unknown[] = [];
const errorLog: string[] = []; // what the app logged for its 500s, printed when the walk fails
const recordCrash = (error: unknown) => crashes.push(error);

interface Answer {
  status: number;
  text: string;
  setCookie: string[];
  location: string;
}

/** One raw request (the path is sent as written: no normalisation of '../' or '%00'). */
function send(method: string, target: string, options: { cookie?: string; csrf?: string; body?: string; json?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (options.cookie) headers.cookie = options.cookie;
    if (options.csrf) headers['x-csrf-token'] = options.csrf;
    if (options.body !== undefined) {
      headers['content-type'] = options.json ? 'application/json' : 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const request = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent }, (response) => {
      // A live stream never ends: its answer is its status, and the socket is let go.
      if (String(response.headers['content-type']).startsWith('text/event-stream')) {
        request.destroy();
        return resolve({ status: response.statusCode ?? 0, text: '', setCookie: [], location: '' });
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          setCookie: response.headers['set-cookie'] ?? [],
          location: response.headers.location ?? '',
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const tokenIn = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
const cookieOf = (answer: Answer, previous = '') => answer.setCookie.map((cookie) => cookie.split(';')[0]).join('; ') || previous;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function anonymousSession(): Promise<Session> {
  const page = await send('GET', '/login');
  return { role: 'anonymous', cookie: cookieOf(page), csrf: tokenIn(page.text) };
}

async function citizenSession(noticeId: string, birth: string): Promise<Session> {
  const start = await anonymousSession();
  const login = await send('POST', '/login', { cookie: start.cookie, body: form({ _csrf: start.csrf, noticeId, birth }) });
  expect(login.status, login.text).toBe(303);
  const cookie = cookieOf(login, start.cookie);
  const page = await send('GET', '/booking/counters', { cookie });
  return { role: 'citizen', cookie, csrf: tokenIn(page.text) };
}

async function staffSession(role: string, loginId: string, password: string): Promise<Session> {
  const start = await send('GET', '/staff/login');
  const login = await send('POST', '/staff/login', { cookie: cookieOf(start), body: form({ _csrf: tokenIn(start.text), loginId, password }) });
  expect(login.status, login.text).toBe(303);
  const cookie = cookieOf(login, cookieOf(start));
  const page = await send('GET', '/staff/password', { cookie });
  expect(page.status).toBe(200);
  return { role, cookie, csrf: tokenIn(page.text) };
}

/** A real value for each path parameter, so that query and form fields reach the handler. */
let validParams: (routePath: string, name: string) => string;

function fill(routePath: string, override?: { name: string; value: string }): string {
  return routePath.replace(/:(\w+)/g, (_match, name: string) => (override?.name === name ? inPath(override.value) : encodeURIComponent(validParams(routePath, name))));
}

type Outgoing = { method: string; target: string; body?: string; json?: boolean };
const MAX_URL = 12_000;

/** The requests one role sends to one route: `full` when the role reaches its handler, else a probe. */
function requestsFor(route: Route, names: string[], full: boolean): Outgoing[] {
  const params = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
  const base = fill(route.path);
  const post = route.method === 'POST';
  const values = full ? HOSTILE : PROBE;
  const fields = (value: (name: string) => string[], some = names) =>
    some.flatMap((name) => value(name).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`)).join('&');
  const halves = [names.slice(0, names.length / 2), names.slice(names.length / 2)];
  // A URL holds about 16 KB (Node's header limit): a query of every field goes in halves when it would not fit.
  const queries = (value: string) => {
    const whole = `${base}?${fields(() => [value])}`;
    return whole.length <= MAX_URL ? [whole] : halves.map((half) => `${base}?${fields(() => [value], half)}`);
  };
  const out: Outgoing[] = [];
  for (const name of params)
    for (const value of full ? [...HOSTILE, ...PATH_ONLY] : PROBE) out.push({ method: route.method, target: fill(route.path, { name, value }), body: post ? '' : undefined });
  for (const value of values) {
    const short = value.length > 100 ? value.slice(0, 100) : value; // a URL has room for ~100 characters per field
    if (post) out.push({ method: 'POST', target: base, body: fields(() => [value]) });
    else out.push(...queries(short).map((target) => ({ method: 'GET', target })));
  }
  if (!full) return out;
  // Every field sent twice; a form body holds at most 200 fields (express.urlencoded's parameterLimit), so in halves.
  const twice = (some: string[]) => some.flatMap((name) => ['1', '2026-01-01'].map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`)).join('&');
  if (post) out.push(...halves.map((half) => ({ method: 'POST', target: base, body: twice(half) })));
  else out.push({ method: 'GET', target: `${base}?${twice(names)}` });
  if (post) out.push({ method: 'POST', target: `${base}?${fields(() => ['\u0000'])}`, body: '' });
  // JSON bodies carry what a form cannot: objects, arrays, numbers, null, in place of strings.
  for (const value of [{ $gt: '' }, [1, 'x'], 1e21, null])
    if (post) out.push({ method: 'POST', target: base, body: JSON.stringify(Object.fromEntries(names.map((name) => [name, value]))), json: true });
  return out;
}

const refused = (answer: Answer) => answer.status === 403 || answer.status === 401 || (answer.status === 303 && /\/login/.test(answer.location));

/**
 * Sends every route its requests, a few at a time. Each route first gets its plain request
 * (fields missing); where that turns the role away, the route gets only the probe values.
 */
async function walk(session: Session, routes: Route[], names: string[]): Promise<{ failures: string[]; sent: number; tooLarge: number }> {
  const failures: string[] = [];
  let sent = 0;
  let tooLarge = 0;
  const run = async (request: Outgoing) => {
    sent += 1;
    const answer = await send(request.method, request.target, { cookie: session.cookie, csrf: session.csrf, body: request.body, json: request.json }).catch((error: Error) => ({
      status: 599,
      text: error.message,
      setCookie: [],
      location: '',
    }));
    if ([413, 414, 431].includes(answer.status)) tooLarge += 1; // refused before any handler ran
    if (answer.status >= 500)
      failures.push(`${session.role} ${request.method} ${request.target.slice(0, 160)}${request.body ? ` [${request.body.slice(0, 100)}]` : ''} -> ${answer.status}`);
    return answer;
  };
  const queue: Outgoing[] = [];
  await pool(routes, async (route) => {
    const plain = await run({ method: route.method, target: fill(route.path), body: route.method === 'POST' ? '' : undefined });
    queue.push(...requestsFor(route, names, !refused(plain)));
  });
  await pool(queue, run);
  return { failures, sent, tooLarge };
}

/** At most CONCURRENCY requests in flight. */
async function pool<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  const CONCURRENCY = 4; // per role: 24 requests in flight in all
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const ROLES = ['anonymous', 'citizen', 'operator', 'staff limited to one counter', 'staff', 'admin'];
const sessions = new Map<string, Session>();
const walks = new Map<string, Promise<WalkResult>>();
let routes: Route[];
let names: string[];

beforeAll(async () => {
  process.on('uncaughtException', recordCrash);
  process.on('unhandledRejection', recordCrash);
  t = await createTestApp({}, pino({ level: 'error' }, { write: (line: string) => errorLog.push(line) }));
  server = await new Promise<http.Server>((resolve) => {
    const listening = t.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  port = (server.address() as AddressInfo).port;
  routes = routesOf(t.app);
  names = fieldNames();
  console.log(`route walker: ${routes.length} routes, ${names.length} field names`);

  const counter = await createCounter(t.db, { name: '本庁舎' });
  const other = await createCounter(t.db, { name: '北支所' });
  const day = addDays(todayInJapan(), 7);
  const slot = await createSlot(t.db, { counterId: counter.id, date: day });
  await createSlot(t.db, { counterId: other.id, date: day });
  const { holder, noticeId, mmdd } = await createCardHolder(t.db, { counterId: counter.id });
  const target = await createStaff(t.db, { role: 'staff' });
  const profile = await t.db.prisma.importProfile.findFirstOrThrow();
  const ticket = await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
  const logistics = await logisticsFixture(t.db, counter.id);
  const incident = await t.db.prisma.incident.create({ data: { kind: 'counter', counterId: counter.id, title: '発券機の故障', startedAt: new Date(), recordedBy: 'staff:1' } });
  const byPrefix: [RegExp, number | string][] = [
    [/^\/staff\/incidents\//, incident.id],
    [/^\/staff\/users\//, target.user.id],
    [/^\/staff\/cards\/profiles\//, profile.id],
    [/^\/staff\/(schedule|console|floor)\/counters\//, counter.id],
    [/^\/staff\/floor\/tickets\//, ticket.id],
    [/^\/staff\/logistics\/sites\//, counter.id],
    [/^\/staff\/logistics\/shipments\//, logistics.shipmentId],
    [/^\/staff\/logistics\/counts\//, logistics.countId],
    [/^\/staff\/logistics\/transfers\//, logistics.transferId],
    [/^\/staff\/(cards|console\/holders)\//, holder.id],
  ];
  validParams = (routePath, name) => {
    if (name === 'date') return day;
    if (name === 'counterId') return String(counter.id);
    if (name === 'slotId') return String(slot.id);
    if (name === 'code') return counter.code;
    if (name === 'token') return ticket.token;
    if (name === 'table') return 'summary';
    if (name === 'unit') return 'days';
    return String(byPrefix.find(([pattern]) => pattern.test(routePath))?.[1] ?? 1);
  };

  sessions.set('anonymous', await anonymousSession());
  sessions.set('citizen', await citizenSession(noticeId, mmdd));
  for (const [role, options] of [
    ['operator', { role: 'operator' }],
    ['staff limited to one counter', { role: 'staff', counterIds: [counter.id] }],
    ['staff', { role: 'staff' }],
    ['admin', { role: 'admin' }],
  ] as const) {
    const { user, password } = await createStaff(t.db, { ...options, counterIds: 'counterIds' in options ? [...options.counterIds] : undefined });
    sessions.set(role, await staffSession(role, user.loginId, password));
  }
  // The roles walk at the same moment (the database works while the app renders), each with
  // its log-out routes last so its session lasts the whole walk.
  for (const role of ROLES) walks.set(role, walkAs(sessions.get(role)!));
  await Promise.all(walks.values());
}, 120_000);

type WalkResult = { failures: string[]; sent: number; tooLarge: number; stillLoggedIn: boolean };

async function walkAs(session: Session): Promise<WalkResult> {
  const isLogout = (route: Route) => route.path.endsWith('/logout');
  const first = await walk(
    session,
    routes.filter((route) => !isLogout(route)),
    names,
  );
  const home = session.role === 'anonymous' ? undefined : await send('GET', session.role === 'citizen' ? '/booking/counters' : '/staff/', { cookie: session.cookie });
  const last = await walk(session, routes.filter(isLogout), names);
  return {
    failures: [...first.failures, ...last.failures],
    sent: first.sent + last.sent,
    tooLarge: first.tooLarge + last.tooLarge,
    stillLoggedIn: home === undefined || home.status === 200,
  };
}

afterAll(async () => {
  process.off('uncaughtException', recordCrash);
  process.off('unhandledRejection', recordCrash);
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('route walker', () => {
  it('When the router is read, then it lists the known routes of every feature (the walk covers the whole app)', () => {
    const paths = routes.map((route) => `${route.method} ${route.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'POST /login',
        'GET /booking/counters/:counterId/days/:date',
        'POST /staff/cards/imports',
        'GET /staff/users/:id/edit',
        'GET /staff/console/counters/:id/day',
        'GET /staff/mail/:id',
        'GET /staff/schedule/counters/:id/month',
      ]),
    );
    expect(routes.length).toBeGreaterThan(100);
  });

  it.each(ROLES)('When every route gets hostile path, query and form values as %s, then no answer is 500 or more and the app still answers /healthz', async (role) => {
    const { failures, sent, tooLarge, stillLoggedIn } = await walks.get(role)!;
    if (failures.length > 0) console.log([...failures, ...errorLog.map((line) => line.slice(0, 1500))].join('\n'));
    expect(stillLoggedIn, `${role} was logged out during the walk, so the walk did not run as ${role}`).toBe(true);
    expect(sent).toBeGreaterThan(routes.length);
    expect(tooLarge, 'requests refused as too large (body, URL, headers) never reached a handler').toBe(0);
    expect(failures).toEqual([]);
    expect(crashes).toEqual([]);
    expect((await send('GET', '/healthz')).status).toBe(200);
  });
});
