// What one request costs in the app's stack, piece by piece: a page (GET) and a form (POST, which
// changes the session, then a redirect), served in-process to a keep-alive client, by bare
// node:http, by Express 5 alone, and by Express with each middleware the citizen's requests pass
// (the app's security headers, form parser and session cookie, from the compiled build). Each
// runs in a fresh process; the CPU includes the client's, the same in every row. Beside it, how
// often V8 ran a full (mark-compact) collection.
//
//   npm run build && node bench/stack-request.mjs        (BENCH_ROUNDS: 8000 GET+POST pairs)
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { bareExpress, citizenMiddleware } from './citizen-stack.mjs';

const VARIANTS = ['bare node:http', 'express', 'express + helmet', 'express + form parser', 'express + session cookie', 'express + all three'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8000);
const PAGE = 'あ'.repeat(2000); // about the size of the app's pages (6 KB)
const FORM = '_csrf=abcdefabcdefabcdefabcdefabcdef&holdId=12&email=c%40example.jp&emailAgain=c%40example.jp';

function handler(variant) {
  if (variant === 'bare node:http')
    return (req, res) => {
      req.resume();
      req.on('end', () => (req.method === 'GET' ? res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE) : res.writeHead(303, { location: '/page' }).end()));
    };
  const app = bareExpress();
  const { helmet, formParser, sessionCookie } = citizenMiddleware('bench-session-secret-0123456789abcdef0123');
  const all = variant === 'express + all three';
  if (all || variant === 'express + helmet') app.use(helmet);
  if (all || variant === 'express + form parser') app.use(formParser);
  if (all || variant === 'express + session cookie') app.use(sessionCookie);
  app.get('/page', (_req, res) => res.type('html').send(PAGE));
  app.post('/form', (req, res) => {
    if (req.session) req.session.step = (req.session.step ?? 0) + 1; // as the app's forms do: a fresh cookie goes out
    res.redirect(303, '/page');
  });
  return app;
}

async function measure(variant) {
  const server = http.createServer(handler(variant)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const agent = new http.Agent({ keepAlive: true });
  let cookie = '';
  const request = (method, path, body) =>
    new Promise((resolve, reject) => {
      const headers = { cookie, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}) };
      const outgoing = http.request({ host: '127.0.0.1', port: server.address().port, path, method, agent, headers }, (response) => {
        const set = response.headers['set-cookie'];
        if (set) cookie = set[0].split(';')[0];
        response.resume();
        response.on('end', resolve);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const round = async () => {
    await request('GET', '/page');
    await request('POST', '/form', FORM);
  };
  for (let i = 0; i < 1000; i += 1) await round(); // warm up
  let fullCollections = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections += 1;
  });
  observer.observe({ entryTypes: ['gc'] });
  const before = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i += 1) await round();
  const cpu = process.cpuUsage(before);
  await new Promise((resolve) => setImmediate(resolve)); // the last gc entries
  observer.disconnect();
  server.close();
  agent.destroy();
  return { us: (cpu.user + cpu.system) / (2 * ROUNDS), fullCollections: (fullCollections * 10_000) / (2 * ROUNDS) };
}

if (process.env.STACK_VARIANT) {
  process.stdout.write(JSON.stringify(await measure(process.env.STACK_VARIANT)));
} else {
  console.log(`one request in the app's stack: ${ROUNDS} GET + POST pairs per row, server and client in one process, each row a fresh process`);
  let bare;
  for (const variant of VARIANTS) {
    const child = spawnSync(process.execPath, [import.meta.filename], { env: { ...process.env, STACK_VARIANT: variant }, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${variant}: ${child.stderr}`);
    const { us, fullCollections } = JSON.parse(child.stdout);
    bare ??= us;
    console.log(
      `  ${variant.padEnd(26)} ${us.toFixed(0).padStart(4)} us CPU per request (+${(us - bare).toFixed(0)} over bare node:http), ${fullCollections.toFixed(1)} full collections per 10,000 requests`,
    );
  }
}
