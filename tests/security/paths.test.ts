// IPA: directory traversal. Files are served from public/ only, and uploads and downloads are
// addressed by id, never by a path the client chooses.
import { existsSync } from 'node:fs';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { csvText, noticeIdFor, settled, sjis, uploadOk } from '../cards/helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe('directory traversal', () => {
  it.each(['/css/../package.json', '/css/..%2f..%2fpackage.json', '/css/%2e%2e/%2e%2e/.env.example', '/images/..%5c..%5cpackage.json', '/..%2fsrc%2fconfig.ts'])(
    'When %s is requested, then no file outside public/ is served',
    async (path) => {
      const response = await request(t.app).get(path);
      expect(response.status).not.toBe(200);
      expect(response.text).not.toContain('"dependencies"');
      expect(response.text).not.toContain('SESSION_SECRET');
    },
  );

  it('When an uploaded file is named with a path, then it is stored under a random name and the path is never used', async () => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const admin = await staffAgent(t.app, user.loginId, password);
    const batchId = await uploadOk(admin, sjis(csvText([[noticeIdFor(5), '19800401', '山田', 'ヤマダ', '', '', 'A-1', '', '']])), '../../../../tmp/evil-upload.csv');
    await settled(t.db, batchId);
    expect(existsSync('/tmp/evil-upload.csv')).toBe(false);
    const batch = await t.db.prisma.importBatch.findUniqueOrThrow({ where: { id: batchId } });
    expect(JSON.stringify(batch, (_key, value) => (typeof value === 'bigint' ? String(value) : value))).not.toMatch(/\.\.\//);
  });

  it.each(['/staff/cards/imports/..%2f..%2fetc%2fpasswd', '/staff/cards/imports/1%00', '/staff/mail/..%2f1'])('When %s is requested, then it is not found', async (path) => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const admin = await staffAgent(t.app, user.loginId, password);
    const response = await admin.get(path);
    expect([400, 404]).toContain(response.status);
    expect(response.text).not.toContain('root:');
  });
});
