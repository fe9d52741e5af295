// Follows a server-sent event stream as a browser's EventSource would, over a real socket, so a
// test can wait for the message it expects (and see how long it took).
import http from 'node:http';

export interface Followed<T> {
  status: number;
  /** Resolves with the first message (already received or still to come) that `match` accepts. */
  next(match: (message: T) => boolean, timeoutMs?: number): Promise<T>;
  messages: T[];
  /** Resolves when the server ends the stream. */
  ended(timeoutMs?: number): Promise<void>;
  close(): void;
}

export function followEvents<T = unknown>(url: string): Promise<Followed<T>> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      const messages: T[] = [];
      const waiting: { match: (message: T) => boolean; done: (message: T) => void }[] = [];
      let buffer = '';
      const end = new Promise<void>((done) => response.on('end', done).on('close', done));
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (!data) continue;
          const message = JSON.parse(data) as T;
          messages.push(message);
          for (const waiter of [...waiting]) if (waiter.match(message)) waiter.done(message);
        }
      });
      resolve({
        status: response.statusCode ?? 0,
        messages,
        next(match, timeoutMs = 5_000) {
          const seen = messages.find(match);
          if (seen) return Promise.resolve(seen);
          return new Promise<T>((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(messages.at(-1))}`)), timeoutMs);
            const waiter = {
              match,
              done: (message: T) => {
                clearTimeout(timer);
                waiting.splice(waiting.indexOf(waiter), 1);
                done(message);
              },
            };
            waiting.push(waiter);
          });
        },
        ended: (timeoutMs = 5_000) =>
          Promise.race([end, new Promise<void>((_, fail) => setTimeout(() => fail(new Error(`the stream did not end within ${timeoutMs} ms`)), timeoutMs).unref())]),
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}
