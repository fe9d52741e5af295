// IPA 安全なウェブサイトの作り方: session management (cookie attributes), clickjacking, HSTS.
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';

let tls: TestApp;
let plain: TestApp;
beforeAll(async () => {
  tls = await createTestApp({ COOKIE_SECURE: 'true', TRUST_PROXY: '1' });
  plain = await createTestApp();
});

function expectHostCookie(cookie: string, name: string) {
  expect(cookie.startsWith(`${name}=`)).toBe(true);
  for (const attribute of [/; Secure/, /; HttpOnly/, /; SameSite=Lax/, /; Path=\//]) expect(cookie).toMatch(attribute);
  expect(cookie).not.toMatch(/; Domain=/i);
}

describe('served over TLS (behind a proxy)', () => {
  it('When a session starts, then the cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax and path /', async () => {
    const response = await request(tls.app).get('/staff/login').set('X-Forwarded-Proto', 'https');
    expectHostCookie(response.headers['set-cookie'][0], '__Host-sid');
  });

  it('When a citizen session starts, then its cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax, path / and ends with the idle time-out', async () => {
    const response = await request(tls.app).get('/login').set('X-Forwarded-Proto', 'https');
    const cookie = response.headers['set-cookie'][0];
    expectHostCookie(cookie, '__Host-citizen');
    expect(cookie).toMatch(/; Max-Age=900(;|$)/);
  });

  it('When any page is served, then HSTS and upgrade-insecure-requests are sent', async () => {
    const response = await request(tls.app).get('/').set('X-Forwarded-Proto', 'https');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000; includeSubDomains/);
    expect(response.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });
});

describe('served over plain HTTP (development)', () => {
  it('When any page is served, then no HSTS is sent (it would lock out a plain-HTTP intranet host)', async () => {
    const response = await request(plain.app).get('/');
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('When a page is framed by another site, then the browser is told not to (frame-ancestors none, X-Frame-Options DENY)', async () => {
    const response = await request(plain.app).get('/staff/login');
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('When a staff page is served, then it must not be stored (no-store)', async () => {
    const response = await request(plain.app).get('/staff/login');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('When a citizen page with booking data is served, then it must not be stored (no-store)', async () => {
    const person = await createCardHolder(plain.db);
    const agent = browserAgent(plain.app);
    const token = csrfTokenFrom((await agent.get('/login')).text);
    expect((await agent.post('/login').type('form').send({ _csrf: token, noticeId: person.noticeId, birth: person.mmdd })).status).toBe(303);
    const page = await agent.get('/booking/counters');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
  });
});
