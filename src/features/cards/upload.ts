// Streams a multipart upload straight to a server-side file named by a random key (never by the
// client's file name), hashing it on the way; refuses oversized or non-text files before parsing.
// Every stream's failure (the client leaving, a body cut short or malformed) is caught here: the
// request gets a 400 (or, when nobody is left to answer, nothing) and the partial file is removed.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { finished, pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import busboy, { type Busboy, type FileInfo } from 'busboy';
import type { Request } from 'express';
import { AppError } from '../../lib/app-error.js';
import { hasControlCharacters } from '../../lib/validation.js';
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

const brokenUpload = () => new AppError(400, 'broken_upload', 'cards.import.brokenUpload');

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

/** busboy throws at once on a multipart type without a boundary: that is the client's mistake. */
function multipartParser(req: Request, maxBytes: number): Busboy {
  try {
    return busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 1024, fileSize: maxBytes }, defParamCharset: 'utf8' });
  } catch {
    throw brokenUpload();
  }
}

interface StreamedFile {
  name: string;
  type: string;
  size: number;
  truncated: boolean;
}

/** Copies the file part to `target` while counting and hashing it. */
function saveFilePart(stream: Readable, info: FileInfo, target: string, hash: Hash): { file: StreamedFile; saving: Promise<void> } {
  const file = { name: info.filename ?? '', type: info.mimeType ?? '', size: 0, truncated: false };
  stream.on('limit', () => (file.truncated = true));
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      file.size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const saving = pipeline(stream, measure, createWriteStream(target, { flags: 'wx' }));
  saving.catch(() => undefined); // awaited by streamToDisk; never left as an unhandled rejection
  return { file, saving };
}

/**
 * Reads the whole request through busboy into `target`. Settles only once every stream (request,
 * parser, file part, file on disk) has finished or been torn down, so the caller may unlink.
 */
async function streamToDisk(req: Request, parser: Busboy, target: string, hash: Hash): Promise<{ file?: StreamedFile; fields: Record<string, string> }> {
  const fields: Record<string, string> = {};
  let part: { file: StreamedFile; saving: Promise<void> } | undefined;
  parser.on('field', (name, value) => (fields[name] = value));
  parser.on('file', (_name, stream, info) => (part = saveFilePart(stream, info, target, hash)));
  parser.on('error', () => undefined); // reported through finished(parser) below
  const reading = finished(req); // rejects when the client leaves before the end of its body
  reading.catch(() => undefined);
  req.pipe(parser);
  try {
    await Promise.all([reading, finished(parser)]);
    await part?.saving;
    return { file: part?.file, fields };
  } catch (error) {
    req.unpipe(parser);
    parser.destroy(); // ends the file part, which closes the file on disk
    await part?.saving.catch(() => undefined);
    throw (error as NodeJS.ErrnoException).syscall ? error : brokenUpload(); // a disk failure is ours, the rest the client's
  }
}

function checkFileName(name: string): void {
  if (name === '') throw new AppError(400, 'no_file', 'cards.import.noFile');
  if (hasControlCharacters(name)) throw new AppError(400, 'bad_file_name', 'cards.import.badFileName');
}

/**
 * Receives the import file and hands it to `accept` (which records it); if anything fails, from
 * the first byte to `accept`, the file is removed and the error goes on to the error page.
 */
export async function receiveImportFile<T>(req: Request, dir: string, maxBytes: number, accept: (file: ReceivedFile) => Promise<T>): Promise<T> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes + 64 * 1024) throw tooLarge(maxBytes);
  if (!req.is('multipart/form-data')) throw new AppError(400, 'not_multipart', 'cards.import.noFile');
  const parser = multipartParser(req, maxBytes);
  await mkdir(dir, { recursive: true });
  const storageKey = randomUUID();
  const target = uploadPath(dir, storageKey);
  const hash = createHash('sha256');
  try {
    const { file, fields } = await streamToDisk(req, parser, target, hash);
    checkFileName(file?.name ?? '');
    if (!file || file.size === 0) throw new AppError(400, 'no_file', 'cards.import.noFile');
    if (file.truncated) throw tooLarge(maxBytes);
    if (!ACCEPTED_NAME.test(file.name) || !ACCEPTED_TYPES.has(file.type) || !(await looksLikeText(target))) throw new AppError(415, 'wrong_type', 'cards.import.wrongType');
    return await accept({ storageKey, fileName: file.name.slice(0, 200), sha256: hash.digest('hex'), sizeBytes: file.size, fields });
  } catch (error) {
    await unlink(target).catch(() => undefined);
    throw error;
  }
}
