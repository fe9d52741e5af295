// Helpers for the cards tests: J-LIS files as bytes, uploads through the real form, waiting for
// the background preview/commit to finish.
import iconv from 'iconv-lite';
import { expect } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';

export type Agent = ReturnType<typeof browserAgent>;

export const HEADER = ['通知書番号', '生年月日', '氏名', 'カナ氏名', 'カード管理番号', '交付場所コード', '保管場所', '通知書発送日', '通知書有効期限'];

export function noticeIdFor(n: number): string {
  return String(100000000000 + n).padStart(16, '0');
}

export function csvText(rows: string[][], header = true): string {
  return [...(header ? [HEADER] : []), ...rows].map((row) => row.join(',')).join('\r\n') + '\r\n';
}

export function sjis(text: string): Buffer {
  return iconv.encode(text, 'CP932');
}

/** Uploads a file through the import form; returns the new batch id. */
export async function upload(agent: Agent, bytes: Buffer, fileName = 'jlis.csv', fields: Record<string, string> = {}) {
  const page = await agent.get('/staff/cards/imports');
  const token = csrfTokenFrom(page.text);
  const profileId = fields.profileId ?? page.text.match(/<option value="(\d+)">/)![1];
  let request = agent
    .post(`/staff/cards/imports?_csrf=${encodeURIComponent(token)}`)
    .field('profileId', profileId)
    .field('encoding', fields.encoding ?? 'auto');
  request = request.attach('file', bytes, { filename: fileName, contentType: fields.contentType ?? 'text/csv' });
  return request;
}

export async function uploadOk(agent: Agent, bytes: Buffer, fileName = 'jlis.csv', fields: Record<string, string> = {}): Promise<number> {
  const response = await upload(agent, bytes, fileName, fields);
  expect(response.status, response.text).toBe(303);
  return Number(response.headers.location.split('/').pop());
}

/** Waits until the batch's background work is done; returns the batch. */
export async function settled(db: Database, batchId: number) {
  for (let attempt = 0; attempt < 1200; attempt += 1) {
    const batch = await db.prisma.importBatch.findUniqueOrThrow({ where: { id: batchId } });
    if (!['uploaded', 'previewing', 'committing'].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`batch ${batchId} did not settle`);
}

export async function commit(agent: Agent, db: Database, batchId: number) {
  const page = await agent.get(`/staff/cards/imports/${batchId}`);
  const response = await agent
    .post(`/staff/cards/imports/${batchId}/commit`)
    .type('form')
    .send({ _csrf: csrfTokenFrom(page.text) });
  expect(response.status).toBe(303);
  return settled(db, batchId);
}
