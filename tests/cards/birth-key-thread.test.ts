// The import makes its birth keys on a thread of its own (birth-key-thread.ts). Whatever the
// pepper, the keys must be exactly birthKey's, in the order asked, however many batches are in
// flight at once; once the thread is closed, asking fails at once instead of waiting for ever.
import { afterEach, describe, expect, it } from 'vitest';
import { startBirthKeyThread, type BirthKeyThread } from '../../src/features/cards/birth-key-thread.js';
import { birthKey } from '../../src/features/citizen/birth-key.js';

const started: BirthKeyThread[] = [];
afterEach(async () => {
  for (const thread of started.splice(0)) await thread.close();
});

const pairs = (count: number, from = 0): [string, string][] =>
  Array.from({ length: count }, (_, index) => [
    `A${String(from + index).padStart(11, '0')}`,
    `${String((index % 12) + 1).padStart(2, '0')}${String((index % 28) + 1).padStart(2, '0')}`,
  ]);

describe('birth key thread', () => {
  it('When batches are asked for under peppers short, long (over a 64-byte block), non-ASCII and empty, several at once, then each key is birthKey of its pair under that pepper, in order', async () => {
    for (const pepper of ['pepper-one', 'p'.repeat(65) + '-long', '胡椒-三-ペッパー', '']) {
      const thread = startBirthKeyThread(pepper);
      started.push(thread);
      const batches = [pairs(700, 0), pairs(1, 700), pairs(250, 701), pairs(700, 951)];
      const made = await Promise.all(batches.map((batch) => thread.keys(batch)));
      batches.forEach((batch, index) => expect(made[index], pepper).toEqual(batch.map(([noticeId, mmdd]) => birthKey(pepper, noticeId, mmdd))));
    }
  });

  it('When nothing is asked, then nothing comes back; when the thread is closed, then asking fails at once', async () => {
    const thread = startBirthKeyThread('pepper');
    started.push(thread);
    expect(await thread.keys([])).toEqual([]);
    const inFlight = thread.keys(pairs(5000));
    await thread.close();
    await expect(inFlight).rejects.toThrow();
    await expect(thread.keys(pairs(1))).rejects.toThrow();
  });
});
