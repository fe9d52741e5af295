// Logs never contain passwords, birth dates or session ids.
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
});
