// Logs never contain passwords, birth dates or session ids; each request gets one line, without its query.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';

let t: TestApp;
let lines: string[];
beforeAll(async () => {
  const capture = capturingLogger();
  lines = capture.lines;
  t = await createTestApp({}, capture.logger);
});

describe('what the logs hold', () => {
  it('When staff log in (and fail), then the request log has no password and no session cookie', async () => {
    const { user, password } = await createStaff(t.db);
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login')).text);
    await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: user.loginId, password: 'Wrong-Secret-Value-1' });
    const token2 = csrfTokenFrom((await agent.get('/staff/login')).text);
    const ok = await agent.post('/staff/login').type('form').send({ _csrf: token2, loginId: user.loginId, password });
    const sid = ok.headers['set-cookie'][0].split(';')[0].split('=')[1];
    await agent.get('/staff');
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(3);
    expect(all).not.toContain(password);
    expect(all).not.toContain('Wrong-Secret-Value-1');
    expect(all).not.toContain(sid);
    expect(all).not.toContain(decodeURIComponent(sid).slice(2, 20));
  });

  it('When pages are asked for, then each gets one request line (id, method, path without the query, status, time) at a level by its status; health checks get none', async () => {
    const before = lines.length;
    const page = await request(t.app).get('/login?noticeId=123456789012&birth=0401');
    const missing = await request(t.app).get('/no-such-page');
    await request(t.app).get('/healthz');
    await request(t.app).get('/readyz');
    const logged = lines
      .slice(before)
      .map((line) => JSON.parse(line) as RequestLine)
      .filter((line) => line.req);
    expect(logged).toEqual(
      [
        {
          level: 30,
          msg: 'request completed',
          req: { id: page.headers['x-request-id'], method: 'GET', url: '/login' },
          res: { statusCode: 200 },
          responseTime: expect.any(Number),
        },
        {
          level: 40,
          msg: 'request completed',
          req: { id: missing.headers['x-request-id'], method: 'GET', url: '/no-such-page' },
          res: { statusCode: 404 },
          responseTime: expect.any(Number),
        },
      ].map((line) => expect.objectContaining(line)),
    );
    expect(lines.slice(before).join('\n')).not.toContain('123456789012');
  });

  it('When fifty requests arrive at once, then each gets exactly one line with its own id', async () => {
    const before = lines.length;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => request(t.app).get(`/login?n=${i}`)));
    const logged = lines
      .slice(before)
      .map((line) => JSON.parse(line) as RequestLine)
      .filter((line) => line.req);
    expect(logged.map((line) => line.req!.id).sort()).toEqual(answers.map((answer) => answer.headers['x-request-id']).sort());
    expect(new Set(logged.map((line) => line.req!.id)).size).toBe(50);
  });

  it('When the client goes away half-way through sending a form, then its request is logged as aborted and the app goes on', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const before = lines.length;
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nnoticeId=12');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const aborted = async () =>
      lines
        .slice(before)
        .map((line) => JSON.parse(line) as RequestLine)
        .find((line) => line.msg === 'request aborted');
    await expect.poll(aborted, { timeout: 5000 }).toMatchObject({ req: { method: 'POST', url: '/login' } });
    expect((await request(server).get('/login')).status).toBe(200);
    server.close();
  });
});

interface RequestLine {
  level: number;
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}
