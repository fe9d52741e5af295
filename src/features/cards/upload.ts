// Streams a multipart upload straight to a server-side file named by a random key (never by the
// client's file name), hashing it on the way; refuses oversized or non-text files before parsing.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../../web/errors.js';
import { uploadPath } from './import-service.js';

export interface ReceivedFile {
  storageKey: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  fields: Record<string, string>;
}

const ACCEPTED_NAME = /\.(csv|txt|dat|tsv)$/i;
const ACCEPTED_TYPES = new Set(['text/csv', 'text/plain', 'application/vnd.ms-excel', 'application/octet-stream', 'text/tab-separated-values', '']);

function tooLarge(maxBytes: number): AppError {
  return new AppError(413, 'file_too_large', 'cards.import.tooLarge', { max: Math.floor(maxBytes / 1024 / 1024) });
}

/** A text file has no NUL bytes and does not start like a ZIP (xlsx) or PDF. */
async function looksLikeText(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const sample = head.subarray(0, bytesRead);
    return !sample.includes(0) && !sample.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')) && !sample.subarray(0, 5).equals(Buffer.from('%PDF-'));
  } finally {
    await handle.close();
  }
}

export async function receiveImportFile(req: Request, dir: string, maxBytes: number): Promise<ReceivedFile> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes + 64 * 1024) throw tooLarge(maxBytes);
  if (!req.is('multipart/form-data')) throw new AppError(400, 'not_multipart', 'cards.import.noFile');
  await mkdir(dir, { recursive: true });
  const storageKey = randomUUID();
  const target = uploadPath(dir, storageKey);
  const fields: Record<string, string> = {};
  const hash = createHash('sha256');
  let file: { name: string; type: string; size: number; truncated: boolean } | undefined;
  let saving: Promise<void> | undefined;

  const parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 1024, fileSize: maxBytes }, defParamCharset: 'utf8' });
  parser.on('field', (name, value) => (fields[name] = value));
  parser.on('file', (_name, stream, info) => {
    const received = { name: info.filename ?? '', type: info.mimeType ?? '', size: 0, truncated: false };
    file = received;
    stream.on('limit', () => (received.truncated = true));
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received.size += chunk.length;
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    saving = pipeline(stream, measure, createWriteStream(target));
  });
  try {
    await pipeline(req, parser);
    await saving;
    if (!file || file.name === '' || file.size === 0) throw new AppError(400, 'no_file', 'cards.import.noFile');
    if (file.truncated) throw tooLarge(maxBytes);
    if (!ACCEPTED_NAME.test(file.name) || !ACCEPTED_TYPES.has(file.type) || !(await looksLikeText(target))) throw new AppError(415, 'wrong_type', 'cards.import.wrongType');
    return { storageKey, fileName: file.name.slice(0, 200), sha256: hash.digest('hex'), sizeBytes: file.size, fields };
  } catch (error) {
    await unlink(target).catch(() => undefined);
    throw error;
  }
}
