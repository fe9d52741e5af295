// The birth key is an HMAC of "notice ID:MMDD" keyed by the pepper (RFC 2104, SHA-256). The
// pepper's key object is kept between calls, so a changed pepper must still key the next HMAC.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { birthKey, birthKeyMatches } from '../../src/features/citizen/birth-key.js';

const reference = (pepper: string, noticeId: string, mmdd: string) => createHmac('sha256', pepper).update(`${noticeId}:${mmdd}`).digest('base64url');

describe('birth key', () => {
  it('When the pepper changes between calls and back, then each key is the HMAC under the pepper of that call', () => {
    const peppers = ['pepper-one-0123456789abcdef0123456789', 'pepper-two-0123456789abcdef0123456789', 'ペッパー三-0123456789abcdef'];
    for (const pepper of [...peppers, peppers[0], peppers[2], peppers[1]]) {
      expect(birthKey(pepper, '0000123456789012', '0401')).toBe(reference(pepper, '0000123456789012', '0401'));
    }
    expect(birthKey(peppers[0], '0000123456789012', '0401')).not.toBe(birthKey(peppers[1], '0000123456789012', '0401'));
  });

  it('When a key was made under one pepper, then it matches under that pepper only', () => {
    const stored = birthKey('pepper-one-0123456789abcdef0123456789', '0000123456789012', '1231');
    expect(birthKeyMatches('pepper-two-0123456789abcdef0123456789', '0000123456789012', '1231', stored)).toBe(false);
    expect(birthKeyMatches('pepper-one-0123456789abcdef0123456789', '0000123456789012', '1231', stored)).toBe(true);
    expect(birthKeyMatches('pepper-one-0123456789abcdef0123456789', '0000123456789012', '1230', stored)).toBe(false);
  });
});
