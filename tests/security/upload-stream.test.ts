// No request may end the process: a J-LIS upload cut short (no closing boundary, a client gone
// after 1 MB of 10) or malformed (no boundary, a part without headers, CR/LF in the file name)
// is a 400 in Japanese or, with nobody left to answer, silently cleaned up. Real HTTP over a raw
// socket against a listening server; any uncaught exception or unhandled rejection fails the test.
import { mkdtempSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';

let t: TestApp;
let server: Server;
let base: string;
let importDir: string;
let session: { cookie: string; csrf: string; profileId: string };

const crashes: unknown[] = [];
const recordCrash = (error: unknown) => crashes.push(error);

/** Cookies and the upload form's token, through the real log-in form over HTTP. */
async function staffSession(loginId: string, password: string) {
  const jar = new Map<string, string>();
  const call = async (pathname: string, init: RequestInit = {}) => {
    const response = await fetch(base + pathname, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return response;
  };
  const tokenOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)![1];
  const loginToken = tokenOf(await (await call('/staff/login')).text());
  const login = await call('/staff/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: loginToken, loginId, password }).toString(),
  });
  expect(login.status).toBe(303);
  const page = await (await call('/staff/cards/imports')).text();
  return { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '), csrf: tokenOf(page), profileId: page.match(/<option value="(\d+)">/)![1] };
}

const RECEIVED_IN_PART = 'ファイルを最後まで受け取れませんでした';
const BOUNDARY = 'hostile-boundary-7f3a';

function filePart(fileName = 'jlis.csv', headers = `Content-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/csv\r\n`): Buffer {
  return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="profileId"\r\n\r\n${session.profileId}\r\n--${BOUNDARY}\r\n${headers}\r\n`, 'latin1');
}

const closing = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
const csvLine = Buffer.from('0000100000000001,19800401,試験 太郎,シケン タロウ,C1,,箱1,20261101,20270531\r\n');

function requestHead(contentLength: number, contentType = `multipart/form-data; boundary=${BOUNDARY}`): string {
  return [
    `POST /staff/cards/imports?_csrf=${encodeURIComponent(session.csrf)} HTTP/1.1`,
    `Host: 127.0.0.1`,
    `Cookie: ${session.cookie}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${contentLength}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
}

/** Sends raw bytes and reads the whole answer (the server closes the connection). */
function rawRequest(head: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0), text });
    });
    socket.write(Buffer.concat([Buffer.from(head), body])); // no half-close: the server answers, then closes
  });
}

/** Sends part of a declared body, then drops the connection like a closed tab. */
async function abandonedUpload(declared: number, sent: Buffer): Promise<void> {
  const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.write(requestHead(declared), () => socket.write(sent, () => resolve())));
  await eventually(() => readdirSync(importDir).length > 0, 'the partial file is being written'); // the server is inside the file part
  socket.destroy();
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never: ${what}`);
}

async function expectNothingKeptAndStillServing(): Promise<void> {
  await eventually(() => readdirSync(importDir).length === 0, 'upload dir empty');
  expect(await t.db.prisma.importBatch.count()).toBe(0);
  const next = await fetch(`${base}/staff/cards/imports`, { headers: { cookie: session.cookie } });
  expect(next.status).toBe(200);
  expect(crashes).toEqual([]);
}

beforeAll(async () => {
  process.on('uncaughtException', recordCrash);
  process.on('unhandledRejection', recordCrash);
  importDir = mkdtempSync(path.join(tmpdir(), 'upload-stream-'));
  t = await createTestApp({ IMPORT_DIR: importDir, IMPORT_MAX_BYTES: String(20 * 1024 * 1024) });
  server = await new Promise<Server>((resolve) => {
    const listening = t.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  session = await staffSession(user.loginId, password);
});

afterAll(async () => {
  process.off('uncaughtException', recordCrash);
  process.off('unhandledRejection', recordCrash);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  expect(crashes.splice(0)).toEqual([]); // a crash fails the test it happened in, not the ones after
});

describe('J-LIS upload streams', () => {
  it('When the multipart body stops inside the file part (no closing boundary), then the answer is a 400 in Japanese, no file is kept and the server keeps serving', async () => {
    const body = Buffer.concat([filePart(), csvLine, csvLine]);
    const response = await rawRequest(requestHead(body.length), body);
    expect(response.status).toBe(400);
    expect(response.text).toContain('ファイルを最後まで受け取れませんでした');
    await expectNothingKeptAndStillServing();
  });

  it('When the client disconnects after 1 MB of a declared 10 MB, then the partial file is removed, no batch is created and the server keeps serving', async () => {
    const megabyte = Buffer.concat([filePart(), Buffer.alloc(1024 * 1024, csvLine)]);
    await abandonedUpload(10 * 1024 * 1024, megabyte);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectNothingKeptAndStillServing();
  });

  it('When several uploads are abandoned at the same moment, then each is cleaned up and the server keeps serving', async () => {
    const partial = Buffer.concat([filePart(), Buffer.alloc(256 * 1024, csvLine)]);
    await Promise.all(Array.from({ length: 5 }, () => abandonedUpload(10 * 1024 * 1024, partial)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectNothingKeptAndStillServing();
  });

  const profilePart = (profileId: string) =>
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="profileId"\r\n\r\n${profileId}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n`,
    );
  it.each([
    ['no boundary in the content type', 'multipart/form-data', RECEIVED_IN_PART, () => Buffer.concat([filePart(), csvLine, closing])],
    ['a boundary that does not match the body', 'multipart/form-data; boundary=another-boundary', RECEIVED_IN_PART, () => Buffer.concat([filePart(), csvLine, closing])],
    ['a part without headers', undefined, RECEIVED_IN_PART, () => Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n\r\n`), csvLine, closing])],
    [
      'CR/LF in the file name',
      undefined,
      RECEIVED_IN_PART,
      () => Buffer.concat([filePart('', `Content-Disposition: form-data; name="file"; filename="a\rb\nc.csv"\r\nContent-Type: text/csv\r\n`), csvLine, closing]),
    ],
    [
      'CR/LF in an encoded file name',
      undefined,
      'ファイル名に使えない文字',
      () => Buffer.concat([filePart('', `Content-Disposition: form-data; name="file"; filename*=utf-8''a%0D%0Ab.csv\r\nContent-Type: text/csv\r\n`), csvLine, closing]),
    ],
    ['an unknown profile id', undefined, 'レイアウトは見つかりませんでした', () => Buffer.concat([profilePart('999999'), csvLine, closing])],
    ['a profile id above 2^31-1', undefined, 'レイアウトは見つかりませんでした', () => Buffer.concat([profilePart('99999999999999999999'), csvLine, closing])],
  ] as const)('When an upload has %s, then it is refused with a 400 in Japanese and nothing is kept', async (_case, contentType, message, build) => {
    const body = build();
    const response = await rawRequest(requestHead(body.length, contentType), body);
    expect(response.status).toBe(400);
    expect(response.text).toContain(message);
    await expectNothingKeptAndStillServing();
  });
});
