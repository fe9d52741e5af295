import { randomInt } from 'node:crypto';

/** Letters and digits that cannot be mistaken for each other when read aloud or handwritten. */
export const UNAMBIGUOUS_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function randomCode(length: number, alphabet = UNAMBIGUOUS_ALPHABET): string {
  let code = '';
  for (let index = 0; index < length; index += 1) code += alphabet[randomInt(alphabet.length)];
  return code;
}
