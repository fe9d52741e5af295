// The birth keys of an import, made on a thread of their own while the main thread reads and
// checks the next lines: an HMAC is about a fifth of the main thread's work on a line, and the
// preview is bound by that thread (docs/decisions/0031).
import { Worker } from 'node:worker_threads';
import { BIRTH_KEY_HMAC, birthKeyMessage } from '../citizen/birth-key.js';

// Plain JavaScript run with `eval`: the thread starts in milliseconds with nothing of the app in
// it, the same under tsx, vitest and the build. It makes exactly what birthKey makes: the HMAC
// of each message under the pepper, written as BIRTH_KEY_HMAC says (tests/cards/birth-key-thread.test.ts).
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac, createSecretKey } = require('node:crypto');
const key = createSecretKey(Buffer.from(workerData.pepper, 'utf8'));
parentPort.on('message', (messages) => {
  parentPort.postMessage(messages.map((message) => createHmac(workerData.algorithm, key).update(message).digest(workerData.encoding)));
});`;

export interface BirthKeyThread {
  /** The birth key of each (notice ID, MMDD), in order: the same as birthKey under the pepper. */
  keys(pairs: [noticeId: string, mmdd: string][]): Promise<string[]>;
  /** Ends the thread; keys asked for and not yet made fail. */
  close(): Promise<void>;
}

export function startBirthKeyThread(pepper: string): BirthKeyThread {
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { pepper, ...BIRTH_KEY_HMAC },
    execArgv: [], // not the parent's (tsx's loader): the source needs none
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 32 },
  });
  const waiting: { resolve: (keys: string[]) => void; reject: (error: Error) => void }[] = [];
  let ended: Error | undefined;
  const end = (error: Error) => {
    ended ??= error;
    for (const request of waiting.splice(0)) request.reject(ended);
  };
  worker.on('message', (keys: string[]) => waiting.shift()?.resolve(keys));
  worker.on('error', end);
  worker.on('exit', () => end(new Error('the birth key thread ended')));
  return {
    keys(pairs) {
      if (ended) return Promise.reject(ended);
      if (pairs.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(pairs.map(([noticeId, mmdd]) => birthKeyMessage(noticeId, mmdd)));
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
