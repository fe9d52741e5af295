import bcrypt from 'bcrypt';

export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;

// The most common passwords and patterns seen in breaches, plus local words. Compared
// case-insensitively after removing digits and symbols at the ends.
const DENY_LIST = new Set([
  'password',
  'passw0rd',
  'qwerty',
  'qwertyuiop',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'iloveyou',
  'abc123',
  '123456',
  '12345678',
  '123456789',
  '1234567890',
  '111111',
  '000000',
  'monkey',
  'dragon',
  'baseball',
  'football',
  'sunshine',
  'princess',
  'trustno1',
  'changeme',
  'secret',
  'master',
  'login',
  'starwars',
  'zaq12wsx',
  'asdfghjkl',
  '1qaz2wsx',
  'mynumber',
  'mynumbercard',
  'kofu',
  'yoyaku',
  'shiyakusho',
  'tokyo',
  'japan',
  'nippon',
]);

/** Returns a message key when the password is not acceptable, otherwise undefined. */
export function passwordProblem(password: string, loginId: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return 'staff.password.tooShort';
  if (password.length > 128) return 'staff.password.tooLong';
  const core = password.toLowerCase().replace(/^[^a-z]+|[^a-z]+$/g, '');
  if (DENY_LIST.has(password.toLowerCase()) || DENY_LIST.has(core) || /^(.)\1+$/.test(password)) return 'staff.password.common';
  if (password.toLowerCase().includes(loginId.toLowerCase())) return 'staff.password.containsLoginId';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

// Compared against when the login ID does not exist, so both cases cost one bcrypt.
const DUMMY_HASH = bcrypt.hashSync('no-such-user-dummy-password', BCRYPT_COST);

export function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  return bcrypt.compare(password, hash ?? DUMMY_HASH);
}
