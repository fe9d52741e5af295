import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserAgent, csrfTokenFrom, externalReferences } from '../helpers/http.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

function expectSecurityHeaders(headers: Record<string, string>) {
  const csp = headers['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  expect(headers['x-powered-by']).toBeUndefined();
}

describe('pages', () => {
  it.each([
    ['/', 'マイナンバーカード交付予約'],
    ['/staff/login', '職員ログイン'],
  ])('When %s is opened, then it is a Japanese page with strict security headers and nothing from other origins', async (path, heading) => {
    const response = await request(t.app).get(path);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html; charset=utf-8/);
    expect(response.text).toMatch(/<html lang="ja">/);
    expect(response.text).toContain(heading);
    expectSecurityHeaders(response.headers);
    expect(externalReferences(response.text)).toEqual([]);
    expect(response.text).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+="/i); // no inline script or handlers
  });

  it('When every stylesheet and image a page links to is fetched, then each is served from this origin', async () => {
    const page = await request(t.app).get('/staff/login');
    const assets = [...page.text.matchAll(/(?:href|src)="(\/[^"]+\.(?:css|js|svg|png))"/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect((await request(t.app).get(asset)).status, asset).toBe(200);
  });

  it('When an unknown page is requested, then a Japanese 404 page is shown', async () => {
    const response = await request(t.app).get('/no-such-page');
    expect(response.status).toBe(404);
    expect(response.text).toContain('ページが見つかりません');
    expect(response.text).toMatch(/<html lang="ja">/);
  });

  it('When every response is sent, then it carries a request id (and a sane incoming one is kept)', async () => {
    const fresh = await request(t.app).get('/');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const forwarded = await request(t.app).get('/').set('X-Request-Id', 'lb-1234567890');
    expect(forwarded.headers['x-request-id']).toBe('lb-1234567890');
    const hostile = await request(t.app).get('/').set('X-Request-Id', 'x<script>alert(1)</script>');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('When the citizen start page is viewed without a form, then no session is created', async () => {
    const response = await request(t.app).get('/');
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('health', () => {
  it('When the process is up, then /healthz answers ok; when the database answers, /readyz is ready', async () => {
    expect((await request(t.app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(t.app).get('/readyz')).status).toBe(200);
  });
});

describe('sessions and CSRF', () => {
  it('When a form page is opened, then its session is stored in PostgreSQL and the cookie is HttpOnly and SameSite', async () => {
    const response = await request(t.app).get('/staff/login');
    const cookie = response.headers['set-cookie'][0];
    expect(cookie).toMatch(/^sid=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const sid = decodeURIComponent(cookie.split(';')[0].slice(4)).slice(2).split('.')[0];
    const row = await t.db.pool.query('SELECT sess FROM session WHERE sid = $1', [sid]);
    expect(row.rowCount).toBe(1);
  });

  it('When a form is posted without its token, or with a wrong one, then it is refused with a Japanese message', async () => {
    const agent = browserAgent(t.app);
    await agent.get('/staff/login');
    const missing = await agent.post('/staff/login').type('form').send({ loginId: 'a', password: 'b' });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('不正な操作の可能性があるため処理を中止しました');
    const wrong = await agent.post('/staff/login').type('form').send({ _csrf: 'forged', loginId: 'a', password: 'b' });
    expect(wrong.status).toBe(403);
    const fromOtherSession = csrfTokenFrom((await request(t.app).get('/staff/login')).text);
    expect((await agent.post('/staff/login').type('form').send({ _csrf: fromOtherSession })).status).toBe(403);
  });

  it('When a JSON request changes state without the token header, then it is refused too', async () => {
    const agent = browserAgent(t.app);
    await agent.get('/staff/login');
    expect((await agent.post('/staff/login').send({ loginId: 'a' })).status).toBe(403);
  });

  it('When a form is posted with the token from its own page, then the CSRF check lets it through', async () => {
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login')).text);
    const response = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: 'nobody', password: 'x' });
    expect(response.status).not.toBe(403);
  });
});

describe('errors', () => {
  it('When the server fails, then a Japanese 500 page with a request id is shown and no stack trace or SQL leaks', async () => {
    const broken = await createTestApp();
    const agent = browserAgent(broken.app);
    await agent.get('/staff/login'); // a session now exists
    await broken.db.close(); // the database goes away under the app
    const response = await agent.get('/staff/login');
    expect(response.status).toBe(500);
    expect(response.text).toContain('エラーが発生しました');
    expect(response.text).toContain(response.headers['x-request-id']);
    expect(response.text).not.toMatch(/at \w+ \(|node_modules|Error:|SELECT|postgres/i);
    expect((await agent.get('/readyz')).status).toBe(503);
    expect((await agent.get('/healthz')).status).toBe(200);
  });

  it('When a body is too large, then a Japanese message is shown and nothing else happens', async () => {
    const response = await request(t.app)
      .post('/staff/login')
      .type('form')
      .send({ big: 'x'.repeat(200_000) });
    expect(response.status).toBe(413);
    expect(response.text).toContain('送信されたデータが大きすぎます');
  });
});

describe('production mode', () => {
  it('When NODE_ENV is production, then views are looked up and compiled once; in development they are read again', async () => {
    const secrets = { SESSION_SECRET: 'p'.repeat(40), BIRTH_DATE_PEPPER: 'q'.repeat(40), PUBLIC_BASE_URL: 'https://yoyaku.example.lg.jp' };
    const production = await createTestApp({ NODE_ENV: 'production', ...secrets });
    expect(production.app.get('view cache')).toBe(true);
    expect(production.app.locals.cache).toBe(true);
    expect((await request(production.app).get('/login')).status).toBe(200);
    expect(t.app.get('view cache')).toBe(false);
    expect(t.app.locals.cache).toBe(false);
  });
});
