// The handover file: one ZIP (Explorer opens it on any Windows), optionally inside an OpenPGP
// message encrypted with a password (`gpg --decrypt` opens it), docs/decisions/0023. Every file
// in the ZIP is listed in SHA256SUMS (`sha256sum -c SHA256SUMS`), and the file only gets its
// name once it is complete: until then it is NAME.partial, removed if anything fails.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { AppError } from '../../lib/app-error.js';

export interface FileSum {
  path: string;
  bytes: number;
  sha256: string;
}

export const SUMS_FILE = 'SHA256SUMS';
export const MANIFEST_FILE = 'manifest.json';

const refuse = (code: string, params: Record<string, string | number> = {}) => new AppError(422, `handover_${code}`, `handover.${code}`, params);

/** A ZIP being written: each entry is hashed as it goes in, and SHA256SUMS is written last. */
export class HandoverZip {
  private readonly zip = new yazl.ZipFile();
  readonly sums: FileSum[] = [];
  private failure: Error | undefined;
  private readonly failed = new AbortController();

  get output(): Readable {
    return this.zip.outputStream as Readable;
  }

  /** Adds an entry from a stream of bytes and resolves once all of it is in, with its checksum. */
  async addStream(name: string, source: AsyncIterable<Buffer>): Promise<FileSum> {
    if (this.failure) throw this.failure;
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new PassThrough();
    this.zip.addReadStream(tap, name);
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
      if (!tap.write(chunk)) await once(tap, 'drain', { signal: this.failed.signal }).catch((error: unknown) => Promise.reject(this.failure ?? error));
    }
    await new Promise<void>((resolve) => tap.end(resolve));
    const sum = { path: name, bytes, sha256: hash.digest('hex') };
    this.sums.push(sum);
    return sum;
  }

  addBuffer(name: string, content: Buffer): FileSum {
    this.zip.addBuffer(content, name);
    const sum = { path: name, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
    this.sums.push(sum);
    return sum;
  }

  /** Stops the export when the file cannot be written: the entry being added and any later one fail with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    this.failed.abort();
  }

  /** Writes SHA256SUMS (in the format `sha256sum -c` reads) and closes the ZIP. */
  finish(): void {
    const lines = this.sums.map((sum) => `${sum.sha256}  ${sum.path}\n`).join('');
    this.zip.addBuffer(Buffer.from(lines, 'utf8'), SUMS_FILE);
    this.zip.end();
  }
}

/**
 * Writes the handover to `file`: `fill` adds the entries; the bytes go (encrypted when a password
 * is given) to FILE.partial, which is renamed to FILE only when everything is written. Beside it,
 * FILE.sha256 holds the checksum of the file as delivered.
 */
export async function writeHandoverFile<T>(file: string, password: string | undefined, fill: (zip: HandoverZip) => Promise<T>): Promise<T> {
  const partial = `${file}.partial`;
  const zip = new HandoverZip();
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const bytes = password ? await encrypted(zip.output, password) : zip.output;
  const written = pipeline(bytes, hashing, createWriteStream(partial, { mode: 0o600 }));
  written.catch((error: Error) => zip.fail(error)); // a disk that fills up stops the export at once
  try {
    const result = await fill(zip);
    zip.finish();
    await written;
    await writeFile(`${file}.sha256`, `${hash.digest('hex')}  ${path.basename(file)}\n`);
    await rename(partial, file);
    return result;
  } catch (error) {
    zip.output.destroy();
    await written.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}

async function encrypted(source: Readable, password: string): Promise<Readable> {
  const message = await openpgp.createMessage({ binary: Readable.toWeb(source) as ReadableStream<Uint8Array> });
  const output = await openpgp.encrypt({
    message,
    passwords: [password],
    format: 'binary',
    config: { preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256, preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
  });
  return Readable.fromWeb(output as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** A random password for an encrypted export, to be delivered apart from the file. */
export const newPassword = (): string => randomBytes(18).toString('base64url');

/** A handover file opened and checked: every entry is present and matches SHA256SUMS. */
export interface OpenedHandover {
  manifest: unknown;
  read(name: string): Promise<Readable>;
  close(): Promise<void>;
}

/**
 * Opens a handover file and checks it completely before anything reads its tables: decrypted
 * with the password (into a private temporary file), a ZIP that is whole, every entry listed in
 * SHA256SUMS with a matching checksum, and nothing else in it.
 */
export async function openHandoverFile(file: string, password: string | undefined): Promise<OpenedHandover> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'handover-'));
  try {
    const kind = await kindOf(file);
    if (kind === 'unknown') throw refuse('damaged');
    const zipPath = kind === 'zip' ? file : await decryptTo(file, password, path.join(scratch, 'handover.zip'));
    const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true }).catch(() => {
      throw refuse('damaged');
    });
    const entries = new Map<string, yauzl.Entry>();
    try {
      // Folders carry no data: a ZIP packed again by hand may list them.
      for await (const entry of zip.eachEntry()) if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
    } catch {
      zip.close();
      throw refuse('damaged');
    }
    const read = async (name: string) => {
      const entry = entries.get(name);
      if (!entry) throw refuse('missingFile', { file: name });
      return zip.openReadStreamPromise(entry);
    };
    const close = async () => {
      zip.close();
      await rm(scratch, { recursive: true, force: true });
    };
    try {
      await checkSums(entries, read);
      const manifest = JSON.parse((await readAll(await read(MANIFEST_FILE))).toString('utf8')) as unknown;
      return { manifest, read, close };
    } catch (error) {
      await close();
      throw error;
    }
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

/** What the file starts with: a ZIP's local header, a password-encrypted OpenPGP message (a symmetric session key packet, tag 3, in the new or the old packet format), or neither. */
async function kindOf(file: string): Promise<'zip' | 'openpgp' | 'unknown'> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50) return 'zip';
    return bytesRead > 0 && (buffer[0] === 0xc3 || (buffer[0] & 0xfc) === 0x8c) ? 'openpgp' : 'unknown';
  } finally {
    await handle.close();
  }
}

async function decryptTo(file: string, password: string | undefined, into: string): Promise<string> {
  if (!password) throw refuse('needsPassword');
  let data: ReadableStream<Uint8Array>;
  try {
    const message = await openpgp.readMessage({ binaryMessage: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array> });
    // The data is checked (its MDC) when the stream ends; it goes to a private file that is thrown away on failure.
    const decrypted = await openpgp.decrypt({ message, passwords: [password], format: 'binary', config: { allowUnauthenticatedStream: true } });
    data = decrypted.data as ReadableStream<Uint8Array>;
  } catch {
    throw refuse('cannotDecrypt');
  }
  try {
    await pipeline(Readable.fromWeb(data as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(into, { mode: 0o600 }));
  } catch {
    throw refuse('cannotDecrypt');
  }
  return into;
}

async function checkSums(entries: Map<string, yauzl.Entry>, read: (name: string) => Promise<Readable>): Promise<void> {
  if (!entries.has(SUMS_FILE)) throw refuse('missingFile', { file: SUMS_FILE });
  const listed = new Map<string, string>();
  for (const line of (await readAll(await read(SUMS_FILE))).toString('utf8').split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match) listed.set(match[2], match[1]);
  }
  for (const name of entries.keys()) if (name !== SUMS_FILE && !listed.has(name)) throw refuse('unlistedFile', { file: name });
  for (const [name, expected] of listed) {
    const hash = createHash('sha256');
    try {
      for await (const chunk of await read(name)) hash.update(chunk as Buffer);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw refuse('damaged');
    }
    if (hash.digest('hex') !== expected) throw refuse('checksumMismatch', { file: name });
  }
  if (!listed.has(MANIFEST_FILE)) throw refuse('missingFile', { file: MANIFEST_FILE });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
