// The birth key keeps the pepper as a key object between calls (an import makes 100,000 keys):
// whichever pepper comes next, the key is the HMAC of that pepper, never of the one cached before.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { birthKey, birthKeyMatches } from '../../src/features/citizen/birth-key.js';

const plain = (pepper: string, noticeId: string, mmdd: string) => createHmac('sha256', pepper).update(`${noticeId}:${mmdd}`).digest('base64url');

describe('birth key', () => {
  it('When peppers alternate between calls (one, another, the first again, a non-ASCII one, an empty one), then each key is the HMAC of the pepper given and matches under it only', () => {
    const peppers = ['pepper-one', 'pepper-two', 'pepper-one', '胡椒-三', '', 'pepper-two'];
    for (const pepper of peppers) {
      const key = birthKey(pepper, 'A0000001', '0401');
      expect(key, pepper).toBe(plain(pepper, 'A0000001', '0401'));
      expect(birthKeyMatches(pepper, 'A0000001', '0401', key), pepper).toBe(true);
      expect(birthKeyMatches(pepper, 'A0000001', '0402', key), `${pepper}, another day`).toBe(false);
      for (const other of new Set(peppers)) if (other !== pepper) expect(birthKeyMatches(other, 'A0000001', '0401', key), `${pepper} under ${other}`).toBe(false);
    }
  });
});
