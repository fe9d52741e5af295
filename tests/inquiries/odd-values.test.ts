// Odd values on every field and path parameter the inquiry log and the incident log take: a NUL
// byte, 2^31, a 20-digit number, 2026-02-31 and a doubled field each give a Japanese 400 (or the
// 404 of a record that cannot exist), never a 500, and change nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCounter } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { staffOf, type Agent } from '../console/helpers.js';

const { today } = pinClock('2027-02-10T10:00:00+09:00');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

const ODD = ['\u0000', '1\u0000', '2147483648', '99999999999999999999', '2026-02-31', '-1'];
/** Free text where a number or a date is a fine answer: only the NUL byte is odd there. */
const TEXT = new Set(['body', 'escalatedTo', 'title', 'description', 'impact', 'response']);
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
const snapshot = async () =>
  (
    await t.db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM inquiries)::text || '/' || (SELECT count(*) FROM incidents)::text || '/' || (SELECT count(*) FROM incident_alerts)::text AS n`,
    )
  )[0].n;

/** Posts `fields` with one field replaced by `value`, then by the field doubled. */
async function sweep(agent: Agent, page: string, action: string, base: Record<string, string>, field: string) {
  const token = csrfTokenFrom((await agent.get(page)).text);
  const statuses: string[] = [];
  const send = async (body: string, label: string) => {
    const response = await agent.post(action).type('form').send(body);
    statuses.push(`${label}: ${response.status}`);
    if (response.status === 400) expect(response.text, label).toMatch(JAPANESE);
    return response.status;
  };
  const encoded = (fields: Record<string, string>) => Object.entries(fields).map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  for (const value of TEXT.has(field) ? ODD.slice(0, 2) : ODD)
    await send([`_csrf=${encodeURIComponent(token)}`, ...encoded({ ...base, [field]: value })].join('&'), `${field}=${JSON.stringify(value)}`);
  const again = `${encodeURIComponent(field)}=${encodeURIComponent(base[field] ?? '1')}`;
  const doubled = [`_csrf=${encodeURIComponent(token)}`, ...encoded(base), ...(field in base ? [again] : [again, again])].join('&');
  await send(doubled, `${field} doubled`);
  return statuses;
}

describe('odd values', () => {
  it('When every inquiry field and path parameter gets an odd value, then the answer is a 400 in Japanese or a 404, and nothing is recorded', async () => {
    const counter = await createCounter(t.db);
    const { agent } = await staffOf(t, 'admin');
    const before = await snapshot();
    const base = { receivedDate: today, receivedTime: '09:30', channel: 'phone', categoryCode: 'booking_method', body: '内容', counterId: String(counter.id) };
    for (const field of [...Object.keys(base), 'cardHolderId', 'bookingId', 'applicantId', 'escalatedTo']) {
      const statuses = await sweep(agent, '/staff/inquiries/new', '/staff/inquiries/new', base, field);
      for (const status of statuses) expect(status, status).toMatch(/: 400$/);
    }
    for (const id of ['2147483648', '99999999999999999999', '1%00', '-1']) {
      expect((await agent.get(`/staff/inquiries/${id}`)).status, id).toBe(404);
      for (const step of ['escalate', 'answer', 'close']) {
        const token = csrfTokenFrom((await agent.get('/staff/inquiries/new')).text);
        const response = await agent.post(`/staff/inquiries/${id}/${step}`).type('form').send({ _csrf: token, escalatedTo: '係', response: '回答' });
        expect(response.status, `${step} ${id}`).toBe(404);
      }
    }
    for (const query of ['from=2026-02-31', 'holder=2147483648', 'category=%00', 'channel=phone&channel=mail']) {
      expect((await agent.get(`/staff/inquiries?${query}`)).status, query).toBe(400);
      expect((await agent.get(`/staff/inquiries/export.csv?${query}`)).status, query).toBe(400);
    }
    for (const month of ['2026-13', '2026-02-31', '%00', '99999999999999999999-01']) expect((await agent.get(`/staff/inquiries/counts?month=${month}`)).status, month).toBe(400);
    for (const holder of ['2147483648', '%00', '99999999999999999999']) expect((await agent.get(`/staff/inquiries/new?holder=${holder}`)).status, holder).toBeLessThan(500);
    expect(await snapshot()).toBe(before);
  });

  it('When every incident field and path parameter gets an odd value, then the answer is a 400 in Japanese or a 404, and nothing is recorded or linked', async () => {
    const counter = await createCounter(t.db);
    const { agent } = await staffOf(t, 'admin');
    const base = {
      kind: 'counter',
      counterId: String(counter.id),
      title: '件名',
      description: '',
      impact: '',
      response: '',
      startDate: today,
      startTime: '08:30',
      endDate: today,
      endTime: '09:00',
    };
    const before = await snapshot();
    for (const field of [...Object.keys(base), 'alertId']) {
      const statuses = await sweep(agent, '/staff/incidents/new', '/staff/incidents/new', base, field);
      for (const status of statuses) expect(status, status).toMatch(/: 400$/);
    }
    expect(await snapshot()).toBe(before);

    const token = csrfTokenFrom((await agent.get('/staff/incidents/new')).text);
    const created = await agent
      .post('/staff/incidents/new')
      .type('form')
      .send({ _csrf: token, ...base, endDate: '', endTime: '' });
    expect(created.status).toBe(303);
    const id = /\/staff\/incidents\/(\d+)/.exec(created.headers.location)![1];
    const page = `/staff/incidents/${id}`;
    const afterCreate = await snapshot();
    for (const field of ['endDate', 'endTime', 'response']) {
      const statuses = await sweep(agent, page, `${page}/resolve`, { endDate: today, endTime: '10:00', response: '' }, field);
      for (const status of statuses.filter((line) => !line.startsWith('response'))) expect(status, status).toMatch(/: 400$/);
      for (const status of statuses) expect(status, status).not.toMatch(/: 5\d\d$/);
    }
    const linkStatuses = await sweep(agent, page, `${page}/alerts`, { alertId: '1' }, 'alertId');
    for (const status of linkStatuses) expect(status, status).toMatch(/: 400$/);
    for (const alertId of ['2147483648', '99999999999999999999', '1%00', '-1']) {
      const response = await agent
        .post(`${page}/alerts/${alertId}/unlink`)
        .type('form')
        .send({ _csrf: csrfTokenFrom((await agent.get(page)).text) });
      expect(response.status, alertId).toBeLessThan(500);
      // 2^31 is a well-formed alert id (alerts count in bigint) that is not linked: nothing to unlink.
      expect(response.status, alertId).toBe(alertId === '2147483648' ? 303 : 400);
      if (response.status === 400) expect(response.text, alertId).toContain('その警報は見つかりません');
    }
    for (const bad of ['2147483648', '99999999999999999999', '1%00', '-1']) {
      expect((await agent.get(`/staff/incidents/${bad}`)).status, bad).toBe(404);
      const response = await agent.post(`/staff/incidents/${bad}/resolve`).type('form').send({ _csrf: token, endDate: today, endTime: '10:00' });
      expect(response.status, bad).toBe(404);
      expect((await agent.post(`/staff/incidents/${bad}/alerts`).type('form').send({ _csrf: token, alertId: '1' })).status, `link ${bad}`).toBe(404);
      expect((await agent.post(`/staff/incidents/${bad}/alerts/1/unlink`).type('form').send({ _csrf: token })).status, `unlink ${bad}`).toBe(404);
    }
    for (const query of ['from=2026-02-31', 'counter=2147483648', 'kind=%00', 'status=open&status=resolved']) {
      expect((await agent.get(`/staff/incidents?${query}`)).status, query).toBe(400);
      expect((await agent.get(`/staff/incidents.csv?${query}`)).status, query).toBe(400);
    }
    for (const alert of ['2147483648', '99999999999999999999', '%00']) expect((await agent.get(`/staff/incidents/new?alert=${alert}`)).status, alert).toBe(200);
    const [{ status }] = await t.db.query<{ status: string }>(`SELECT status FROM incidents WHERE id = $1`, [Number(id)]);
    expect(status).toBe('open');
    expect(await snapshot()).toBe(afterCreate);
  });
});
