// A real SMTP server on loopback that records what it receives. It can be told to answer the
// next messages with a temporary (421/451) or permanent (550) failure, or to go down and come
// back on the same port.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll } from 'vitest';
import { parseMime, type ParsedMail } from './mime.js';

export interface ReceivedMail extends ParsedMail {
  envelopeTo: string[];
  raw: string;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Answers the next `times` messages (DATA) with this SMTP code. */
  failNext(code: 421 | 451 | 550, times?: number): void;
  /** Closes the listening socket: connections are refused until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let failure: { code: number; times: number } | null = null;
  const options: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    closeTimeout: 50, // going down drops open (pooled) connections, like a server that crashed
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failure && failure.times > 0) {
          failure.times -= 1;
          const error = Object.assign(new Error(failure.code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: failure.code });
          return callback(error);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({ ...parseMime(raw), envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw });
        callback();
      });
    },
  };
  let server = new SMTPServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  let running = true;

  const stopServer = () =>
    new Promise<void>((resolve) => {
      if (!running) return resolve();
      running = false;
      server.close(() => resolve());
    });
  const handle: TestSmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    failNext(code, times = 1) {
      failure = { code, times };
    },
    down: stopServer,
    async up() {
      server = new SMTPServer(options);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      running = true;
    },
    close: stopServer,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} mails, got ${messages.length}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return messages;
    },
  };
  afterAll(() => handle.close());
  return handle;
}
