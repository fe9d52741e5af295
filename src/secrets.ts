import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';

export interface Secrets {
  sessionSecret: string;
  birthDatePepper: string;
}

/**
 * Secrets come from the environment. Outside production, missing ones are generated once and
 * kept in a git-ignored file beside the embedded database, so `npm start` needs no setup.
 */
export function resolveSecrets(config: Config, file = path.join(path.dirname(path.resolve(config.EMBEDDED_PG_DIR)), 'secrets.json')): Secrets {
  if (config.SESSION_SECRET && config.BIRTH_DATE_PEPPER) {
    return { sessionSecret: config.SESSION_SECRET, birthDatePepper: config.BIRTH_DATE_PEPPER };
  }
  const stored: Partial<Secrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: Secrets = {
    sessionSecret: config.SESSION_SECRET ?? stored.sessionSecret ?? randomBytes(32).toString('base64url'),
    birthDatePepper: config.BIRTH_DATE_PEPPER ?? stored.birthDatePepper ?? randomBytes(32).toString('base64url'),
  };
  if (stored.sessionSecret !== secrets.sessionSecret || stored.birthDatePepper !== secrets.birthDatePepper) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
